"""Structure of a cleaned article: title, dates, outline sections, comment rows.

Pure functions over strings (the DOM work is in ``cleaners/extract.py``).

Size: over 500 lines because comment rows (line-based, item-based, their header fields and
times) take ~450 of them; they are the one clean cut into a module of its own, left for a change
to the cleaners (the layout step of issue 15 does not touch them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cleaners.boilerplate import similarity
from cleaners.model import Comment, Section

# ------------------------------------------------------------------ dates

_DATE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<mo>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*T?\s*(?P<h>\d{1,2})\s*[:：时]\s*(?P<mi>\d{2})(?:\s*[:：分]\s*(?P<s>\d{2}))?)?"
    r"(?P<z>\s*(?:Z|[+-]\d{2}:?\d{2}))?"
)


def parse_date(s: str | None) -> str | None:
    """The first date in ``s`` as ISO 8601; +08:00 when the page gives no zone (China Standard Time).

    >>> parse_date("时间:2025-04-26 14:25:27")
    '2025-04-26T14:25:27+08:00'
    >>> parse_date("2005年3月6日")
    '2005-03-06T00:00:00+08:00'
    """
    if not s:
        return None
    for m in _DATE.finditer(s[:2000]):
        y, mo, d = int(m["y"]), int(m["mo"]), int(m["d"])
        h, mi, sec = int(m["h"] or 0), int(m["mi"] or 0), int(m["s"] or 0)
        if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and sec < 60):
            continue
        z = (m["z"] or "").strip()
        if z == "Z":
            zone = "+00:00"
        elif z:
            z = z.replace(":", "")
            zone = f"{z[:3]}:{z[3:5]}"
        else:
            zone = "+08:00"
        return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{sec:02d}{zone}"
    return None


# ------------------------------------------------------------------ title

_TITLE_SEP = re.compile(r"\s*(?:_{1,2}|\|{1,2}|｜|--|—+|–|-|::|:\s|·)\s*")
_SITE_WORDS = re.compile(
    r"(?:网|網|频道|頻道|站|社区|論壇|论坛|博客|部落格|[Bb]log|BLOG|新闻|新聞|在线|門戶|门户|官网|首页|中心|之家|的家|"
    r"\.com|\.cn|\.net|\.org|\.tw)\s*$"
)


def strip_site_suffix(title: str) -> str:
    """``文章标题_科技_腾讯网`` → ``文章标题``: drop trailing segments that name the site or channel.

    Only trailing segments are dropped, and only ones that look like a site/channel name (end in
    网/频道/论坛/... or are at most 4 characters), so a title with a dash inside stays whole.
    """
    title = title.strip()
    seps = list(_TITLE_SEP.finditer(title))
    end = len(title)
    for m in reversed(seps):
        seg = title[m.end() : end].strip()
        if not seg:
            end = m.start()
            continue
        head = title[: m.start()].strip()
        if len(head) < 4:
            break
        if _SITE_WORDS.search(seg) or len(seg) <= 4:
            end = m.start()
            continue
        break
    return title[:end].strip() or title


def best_title(title_tag: str, h1: str, og_title: str) -> str:
    """The best of <title>, <h1>, og:title with the site suffix removed (once)."""
    t = strip_site_suffix(title_tag) if title_tag else ""
    og = strip_site_suffix(og_title) if og_title else ""
    h1 = h1.strip()
    ref = t or og
    if h1 and 4 <= len(h1) <= 120:
        # the <h1> of many templates is the site logo: it must match the *cleaned* title
        if not ref or (len(h1) >= 0.5 * len(ref) and h1 in ref) or similarity(h1, ref) >= 0.6:
            return h1
    if og and (not t or similarity(og, t) >= 0.5 or len(t) < 4):
        return og
    return t or og or (h1 if len(h1) <= 120 else "")


# ------------------------------------------------------------------ outline

_CN_NUM = "一二三四五六七八九十百零〇"
# (level, pattern); the first match wins, so (一) is tried before 一、 and (1) before 1.
_HEADINGS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (2, re.compile(rf"(?P<num>[(（][{_CN_NUM}]{{1,3}}[)）])\s*[、.．]?\s*(?P<rest>.*)", re.S)),
    (1, re.compile(rf"(?P<num>[{_CN_NUM}]{{1,3}})\s*[、.．]\s*(?P<rest>.*)", re.S)),
    (4, re.compile(r"(?P<num>[(（]\d{1,2}[)）])\s*[、.．]?\s*(?P<rest>.*)", re.S)),
    # 1. / 1、 / 1． but not 1.5, 2025年, 3.14: the number is 1-2 digits followed by the mark
    (3, re.compile(r"(?P<num>\d{1,2})\s*(?:[、．]|\.(?!\d))\s*(?P<rest>.*)", re.S)),
    (5, re.compile(r"(?P<num>[\u2460-\u2473])\s*(?P<rest>.*)", re.S)),
)
_SENT_END = re.compile(r"[。！？!?；;]")
_HEADING_MAX = 40
_HEADING_FIRST = frozenset("(（" + _CN_NUM)


def match_heading(line: str) -> tuple[int, str, str, str] | None:
    """(level, number, heading, text-on-the-same-line) when a line starts a numbered section."""
    s = line.strip()
    # every heading pattern starts with a bracket, a Chinese numeral, a digit (\d: any Unicode
    # decimal, as str.isdecimal) or a circled number: most lines are prose and fail here at once
    c = s[:1]
    if not c or not (c in _HEADING_FIRST or c.isdecimal() or "\u2460" <= c <= "\u2473"):
        return None
    for level, rx in _HEADINGS:
        m = rx.fullmatch(s)
        if not m:
            continue
        num = m["num"]
        rest = m["rest"].strip()
        # a numbered line of prose: the heading is its first clause, the rest is section text
        if len(rest) <= _HEADING_MAX and not _SENT_END.search(rest[:-1] if rest else ""):
            return level, _number(num), rest.rstrip("：:"), ""
        cut = re.search(r"[。！？!?；;：:]", rest[: _HEADING_MAX + 1])
        if cut:
            return level, _number(num), rest[: cut.start()], rest[cut.end() :].strip()
        return level, _number(num), "", rest
    return None


def _number(num: str) -> str:
    """The number as printed, with full-width parentheses written as ASCII: （一） → (一)."""
    return num.replace("（", "(").replace("）", ")")


def outline(body: str) -> list[Section]:
    """Sections in page order; the text before the first heading is Section(0, "", "", text).

    ``- `` bullets stay as text lines inside their section: they are list items, not headings.
    """
    sections: list[Section] = []
    pre: list[str] = []
    cur: Section | None = None
    cur_lines: list[str] = []
    for line in body.split("\n"):
        if not line.strip():
            continue
        h = match_heading(line)
        if h is None:
            (cur_lines if cur is not None else pre).append(line)
            continue
        if cur is not None:
            cur.text = "\n".join(cur_lines)
            sections.append(cur)
        level, num, heading, same_line = h
        cur = Section(level, num, heading, "")
        cur_lines = [same_line] if same_line else []
    if cur is not None:
        cur.text = "\n".join(cur_lines)
        sections.append(cur)
    if pre:
        sections.insert(0, Section(0, "", "", "\n".join(pre)))
    return sections


# ------------------------------------------------------------------ comments

_DATE_TXT = (
    r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}(?:\s*日)?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}"
)
# "头像 雷俊驰-债务结清者 2025-04-26", "张三 发表于 2025-04-26 10:00", "1楼 张三 2025-04-26"
_COMMENT_HEAD = re.compile(
    r"(?:头像\s*)?(?:(?:\d{1,4}\s*楼|#\s*\d{1,4}|沙发|板凳|地板)\s*[:：]?\s*)?"
    r"(?P<name>[^\s\-—:：]{1,24}?)(?:\s+(?P=name))?(?:\s*[-—]\s*(?P<role>[^\s\d\-—]{1,16}))?"
    r"(?:\s*(?:发表于|回复于|评论于|於|于)\s*|\s*[:：]\s*|\s+)(?P<date>" + _DATE_TXT + r")\s*(?P<rest>.*)",
    re.S,
)
# "lr9111[219.130.79.*] 认为：" (NetEase), "张三 写道：" — a header without a date
_COMMENT_SAYS = re.compile(
    r"(?:\d{1,4}\s*楼\s*)?(?P<name>[^\s:：\[]{1,24}?)\s*(?:\[[\d.*]{3,20}\])?\s*(?:认为|写道|说|回复|评论)\s*[:：]\s*(?P<rest>.*)",
    re.S,
)
# "# re: 很高兴入住博客堂 2004-12-27 12:46 flyingbirds" (.Text / cnblogs): the author after the date
_COMMENT_RE = re.compile(
    r"#?\s*(?:re|RE|Re)\s*[:：]\s*.{0,80}?\s(?P<date>" + _DATE_TXT + r")\s+(?P<name>\S{1,24})\s*",
    re.S,
)
# A date line: up to five short words (引用 投诉 支持 (2)), then a date.  This regex is the
# definition, but run as written it backtracks exponentially on a short line that is *not* one
# (0.8 ms for a 30-character sentence: every split of the text into \S{1,6} words is tried), and
# every comment text line is tested; _date_only() gives the same answer in linear time.
_DATE_ONLY = re.compile(r"(?:\S{1,6}\s*(?:\(\d+\))?\s*){0,5}(?P<date>" + _DATE_TXT + r")\s*")
_DATE_TAIL = re.compile(r"(?:" + _DATE_TXT + r")\s*")
_DATE_AT_END = re.compile(r"(?:" + _DATE_TXT + r")\s*\Z")
_NON_SPACE = re.compile(r"\S{1,6}")
_SPACES = re.compile(r"\s*")


def _past_spaces(line: str, i: int) -> int:
    r"""The index after the whitespace at ``i`` (``\s*`` always matches)."""
    m = _SPACES.match(line, i)
    return m.end() if m else i


_PAREN_NUM = re.compile(r"\(\d+\)")
_COMMENT_NOISE = re.compile(
    r"(?:共\s*\d+\s*(?:篇|条)?(?:评论|回复|回答)|发表评论|我要评论|查看(?:全部|更多)(?:评论|回答)|"
    r".{0,8}(?:还没有评论|暂无评论|抢沙发|评论已关闭|评论已经关闭).{0,8}|"
    # a row of comment buttons: 赞(326) 评论 分享 举报 / 引用 投诉 支持 (2).  Each button is an
    # atomic group: as a plain group, "回复 回复 … 好" tried every way to share the spaces between
    # two \s* (4 s for 46 characters); a button's greedy reading never keeps the next from matching
    r"(?>(?:回复|举报|支持|反对|顶|踩|赞|评论|分享|引用|投诉|收藏)\s*(?:[(（]\d+[)）]|\d+)?\s*[|·]?\s*)+|"
    r"\d+\s*(?:赞|回复))\s*"
)


def _date_only(line: str) -> bool:
    """``bool(_DATE_ONLY.fullmatch(line))``, without the regex's exponential backtracking.

    The words before the date are walked as a set of reachable positions, word by word (at most
    five): a word is 1-6 non-space characters, then spaces, then an optional "(digits)" and spaces.
    Only the position after all of a word's spaces can start the next word or the date (both start
    with a non-space character), so each word leaves at most two positions per length.
    """
    if not _DATE_AT_END.search(line):  # cheap and necessary: the line must end in a date
        return False
    cur = {0}
    for words in range(6):
        if any(_DATE_TAIL.fullmatch(line, i) for i in cur):
            return True
        if words == 5:
            break
        nxt: set[int] = set()
        for i in cur:
            m = _NON_SPACE.match(line, i)
            if not m:
                continue
            for p in range(i + 1, m.end() + 1):
                ws = _past_spaces(line, p)
                nxt.add(ws)
                paren = _PAREN_NUM.match(line, ws)
                if paren:
                    nxt.add(_past_spaces(line, paren.end()))
        cur = nxt
        if not cur:
            break
    return False


def _known_head(line: str) -> tuple[str, str, str, str] | None:
    """(author, role, date as written, text on the same line) of a comment's header line."""
    line = line.strip()
    m = _COMMENT_HEAD.fullmatch(line)
    if m:
        return m["name"], m["role"] or "", m["date"], m["rest"].strip()
    m = _COMMENT_SAYS.fullmatch(line)
    if m and len(line) - len(m["rest"]) <= 40:
        return m["name"], "", "", m["rest"].strip()
    m = _COMMENT_RE.fullmatch(line)
    if m:
        return m["name"], "", m["date"], ""
    return None


