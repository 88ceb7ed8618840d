"""DOM → the article block's paragraphs, the title candidates, page metadata and comment items.

Why our own scoring instead of readability-lxml or trafilatura: both score a paragraph by its
*ASCII* commas (readability: ``1 + text.count(',') + min(len/100, 3)``), and Chinese prose has
almost none, so a Chinese article scores like a link list; on ../shared/pages they reach mean
body F1 0.897 and 0.876.  Here a text block scores by its Chinese sentence punctuation (，。；！？、)
and its length in characters, link density is measured in characters, class/id hints are data
(``data/extract.toml``), the score passes to the parent and grandparent, and siblings of the best
block that look like article text are kept (articles split over several containers).

The work per page is bounded: input text is capped, hidden blocks (SEO keyword stuffing in
``display:none``, zero-size fonts, off-screen) are dropped before scoring, visible stuffing (a long
text of a few repeated words) never scores, every walk is iterative (no recursion on deeply nested
junk) and the element count is capped.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree

from cleaners._data import data_path

MAX_CHARS = 3_000_000  # characters of HTML parsed; the rest of a monster page is dropped
MAX_ELEMENTS = 60_000  # elements scored; deeper junk beyond this is ignored

_WRAPPER = re.compile(r"\A\s*<text\b[^>]*>", re.I)  # CWCED dataset wrapper line
_XML_DECL = re.compile(r"\A\s*<\?xml[^>]*\?>", re.I)  # lxml refuses str input with an encoding decl
_WS = re.compile(r"\s+")
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# hidden from readers: SEO keyword blocks hide this way (display:none, zero font, off-screen)
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:px|pt|em)?\s*(?:;|$)|"
    r"(?:left|top|text-indent)\s*:\s*-\d{4,}",
    re.I,
)
# Sentence punctuation that marks prose.  ASCII ",.;!?" count too: older GB2312 pages mix them in.
_PUNCT = re.compile(r"[，。；！？、：“”,;!?]")
_SENTENCE_END = re.compile(r"[。！？!?][”」』\"]?\s*$")

DROP_TAGS = {
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
    "select", "textarea", "button", "input", "option", "link", "meta", "title", "base", "map", "area",
    "audio", "video", "source", "nav", "aside", "footer", "frameset", "frame",
}  # fmt: skip
# Inline elements: their text belongs to the enclosing block's line.
INLINE = {
    "a", "abbr", "b", "big", "cite", "code", "em", "font", "i", "img", "kbd", "label", "mark", "q",
    "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var", "wbr",
    "nobr", "ins", "del", "bdi", "bdo", "acronym", "dfn",
}  # fmt: skip
HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


@dataclass(frozen=True, slots=True)
class Hints:
    positive: tuple[tuple[re.Pattern[str], int], ...]  # (words of one rule, weight)
    negative: tuple[tuple[re.Pattern[str], int], ...]
    comment_words: re.Pattern[str]
    comment_headings: tuple[str, ...]


def _words_pattern(words: list[str]) -> re.Pattern[str]:
    """One regex for a rule's words over "class id" (lower-cased), with the token semantics of
    data/extract.toml: tokens split at spaces, "_" and "-"; short words match a whole token, words
    of 4+ letters the start of one; non-ASCII words match anywhere."""
    exact = [re.escape(w.lower()) for w in words if w.isascii() and len(w) < 4]
    prefix = [re.escape(w.lower()) for w in words if w.isascii() and len(w) >= 4]
    anywhere = [re.escape(w) for w in words if not w.isascii()]
    alts = []
    if exact:
        alts.append(r"(?:^|[\s_\-])(?:" + "|".join(exact) + r")(?=$|[\s_\-])")
    if prefix:
        alts.append(r"(?:^|[\s_\-])(?:" + "|".join(prefix) + ")")
    if anywhere:
        alts.append("|".join(anywhere))
    return re.compile("|".join(alts) or r"(?!x)x")


@lru_cache(maxsize=1)
def hints() -> Hints:
    """The class/id hint lists from data/extract.toml, compiled once."""
    with open(data_path("extract.toml"), "rb") as fh:
        d = tomllib.load(fh)
    neg = d.get("negative", [])
    comment = next((r["words"] for r in neg if r["id"] == "comment-words"), [])
    return Hints(
        tuple((_words_pattern(r["words"]), int(r["weight"])) for r in d.get("positive", [])),
        tuple((_words_pattern(r["words"]), int(r["weight"])) for r in neg),
        _words_pattern(comment),
        tuple(d["comment_headings"]["words"]),
    )


def _attr_key(el: etree._Element) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}".lower()


def class_weight(el: etree._Element) -> int:
    """The hint weights matching an element's class and id (first matching rule of each sign)."""
    if el.get("class") is None and el.get("id") is None:
        return 0
    raw = _attr_key(el)
    h = hints()
    w = 0
    for rx, wt in h.positive:
        if rx.search(raw):
            w += wt
            break
    for rx, wt in h.negative:
        if rx.search(raw):
            w += wt
            break
    return w


