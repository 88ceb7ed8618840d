"""Boilerplate removal on the article block's text, as recorded repairs.

The rules are data (``data/boilerplate.toml``, each with an id and a reason), compiled once.  They
work line by line (one paragraph per line) because content-farm boilerplate is made of whole
paragraphs: a disclaimer block, a 大家还看了 list, an 编辑: line.  A rule never touches a line
longer than its ``max_len``, so prose that merely mentions a keyword stays.

``strip_boilerplate(text, title)`` returns the text without boilerplate, the edits that made it
(in the input's coordinates, for ``cleaners.model.sequential``), the metadata lifted out of the
body (source, time, editor, author) and the lines of an inline comment list.
"""

from __future__ import annotations

import re
import tomllib
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import accumulate
from math import exp, log
from operator import add

from cleaners.chinese import to_simplified  # (OpenCC is loaded once, on first use)
from cleaners.data import read_toml

_SENTENCE_END = re.compile(r"[。！？!?；;]\s*$")
_NORM_DROP = re.compile(r"[\W_]+", re.U)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    type: str  # line | block | metadata | comments | tail
    pattern: re.Pattern[str]
    follow: re.Pattern[str] | None = None
    follow_short: int = 0
    head: int = 0
    tail: int = 0
    max_len: int = 200
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Rules:
    rules: tuple[Rule, ...]
    title_id: str
    title_similarity: float
    repeat_id: str = "repeated-paragraph"
    repeat_min_len: int = 20


@lru_cache(maxsize=1)
def rules() -> Rules:
    """The compiled rules of data/boilerplate.toml."""
    d = read_toml("boilerplate.toml")
    out = []
    for r in d["rule"]:
        out.append(
            Rule(
                id=r["id"],
                type=r["type"],
                pattern=re.compile(r["pattern"]),
                follow=re.compile(r["follow"]) if r.get("follow") else None,
                follow_short=int(r.get("follow_short", 0)),
                head=int(r.get("head", 0)),
                tail=int(r.get("tail", 0)),
                max_len=int(r.get("max_len", 200)),
                reason=r.get("reason", ""),
            )
        )
    t = d.get("title", {})
    rp = d.get("repeat", {})
    return Rules(
        tuple(out),
        t.get("id", "title-repeat"),
        float(t.get("similarity", 0.75)),
        rp.get("id", "repeated-paragraph"),
        int(rp.get("min_len", 20)),
    )


@dataclass(slots=True)
class Stripped:
    text: str
    edits: list[tuple[int, str, str, str, str, float]] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)  # source, time, editor, author
    comment_lines: list[str] = field(default_factory=list)


def _key(s: str) -> str:
    return _NORM_DROP.sub("", s).lower()


def similarity(a: str, b: str) -> float:
    """Character-bigram F1 of two strings after dropping punctuation and spaces."""
    a, b = _key(a), _key(b)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    ca = Counter(a[i : i + 2] for i in range(len(a) - 1))
    cb = Counter(b[i : i + 2] for i in range(len(b) - 1))
    m = sum((ca & cb).values())
    if not m:
        return 0.0
    p, r = m / max(1, sum(ca.values())), m / max(1, sum(cb.values()))
    return 2 * p * r / (p + r)


def _matches(rule: Rule, line: str) -> re.Match[str] | None:
    if len(line) > rule.max_len:
        return None
    return rule.pattern.fullmatch(line)


# A rule as classify() walks it: (rule, type, max_len, fullmatch, head, tail).  Every line of every
# page is tried against every rule, so the attribute look-ups are done once, not per line.
_Step = tuple[Rule, str, int, Callable[[str], re.Match[str] | None], int, int]


@dataclass(frozen=True, slots=True)
class _Plan:
    steps: tuple[_Step, ...]  # all rules, in file order
    middle: tuple[_Step, ...]  # the rules that apply to a line outside the head and tail windows
    bound: tuple[_Step, ...]  # the others (metadata, tail: position-bound), in file order
    head: int  # lines from the top where some rule is position-bound
    tail: int  # lines from the bottom where some rule is position-bound
    starters: tuple[tuple[int, Callable[[str], re.Match[str] | None]], ...]  # block/comments/line
    # Middle lines, by length: ``limits`` are the middle rules' max_len values, ascending; for a
    # line no longer than limits[k], any_rule[k] fullmatches iff one of the middle rules that may
    # touch it does (None: no combined pattern, try the rules one by one).
    limits: tuple[int, ...]
    any_rule: tuple[Callable[[str], re.Match[str] | None] | None, ...]