def comments_from_lines(lines: Sequence[str], page_date: str | None = None) -> list[Comment]:
    """Comment rows from a comment list's text lines: a header line starts each comment.

    Header lines: the patterns above, else the generic name-and-time line of split_header.
    Without any header line every substantial line is one anonymous comment.
    """

    def _head(line: str) -> tuple[str, str, str, str] | None:
        h = _known_head(line)
        if h is None:
            g = None if _date_only(line.strip()) else split_header(line, page_date)
            if g is not None and not _COMMENT_NOISE.fullmatch(line.strip()):
                return g[0], g[1], g[2] or "", g[3]
        return h

    out: list[Comment] = []
    cur: tuple[str, str, str | None] | None = None
    text: list[str] = []

    def close() -> None:
        if cur is not None:
            t = "\n".join(x for x in text if x)
            if t or cur[0]:
                out.append(Comment(cur[0], cur[1], cur[2], t))

    has_head = any(_head(ln) for ln in lines)
    for ln in lines:
        ln = ln.strip()
        if not ln or _COMMENT_NOISE.fullmatch(ln):
            continue
        h = _head(ln) if has_head else None
        if h:
            close()
            name, role, date, rest = h
            cur = (name, role, parse_date(date))
            text = [rest] if rest else []
        elif has_head and cur is not None and len(ln) <= 40 and _date_only(ln):
            # "引用 投诉 支持 (2) 2004-12-13 09:02:13": the current comment's date line
            if cur[2] is None:
                cur = (cur[0], cur[1], parse_date(ln))
        elif has_head:
            if cur is None:
                continue  # text before the first header: a list caption, not a comment
            text.append(ln)
        elif len(ln) >= 4:
            out.append(Comment("", "", None, ln))
    close()
    return out