def is_comment_container(el: etree._Element) -> bool:
    if el.get("class") is None and el.get("id") is None:
        return False
    return bool(hints().comment_words.search(_attr_key(el)))


def norm_space(s: str) -> str:
    return _WS.sub(" ", s.replace("\xa0", " ").replace("\u3000", " ")).strip()


def _tag(el: etree._Element) -> str:
    # libxml2's HTML parser already lower-cases tag names
    t = el.tag
    return t if isinstance(t, str) else ""


def _dense_len(s: str | None) -> int:
    """Characters that are not whitespace (what a reader sees)."""
    if not s:
        return 0
    return len("".join(s.split()))


def text_of(el: etree._Element) -> str:
    """All text of a subtree (plain lxml.etree elements: no lxml.html class lookup per node)."""
    return "".join(t for t in el.itertext() if isinstance(t, str))


# ------------------------------------------------------------------ parsing and pruning


def parse(text: str) -> etree._Element | None:
    """Parse HTML text into an lxml tree; None when there is nothing to parse."""
    text = _WRAPPER.sub("", text[:MAX_CHARS], count=1)
    # libxml2 refuses control characters and lone surrogates in text it hands back (lxml raises
    # on assignment); they carry no text, so they go before parsing
    text = _XML_UNSAFE.sub("", text)
    text = _XML_DECL.sub("", text, count=1)
    if not text.strip():
        return None
    try:
        # plain etree with the HTML parser, not lxml.html: lxml.html looks up a Python class for
        # every element proxy, which was the largest single cost of extraction
        root = etree.fromstring(text, _parser())
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    return root


@lru_cache(maxsize=1)
def _parser() -> etree.HTMLParser:
    return etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, recover=True)


@dataclass(slots=True)
class PageMeta:
    title: str = ""
    h1: str = ""
    og_title: str = ""
    canonical: str = ""
    published: str = ""  # as written in a <meta>
    author: str = ""
    source: str = ""
    description: str = ""
    profile_title: str = ""  # from a site profile's title selector: wins over every heuristic


def read_meta(root: etree._Element) -> PageMeta:
    """Title candidates and <meta>/<link> facts, read before the head is dropped."""
    m = PageMeta()
    t = root.find(".//title")
    if t is not None:
        m.title = norm_space(text_of(t))
    for h in root.iter("h1"):
        txt = norm_space(text_of(h))
        if txt:
            m.h1 = txt
            break
    for el in root.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
        val = norm_space(el.get("content") or "")
        if not val:
            continue
        if key in ("og:title", "twitter:title") and not m.og_title:
            m.og_title = val
        elif key in (
            "article:published_time", "pubdate", "publishdate", "ptime", "publish_time",
            "og:release_date", "datepublished", "date", "dc.date", "weibo:article:create_at",
        ) and not m.published:  # fmt: skip
            m.published = val
        elif key in ("author", "article:author") and not m.author:
            m.author = val
        elif key == "source" and not m.source:
            m.source = val
        elif key == "description" and not m.description:
            m.description = val
    for el in root.iter("link"):
        if "canonical" in (el.get("rel") or "").lower().split() and el.get("href"):
            m.canonical = el.get("href").strip()
            break
    return m