def _either(patterns: list[re.Pattern[str]]) -> Callable[[str], re.Match[str] | None] | None:
    """One fullmatch for "any of these patterns fullmatches": most lines match no rule, and one
    regex call instead of a dozen is most of the rule time.  Only for patterns without groups (a
    group name or number could clash); None when they cannot be joined."""
    if any(p.groups or p.flags != re.compile("").flags for p in patterns):
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns)).fullmatch
    except re.error:
        return None


@lru_cache(maxsize=1)
def _plan() -> _Plan:
    """rules() arranged for classify(); like rules(), built once per process."""
    steps = tuple((r, r.type, r.max_len, r.pattern.fullmatch, r.head, r.tail) for r in rules().rules)
    bound = [st for st in steps if st[1] in ("metadata", "tail")]
    middle = tuple(st for st in steps if st[1] not in ("metadata", "tail"))
    limits = tuple(sorted({st[2] for st in middle}))
    return _Plan(
        steps,
        middle,
        tuple(bound),
        max((st[4] for st in bound if st[1] == "metadata"), default=0),
        max((st[5] for st in bound), default=0),
        tuple((st[2], st[3]) for st in steps if st[1] in ("block", "comments", "line")),
        limits,
        tuple(_either([st[0].pattern for st in middle if st[2] >= lim]) for lim in limits),
    )


class _Title:
    """The page title, prepared once for the many lines of the page compared with it.

    ``matches(line)`` is the title-repeat test: the same normalised key, or (at a similar length)
    ``similarity(line, title) >= threshold``, computed with the title's key and bigrams made once
    (the same integers, so the same float, as ``similarity``).
    """

    __slots__ = ("text", "key", "grams", "threshold")

    def __init__(self, title: str, threshold: float) -> None:
        self.text = title
        self.key = _key(title)
        self.grams = Counter(map(add, self.key, self.key[1:]))
        self.threshold = threshold

    def matches(self, line: str) -> bool:
        title = self.text
        n = len(line)
        if not title or n > 2 * len(title) + 10:
            return False
        band = 0.6 * len(title) <= n <= 1.4 * len(title) + 4
        if not band and n < len(self.key) and "\u0130" not in line:
            # its key (the line less punctuation, lowercased) is no longer than the line, so it
            # cannot be the title's key; only İ grows when lowercased (İ → i̇): such a line is keyed
            return False
        a = _key(line)
        if a == self.key:
            return True
        if not band:
            return False
        b = self.key
        if not a or not b:
            return 0.0 >= self.threshold
        cb = self.grams
        # only the line's bigrams the title has can count: most lines share few, so those are
        # counted (in C: filter, Counter) and compared, the same m as over all the line's bigrams
        shared = [*filter(cb.__contains__, map(add, a, a[1:]))]
        if not shared:
            return 0.0 >= self.threshold
        # m <= len(shared), and the F1 below is 2m / (bigrams of a + bigrams of b) (both have
        # some: they share one): when even len(shared) falls short, with a margin far above float
        # rounding, so does m
        if 2 * len(shared) / (len(a) + len(b) - 2) < self.threshold - 1e-9:
            return False
        ca = Counter(shared)
        m = sum(min(c, cb[g]) for g, c in ca.items())
        p, r = m / max(1, len(a) - 1), m / max(1, len(b) - 1)
        return 2 * p * r / (p + r) >= self.threshold


def _starts_rule(line: str, plan: _Plan, title: _Title) -> bool:
    n = len(line)
    for max_len, fullmatch in plan.starters:
        if n <= max_len and fullmatch(line):
            return True
    return bool(title.text) and title.matches(line)


def _is_title(line: str, title: str, rs: Rules) -> bool:
    return _Title(title, rs.title_similarity).matches(line)