# ------------------------------------------------------------------ comment fields, generically

_MON = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_MONTH_NO = {m: i for i, m in enumerate(_MON.replace("|sept", "").split("|"), 1)}
# English dates of comment templates: "October 22, 2012 10:46 AM", "11. Jul, 2012", "Monday,
# November 5 2012", "10/26/2012 at 12:49 PM", "September 2, 2012 at 8:06 pm"
_EN_DATE = re.compile(
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*)?"
    r"(?:(?P<d1>\d{1,2})(?:st|nd|rd|th)?\.?\s*(?P<m1>" + _MON + r")[a-z]*\.?,?\s*(?P<y1>(?:19|20)\d{2})"
    r"|(?P<m2>" + _MON + r")[a-z]*\.?\s*(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s*(?P<y2>(?:19|20)\d{2})"
    r"|(?P<m3>\d{1,2})/(?P<d3>\d{1,2})/(?P<y3>(?:19|20)\d{2}))"
    r"(?:\s*(?:at|@|,|-)?\s*(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ap>[ap]\.?m\.?)?)?",
    re.I,
)
# relative times: 5天前, 12小时前, 刚刚, 昨天 10:03, 2 hours ago, yesterday at 9:15 pm
_REL_DATE = re.compile(
    r"(?P<n>\d{1,4})\s*(?P<u>秒|分钟|分|小时|天|日|周|星期|个月|月|年)前"
    r"|(?P<w>刚刚|今天|昨天|前天)(?:\s*(?P<h>\d{1,2})[:：](?P<mi>\d{2}))?"
    r"|(?P<en>\d{1,4}|an?|one)\s+(?P<eu>second|minute|min|hour|hr|day|week|month|year)s?\s+ago"
    r"|(?P<y>yesterday|today)(?:\s*(?:at)?\s*(?P<yh>\d{1,2}):(?P<ymi>\d{2})\s*(?P<yap>[ap]\.?m\.?)?)?",
    re.I,
)
_UNIT_SECONDS = {
    "秒": 1, "分钟": 60, "分": 60, "小时": 3600, "天": 86400, "日": 86400, "周": 604800, "星期": 604800,
    "个月": 2592000, "月": 2592000, "年": 31536000, "second": 1, "minute": 60, "min": 60, "hour": 3600,
    "hr": 3600, "day": 86400, "week": 604800, "month": 2592000, "year": 31536000,
}  # fmt: skip