def prune(root: etree._Element) -> None:
    """Drop what is never article text: scripts, styles, forms, hidden keyword blocks, comments."""
    doomed = []
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str):  # comments and processing instructions
            doomed.append(el)
            continue
        t = tag.lower()
        if t in DROP_TAGS:
            doomed.append(el)
            continue
        style = el.get("style")
        if (style and _HIDDEN_STYLE.search(style)) or el.get("hidden") is not None:
            doomed.append(el)
    for el in doomed:
        _drop(el)


def _drop(el: etree._Element) -> None:
    """Remove an element but keep its tail text (it belongs to the parent)."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


# ------------------------------------------------------------------ comments


def find_comment_blocks(root: etree._Element) -> list[etree._Element]:
    """Elements that hold comment lists: class/id hints, or a 精彩评论-style heading's parent list."""
    heads = hints().comment_headings
    found: list[etree._Element] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        # inline elements named *-comment (Wikipedia's ilh-comment) are annotations, not lists
        if _tag(el) in INLINE:
            continue
        if is_comment_container(el) and not any(_is_ancestor(f, el) for f in found):
            found.append(el)
    # a heading whose whole text is a comment heading: the list after it (its following siblings).
    # Cheap first test on the element's own text, the full subtree text only for the few hits.
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        own = (el.text or "").strip()
        if not own or len(own) > 12 or not own.startswith(heads):
            continue
        txt = norm_space(text_of(el))
        if len(txt) > 12:
            continue
        sib = el.getnext()
        holder = el
        # <div class="hd"><span>精彩评论</span></div><ul>...: climb out of the heading's wrappers
        while sib is None and holder.getparent() is not None and _tag(holder.getparent()) in _HEADING_HOLDERS:
            holder = holder.getparent()
            sib = holder.getnext()
            if _dense_len(text_of(holder)) > 12:
                break
        if sib is None:
            continue
        group = [holder]
        while sib is not None:
            # the list ends at the next heading or at a block named as content
            if _tag(sib) in HEADING_TAGS or class_weight(sib) > 0:
                break
            group.append(sib)
            sib = sib.getnext()
        for g in group:
            if not any(_is_ancestor(f, g) for f in found):
                found.append(g)
    # outermost blocks only: a list found by its heading may hold one found by its class
    return [f for f in found if not any(o is not f and _is_ancestor(o, f) for o in found)]


_HEADING_HOLDERS = INLINE | {"h2", "h3", "h4", "div"}


def _is_ancestor(a: etree._Element, b: etree._Element) -> bool:
    p = b
    while p is not None:
        if p is a:
            return True
        p = p.getparent()
    return False


def _mostly_links(el: etree._Element) -> bool:
    total = _dense_len(text_of(el))
    links = sum(_dense_len(text_of(a)) for a in el.iter("a"))
    return total == 0 or links > 0.8 * total


def comment_items(blocks: list[etree._Element]) -> list[list[str]]:
    """Each comment item as its text lines; an item is a list entry (li/dd) or a child block.

    An item that is nearly all link text is a recommendation teaser inside the comment box, not
    a comment.
    """
    items: list[list[str]] = []
    for b in blocks:
        lis = [x for x in b.iter("li", "dd") if _dense_len(text_of(x)) > 0]
        if lis:
            for li in lis:
                if any(_tag(p) in ("li", "dd") for p in li.iterancestors() if _is_ancestor(b, p)):
                    continue
                if _mostly_links(li):
                    continue
                lines = block_lines(li, alt=True)
                if lines:
                    items.append(lines)
            continue
        if _mostly_links(b):
            continue
        lines = block_lines(b, alt=True)
        heads = hints().comment_headings
        if len(lines) == 1 and len(lines[0]) <= 12 and lines[0].startswith(heads):
            continue  # the list's own heading (精彩评论), not a comment
        if lines:
            items.append(lines)
    return items


# ------------------------------------------------------------------ scoring


@dataclass(slots=True)
class _Stat:
    text: int = 0  # non-space characters in the subtree
    link: int = 0  # of which inside <a>
    punct: int = 0  # prose punctuation in the subtree
    score: float = 0.0