def classify(
    lines: list[str], title: str = "", where: Sequence[tuple[float, ...]] | None = None
) -> list[tuple[str, str] | None]:
    """For each line: None (body) or (kind, rule id) — kind is boilerplate | metadata | comment.
    ``where``: per line, where it sat in the page (EDGE_WHERE), when the caller knows."""
    rs = rules()
    plan = _plan()
    ttl = _Title(title, rs.title_similarity)
    n = len(lines)
    mid_lo, mid_hi = plan.head, n - plan.tail  # lines here see only the position-free rules
    out: list[tuple[str, str] | None] = [None] * n
    seen: set[str] = set()  # body paragraphs so far, for the repeated-paragraph rule
    i = 0
    while i < n:
        line = lines[i]
        size = len(line)
        hit: tuple[str, str] | None = None
        k = bisect_left(plan.limits, size)
        # no middle rule may touch the line or none matches (one regex call): the common case
        no_middle = k == len(plan.limits) or (
            (any_rule := plan.any_rule[k]) is not None and not any_rule(line)
        )
        if mid_lo <= i < mid_hi:
            steps = () if no_middle else plan.middle
        else:  # near an end: the position-bound rules too, in file order (the first match wins)
            steps = plan.bound if no_middle else plan.steps
        for r, typ, max_len, fullmatch, head, tail in steps:
            if size > max_len:
                continue
            if typ == "metadata":
                if not (i < head or (tail and i >= n - tail)):
                    continue
            elif typ == "tail" and i < n - tail:
                continue
            if not fullmatch(line):
                continue
            if typ in ("block", "comments"):
                kind = "comment" if typ == "comments" else "boilerplate"
                out[i] = (kind, r.id)
                j = i + 1
                while j < n:
                    nxt = lines[j]
                    if typ == "block":
                        # the block's own clauses first (② 凡本网注明 ... belongs to the disclaimer)
                        ok = bool(r.follow and len(nxt) <= 1000 and r.follow.fullmatch(nxt))
                        if not ok:
                            if _starts_rule(nxt, plan, ttl):
                                break
                            if r.follow_short:
                                ok = len(nxt) <= r.follow_short and not _SENTENCE_END.search(nxt)
                        if not ok:
                            break
                    else:  # a comment list runs until the next boilerplate line
                        if _starts_rule(nxt, plan, ttl) or _meta_rule(nxt, j, n, rs):
                            break
                    out[j] = (kind, r.id)
                    j += 1
                i = j
                hit = ("", "")
                break
            hit = ("metadata" if typ == "metadata" else "boilerplate", r.id)
            break
        if hit == ("", ""):
            continue
        if hit is None and title and ttl.matches(line):
            hit = ("boilerplate", rs.title_id)
        if hit is None and size >= rs.repeat_min_len:
            if line in seen:
                hit = ("boilerplate", rs.repeat_id)
            seen.add(line)
        out[i] = hit
        i += 1
    _edge_pass(lines, out, where if where is not None and len(where) == n else None)
    return out


def _meta_rule(line: str, i: int, n: int, rs: Rules) -> bool:
    for r in rs.rules:
        if r.type == "metadata" and r.tail and i >= n - r.tail and _matches(r, line):
            return True
    return False


def _meta_values(line: str, rule_id: str) -> dict[str, str]:
    rs = rules()
    for r in rs.rules:
        if r.id == rule_id:
            m = _matches(r, line)
            if not m:
                return {}
            # a group inside a repeat keeps only its last value: fill gaps from the labelled parts
            vals = {k: v.strip() for k, v in m.groupdict().items() if v and v.strip()}
            for k, v in meta_from_line(line).items():
                vals.setdefault(k, v)
            return vals
    return {}


_META_PARTS = {
    "source": re.compile(r"(?:来源|来自|出处|文章来源)\s*[:：]\s*([^\s:：]{1,40})"),
    "time": re.compile(
        r"(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?)"
    ),
    "editor": re.compile(r"(?:责任编辑|编辑|责编)\s*[:：]\s*([^\s:：】\]）)]{1,20})"),
    "author": re.compile(r"(?:作者|文)\s*[:：/]\s*([^\s:：]{1,20})"),
}


# Every _META_PARTS pattern needs one of these (来源/来自/出处, a digit, 编辑/责编, 作者/文): a line
# without any is no info line, told in one search instead of four.
_META_HINT = re.compile(r"[来出编作文]|\d")