def _hour(h: str | None, ap: str | None) -> int:
    hh = int(h or 0)
    ap = (ap or "").lower().replace(".", "")
    if ap == "pm" and hh < 12:
        hh += 12
    elif ap == "am" and hh == 12:
        hh = 0
    return hh


def find_comment_date(text: str, page_date: str | None = None) -> tuple[str | None, tuple[int, int] | None]:
    """The first absolute or relative time in a comment header, as ISO 8601, and its span.

    Relative times (5天前, 昨天 10:03, 2 hours ago) are resolved against ``page_date`` (the page's
    ISO date); without one they give no date (the span is still found, so the header splits).
    """
    from datetime import datetime, timedelta

    m = _DATE.search(text)
    if m:
        return parse_date(m.group(0)), m.span()
    m = _EN_DATE.search(text)
    if m:
        mon = m["m1"] or m["m2"]
        mo = _MONTH_NO.get(mon[:3].lower(), 0) if mon else int(m["m3"])
        d, y = int(m["d1"] or m["d2"] or m["d3"]), int(m["y1"] or m["y2"] or m["y3"])
        hh, mi, sec = _hour(m["h"], m["ap"]), int(m["mi"] or 0), int(m["s"] or 0)
        if mo and 1 <= mo <= 12 and 1 <= d <= 31 and hh < 24 and mi < 60:
            return f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mi:02d}:{sec:02d}+08:00", m.span()
        return None, m.span()
    m = _REL_DATE.search(text)
    if not m:
        return None, None
    base = None
    if page_date:
        try:
            base = datetime.fromisoformat(page_date)
        except ValueError:
            base = None
    if base is None:
        return None, m.span()
    if m["n"]:
        t = base - timedelta(seconds=int(m["n"]) * _UNIT_SECONDS[m["u"]])
    elif m["en"]:
        n = 1 if m["en"].lower() in ("a", "an", "one") else int(m["en"])
        t = base - timedelta(seconds=n * _UNIT_SECONDS[m["eu"].lower()])
    else:
        word = (m["w"] or m["y"]).lower()
        days = {"刚刚": 0, "今天": 0, "today": 0, "昨天": 1, "yesterday": 1, "前天": 2}[word]
        t = base - timedelta(days=days)
        at_h, at_mi = (m["h"], m["mi"]) if m["w"] else (m["yh"], m["ymi"])
        if at_h is not None:
            t = t.replace(hour=_hour(at_h, None if m["w"] else m["yap"]), minute=int(at_mi), second=0)
        elif word != "刚刚":
            t = t.replace(hour=0, minute=0, second=0)
    return t.isoformat(timespec="seconds"), m.span()