def _score_tree(root: etree._Element) -> tuple[dict[etree._Element, _Stat], list[etree._Element]]:
    """Bottom-up text/link/punct counts, then paragraph scores passed to parent and grandparent."""
    elements = [el for el in root.iter() if isinstance(el.tag, str)][:MAX_ELEMENTS]
    stats: dict[etree._Element, _Stat] = {el: _Stat() for el in elements}
    # children come after their parent in document order: reversed order sees children first
    for el in reversed(elements):
        st = stats[el]
        own = el.text or ""
        n = _dense_len(own)
        p = len(_PUNCT.findall(own)) if own else 0
        for ch in el:
            cs = stats.get(ch)
            if cs is not None:
                n += cs.text
                p += cs.punct
                st.link += cs.link
            if ch.tail:
                n += _dense_len(ch.tail)
                p += len(_PUNCT.findall(ch.tail))
        st.text, st.punct = n, p
        if _tag(el) == "a":
            st.link = n
    # paragraph scores: the inline text held directly by a block element
    for el in elements:
        t = _tag(el)
        if t in INLINE or t == "a":
            continue
        own_n, own_p, own_link = _inline_counts(el, stats)
        if own_n < 10:
            continue
        if own_link > 0.3 * own_n:
            continue  # a line of links is navigation, not a paragraph
        if own_n >= 200 and _stuffed(el):
            stats[el].score = -1e9  # keyword stuffing: never the article, nor its parent's credit
            continue
        s = 1.0 + own_p + min(own_n / 50.0, 4.0)
        stats[el].score += s
        parent = el.getparent()
        if parent is not None and parent in stats:
            stats[parent].score += s
            gp = parent.getparent()
            if gp is not None and gp in stats:
                stats[gp].score += s / 2
    return stats, elements


def _stuffed(el: etree._Element) -> bool:
    """Visible keyword stuffing: a long run of text that keeps repeating the same few words.

    Prose of a few hundred characters has mostly distinct character bigrams; "京东逾期,京东解冻,"
    repeated a thousand times has a handful.  Only the first 3000 characters are looked at.
    """
    return _stuffed_text("".join((el.text or "", *(ch.tail or "" for ch in el))))


def _stuffed_text(text: str) -> bool:
    text = "".join(text[:3000].split())
    if len(text) < 200:
        return False
    grams = {text[i : i + 2] for i in range(len(text) - 1)}
    return len(grams) < 0.15 * (len(text) - 1)


def _inline_counts(el: etree._Element, stats: dict) -> tuple[int, int, int]:
    """(chars, punct, link chars) of the element's own text and its inline children's."""
    own = el.text or ""
    n = _dense_len(own)
    p = len(_PUNCT.findall(own)) if own else 0
    link = 0
    for ch in el:
        if _tag(ch) in INLINE:
            cs = stats.get(ch)
            if cs is not None:
                n += cs.text
                p += cs.punct
                link += cs.link
        if ch.tail:
            n += _dense_len(ch.tail)
            p += len(_PUNCT.findall(ch.tail))
    return n, p, link


def _final(el: etree._Element, st: _Stat) -> float:
    ld = st.link / st.text if st.text else 1.0
    return (st.score + class_weight(el)) * (1.0 - ld)


WEAK_SCORE = 15.0  # a best block scoring under this is no article (about 2 short sentences)


def _first_of_repeated(best: etree._Element, stats: dict, elements: list) -> etree._Element:
    """On a page of repeated post blocks (a blog archive, a forum thread), the first is the article.

    The other blocks are older posts or replies; the longest is often a reply, so scoring alone
    would pick the wrong one.  Repeated = same tag and class, at least three with 50+ characters.
    """
    cls = best.get("class")
    if not cls:
        return best
    peers = [e for e in elements if e.tag == best.tag and e.get("class") == cls and stats[e].text >= 50]
    if len(peers) < 3 or peers[0] is best:
        return best
    first = peers[0]
    if _is_ancestor(first, best) or _is_ancestor(best, first):
        return best
    return first