def meta_from_line(line: str) -> dict[str, str]:
    """The labelled values of an info line: {source, time, editor, author} as written."""
    if not _META_HINT.search(line):
        return {}
    out = {}
    for k, rx in _META_PARTS.items():
        m = rx.search(line)
        if m:
            out[k] = m.group(1).strip()
    return out


def strip_boilerplate(
    text: str, title: str = "", where: Sequence[tuple[float, ...]] | None = None
) -> Stripped:
    """Remove boilerplate lines from ``text`` (paragraphs separated by "\\n"); never raises.
    ``where``: per line, where it sat in the page (EDGE_WHERE; cleaners.extract), if known: the
    edge model reads it; text alone (a cleaned body cleaned again) reads as 'not known'."""
    lines = text.split("\n")
    labels = classify(lines, title, where)
    n = len(lines)
    if labels.count(None) == n:
        return Stripped(text=text)  # nothing to remove: "\n".join(lines) is the text itself
    res = Stripped(text="")
    # line start offsets: 0, then each line's end + 1 for its "\n" (summed in C)
    starts = list(accumulate(map((1).__add__, map(len, lines[:-1])), initial=0))
    kept_idx = [i for i, lab in enumerate(labels) if lab is None]
    last_kept = kept_idx[-1] if kept_idx else -1
    # group consecutive lines with the same label into one removal
    i = 0
    while i < n:
        lab = labels[i]
        if lab is None:
            i += 1
            continue
        j = i
        while j + 1 < n and labels[j + 1] == lab:
            j += 1
        kind, rule_id = lab
        for k in range(i, j + 1):
            if kind == "metadata":
                vals = _meta_values(lines[k], rule_id) or meta_from_line(lines[k])
                for key, v in vals.items():
                    res.meta.setdefault(key, v)
            elif kind == "comment" and k > i:
                res.comment_lines.append(lines[k])
        line_end = starts[j] + len(lines[j])  # end of the last line, before its "\n"
        if last_kept >= 0 and i > last_kept:
            # trailing run: take the newline *before* the block, so the body does not end in "\n"
            off = starts[i] - 1
            before = text[off:line_end]
        elif j + 1 < n:
            off = starts[i]
            before = text[off : starts[j + 1]]
        else:  # nothing kept at all and this is the last block
            off = starts[i]
            before = text[off:line_end]
        res.edits.append((off, before, "", kind, rule_id, 1.0))
        i = j + 1
    res.text = "\n".join(lines[k] for k in kept_idx)
    return res


# ------------------------------------------------------------------ learned edge lines
#
# What the rules above miss is mostly at the two ends of the body: a site's own sign-off
# ((本文来源：京华时报), (李沐阳 编辑), 【2012/01/12 聯合晚報】@ http://udn.com/), its promotion
# (…現已開設Facebook專頁, 手机读报…订阅), a disclaimer in the site's own words (网易声明：…), a
# poll under the story.  Each site words them its own way, so a rule per wording fits the sites
# it was written on and no other (bench/results/extract-issue11.md).  A small logistic model reads
# generic features of a line instead (its length, whether it ends a sentence, brackets, digits,
# Latin letters, a URL, a label colon, byline / notice / promotion / caption words); it was
# trained on the tuning part of bench/extract.py's host split only (``bench/extract.py
# --train-edge``) and ships as weights in data/edge_model.toml.  At run time it walks in from
# each end of the body over the run of lines up to the first line it is sure is the article, and
# cuts the run where the sum of (probability - threshold) is highest (``edge_walk``), so a weak
# line does not shelter the sign-off under it.  Written by hand (a dot product and a logistic)
# because no library is needed to evaluate two dozen weights.  A page being cleaned also hands
# over where each line sat (EDGE_WHERE: a note in a box of its own under the <p> prose, a line of
# links, a list item); a second weight set reads those too.  Text alone (a cleaned body cleaned
# again, a caller without the page) gets the text weights, as before.
#
# The walk is a fixed point (cleaning the cleaned body again removes nothing more): a line's
# features are its own text (and, on a page, its place: a cleaned body served again as a page
# of <p> lines reads as one kind of child, in <p> — tests/cleaners/test_properties_extract.py), so
# the run stops at the same line again and, past the cut, its running sum never rises above the cut's; and a walk that would go past its `lines` limit is not
# taken at all (a long run of short lines at the end is more likely a list of the article than
# its chrome, and cutting it part way would leave the rest for the next pass).

