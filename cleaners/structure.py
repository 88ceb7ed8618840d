"""Structure of a cleaned article: title, dates, outline sections, comment rows.

Pure functions over strings (the DOM work is in ``cleaners/extract.py``).
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
_PAREN_NUM = re.compile(r"\(\d+\)")
_COMMENT_NOISE = re.compile(
    r"(?:共\s*\d+\s*(?:篇|条)?(?:评论|回复|回答)|发表评论|我要评论|查看(?:全部|更多)(?:评论|回答)|"
    r".{0,8}(?:还没有评论|暂无评论|抢沙发|评论已关闭|评论已经关闭).{0,8}|"
    # a row of comment buttons: 赞(326) 评论 分享 举报 / 引用 投诉 支持 (2)
    r"(?:(?:回复|举报|支持|反对|顶|踩|赞|评论|分享|引用|投诉|收藏)\s*(?:[(（]\d+[)）]|\d+)?\s*[|·]?\s*)+|"
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
                ws = _SPACES.match(line, p).end()
                nxt.add(ws)
                paren = _PAREN_NUM.match(line, ws)
                if paren:
                    nxt.add(_SPACES.match(line, paren.end()).end())
        cur = nxt
        if not cur:
            break
    return False


def _head(line: str) -> tuple[str, str, str, str] | None:
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


def comments_from_lines(lines: Sequence[str]) -> list[Comment]:
    """Comment rows from a comment list's text lines: a header line starts each comment.

    Without any header line every substantial line is one anonymous comment.
    """
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


def comments_from_items(items: Sequence[Sequence[str]]) -> list[Comment]:
    """Comment rows from DOM comment items (each item's text lines)."""
    out: list[Comment] = []
    for lines in items:
        lines = [ln for ln in lines if ln.strip() and not _COMMENT_NOISE.fullmatch(ln.strip())]
        if not lines:
            continue
        got = comments_from_lines(lines)
        if any(c.author for c in got):
            out.extend(got)
            continue
        t = "\n".join(lines)
        # without a header, an item of short labels only (a comment form: 姓名 / 主页 / 内容) is no comment
        if len(t) >= 4 and any(len(x) >= 15 or _SENT_END.search(x) for x in lines):
            # no header line: author/date may sit in separate short lines around the text
            date = next((parse_date(x) for x in lines if len(x) <= 40 and parse_date(x)), None)
            body = [x for x in lines if not (len(x) <= 40 and parse_date(x))]
            out.append(Comment("", "", date, "\n".join(body) or t))
    return out