# what a header line carries besides the name: floor numbers, "says:", "Posted by:", separators
_HEADER_CHROME = re.compile(
    r"#\s*\d{1,5}|第?\s*\d{1,5}\s*楼|沙发|板凳|地板|楼主|\b(?:says|said|wrote|writes)\b\s*[:：]?|"
    r"(?:说|写道|发表于|回复于|评论于|发表|于|於)\s*[:：]?|posted\s+by\s*[:：]?|posted\s+(?:on|at)|"
    r"\badded\b|\bon\b|\bat\b|[|/·•#@]|\s[-—]\s|[:：]\s*$",
    re.I,
)
_NAME_OK = re.compile(r"[^。！？!?；;，,]{1,30}")


def split_header(line: str, page_date: str | None = None) -> tuple[str, str, str | None, str] | None:
    """(author, role, ISO date, text after the header) of a generic comment header line:
    a name and a time, in either order, with floor numbers and says/发表于 chrome around them
    ("灯盏_ 5天前", "11. Jul, 2012 / Rishil says:", "Posted by: Bob | October 29, 2012 at 10:15 AM",
    "Rosa 09. Aug, 2012 at 4:27 pm #").  None when the line is not one."""
    line = line.strip()
    if not line or len(line) > 90:
        return None
    iso, span = find_comment_date(line)
    says = re.search(r"\b(?:says|said|wrote)\s*[:：]|(?:说|写道)\s*[:：]", line, re.I)
    if span is None and not says:
        return None
    if span is not None:
        iso = find_comment_date(line, page_date)[0]
        name = line[: span[0]] + " " + line[span[1] :]
    else:  # no date: then there is a "says" (checked above)
        name = line[: says.start()] if says else line
    rest = ""
    if says and span is None and line[says.end() :].strip():
        rest = line[says.end() :].strip()
    name = " ".join(_HEADER_CHROME.sub(" ", name).split())
    if not name or not _NAME_OK.fullmatch(name) or len(name.split()) > 5:
        return None
    if _COMMENT_NOISE.fullmatch(name) or _ITEM_NOISE.fullmatch(name):
        return None  # "引用 投诉 支持 (2) 2004-12-13": a button row with the time, not a name
    return name, "", iso, rest