def _widen(best: etree._Element, stats: dict) -> etree._Element:
    """Climb to the parent while it adds text that reads like the article, not like chrome.

    A row of a layout table often wins on its own while the article continues in the next table
    of the same cell (old GB2312 sites): the parent is taken when it is link-poor, at most twice
    as long, and the extra text has prose punctuation.
    """
    if _tag(best) not in ("tr", "td", "tbody", "table"):
        return best  # modern templates keep the article in one container; widening adds footers
    for _ in range(3):
        parent = best.getparent()
        if parent is None or _tag(parent) in ("body", "html") or parent not in stats:
            break
        ps, bs = stats[parent], stats[best]
        extra = ps.text - bs.text
        if extra <= 0:
            best = parent
            continue
        extra_link = ps.link - bs.link
        if ps.text > 2 * bs.text or extra_link > 0.2 * extra or ps.punct - bs.punct < extra / 40:
            break
        best = parent
    return best


def best_block(root: etree._Element) -> list[etree._Element]:
    """The article block and the siblings that belong with it, in document order."""
    stats, elements = _score_tree(root)
    best, best_s = None, 0.0
    for el in elements:
        st = stats[el]
        if st.score <= 0:
            continue
        s = _final(el, st)
        if s > best_s:
            best, best_s = el, s
    if best is None or best_s < WEAK_SCORE:
        # no block reads like prose (an error page, a form, a gallery): the whole page is the
        # best answer we have; link lists inside are dropped as junk by the line writer
        return [root]
    best = _first_of_repeated(best, stats, elements)
    best = _widen(best, stats)
    best_s = _final(best, stats[best])
    parent = best.getparent()
    if parent is None or _tag(best) == "body":
        return [best]
    keep = []
    threshold = max(10.0, best_s * 0.2)
    for sib in parent:
        if sib is best:
            keep.append(sib)
            continue
        st = stats.get(sib)
        if st is None or st.text == 0:
            continue
        bonus = 0.2 * best_s if (sib.get("class") and sib.get("class") == best.get("class")) else 0.0
        if _final(sib, st) + bonus >= threshold:
            keep.append(sib)
            continue
        ld = st.link / st.text
        if _tag(sib) in ("p", "div", "center", "blockquote", "pre") or _tag(sib) in INLINE:
            if st.text > 60 and ld < 0.25 and st.punct >= 2:
                keep.append(sib)
            elif 20 <= st.text <= 60 and ld == 0 and _SENTENCE_END.search(text_of(sib)):
                # a short paragraph that ends a sentence reads like the article (not an info line)
                keep.append(sib)
    return keep


# ------------------------------------------------------------------ text out


def _junk(el: etree._Element, stats: dict | None = None) -> bool:
    """A sub-block inside the article block that is chrome: link lists, share bars, hinted junk."""
    t = _tag(el)
    if t in INLINE:
        return False
    # comment-named blocks were handled before scoring; one still here is the page's content
    if class_weight(el) < 0 and (el.get("class") or el.get("id")) and not is_comment_container(el):
        txt = _dense_len(text_of(el))
        return txt < 600  # a large negatively-named block may still be the article (bad templates)
    return False


def block_lines(node: etree._Element, *, alt: bool = False, skip_junk: bool = False) -> list[str]:
    """The text of a subtree as lines: a new line at every block element and <br>.

    ``alt``: include <img alt> text (comment avatars say "头像" there, which marks the author line).
    ``skip_junk``: leave out hinted chrome blocks and lines that are mostly link text (link lists,
    "[头条] ..." teasers, pagers); a line that is prose with a link in it stays.
    """
    lines: list[str] = []
    buf: list[str] = []
    link_chars = 0
    in_link = 0

    def flush() -> None:
        nonlocal link_chars
        if buf:
            s = norm_space("".join(buf))
            junk = skip_junk and (
                (link_chars and link_chars * 2 > _dense_len(s)) or (len(s) >= 200 and _stuffed_text(s))
            )
            if s and not junk:
                lines.append(s)
            buf.clear()
        link_chars = 0

    def add(text: str) -> None:
        nonlocal link_chars
        buf.append(text)
        if in_link:
            link_chars += _dense_len(text)

    # iterative walk (no recursion on deeply nested junk): OPEN el / CLOSE el / TAIL text
    stack: list[tuple[int, etree._Element | str]] = [(_OPEN, node)]
    count = 0
    while stack:
        kind, obj = stack.pop()
        if isinstance(obj, str):
            add(obj)
            continue
        el = obj
        t = _tag(el)
        if kind == _CLOSE:
            if t == "a":
                in_link -= 1
            elif t not in INLINE:
                flush()
            continue
        count += 1
        if count > MAX_ELEMENTS or not t:
            if count > MAX_ELEMENTS:
                break
            continue
        if el is not node and skip_junk and _junk(el):
            continue
        if t == "br" or t not in INLINE:
            flush()
        if t == "a":
            in_link += 1
        if t == "img" and alt and el.get("alt"):
            add(" " + el.get("alt", "") + " ")
        if el.text:
            add(el.text)
        stack.append((_CLOSE, el))
        for ch in reversed(el):
            if ch.tail:
                stack.append((_TAIL, ch.tail))
            stack.append((_OPEN, ch))
    flush()
    return lines