EDGE_FEATURES = (
    "bias",
    "log_len",
    "short",
    "ends_sentence",
    "prose_punct",
    "bracketed",
    "starts_bracket",
    "digits",
    "latin",
    "url",
    "label_colon",
    "byline_words",
    "notice_words",
    "promo_words",
    "date",
    "question",
    "numbered",
    "spaces",
    "caption_words",
    "slash_byline",
    "notice_head",
    "sms_subscribe",
    "social_plug",
)
# Where the line sat in the page (cleaners.extract._facts_features): read after EDGE_FEATURES by
# the model's second weight set ([where] in data/edge_model.toml) when the caller knows (a page
# being cleaned); a caller with text alone (a cleaned body cleaned again) gets the text weights.
EDGE_WHERE = ("link_share", "off_main_child", "in_p", "in_list_item", "in_heading")
_E_PROSE = re.compile(r"[，。；！？、,;!?]")
_E_END = re.compile(r"[。！？!?…\.」』”\"]\s*$")
_E_OPEN = "（(【[〔［《<「『"
_E_CLOSE = "）)】]〕］》>」』"
_E_BYLINE = re.compile(
    r"编辑|记者|作者|来源|稿源|通讯员|摄影|摄|转自|供稿|据《|文/|编译|整理|实习生|报道|报导|综合"
)
_E_NOTICE = re.compile(r"声明|免责|版权|转载|授权|不代表|仅供参考|投资建议|立场|侵权|赞同|证实")
_E_PROMO = re.compile(
    r"微博|微信|facebook|订阅|关注|粉丝|专页|手机报|下载|客户端|扫描|点击|加入|分享|收藏|twitter|google",
    re.I,
)
_E_CAPTION = re.compile(r"资料图|图片|图为|图说|图文|图／|图/|示意图|配图|照片|提供）|提供\)")
_E_LATIN = re.compile(r"[A-Za-z]")  # the ASCII letters (str.isalpha of an ASCII character)
_E_SLASH = re.compile(r"[／/╱]")
_E_URL = re.compile(r"https?://|www\.|\.com|\.cn\b|@", re.I)
_E_DATE = re.compile(r"\d{4}\s*[-/.年]\s*\d{1,2}|\d{1,2}:\d{2}")
_E_ORDINAL = re.compile(r"\s*第\s*[一二三四五六七八九十百零〇两\d]{1,4}\s*[部章节步条篇回课点集期]")
_E_NUMBERED = re.compile(r"\A\s*(?:\d{1,2}|[一二三四五六七八九十]{1,2})\s*[.、．]")
# Three kinds of site notice that are written as whole sentences, so the length and sentence
# features read them as prose: a notice under a label of its own (网易声明：…, 免责声明：…, 声明：…),
# an SMS subscription (…发送RMRB到10658000…: a send verb and a short code) and a call to follow
# the site's social pages (…現已開設Facebook專頁…, 关注我们的微信公众号…), not a sentence that
# mentions one (网友在微博上关注此事 stays).  Each is a kind of notice, told by its shape, not by
# one site's wording; the model weighs them with the rest.
_E_NOTICE_HEAD = re.compile(r"\A\s*[【\[(（]?[^\s，。,]{0,8}(?:声明|免责|提示)[】\])）]?\s*[:：]")
_E_SMS = re.compile(
    r"(?:发送|发|短信|编辑)[^，。；]{0,12}?到\s*\d{5,}|(?:订阅|定制)[^。]{0,30}\d{5,}|\d{5,}[^。]{0,10}(?:订阅|定制)"
)
_E_SOCIAL = re.compile(
    r"(?:开设|开通|登陆|登录)[^，。！!？?]{0,20}(?:专页|粉丝团|粉丝页|公众号|微博|facebook|google|twitter)"
    r"|(?:关注|订阅|加入|follow|按赞|按讚|赞好)[^，。！!？?]{0,8}"
    r"(?:微信|微博|公众号|facebook|专页|粉丝团|粉丝页|twitter|手机报)",
    re.I,
)