# An empty comment widget, a login box, a counter: lines that are never a comment's text.
_WIDGET = re.compile(
    r"\d+\s*(?:条|人)(?:评论|参与|跟帖|回复|回答)|已有\s*\d+|登录|注册|表情|写评论|发表评论|我要评论|跟帖|自律公约|"
    r"文明上网|理性发言|全部楼层|只看楼主|查看全部|展开全部|收起|"
    r"\d+\s+(?:comments?|repl(?:y|ies)|likes?)\b|comments?\s*\(\s*\d+\s*\)|leave a (?:comment|reply)|"
    r"\blog\s?in\b|\bsign\s?(?:in|up)\b|post (?:a )?comment|previewing your comment|verify your comment|"
    r"your comment (?:has not|could not|was not|will)|comment feed|subscribe to",
    re.I,
)
# a line of thread chrome inside an item: a floor number, a like/reply count, action links
# Each token is an atomic group (?>...): once a token matched it is never split another way, so a
# line that is not chrome fails in linear time (as a plain group, "1111…1x" or "1 1 1 … x" tried
# every way to cut the digits and spaces into tokens: 35 s for 27 characters).
_ITEM_NOISE = re.compile(
    r"(?>\s*(?:#?\s*\d{1,6}+\s*(?:楼|#)?|[\[(（]?\s*(?:reply|report|like|quote|permalink|edit|delete|share|"
    r"flag|回复|回覆|点赞|赞|举报|引用|分享|删除|编辑|收起|展开|顶|踩)\s*[\])）]?\s*(?:[(（]?\d*+[)）]?))\s*[|·]?\s*)+",
    re.I,
)


_PROSE_PUNCT = re.compile(r"[，。！？；,!?;]|\.\s")


def _widget_line(line: str) -> bool:
    """A line of an empty widget or a thread's chrome: a counter, a login prompt, a button row."""
    s = line.strip()
    if not s:
        return True
    if _ITEM_NOISE.fullmatch(s) or _COMMENT_NOISE.fullmatch(s):
        return True
    # a counter or a prompt is a bare phrase: a line with prose punctuation is someone's sentence
    return len(s) <= 60 and bool(_WIDGET.search(s)) and not _PROSE_PUNCT.search(s)


def comments_from_items(items: Sequence, page_date: str | None = None) -> list[Comment]:
    """Comment rows from DOM comment items: ``CommentItem``s of cleaners/extract.py (lines plus
    the fields the markup names) or plain lists of text lines.

    Fields the markup does not name come from the lines: a header line (name and time, in the
    patterns above) starts each comment, or ends it ("text / 张三 於 2014/01/01 回覆"); floor
    numbers, 回复/点赞 counts and thread chrome go; an item of only counters, login prompts and
    buttons (an empty widget) gives no row.  A header-only item (templates that put the header and
    the text in sibling list entries) lends its name and time to the next item without one.
    """
    out: list[Comment] = []
    pending: Comment | None = None
    for item in items:
        got = _item_rows(item, page_date)
        for c in got:
            if not c.text:
                pending = c if c.author else pending
                continue
            if pending is not None and not c.author:
                c = Comment(pending.author, pending.role, c.published_at or pending.published_at, c.text)
            pending = None
            out.append(c)
    named = sum(1 for c in out if c.author)
    if named >= 2 and named >= 0.6 * len(out):
        # the thread's template names every commenter: an entry without a name is its chrome
        # (a comment form's preview, a moderation notice), not a comment
        out = [c for c in out if c.author]
    return out


def _item_rows(item, page_date: str | None) -> list[Comment]:
    lines = list(getattr(item, "lines", item))
    author = getattr(item, "author", "")
    date_txt = getattr(item, "date", "")
    text = getattr(item, "text", None)
    lines = [ln for ln in lines if ln.strip() and not _widget_line(ln)]
    if not lines:
        return []
    if author or text is not None:
        row = _from_fields(lines, author, date_txt, text, page_date)
        role = getattr(item, "role", "")
        if row is not None and role and not row.role:
            row.role = role
        return [row] if row is not None else []
    if len(lines) >= 2:
        # a header after the text: the item's signature line
        last = _known_head(lines[-1]) or split_header(lines[-1], page_date)
        if last is not None and not any(_known_head(x) for x in lines[:-1]):
            rest = last[3] if not _ITEM_NOISE.fullmatch(last[3] or "x") else ""
            iso = last[2] if (last[2] or "").count("T") else parse_date(last[2])
            return [Comment(last[0], last[1], iso, "\n".join(lines[:-1] + ([rest] if rest else [])))]
    got = comments_from_lines(lines, page_date)
    if any(c.author for c in got):
        return got
    row = _generic_item(lines, page_date)
    if row is not None:
        return [row]
    t = "\n".join(lines)
    # without a header, an item of short labels only (a comment form: 姓名 / 主页 / 内容) is no comment
    if len(t) >= 4 and any(len(x) >= 15 or _SENT_END.search(x) or "，" in x for x in lines):
        # no header line: author/date may sit in separate short lines around the text
        date = next((parse_date(x) for x in lines if len(x) <= 40 and parse_date(x)), None)
        body = [x for x in lines if not (len(x) <= 40 and parse_date(x))]
        return [Comment("", "", date, "\n".join(body) or t)]
    return []