_OPEN, _CLOSE, _TAIL = 0, 1, 2


@dataclass(slots=True)
class Extracted:
    paragraphs: list[str] = field(default_factory=list)
    meta: PageMeta = field(default_factory=PageMeta)
    comments: list[list[str]] = field(default_factory=list)  # each comment item as lines
    head_lines: list[str] = field(default_factory=list)  # page text lines before the article block
    tail_lines: list[str] = field(default_factory=list)  # the first text lines after it


def _select(root: etree._Element, css: str) -> list[etree._Element]:
    try:
        from lxml.cssselect import CSSSelector

        return list(CSSSelector(css)(root))
    except Exception:  # noqa: BLE001 - a bad selector in a profile falls back to the generic path
        return []


def extract(root: etree._Element, profile_extract: dict | None = None) -> Extracted:
    """Find the article block in a parsed page.  The tree is modified (pruned)."""
    out = Extracted(meta=read_meta(root))
    prof = profile_extract or {}
    body = root.find("body")
    if body is None:
        body = root
    prune(root)
    # comments first: they are taken out of the tree so they can never leak into the body
    cblocks = _select(root, prof["comments"]) if prof.get("comments") else []
    if not cblocks:
        cblocks = find_comment_blocks(body)
        total = _dense_len(text_of(body))
        ctext = sum(_dense_len(text_of(b)) for b in cblocks)
        if total - ctext < min(150, 0.25 * total):
            # a forum thread or Q&A page whose replies *are* the content: score them as text
            cblocks = []
    out.comments = comment_items(cblocks)
    for b in cblocks:
        _drop(b)
    picked: list[etree._Element] = []
    if prof.get("body"):
        picked = _select(root, prof["body"])
    if not picked:
        picked = best_block(body)
    for el in picked:
        out.paragraphs.extend(block_lines(el, skip_junk=True))
    if picked:
        out.head_lines = _lines_before(body, picked[0])
        out.tail_lines = _lines_after(body, picked[-1])
    if prof.get("title"):
        sel = _select(root, prof["title"])
        if sel:
            out.meta.profile_title = norm_space(text_of(sel[0]))
    if prof.get("date"):
        sel = _select(root, prof["date"])
        if sel:
            out.meta.published = norm_space(text_of(sel[0])) or out.meta.published
    return out


def _lines_before(body: etree._Element, first: etree._Element, limit: int = 40) -> list[str]:
    """The last few text lines of the page before the article block (the 来源/时间 info line)."""
    texts: list[str] = []
    for el in body.iter():
        if el is first:
            break
        if not isinstance(el.tag, str):
            continue
        if el.text and el.text.strip():
            texts.append(norm_space(el.text))
        if el.tail and el.tail.strip() and not _is_ancestor(el, first):
            texts.append(norm_space(el.tail))
        if len(texts) > 400:
            texts = texts[-limit:]
    return [t for t in texts[-limit:] if t]


def _lines_after(body: etree._Element, last: etree._Element, limit: int = 30) -> list[str]:
    """The first text lines of the page after the article block (编辑:, 来源: footers)."""
    texts: list[str] = []
    started = False
    for el in body.iter():
        if not started:
            if el is last:
                started = True
                if el.tail and el.tail.strip():
                    texts.append(norm_space(el.tail))
            continue
        if not isinstance(el.tag, str) or _is_ancestor(last, el):
            continue
        for t in (el.text, el.tail):
            if t and t.strip():
                texts.append(norm_space(t))
        if len(texts) >= limit:
            break
    return texts[:limit]