def edge_features(line: str, where: Sequence[float] | None = None) -> list[float]:
    """The features (EDGE_FEATURES, in order) of one body line, from its own text; with
    ``where`` (EDGE_WHERE of the line), followed by those."""
    s = to_simplified(line.strip())
    dense = "".join(s.split())
    n = max(len(dense), 1)
    digits = sum(map(str.isdigit, dense))
    latin = len(_E_LATIN.findall(dense))  # = sum(c.isascii() and c.isalpha() for c in dense)
    head = s[:8]
    return [
        1.0,
        log(n),
        1.0 if n <= 12 else 0.0,
        1.0 if _E_END.search(s) else 0.0,
        min(3.0, 10.0 * len(_E_PROSE.findall(s)) / n),
        1.0 if s[:1] in _E_OPEN and s[-1:] in _E_CLOSE else 0.0,
        1.0 if s[:1] in _E_OPEN else 0.0,
        digits / n,
        latin / n,
        1.0 if _E_URL.search(s) else 0.0,
        1.0 if ("：" in head or ":" in head or "|" in head) else 0.0,
        1.0 if _E_BYLINE.search(s) else 0.0,
        1.0 if _E_NOTICE.search(s) else 0.0,
        1.0 if _E_PROMO.search(s) else 0.0,
        1.0 if _E_DATE.search(s) else 0.0,
        1.0 if s[-1:] in "？?" else 0.0,
        1.0 if _E_NUMBERED.match(s) else 0.0,
        min(1.0, 5.0 * s.count(" ") / n),
        1.0 if _E_CAPTION.search(s) else 0.0,
        1.0 if n <= 30 and _E_SLASH.search(s) else 0.0,
        1.0 if _E_NOTICE_HEAD.match(s) else 0.0,
        1.0 if _E_SMS.search(s) else 0.0,
        1.0 if _E_SOCIAL.search(s) else 0.0,
        *(where if where is not None else ()),
    ]


EDGE_FLOOR_DEFAULT = 0.05  # a line the model is this sure of (p below it) is the article: the walk stops
EDGE_SPAN_DEFAULT = 20  # more lines than this before such a line: a list of the article, not walked


@dataclass(frozen=True, slots=True)
class EdgeModel:
    id: str
    head: tuple[float, ...]  # weights for lines at the top of the body
    tail: tuple[float, ...]  # ... and at its bottom
    head_lines: int  # a walk that would remove more lines than this is not taken
    tail_lines: int
    threshold: float  # a run goes when its lines' probabilities of "not the article" sum past this
    max_len: int  # a line longer than this stops the walk (and is never removed)
    floor: float = EDGE_FLOOR_DEFAULT  # a line scored below this stops the walk
    span: int = EDGE_SPAN_DEFAULT  # a run longer than this is not walked
    # the weights over EDGE_FEATURES + EDGE_WHERE and their threshold, for lines whose place in
    # the page is known; None: the text weights serve every caller
    where_head: tuple[float, ...] | None = None
    where_tail: tuple[float, ...] | None = None
    where_threshold: float = 0.5


EDGE_ON = True  # bench/extract.py --train-edge switches it off to see the body the rules leave


@lru_cache(maxsize=1)
def edge_model() -> EdgeModel | None:
    """data/edge_model.toml, or None when it is missing, unreadable or made for other features."""
    try:
        d = read_toml("edge_model.toml")
        if tuple(d.get("features", ())) != EDGE_FEATURES:
            return None  # weights of another feature list would mean nothing
        model = EdgeModel(
            id=str(d["id"]),
            head=tuple(float(w) for w in d["head"]["weights"]),
            tail=tuple(float(w) for w in d["tail"]["weights"]),
            head_lines=int(d["head"]["lines"]),
            tail_lines=int(d["tail"]["lines"]),
            threshold=float(d["threshold"]),
            max_len=int(d["max_len"]),
            floor=float(d.get("floor", EDGE_FLOOR_DEFAULT)),
            span=int(d.get("span", EDGE_SPAN_DEFAULT)),
        )
        w = d.get("where")
        n = len(EDGE_FEATURES) + len(EDGE_WHERE)
        if isinstance(w, dict) and tuple(w.get("features", ())) == EDGE_WHERE:
            wh = tuple(float(x) for x in w["head_weights"])
            wt = tuple(float(x) for x in w["tail_weights"])
            if len(wh) == len(wt) == n:
                model = replace(model, where_head=wh, where_tail=wt, where_threshold=float(w["threshold"]))
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError):
        return None
    if len(model.head) != len(EDGE_FEATURES) or len(model.tail) != len(EDGE_FEATURES):
        return None
    return model