def _generic_item(lines: list[str], page_date: str | None) -> Comment | None:
    """An item whose first lines are a header in the generic patterns (split_header): the name
    and time; then the text.  A short first line without a time followed by the text is the name
    when the markup set it apart (its own line)."""
    for k, ln in enumerate(lines[:3]):
        h = split_header(ln, page_date)
        if h is None:
            continue
        name, role, iso, rest = h
        before = lines[:k]
        if len(before) == 1 and _looks_like_name(before[0]) and not name:
            name = before[0]
        elif before and not all(_looks_like_name(b) for b in before):
            return None
        if len(before) == 1 and _looks_like_name(before[0]) and len(name) < 2:
            name = before[0]
        text = ([rest] if rest else []) + [x for x in lines[k + 1 :] if not _date_line(x)]
        if not text:
            return None
        return Comment(name, role, iso, "\n".join(text))
    return None


def _looks_like_name(s: str) -> bool:
    return (
        1 <= len(s) <= 30 and len(s.split()) <= 5 and not _SENT_END.search(s) and not re.search(r"[，,。]", s)
    )


def _date_line(s: str) -> bool:
    """A line that is only a time (with says/at/# chrome around it)."""
    if len(s) > 40:
        return False
    _, span = find_comment_date(s)
    if span is None:
        return False
    return len(_HEADER_CHROME.sub(" ", s[: span[0]] + s[span[1] :]).strip()) <= 2


_NAME_ROLE = re.compile(r"(?P<name>[^\s\-—]{1,24})\s*[-—]\s*(?P<role>[\u4e00-\u9fff][^\s\d\-—]{0,15})")


def _from_fields(
    lines: list[str], author: str, date_txt: str, text: list[str] | None, page_date: str | None
) -> Comment | None:
    """A comment row from the fields the item's markup named; the lines fill the gaps."""
    iso = None
    role = ""
    for ln in lines[:3]:
        if text and ln == text[0]:
            break
        # a header the known patterns read ("雷俊驰-债务结清者 2025-04-26") splits name and role
        known = _known_head(ln)
        if known is not None and (not author or author.startswith(known[0])):
            author, role = known[0], known[1]
            iso = parse_date(known[2]) if known[2] else None
            break
    if date_txt and not iso:
        iso = parse_date(date_txt) or find_comment_date(date_txt, page_date)[0]
    if text is None:
        # no text element: the lines that are not the author's or the time's
        text = [x for x in lines if x.strip() != author and not _date_line(x)]
        h = split_header(text[0], page_date) if text else None
        if h is not None and (not author or h[0] == author or author in h[0]):
            iso = iso or h[2]
            text = ([h[3]] if h[3] else []) + text[1:]
    else:
        text = [x for x in text if x.strip() and not _widget_line(x)]
    if not author:
        for ln in lines:
            h = split_header(ln, page_date)
            if h is not None:
                author, iso = h[0], iso or h[2]
                if text and ln == text[0]:  # the text element starts with the header line
                    text = ([h[3]] if h[3] else []) + text[1:]
                break
            if text and ln == text[0]:
                break
    if not iso:
        for ln in lines:
            if len(ln) <= 60 and ln not in text:
                got = find_comment_date(ln, page_date)[0]
                if got:
                    iso = got
                    break
    body = "\n".join(x for x in text if x)
    if author and not role:
        m = _NAME_ROLE.fullmatch(author)
        if m:  # "雷俊驰-债务结清者": the template's name element carries the role too
            author, role = m["name"], m["role"]
    if len(body) < 2:
        # a header-only entry (the caller lends it to the next entry), or nothing at all
        return Comment(author, role, iso, "") if author else None
    return Comment(author, role, iso, body)