def edge_probability(weights: tuple[float, ...], feats: list[float]) -> float:
    """The logistic model's probability that a line with these features is not the article."""
    z = sum(w * f for w, f in zip(weights, feats, strict=True))
    return 1.0 / (1.0 + exp(-max(-30.0, min(30.0, z))))


def edge_walk(
    lines: list[str],
    weights: tuple[float, ...],
    threshold: float,
    limit: int,
    max_len: int,
    keep: int = 1,
    floor: float = EDGE_FLOOR_DEFAULT,
    span: int = EDGE_SPAN_DEFAULT,
    where: Sequence[Sequence[float] | None] | None = None,
) -> int:
    """How many of ``lines`` (in walking order, from one end of the body inward) go.

    The walk reads the run of lines in from the end up to the first line the model is sure is the
    article (probability below ``floor``), a line longer than ``max_len`` or a numbered or ordinal
    section heading (一、, (二), 3., 第三部分, 第二步), and cuts where the running sum of
    (probability - ``threshold``) is highest: a sign-off under a weaker line (相关新闻 under a
    网易声明：… notice) goes with it when the run as a whole says "not the article", and a line
    that only just passes the threshold does not take a surer article line with it.  0 when the
    cut would remove more than ``limit`` lines or the run is longer than ``span`` (a long run of
    short lines is more likely a list of the article than chrome); ``keep`` lines always stay.

    A fixed point: the run of the cleaned body is the same run less the lines cut, and past the
    highest point the running sum never climbs above it again, so a second walk cuts nothing.
    """
    from cleaners.structure import match_heading  # (structure imports this module: not at the top)

    total = best = 0.0
    cut = seen = 0
    for k, line in enumerate(lines[: max(0, len(lines) - keep)]):
        if len(line) > max_len or match_heading(line.strip()) is not None or _E_ORDINAL.match(line):
            break  # a numbered heading (一、 (二) 3. 第三部分) is the outline of a guide, never chrome
        p = edge_probability(weights, edge_features(line, where[k] if where is not None else None))
        if p < floor:
            break
        seen += 1
        if seen > span:
            return 0
        total += p - threshold
        if total > best + 1e-9:
            best, cut = total, seen
    return cut if cut <= limit else 0


def _edge_pass(
    lines: list[str], out: list[tuple[str, str] | None], where: Sequence[tuple[float, ...]] | None = None
) -> None:
    """Label the body lines at both ends that the edge model judges not the article."""
    model = edge_model() if EDGE_ON else None
    if model is None:
        return
    body = [i for i, lab in enumerate(out) if lab is None and lines[i].strip()]
    if len(body) < 2:
        return
    t, wh, wt = model.threshold, model.head, model.tail
    if where is not None and model.where_head is not None and model.where_tail is not None:
        t, wh, wt = model.where_threshold, model.where_head, model.where_tail
    else:
        where = None  # text alone: the text weights
    f, sp = model.floor, model.span
    # a walk reads at most span + 1 lines (then it stops or gives up) and keeps 1 line out of its
    # reach: it is handed that many from its end, not the whole body (the same cut)
    reach = sp + 2

    def walk(ends: list[int], weights: tuple[float, ...], most: int) -> int:
        return edge_walk(
            [lines[i] for i in ends[:reach]],
            weights,
            t,
            most,
            model.max_len,
            1,
            f,
            sp,
            [where[i] for i in ends[:reach]] if where is not None else None,
        )

    tail = walk(body[::-1], wt, model.tail_lines)
    rest = body[: len(body) - tail]
    head = walk(rest, wh, model.head_lines)
    # boilerplate, not metadata: a sign-off's values ("京华时报)" of "(本文来源：京华时报)") are not
    # clean enough for the article's source and editor fields; the removal is recorded all the same
    for i in (*rest[:head], *body[len(body) - tail :]):
        out[i] = ("boilerplate", model.id)
