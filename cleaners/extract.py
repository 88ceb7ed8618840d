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

Size: one file (~1,450 lines) because its parts -- parsing and pruning, comments, scoring,
choosing among candidates, text out -- work on one parsed tree and share its per-element memos.
Comment detection (the ``comments`` section) is the one clean cut into a module of its own, left
for a change to the cleaners (the layout step of issue 15 does not touch them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress, islice
from operator import add, attrgetter, methodcaller
from typing import Any

from lxml import etree

from cleaners import compiled
from cleaners.data import read_toml

MAX_CHARS = 3_000_000  # characters of HTML parsed; the rest of a monster page is dropped
MAX_ELEMENTS = 60_000  # elements scored; deeper junk beyond this is ignored

_WRAPPER = re.compile(r"\A\s*<text\b[^>]*>", re.I)  # CWCED dataset wrapper line
# an XML declaration goes: lxml refuses str input with one, and its encoding= must not compete
# with the parser's fixed UTF-8
_XML_DECL = re.compile(r"\A\s*<\?xml[^>]*\?>", re.I)
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])  # _XML_UNSAFE's ASCII part
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

# The compiled walks (cleaners/_fastwalk.pyx, built by `pip install -e .`): the same figures as the
# Python walks below, which stay the reference and the fallback.  None when the module is not
# built, was built against another lxml (it reads lxml's structs), or GUIDECRAWL_PURE_PYTHON=1
# asks for the Python path (tests and bench/clean.py compare the two).
_fast: Any = compiled.load("_fastwalk")
if _fast is not None:
    _fast.set_inline(INLINE)


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
def _config() -> dict:
    """data/extract.toml, parsed once: the one reader of that file."""
    return read_toml("extract.toml")


@lru_cache(maxsize=1)
def hints() -> Hints:
    """The class/id hint lists from data/extract.toml, compiled once."""
    d = _config()
    neg = d.get("negative", [])
    comment: list[str] = next((r["words"] for r in neg if r["id"] == "comment-words"), [])
    return Hints(
        tuple((_words_pattern(r["words"]), int(r["weight"])) for r in d.get("positive", [])),
        tuple((_words_pattern(r["words"]), int(r["weight"])) for r in neg),
        _words_pattern(comment),
        tuple(d["comment_headings"]["words"]),
    )


def _attr_key(el: etree._Element) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}".lower()


def _class_id(el: etree._Element) -> tuple[str | None, str | None]:
    """(class, id) as ``el.get`` gives them.  One keys() call costs what one get() does, and most
    elements have no attributes at all; the attributes are read on every walk of the page."""
    names = el.keys()
    if not names:
        return None, None
    return (el.get("class") if "class" in names else None, el.get("id") if "id" in names else None)


def class_weight(el: etree._Element) -> int:
    """The hint weights matching an element's class and id (first matching rule of each sign)."""
    cls, eid = _class_id(el)
    if cls is None and eid is None:
        return 0
    return _key_weight(f"{cls or ''} {eid or ''}".lower())  # _attr_key(el)


# Memoised on the "class id" string, not the element: scoring asks for the same element's weight
# several times and templates repeat a few dozen class names on every page; a string key keeps no
# tree alive.  (hints() loads once per process, so the memo never goes stale.)
@lru_cache(maxsize=4096)
def _key_weight(raw: str) -> int:
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
    cls, eid = _class_id(el)
    if cls is None and eid is None:
        return False
    return _key_is_comment(f"{cls or ''} {eid or ''}".lower())  # _attr_key(el)


@lru_cache(maxsize=4096)
def _key_is_comment(raw: str) -> bool:
    return bool(hints().comment_words.search(raw))


def norm_space(s: str) -> str:
    """Whitespace runs (\\xa0 and \\u3000 included) as one space, trimmed.

    ``str.split()`` and the regex ``\\s`` agree on what whitespace is (both use the Unicode
    whitespace property, which holds \\xa0 and \\u3000), and split/join is several times faster
    than a substitution; it runs on every text line of the page.
    """
    return " ".join(s.split())


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
    """All text of a subtree, without the element's own tail.

    libxml2's text serialiser: the same string as joining ``itertext()`` (comments and processing
    instructions give none in either), three times faster than building it in Python.
    """
    return etree.tostring(el, method="text", encoding="unicode", with_tail=False)


# ------------------------------------------------------------------ parsing and pruning


# libxml2 stops building the tree at 256 levels of nesting (2048 with its "huge" option) and,
# recovering, drops everything below: a page wrapped in 300 <div>s came out empty, with no hint.
_TOO_DEEP = "Excessive depth"
# Tags kept when a page nested past even the huge limit is flattened: the ones that carry text
# structure or are never nested (the parser closes an open <p>, <a> or <h2> before the next).
_FLAT_KEEP = frozenset(
    "html head body title meta link script style noscript p br h1 h2 h3 h4 h5 h6 a img".split()
)
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9:-]*)\b[^>]*>")
_BLOCKISH = frozenset(
    "div section article main aside header footer nav table tr td th ul ol li dl dt dd blockquote pre form center".split()
)


def _too_deep(parser: etree.HTMLParser) -> bool:
    return any(_TOO_DEEP in e.message for e in parser.error_log)


def _flatten(text: str) -> str:
    """``text`` without container tags: block containers become line breaks, inline ones vanish."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1).lower()
        if name in _FLAT_KEEP:
            return m.group(0)
        return "<br>" if name in _BLOCKISH else ""

    return _TAG.sub(sub, text)


def parse(text: str) -> etree._Element | None:
    """Parse HTML text into an lxml tree; None when there is nothing to parse."""
    return parse_noted(text)[0]


def parse_noted(text: str, utf8: bytes | None = None) -> tuple[etree._Element | None, str]:
    """``parse`` and a note when the page was nested too deep for a plain parse.

    ``utf8``: ``text`` encoded as UTF-8, when the caller has it (``Decoded.utf8``: a UTF-8 page's
    own bytes); it spares encoding the text again.

    A page deeper than libxml2's 256 levels is parsed again with its huge-tree option (up to 2048
    levels, the whole tree kept); one deeper still is parsed flattened (``_flatten``), which keeps
    the text and its paragraphs but not the page's layout.  Pages within the limit are parsed
    once, by the default, hardened parser.
    """
    root = _parse(text, _parser(), utf8)
    if root is None or not _too_deep(_parser()):
        return root, ""
    deep = _parse(text, _parser(huge=True), utf8)
    if deep is not None and not _too_deep(_parser(huge=True)):
        return deep, "page nested more than 255 levels deep; parsed with libxml2's huge-tree option"
    flat = _parse(_flatten(text), _parser())
    if flat is not None and not _too_deep(_parser()):
        return (
            flat,
            "page nested more than 2048 levels deep; parsed flattened, without its <div>/<span> layout",
        )
    return (
        root,
        "page nested more than 2048 levels deep even without its layout tags; text below that level is lost",
    )


def _parse(text: str, parser: etree.HTMLParser, utf8: bytes | None = None) -> etree._Element | None:
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS]
        utf8 = None  # (no longer the text's bytes)
    # the wrapper can only be at the start (\A): a match there, not a substitution that scans on
    wrapper = _WRAPPER.match(text)
    if wrapper:
        text = text[wrapper.end() :]
        utf8 = None
    # libxml2 refuses control characters and lone surrogates in text it hands back (lxml raises
    # on assignment); they carry no text, so they go before parsing.  Most pages have none, and
    # the UTF-8 bytes lxml is fed anyway tell that faster than a regex scan of the text: encoding
    # fails on a lone surrogate, and a control character is a byte below 0x20.
    try:
        data = utf8 if utf8 is not None else text.encode("utf-8")
        unsafe = (
            len(data.translate(None, _CONTROL_BYTES)) != len(data) or "\ufffe" in text or "\uffff" in text
        )
    except UnicodeEncodeError:
        unsafe = True
    if unsafe:
        text = _XML_UNSAFE.sub("", text)
    decl = _XML_DECL.match(text)
    if decl:
        text = text[decl.end() :]
    if not text or text.isspace():
        return None
    if unsafe or decl:
        data = text.encode("utf-8")
    try:
        # plain etree with the HTML parser, not lxml.html: lxml.html looks up a Python class for
        # every element proxy, which was the largest single cost of extraction.  UTF-8 bytes with
        # the encoding fixed in the parser, not the str: lxml would hand libxml2 the str's
        # UTF-16/UCS-4 buffer to convert, which is slower and gives the same tree.
        root = etree.fromstring(data, parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    return root


@lru_cache(maxsize=2)
def _parser(huge: bool = False) -> etree.HTMLParser:
    """The page parser; ``huge=True`` only for pages the default one found too deep (input stays
    capped at ``MAX_CHARS``).  collect_ids=False: no table of id attributes (nothing here looks an
    element up by its id); the tree is the same, the parse ~4% faster."""
    return etree.HTMLParser(
        remove_comments=True,
        remove_pis=True,
        no_network=True,
        recover=True,
        encoding="utf-8",
        huge_tree=huge,
        collect_ids=False,
    )


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
    return _read_meta(root)[0]


def _read_meta(root: etree._Element) -> tuple[PageMeta, list[etree._Element]]:
    """read_meta, and the page's <footer> elements, met on the same walk (for _keep_comment_footers)."""
    m = PageMeta()
    footers: list[etree._Element] = []
    # one walk for the tags (each tag-filtered walk of lxml goes over the whole tree in C,
    # looking one match ahead); each tag's own rule only looks at the elements of that tag, in
    # document order, as the walk meets them
    title: etree._Element | None = None
    canonical = False
    for el in root.iter("title", "h1", "meta", "link", "footer"):
        tag = el.tag
        if tag == "footer":
            footers.append(el)
        elif tag == "meta":
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
        elif tag == "title":
            if title is None and el is not root:  # (the first <title> below the root)
                title = el
        elif tag == "h1":
            if not m.h1:
                m.h1 = norm_space(text_of(el))
        elif not canonical and "canonical" in (el.get("rel") or "").lower().split() and el.get("href"):
            m.canonical = el.get("href").strip()
            canonical = True
    if title is not None:
        m.title = norm_space(text_of(title))
    return m, footers


def prune(root: etree._Element) -> None:
    """Drop what is never article text: scripts, styles, forms, hidden keyword blocks, comments."""
    _prune(root)


def _prune(root: etree._Element) -> list[etree._Element]:
    """prune(root); returns the elements named as comment containers (is_comment_container, not
    inline), in document order, noted on the same walk.  Some of them may be gone with what was
    pruned (inside a hidden block): see _attached_named."""
    _strip_dropped(root)
    return _prune_rest(root)


def _prune_rest(root: etree._Element) -> list[etree._Element]:
    """The rest of pruning after _strip_dropped (see _prune_walk); returns the comment containers."""
    if _fast is not None:
        # the same choices made in one walk of libxml2's tree (cleaners/_fastwalk.pyx): proxies
        # only for the nodes to drop and the comment containers
        got = _fast.prune_marks(root, _HIDDEN_STYLE.search, _key_is_comment)
        if got is not None:
            doomed, named = got
            for el in doomed:
                _drop(el)
            return named
    return _prune_walk(list(root.iter()))  # after the tag list went: fewer elements to look at


def _strip_dropped(root: etree._Element) -> None:
    """The first step of pruning: the DROP_TAGS elements go (their tails stay)."""
    # The tag list goes in one call in C: removing an element while keeping its tail is what
    # _drop does by hand, and the result does not depend on the order of removals (an element
    # inside one already removed is dropped from the detached subtree, which changes nothing).
    # libxml2's HTML parser lower-cases tag names, so the names match as written.
    etree.strip_elements(root, *DROP_TAGS, with_tail=False)


def _prune_walk(nodes: list[etree._Element]) -> list[etree._Element]:
    """The rest of pruning, on ``list(root.iter())`` taken after _strip_dropped: hidden elements,
    comments and processing instructions go; returns the comment containers (see _prune)."""
    doomed = []
    named = []
    hidden = _HIDDEN_STYLE.search
    for el in nodes:
        tag = el.tag
        if not isinstance(tag, str):  # comments and processing instructions
            doomed.append(el)
            continue
        # one keys() call, as cheap as one get(): most elements have no attributes at all
        names = el.keys()
        if not names:
            continue
        style = el.get("style") if "style" in names else None
        if (style and hidden(style)) or "hidden" in names:
            doomed.append(el)
        if tag not in INLINE and ("class" in names or "id" in names):
            # is_comment_container(el), with the attributes read once
            key = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
            if _key_is_comment(key):
                named.append(el)
    for el in doomed:
        _drop(el)
    return named


def _attached_named(named: list[etree._Element], top: etree._Element) -> list[etree._Element]:
    """The elements of ``named`` that are ``top`` or inside it (what a walk of top would meet)."""
    return [el for el in named if el is top or any(a is top for a in el.iterancestors())]


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


def find_comment_blocks(
    root: etree._Element,
    page_text: str | None = None,
    named: list[etree._Element] | None = None,
) -> list[etree._Element]:
    """Elements that hold comment lists: class/id hints, or a 精彩评论-style heading's parent list.

    ``page_text``: ``text_of(root)``, and ``named``: the elements in root that are comment
    containers and not inline, in document order, when the caller has them already.
    """
    heads = hints().comment_headings
    found: list[etree._Element] = []
    if named is None:
        # inline elements named *-comment (Wikipedia's ilh-comment) are annotations, not lists
        named = [
            el
            for el in root.iter()
            if isinstance(el.tag, str) and el.tag not in INLINE and is_comment_container(el)
        ]
    for el in named:
        if not any(_is_ancestor(f, el) for f in found):
            found.append(el)
    # a heading whose whole text is a comment heading: the list after it (its following siblings).
    # Cheap first test on the element's own text, the full subtree text only for the few hits;
    # and no walk at all on the many pages whose text holds no heading word anywhere.
    if page_text is None:
        page_text = text_of(root)
    elements = list(root.iter(etree.Element)) if any(h in page_text for h in heads) else []
    # (the elements' own texts read by a map, the test in one comprehension)
    heading_like = [
        el
        for el, text in zip(elements, map(_TEXT_OF, elements), strict=True)
        if text and (own := text.strip()) and len(own) <= 12 and own.startswith(heads)
    ]
    for el in heading_like:
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
    """Each comment item as its text lines (see comment_records for the item elements)."""
    return [rec.lines for rec in comment_records(blocks)]


def _nearest_item(el: etree._Element, block: etree._Element) -> etree._Element | None:
    """The closest li/dd around ``el`` inside ``block`` (None when there is none)."""
    for p in el.iterancestors():
        if p is block:
            return p if p.tag in ("li", "dd") else None
        if p.tag in ("li", "dd"):
            return p
    return None


@dataclass(slots=True)
class CommentItem:  # noqa: D101 - documented below
    """One comment item of a comment list: its text lines, and the fields its markup names.

    ``author``/``date`` are "" and ``text`` is None when the item's markup does not name them;
    cleaners/structure.py then reads them from the lines.
    """

    lines: list[str]
    author: str = ""
    date: str = ""  # as written, or an ISO datetime from <time datetime>
    text: list[str] | None = None
    role: str = ""  # a badge or title next to the name (资深顾问, 修饰和限定)


@dataclass(frozen=True, slots=True)
class _FieldWords:
    author: re.Pattern[str]
    date: re.Pattern[str]
    text: re.Pattern[str]
    role: re.Pattern[str]


@lru_cache(maxsize=1)
def _field_words() -> _FieldWords:
    d = _config().get("comment_fields", {})
    return _FieldWords(
        _words_pattern(d.get("author", [])),
        _words_pattern(d.get("date", [])),
        _words_pattern(d.get("text", [])),
        _words_pattern(d.get("role", [])),
    )


_HAS_DATE = re.compile(
    r"\d{1,4}\s*[-/.:年月]\s*\d{1,2}|\d+\s*(?:天|小时|分钟|秒|周|个月)前|\bago\b|刚刚|昨天|前天", re.I
)
_GENERIC_ALT = {"", "avatar", "头像", "用户头像", "photo", "image", "feed", "icon", "user", "profile"}
_SAYS = re.compile(r"\s*(?:says|said|wrote|writes|说|写道)\s*[:：]?\s*$", re.I)


def comment_records(blocks: list[etree._Element]) -> list[CommentItem]:
    """Each comment item of the comment blocks, with the fields its markup names.

    An item is a list entry (li/dd); in a block without list entries, the most repeated child
    block named as a comment (Typepad's div.comment, portal threads' div.reply-item); else the
    block itself.  An item that is nearly all link text is a recommendation teaser inside the
    comment box, not a comment.
    """
    items: list[CommentItem] = []
    heads = hints().comment_headings
    for b in blocks:
        lis = [x for x in b.iter("li", "dd") if _dense_len(text_of(x)) > 0]
        if lis:
            # a list inside an item is the thread's replies: each is an item of its own, so it
            # comes off its parent item first (the comment blocks leave the tree after this)
            nearest = {id(li): _nearest_item(li, b) for li in lis}
            replies: dict[int, list[etree._Element]] = {}
            for x in lis:
                holder = nearest[id(x)]
                if x.tag == "li" and holder is not None:
                    replies.setdefault(id(holder), []).append(x)
            for li in lis:
                if li.tag == "li":  # (a dd is a part of its dl's item, not a reply)
                    for sub in replies.get(id(li), ()):
                        _drop(sub)
                elif nearest[id(li)] is not None:
                    continue  # a dd inside an item belongs to that item
                if _mostly_links(li):
                    continue
                rec = _record(li)
                if rec.lines:
                    items.append(rec)
            continue
        if _mostly_links(b):
            continue
        repeated = _repeated_items(b)
        if repeated:
            items.extend(r for r in map(_record, repeated) if r.lines)
            continue
        rec = _record(b)
        if len(rec.lines) == 1 and len(rec.lines[0]) <= 12 and rec.lines[0].startswith(heads):
            continue  # the list's own heading (精彩评论), not a comment
        if rec.lines:
            items.append(rec)
    return items


def _repeated_items(b: etree._Element) -> list[etree._Element]:
    """The blocks inside ``b`` that repeat most (same tag and first class word, two or more, none
    inside another; on a tie the first met, the outermost): the items of a list built from divs."""
    groups: dict[tuple[str, str], list[etree._Element]] = {}
    for el in b.iter():
        if el is b or not isinstance(el.tag, str) or el.tag in INLINE:
            continue
        cls = (el.get("class") or "").split()
        if cls:
            groups.setdefault((el.tag, cls[0]), []).append(el)
    best: list[etree._Element] = []
    for members in groups.values():
        if len(members) < 2 or len(members) <= len(best):
            continue
        if any(_is_ancestor(a, c) for a, c in zip(members, members[1:], strict=False)):
            continue  # nested replies of one class: not a flat list of items
        # (text measured only here: members of a flat group do not overlap, so this is linear)
        members = [m for m in members if _dense_len(text_of(m))]
        if len(members) >= 2 and len(members) > len(best):
            best = members
    return best


def _record(item: etree._Element) -> CommentItem:
    """An item's lines and the author/date/text elements its class names mark."""
    fw = _field_words()
    author, date = "", ""
    author_el = None
    role = ""
    names: list[tuple[etree._Element, str]] = []
    texts: list[tuple[int, etree._Element]] = []
    alt = ""
    for el in item.iter():
        if el is item or not isinstance(el.tag, str):
            continue
        if el.tag == "time" and not date:
            date = (el.get("datetime") or "").strip() or norm_space(text_of(el))
            continue
        if el.tag == "img" and not alt:
            a = norm_space(el.get("alt") or "")
            if a.lower() not in _GENERIC_ALT and 2 <= len(a) <= 30:
                alt = a
        cls, eid = _class_id(el)
        if cls is None and eid is None:
            continue
        key = f"{cls or ''} {eid or ''}".lower()
        if not role and fw.role.search(key) and not fw.author.search(key):
            t = norm_space(text_of(el))
            if 1 <= len(t) <= 16 and not any(ch.isdigit() for ch in t):
                role = t
                continue
        if fw.author.search(key) and len(names) < 8:
            t = _SAYS.sub("", norm_space(text_of(el)))
            if 1 <= len(t) <= 40 and not _HAS_DATE.search(t):
                names.append((el, t))
                continue
        if not date and fw.date.search(key) and el.tag in INLINE | {"div", "p", "time"}:
            t = norm_space(text_of(el))
            if 4 <= len(t) <= 40 and any(ch.isdigit() for ch in t) or t in ("刚刚", "昨天", "前天"):
                date = t
                continue
        if el.tag not in INLINE and fw.text.search(key) and not _key_is_comment_meta(key):
            texts.append((_dense_len(text_of(el)), el))
    # the innermost named element: "user" may wrap the avatar, the name and the time
    for el, t in names:
        if not any(o is not el and _is_ancestor(el, o) for o, _ in names):
            author, author_el = t, el
            break
    text_lines = None
    if texts:
        # the largest text block that does not hold the author's name (a wrapper of the whole item)
        fit = [
            (n, el) for n, el in texts if n and not (author_el is not None and _is_ancestor(el, author_el))
        ]
        if fit:
            text_lines = block_lines(max(fit, key=lambda x: x[0])[1])
    if not author and alt and text_lines:
        author = alt  # Typepad, Disqus: the avatar's alt is the commenter's name
    return CommentItem(block_lines(item, alt=True), author, date, text_lines, role if author else "")


def _key_is_comment_meta(key: str) -> bool:
    return "meta" in key or "footer" in key or "header" in key or "head " in f"{key} "


# ------------------------------------------------------------------ scoring


_TAG_OF = attrgetter("tag")
_TEXT_OF = attrgetter("text")
_TAIL_OF = attrgetter("tail")
_PARENT_OF = methodcaller("getparent")


class _Scores:
    """Counts per element of the scored tree, in arrays by document order: ``index[el]`` → i.

    Arrays rather than an object per element: the page's elements are counted by the thousand and
    an object each was a quarter of the scoring time.
    """

    __slots__ = (
        "elements",
        "index",
        "tags",
        "text",
        "link",
        "punct",
        "score",
        "up",
        "whole",
    )

    def __init__(self, elements: list[etree._Element], tags: list[str] | None = None) -> None:
        n = len(elements)
        self.elements = elements
        self.index: dict[etree._Element, int] = dict(zip(elements, range(n), strict=True))
        self.tags: list[str] = list(map(_TAG_OF, elements)) if tags is None else tags
        self.text = [0] * n  # non-space characters in the subtree
        self.link = [0] * n  # of which inside <a>
        self.punct = [0] * n  # prose punctuation in the subtree
        self.score = [0.0] * n
        # each element's parent index (None: the scored root); whole: every node under the root
        # is a scored element (no comment nodes, none past the element cap), so the arrays are
        # the whole subtree in document order
        self.up: list[int | None] = []
        self.whole = False


def _score_tree(root: etree._Element) -> _Scores:
    """Bottom-up text/link/punct counts, then paragraph scores passed to parent and grandparent.

    One bottom-up pass counts both the subtree totals and each element's paragraph text (its own
    text and the tails of its children, plus its inline children's subtrees), so no text is
    measured twice; each element hands its counts to its parent instead of every element walking
    its children.  The scores are then added in document order (float sums depend on the order).
    """
    elements = list(root.iter(etree.Element))  # elements only, filtered in C
    cut = elements[MAX_ELEMENTS:]
    del elements[MAX_ELEMENTS:]
    if _fast is not None:
        # the tags, counts and scores in one walk of libxml2's tree (cleaners/_fastwalk.pyx);
        # Python only for the few long paragraphs tested for stuffing
        got = _fast.score_counts(root, elements, MAX_ELEMENTS, lambda i: _stuffed(elements[i]))
        if got is not None:
            sc = _Scores(elements, got[0])
            sc.up, sc.text, sc.link, sc.punct, sc.score, sc.whole = got[1:]
            return sc
    return _score_tree_py(root, _Scores(elements), cut)


def _score_tree_py(root: etree._Element, sc: _Scores, cut: list[etree._Element]) -> _Scores:
    """_score_tree in Python (the reference of the compiled path, and its fallback)."""
    elements = sc.elements
    # comments and processing instructions (none in a pruned tree): not scored, but their tails
    # are their parent's text
    others = list(root.iter(etree.Comment, etree.ProcessingInstruction, etree.Entity))
    count = len(elements)
    index = sc.index
    index_of = index.get
    text, link, punct, score = sc.text, sc.link, sc.punct, sc.score
    findall = _PUNCT.findall
    join = "".join
    # Every element's tag, text, tail and parent read in bulk (map over the list runs in C), each
    # text's length without spaces and its punctuation counted in one comprehension each: the
    # bottom-up walk below is then integer sums only.  Done inside the walk, the reads and counts
    # of each element were most of its cost.
    tags = sc.tags
    up: list[int | None] = list(map(index_of, map(_PARENT_OF, elements)))  # None: the scored root
    texts = list(map(_TEXT_OF, elements))
    tails = list(map(_TAIL_OF, elements))
    sc.up, sc.whole = up, not cut and not others
    # the element's own text and its children's tails (a tail belongs to the parent's text);
    # whitespace holds no punctuation: only texts with characters are searched
    own_n = [len(join(x.split())) if x and not x.isspace() else 0 for x in texts]
    own_p = [len(findall(x)) if k else 0 for x, k in zip(texts, own_n, strict=True)]
    for pi, tail in zip(up, tails, strict=True):
        # (most tails are whitespace between tags; the scored root's tail is outside the tree)
        if tail and pi is not None and not tail.isspace():
            own_n[pi] += len(join(tail.split()))
            own_p[pi] += len(findall(tail))

    def tail_to_parent(node: etree._Element) -> None:
        # the tail of a node that is not scored itself (past the element cap, or not an element)
        tail = node.tail
        if tail:
            k = len("".join(tail.split()))
            if k:
                pi = index_of(node.getparent())
                if pi is not None:
                    own_n[pi] += k
                    own_p[pi] += len(findall(tail))

    for node in cut:
        tail_to_parent(node)
    for node in others:
        tail_to_parent(node)
    # Subtree totals (text, punct, link) and paragraph counts (par*: own text plus the subtrees of
    # inline children) start at the element's own counts; each element, once its children have
    # added theirs, adds its totals to its parent.  Children come after their parent in document
    # order: reversed order sees children first.
    text[:] = own_n
    punct[:] = own_p
    par_n, par_p, par_link = own_n, own_p, [0] * count  # (own_* are not needed on their own again)
    inline = INLINE
    # an <a> without href is a named anchor (old CMSs wrap whole articles in one), not a link
    is_link = [tag == "a" and el.get("href") is not None for tag, el in zip(tags, elements, strict=True)]
    is_inline = list(map(inline.__contains__, tags))
    paras: list[int] = []  # the paragraph elements, in reverse document order
    # (the per-element constants come by zip, not by index)
    walk = zip(range(count - 1, -1, -1), reversed(up), reversed(is_inline), reversed(is_link), strict=True)
    for i, pi, inline_el, link_el in walk:
        t = text[i]
        if link_el:
            link[i] = t
        m = par_n[i]
        # a paragraph: inline text held directly by a block element, 10+ characters, not a line
        # of links (that is navigation)
        if m >= 10 and par_link[i] <= 0.3 * m and not inline_el:
            paras.append(i)
        if pi is None:  # the root of the scored tree
            continue
        pc, lk = punct[i], link[i]
        text[pi] += t
        punct[pi] += pc
        link[pi] += lk
        if inline_el:
            par_n[pi] += t
            par_p[pi] += pc
            par_link[pi] += lk
    # paragraph scores, in document order
    for i in reversed(paras):
        n = par_n[i]
        if n >= 200 and _stuffed(elements[i]):
            score[i] = -1e9  # keyword stuffing: never the article, nor its parent's credit
            continue
        s = 1.0 + par_p[i] + min(n / 50.0, 4.0)
        score[i] += s
        parent = up[i]
        if parent is not None:
            score[parent] += s
            gp = up[parent]
            if gp is not None:
                score[gp] += s / 2
    return sc


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
    return _repetitive(text)


# The same paragraph is tested twice, as a scored block (_stuffed) and as a text line of the
# article (block_lines): keyed on the text without spaces, the second test is a look-up.  A page
# has a few dozen long paragraphs at most; the bound keeps the cache to a few hundred KB.
@lru_cache(maxsize=64)
def _repetitive(text: str) -> bool:
    """Fewer distinct character bigrams than 15% of the bigrams."""
    if _fast is not None:
        return bool(_fast.repetitive(text))  # (the same count over a hash set of code-point pairs)
    return _repetitive_py(text)


def _repetitive_py(text: str) -> bool:
    """_repetitive in Python (the reference of the compiled path, and its fallback)."""
    need = 0.15 * (len(text) - 1)
    # Distinct bigrams only grow with the text, and prose has few repeats: its first need/0.8
    # characters already clear the bar.  Look at that prefix first, the rest only when the prefix
    # is repetitive (same answer, a fraction of the work on the many long prose paragraphs).
    k = min(len(text) - 1, int(need / 0.8) + 2)
    grams = set(map(add, text[:k], text[1 : k + 1]))
    if len(grams) >= need:
        return False
    grams.update(map(add, text[k:], text[k + 1 :]))
    return len(grams) < need


def _final(el: etree._Element, sc: _Scores, i: int) -> float:
    ld = sc.link[i] / sc.text[i] if sc.text[i] else 1.0
    cw: float = class_weight(el)
    raw = sc.score[i]
    # a content-named class lifts a block at most as much as its own text does: a caption or an
    # author box named "*-text" with one line of text must not outscore the story's paragraphs
    if cw > 0:
        cw = min(cw, max(raw, 0.0))
    return (raw + cw) * (1.0 - ld)


WEAK_SCORE = 15.0  # a best block scoring under this is no article (about 2 short sentences)


def _first_of_repeated(best: etree._Element, sc: _Scores, title: str = "") -> etree._Element:
    """On a page of repeated post blocks (a blog archive, a forum thread), the first is the article.

    The other blocks are older posts or replies; the longest is often a reply, so scoring alone
    would pick the wrong one.  Repeated = same tag and class, at least three with 50+ characters.
    A peer without prose of its own (under WEAK_SCORE), or holding only the headline, is no post: page
    builders (Elementor, Gutenberg) give every widget of a page the same class, the headline's
    widget first.
    """
    cls = best.get("class")
    if not cls:
        return best
    tag, text = best.tag, sc.text
    elements = sc.elements
    same_tag = compress(range(len(sc.tags)), map(tag.__eq__, sc.tags))  # (picked in C)
    peers = [elements[i] for i in same_tag if text[i] >= 50 and elements[i].get("class") == cls]
    if len(peers) < 3 or peers[0] is best:
        return best
    for first in peers:
        if first is best:
            return best
        i = sc.index[first]
        if sc.score[i] <= 0 or _final(first, sc, i) < WEAK_SCORE:
            continue  # not a post of its own prose: a widget of the same template
        own = norm_space(text_of(first))
        if (title and _is_headline_text(own, title)) or (text[i] < CHROME_MAX and _chrome_text(own)):
            continue
        if _is_ancestor(first, best) or _is_ancestor(best, first):
            return best
        return first
    return best


def _widen(best: etree._Element, sc: _Scores) -> etree._Element:
    """Climb to the parent while it adds text that reads like the article, not like chrome.

    A row of a layout table often wins on its own while the article continues in the next table
    of the same cell (old GB2312 sites): the parent is taken when it is link-poor, at most twice
    as long, and the extra text has prose punctuation.
    """
    if _tag(best) not in ("tr", "td", "tbody", "table"):
        return best  # modern templates keep the article in one container; widening adds footers
    text, link, punct = sc.text, sc.link, sc.punct
    for _ in range(3):
        parent = best.getparent()
        if parent is None or _tag(parent) in ("body", "html") or parent not in sc.index:
            break
        pi, bi = sc.index[parent], sc.index[best]
        extra = text[pi] - text[bi]
        if extra <= 0:
            best = parent
            continue
        extra_link = link[pi] - link[bi]
        if text[pi] > 2 * text[bi] or extra_link > 0.2 * extra or punct[pi] - punct[bi] < extra / 40:
            break
        best = parent
    return best


# ------------------------------------------------------------------ choosing among candidates


@dataclass(slots=True)
class Choice:
    """The article block (with its sibling blocks), how sure the choice is (0-1) and why not."""

    blocks: list[etree._Element]
    confidence: float
    reason: str = ""
    coverage: float = 1.0  # share of the page's prose punctuation inside the blocks
    scores: _Scores | None = None  # the scored tree the choice was made on


COVERAGE_LOW = 0.2  # a block with less of the page's prose punctuation than this is doubtful
CANDIDATES = 12  # best-scoring blocks weighed against each other


def _headline_key(s: str) -> str:
    return "".join(filter(str.isalnum, s.lower()))  # (the filter runs in C)


def _is_headline_text(text: str, title: str) -> bool:
    """Whether a short text is the page's headline (the title, or the title with site words)."""
    if not title or not text or len(text) > 3 * len(title) + 20:
        return False
    a, b = _headline_key(text), _headline_key(title)
    if len(a) < 4 or len(b) < 4:
        return False
    return a == b or (len(a) >= 0.6 * len(b) and (a in b or b in a))


_HEADLINE_TAGS = frozenset(("h1", "h2", "h3"))


def _find_headline(root: etree._Element, sc: _Scores, title: str) -> int | None:
    """Document index of the element that shows the page's headline: the first h1-h3 whose text
    is the title (a first <h1> that is not the title is often the site's logo: no anchor)."""
    if not title:
        return None
    # the scored elements' tags, not a tag walk of the tree (another pass over the whole page)
    for i in compress(range(len(sc.tags)), map(_HEADLINE_TAGS.__contains__, sc.tags)):  # (picked in C)
        h = sc.elements[i]
        text = norm_space(text_of(h))
        if _is_headline_text(text, title):
            return i
        # a short <h1> that starts the <title> (静夜思 in "静夜思原文、翻译及赏析")
        key = _headline_key(text)
        if h.tag == "h1" and len(key) >= 2 and _headline_key(title).startswith(key):
            return i
    return None


def _chrome_text(text: str) -> str:
    """The id of the chrome-text rule a short block's text matches ("" for none)."""
    # Python's re under re.I is several times slower than without.  In a text without cased
    # characters (most short Chinese blocks) the flag cannot change a match: Unicode's simple
    # case mappings, which re.I compares by, take an uncased character only to itself and a cased
    # one only to a cased one, so the rules compiled without it give the same answer.  (A string
    # equal to its own upper and lower case holds no cased character.)
    rules = chrome_rules() if text.upper() != text or text.lower() != text else _chrome_rules_uncased()
    for rid, rx in rules:
        if rx.search(text):
            return rid
    return ""


@lru_cache(maxsize=1)
def chrome_rules() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """data/extract.toml [[chrome_text]]: texts of footers, legal notices, bylines, reader widgets."""
    d = _config()
    return tuple((r["id"], re.compile(r["pattern"], re.I)) for r in d.get("chrome_text", []))


@lru_cache(maxsize=1)
def _chrome_rules_uncased() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """chrome_rules() compiled without re.I: the same matches on a text without cased characters."""
    return tuple((rid, re.compile(rx.pattern)) for rid, rx in chrome_rules())


CHROME_MAX = 400  # a block this long or longer is judged by its prose, not by a chrome phrase in it
BEFORE_HEADLINE = 0.5  # a block above the headline (a teaser, a banner, a sidebar) counts half
CHROME_FACTOR = 0.1
UNDER_HEADLINE = 0.25  # the first prose block after the headline wins at this share of the best
SHORT_SCORE = 5.0
COLUMN_RULE = 1.0
JOIN_MAX = 800  # ... and only to a short block (a translation with notes, a description)
JOIN_EXTRA = 0.5  # the headline's container joins when it adds at most this share of text  # under the headline, a block of one or two real sentences is a short article


def best_block(root: etree._Element, title: str = "") -> list[etree._Element]:
    """The article block and the siblings that belong with it, in document order."""
    return choose_block(root, title).blocks


def choose_block(root: etree._Element, title: str = "") -> Choice:
    """Weigh the best-scoring blocks of the page against each other and against the headline.

    Each candidate's score (``_final``) is discounted when the block sits above the page's
    headline (``title``: the page's cleaned title) and when a short block reads like chrome (a
    legal footer, a byline, a reader widget: ``[[chrome_text]]`` in data/extract.toml).  The
    confidence comes from the margin between the winner and the best candidate that is neither
    inside it nor around it, lowered for a weak or short winner.
    """
    sc = _score_tree(root)
    elements = sc.elements
    positive = compress(range(len(sc.score)), map((0.0).__lt__, sc.score))  # score > 0, picked in C
    ranked = [(_final(elements[i], sc, i), i) for i in positive]
    ranked.sort(key=lambda c: (-c[0], c[1]))  # ties: the first in document order (the outer block)
    anchor = _find_headline(root, sc, title)
    anchor_el = sc.elements[anchor] if anchor is not None else None
    short = False
    if not ranked or ranked[0][0] < WEAK_SCORE:
        # no block reads like a full article.  A short one under the page's own headline (a
        # news brief, a video's description, a chapter of a few lines) is still the article;
        # without a headline to anchor on, the whole page is the best answer we have (link
        # lists inside are dropped as junk by the line writer)
        ranked = [(s, i) for s, i in ranked if anchor is not None and i > anchor and s >= SHORT_SCORE]
        if not ranked:
            return Choice([root], 0.2, "no block reads like prose: the page's text lines", scores=sc)
        short = True
    cands: list[tuple[float, int, str]] = []
    for s, i in ranked[:CANDIDATES]:
        el = sc.elements[i]
        why = ""
        if anchor is not None and i < anchor and not _is_ancestor(el, anchor_el):
            s *= BEFORE_HEADLINE
            why = "above the headline"
        if sc.text[i] < CHROME_MAX:
            rule = _chrome_text(norm_space(text_of(el)))
            if rule:
                s *= CHROME_FACTOR
                why = f"reads like chrome ({rule})"
        cands.append((s, i, why))
    cands.sort(key=lambda c: -c[0])
    best_s, bi, _ = cands[0]
    chosen = sc.elements[bi]
    passed = None
    if anchor is not None:
        # the first prose block after the headline is the story's own text; a bigger block
        # further down that is neither inside nor around it (a sidebar column, a feed) gives way
        # when the first one is not tiny beside it
        after = [c for c in cands if c[1] > anchor and c[0] >= SHORT_SCORE]
        if after:
            first = min(after, key=lambda c: c[1])
            fel = sc.elements[first[1]]
            if (
                first[1] != bi
                and _plain(sc, first[1]) >= UNDER_HEADLINE * _plain(sc, bi)
                and not (_is_ancestor(fel, chosen) or _is_ancestor(chosen, fel))
                and _farther(anchor_el, chosen, fel)
                and _SENTENCE_MARK.search(text_of(fel))
            ):
                passed = chosen
                best_s, bi, chosen = first[0], first[1], fel
    # the runner-up: the best candidate that is a different block (not inside, not around it)
    rival_s, rival = 0.0, None
    for s, i, _ in cands[1:]:
        el = sc.elements[i]
        if not (_is_ancestor(el, chosen) or _is_ancestor(chosen, el)):
            rival_s, rival = s, i
            break
    if anchor_el is not None and _is_ancestor(chosen, anchor_el) and chosen is not anchor_el:
        # a container of the headline's column and another column: the headline's column, when
        # it holds prose of its own that is not tiny beside the other's
        col = anchor_el
        while col.getparent() is not None and col.getparent() is not chosen:
            col = col.getparent()
        ci = sc.index.get(col)
        if ci is not None and col is not anchor_el and sc.punct[ci] >= 3 and COLUMN_RULE:
            # prose measured by its punctuation (scores pass up two levels only)
            others = [sc.punct[sc.index[o]] for o in chosen if o is not col and o in sc.index]
            if others and max(others) >= 3 and sc.punct[ci] >= UNDER_HEADLINE * max(others):
                passed = chosen
                chosen, bi = col, ci
    if short and best_s < SHORT_SCORE:
        return Choice([root], 0.2, "no block reads like prose: the page's text lines", scores=sc)
    confidence, reason = _confidence(sc, bi, best_s, rival, rival_s)
    if short:
        reason = "; ".join(x for x in ("a short article under the headline", reason) if x)
    best = _first_of_repeated(chosen, sc, title)
    best = _widen(best, sc)
    if anchor_el is not None:
        best = _join_headline(best, anchor_el, sc, cands)
    blocks = _with_siblings(best, sc, anchor_el, passed)
    total = sc.punct[0] if sc.punct else 0
    got = sum(sc.punct[sc.index[b]] for b in blocks if b in sc.index)
    coverage = got / total if total else 1.0
    if coverage < COVERAGE_LOW:
        # most of the page's prose is elsewhere: the article may go on in blocks not taken
        confidence = round(confidence * 0.65, 3)
        why = f"the block holds {coverage:.0%} of the page's prose"
        reason = "; ".join(x for x in (reason, why) if x) if confidence < 0.5 else reason
    return Choice(blocks, confidence, reason, coverage, sc)


def _plain(sc: _Scores, i: int) -> float:
    """A block's score without its class hint: position, not naming, is weighed here."""
    return sc.score[i] * (1.0 - (sc.link[i] / sc.text[i] if sc.text[i] else 1.0))


_SENTENCE_MARK = re.compile(r"[。！？!?]|\.(?:\s|$)")


def _common(a: etree._Element, b: etree._Element) -> etree._Element | None:
    """The lowest common ancestor of two elements (None when they share none)."""
    around = {a, *a.iterancestors()}
    node: etree._Element | None = b
    while node is not None and node not in around:
        node = node.getparent()
    return node


def _farther(head: etree._Element, best: etree._Element, first: etree._Element) -> bool:
    """Whether ``best`` sits outside the smallest container of the headline and ``first``: in
    another column or region of the page, not further down the same story."""
    near = _common(head, first)
    far = _common(head, best)
    return near is not None and far is not None and far is not near and _is_ancestor(far, near)


def _join_headline(
    best: etree._Element, head: etree._Element, sc: _Scores, cands: list[tuple[float, int, str]]
) -> etree._Element:
    """The container of the headline and the chosen block, when it holds little else.

    A page that presents its article in parts under one headline (a poem, then its translation
    and notes; a video's description under its player) has the parts in sibling blocks: the
    container is the article when the text it adds is short and not links.
    """
    if _is_ancestor(best, head) or best.getparent() is None:
        return best
    around = set(head.iterancestors())
    box = best.getparent()
    while box is not None and box not in around:
        box = box.getparent()
    if box is None or _tag(box) in ("body", "html") or box not in sc.index:
        return best
    bi, xi, hi = sc.index[best], sc.index[box], sc.index.get(head, -1)
    if sc.text[bi] > JOIN_MAX:
        return best  # a long story is whole on its own; what sits above it is a deck or a caption
    # only when prose of the article's own sits between the headline and the block (the poem
    # above its translation); a byline or a title box there is no part the gold would hold
    between = sorted(i for s, i, _ in cands if hi < i < bi and s >= SHORT_SCORE)
    if not between or not any(_SENTENCE_MARK.search(text_of(sc.elements[i])) for i in between[:5]):
        return best
    extra = sc.text[xi] - sc.text[bi]
    extra_link = sc.link[xi] - sc.link[bi]
    if extra <= JOIN_EXTRA * sc.text[bi] and extra_link <= 0.3 * max(extra, 1):
        return box
    return best


def _confidence(sc: _Scores, bi: int, best_s: float, rival: int | None, rival_s: float) -> tuple[float, str]:
    """How sure the choice is, 0-1, and the reason when it is not sure."""
    if best_s <= 0:
        return 0.1, "no candidate block"
    margin = 1.0 - min(rival_s / best_s, 1.0)
    conf = 0.45 + 0.55 * margin
    reasons = []
    if rival is not None and margin < 0.3:
        reasons.append(f"another block scores nearly as high ({rival_s:.0f} vs {best_s:.0f})")
    if best_s < 2 * WEAK_SCORE:
        conf *= 0.7
        reasons.append("the best block is weak")
    if sc.text[bi] < 100:
        conf *= 0.6
        reasons.append("the best block is short")
    conf = max(0.0, min(1.0, conf))
    return round(conf, 3), "; ".join(reasons) if conf < 0.5 else ""


def _with_siblings(
    best: etree._Element,
    sc: _Scores,
    head: etree._Element | None = None,
    passed: etree._Element | None = None,
) -> list[etree._Element]:
    """The block and its siblings that read like more of the article (not those above the
    headline: a teaser of another story there is not this story's text; nor the block that was
    passed over for the one under the headline)."""
    best_s = _final(best, sc, sc.index[best])
    hi = sc.index.get(head) if head is not None else None
    parent = best.getparent()
    if parent is None or _tag(best) == "body":
        return [best]
    keep = []
    threshold = max(10.0, best_s * 0.2)
    for sib in parent:
        if sib is best:
            keep.append(sib)
            continue
        i = sc.index.get(sib)
        if i is None or sc.text[i] == 0:
            continue
        if hi is not None and i < hi and not _is_ancestor(sib, head):
            continue
        if passed is not None and (_is_ancestor(sib, passed) or _is_ancestor(passed, sib)):
            continue  # the other column, or the block passed over: not this story's text
        text = sc.text[i]
        if text < CHROME_MAX and _chrome_text(norm_space(text_of(sib))):
            continue  # a legal notice or a reader widget beside the article is not part of it
        bonus = 0.2 * best_s if (sib.get("class") and sib.get("class") == best.get("class")) else 0.0
        if _final(sib, sc, i) + bonus >= threshold:
            keep.append(sib)
            continue
        ld = sc.link[i] / text
        if _tag(sib) in ("p", "div", "center", "blockquote", "pre") or _tag(sib) in INLINE:
            if text > 60 and ld < 0.25 and sc.punct[i] >= 2:
                keep.append(sib)
            elif 20 <= text <= 60 and ld == 0 and _SENTENCE_END.search(text_of(sib)):
                # a short paragraph that ends a sentence reads like the article (not an info line)
                keep.append(sib)
    return keep


# ------------------------------------------------------------------ text out


def _junk(el: etree._Element) -> bool:
    """A sub-block inside the article block that is chrome: link lists, share bars, hinted junk."""
    t = _tag(el)
    if t in INLINE:
        return False
    cls, eid = _class_id(el)
    if cls is None and eid is None:
        return False  # no hint: class_weight is 0
    key = f"{cls or ''} {eid or ''}".lower()  # _attr_key(el)
    # comment-named blocks were handled before scoring; one still here is the page's content
    if _key_weight(key) < 0 and (cls or eid) and not _key_is_comment(key):
        txt = _dense_len(text_of(el))
        return txt < 600  # a large negatively-named block may still be the article (bad templates)
    return False


# Where a line of the article block sits, for the edge-line model of cleaners/boilerplate.py (a
# sign-off in a <div> of its own under the <p> prose, a line of links, a list item): (share of its
# characters inside links, the tag and class of the block's child it sits in ("": the block
# itself), the tag of its innermost block element).  Taken by block_lines as it writes the line
# (no walk of its own); made into the model's numbers by _facts_features.  (Whether the line sits
# in a negatively hinted element was tried: block_lines has skipped those already, never set.)
LineFacts = tuple[float, str, str]
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_LIST_TAGS = frozenset(("li", "dd", "dt"))


def _line_facts(
    stack: list[tuple[etree._Element, int]], shut: etree._Element | None, link: float
) -> LineFacts:
    """The facts of the line block_lines is writing: ``stack`` its open elements (the block
    first), ``shut`` the element whose closing ends the line (already off the stack)."""
    tag = ""
    if shut is not None and shut.tag not in INLINE:
        tag = shut.tag
    else:
        for e, _ in reversed(stack):
            if e.tag not in INLINE:
                tag = e.tag
                break
    top = stack[1][0] if len(stack) > 1 else shut if stack else None
    return (link, "" if top is None else f"{top.tag} {top.get('class', '')}", tag)


def _facts_features(lines: list[str], facts: list[LineFacts]) -> list[tuple[float, ...]]:
    """Per line, cleaners.boilerplate.EDGE_WHERE: (link share; in another kind of child of the
    block than the one holding most of its text (tag and class): 1, in that one: -1, the block has
    one kind: 0; in <p>: 1, else -1; in a list item; in a heading)."""
    size: dict[str, int] = {}
    for line, f in zip(lines, facts, strict=True):
        size[f[1]] = size.get(f[1], 0) + len(line)
    main = max(size, key=size.__getitem__) if len(size) > 1 else None
    out: list[tuple[float, ...]] = []
    for link, top, tag in facts:
        out.append(
            (
                link,
                0.0 if main is None else (1.0 if top != main else -1.0),
                1.0 if tag == "p" else -1.0,
                1.0 if tag in _LIST_TAGS else 0.0,
                1.0 if tag in _HEADINGS else 0.0,
            )
        )
    return out


# What closing an element does in block_lines: nothing (inline), end a link, end the line (a
# block element), nothing but its tail (a skipped junk block)
_CLOSE_INLINE, _CLOSE_LINK, _CLOSE_BLOCK, _CLOSE_SKIPPED = range(4)


def block_lines(
    node: etree._Element,
    *,
    alt: bool = False,
    skip_junk: bool = False,
    facts: list[LineFacts] | None = None,
) -> list[str]:
    """The text of a subtree as lines: a new line at every block element and <br>.

    ``alt``: include <img alt> text (comment avatars say "头像" there, which marks the author line).
    ``skip_junk``: leave out hinted chrome blocks and lines that are mostly link text (link lists,
    "[头条] ..." teasers, pagers); a line that is prose with a link in it stays.
    ``facts``: when given, gets one LineFacts per line (where the line sits: _line_facts).
    """
    if _fast is not None:
        # the same walk over libxml2's tree (cleaners/_fastwalk.pyx); Python only for the junk
        # test of hinted blocks and the stuffing test of long lines
        got = _fast.block_lines(node, alt, skip_junk, facts is not None, MAX_ELEMENTS, _junk, _stuffed_text)
        if got is not None:
            if facts is not None:
                facts.extend(got[1])
            return got[0]
    return _block_lines_py(node, alt=alt, skip_junk=skip_junk, facts=facts)


def _block_lines_py(
    node: etree._Element,
    *,
    alt: bool = False,
    skip_junk: bool = False,
    facts: list[LineFacts] | None = None,
) -> list[str]:
    """block_lines in Python (the reference of the compiled path, and its fallback)."""
    lines: list[str] = []
    buf: list[str] = []
    link_chars = 0
    in_link = 0

    def flush(shut: etree._Element | None = None) -> None:
        nonlocal link_chars
        if buf:
            s = " ".join("".join(buf).split())  # norm_space
            # after norm_space the only whitespace is the single spaces between words
            dense = len(s) - s.count(" ")
            junk = skip_junk and (
                (link_chars and link_chars * 2 > dense) or (len(s) >= 200 and _stuffed_text(s))
            )
            if s and not junk:
                lines.append(s)
                if facts is not None:
                    facts.append(_line_facts(stack, shut, link_chars / max(dense, 1)))
            buf.clear()
        link_chars = 0

    def keep(text: str | None) -> None:
        # Whitespace alone is never appended to an empty buffer (see below)
        nonlocal link_chars
        if text and (buf or not text.isspace()):
            buf.append(text)
            if in_link:
                link_chars += _dense_len(text)

    # Whitespace alone is never appended to an empty buffer: a line's leading whitespace goes in
    # norm_space anyway, and a buffer of whitespace alone makes no line (nor link characters), so
    # the flush it would cost is spared (most tails between block elements are just that).
    # One walk of node.iter() (document order, run in C; no recursion on deeply nested junk) with
    # the open elements on a stack: an element closes when the walk reaches a node that is not
    # inside it, and its tail text then belongs to the enclosing element's line.  (lxml's
    # iterwalk gives the same start and end events at about twice the cost per element.)  What
    # an element does when it closes is decided when it opens: _CLOSE_* below.  A skipped subtree
    # (junk) is passed over whole; the element itself still closes (its tail stays).  Comments
    # and processing instructions have no text, but a tail.
    inline = INLINE
    count = 0
    walk = node.iter()
    stack: list[tuple[etree._Element, int]] = []  # (open element, what closing it does)
    for el in walk:
        parent = el.getparent()
        while stack and stack[-1][0] is not parent:
            shut, what = stack.pop()
            if what == _CLOSE_LINK:
                in_link -= 1
            elif what == _CLOSE_BLOCK and buf:
                flush(shut)
            keep(shut.tail)  # (the node itself is never closed here: it holds the rest)
        count += 1
        if count > MAX_ELEMENTS:
            break
        t = el.tag
        if not isinstance(t, str):  # a comment or processing instruction: only its tail
            if el is not node:
                keep(el.tail)
            continue
        block = t not in inline
        # (_junk needs a class or id: the many elements without attributes skip the call)
        if skip_junk and block and el is not node and el.keys() and _junk(el):
            stack.append((el, _CLOSE_SKIPPED))
            for _ in islice(walk, sum(1 for _ in el.iter()) - 1):  # past its subtree
                pass
            continue
        # (an empty buffer has no link characters either: flush would only clear)
        if buf and (block or t == "br"):
            flush()
        if t == "a" and el.get("href") is not None:  # (a named anchor is no link)
            in_link += 1
            what = _CLOSE_LINK
        else:
            what = _CLOSE_BLOCK if block else _CLOSE_INLINE
        if t == "img" and alt and el.get("alt"):
            buf.append(" " + el.get("alt", "") + " ")
            if in_link:
                link_chars += _dense_len(buf[-1])
        keep(el.text)
        stack.append((el, what))
    else:  # the walk ran to its end: what is still open closes, innermost first
        while stack:
            shut, what = stack.pop()
            if what == _CLOSE_LINK:
                in_link -= 1
            elif what == _CLOSE_BLOCK and buf:
                flush(shut)
            if shut is not node:
                keep(shut.tail)
    flush()
    return lines


@dataclass(slots=True)
class Extracted:
    paragraphs: list[str] = field(default_factory=list)
    meta: PageMeta = field(default_factory=PageMeta)
    comments: list[CommentItem] = field(default_factory=list)  # each comment item
    head_lines: list[str] = field(default_factory=list)  # page text lines before the article block
    tail_lines: list[str] = field(default_factory=list)  # the first text lines after it
    confidence: float = 1.0  # how sure the choice of the article block is (0-1)
    confidence_reason: str = ""  # why it is low
    coverage: float = 1.0  # share of the page's prose punctuation in the article block
    # per paragraph, where it sits in the page (_facts_features), for the edge-line model
    line_features: list[tuple[float, ...]] = field(default_factory=list)


def _select(root: etree._Element, css: str) -> list[etree._Element]:
    try:
        from lxml.cssselect import CSSSelector

        return list(CSSSelector(css)(root))
    except Exception:  # noqa: BLE001 - a bad selector in a profile falls back to the generic path
        return []


def extract(root: etree._Element, profile_extract: dict | None = None) -> Extracted:
    """Find the article block in a parsed page.  The tree is modified (pruned)."""
    meta, footers = _read_meta(root)
    out = Extracted(meta=meta)
    prof = profile_extract or {}
    body = root.find("body")
    if body is None:
        body = root
    _keep_comment_footers(root, footers)
    _strip_dropped(root)
    # lxml makes a Python proxy for an element when a walk reaches it and frees it when the walk
    # moves on, so each of the walks below would pay for every proxy again; holding them all for
    # the length of the call makes the later walks find them (about a quarter of their time).
    # Taken after the dropped tags went: no proxies for them (a removed subtree that still has
    # proxies is moved to a document of its own instead of freed), and the pruning walk is a walk
    # of this list.  (The compiled walks make proxies only for the few elements Python decides
    # on, and the scoring walk holds those of the body: there, holding them all costs more than
    # it saves.)
    proxies = list(root.iter()) if _fast is None else None
    named = _prune_walk(proxies) if proxies is not None else _prune_rest(root)
    # comments first: they are taken out of the tree so they can never leak into the body
    cblocks = _select(root, prof["comments"]) if prof.get("comments") else []
    if not cblocks:
        body_text = text_of(body)
        cblocks = find_comment_blocks(body, body_text, _attached_named(named, body))
        if cblocks:  # (without comment blocks the test below cannot hold: no page text to count)
            total = _dense_len(body_text)
            ctext = sum(_dense_len(text_of(b)) for b in cblocks)
            if total - ctext < min(150, 0.25 * total):
                # a forum thread or Q&A page whose replies *are* the content: score them as text
                cblocks = []
    out.comments = comment_records(cblocks)
    for b in cblocks:
        _drop(b)
    picked: list[etree._Element] = []
    scores: _Scores | None = None
    if prof.get("body"):
        picked = _select(root, prof["body"])
    if not picked:
        choice = choose_block(body, _page_title(out.meta))
        picked = choice.blocks
        out.confidence, out.confidence_reason = choice.confidence, choice.reason
        out.coverage = choice.coverage
        scores = choice.scores
    for el in picked:
        facts: list[LineFacts] = []
        lines = block_lines(el, skip_junk=True, facts=facts)
        out.paragraphs.extend(lines)
        out.line_features.extend(_facts_features(lines, facts))
    if picked:
        out.head_lines = _lines_before(body, picked[0], scores=scores)
        out.tail_lines = _lines_after(body, picked[-1])
    if prof.get("title"):
        sel = _select(root, prof["title"])
        if sel:
            out.meta.profile_title = norm_space(text_of(sel[0]))
    if prof.get("date"):
        sel = _select(root, prof["date"])
        if sel:
            out.meta.published = norm_space(text_of(sel[0])) or out.meta.published
    del proxies  # held to here on purpose (see the top)
    return out


def _keep_comment_footers(root: etree._Element, footers: list[etree._Element] | None = None) -> None:
    """A <footer> inside a comment item holds its author and time (WordPress's comment-meta):
    it becomes a <div> so pruning keeps it.  Page footers stay footers.  ``footers``: the page's
    <footer> elements in document order, when the caller has them (_read_meta)."""
    for f in root.iter("footer") if footers is None else footers:
        for depth, p in enumerate(f.iterancestors()):
            if depth > 8:
                break
            if is_comment_container(p):
                f.tag = "div"
                break


def _page_title(m: PageMeta) -> str:
    from cleaners.structure import best_title  # structure is pure string work; no cycle at import

    return best_title(m.title, m.h1, m.og_title)


def _lines_before(
    body: etree._Element, first: etree._Element, limit: int = 40, scores: _Scores | None = None
) -> list[str]:
    """The last few text lines of the page before the article block (the 来源/时间 info line).

    ``scores``: the scored tree of ``body`` (choose_block's), when the caller has it: its elements
    (in document order) are walked back from the block, only as far as the last ``limit`` lines.
    """
    sc = scores
    i = (
        sc.index.get(first)
        if sc is not None and sc.whole and sc.elements and sc.elements[0] is body
        else None
    )
    if sc is not None and i is not None:
        held = set()  # the block and its ancestors (indices): their tails come after it
        j: int | None = i
        while j is not None:
            held.add(j)
            j = sc.up[j]
        back: list[str] = []  # the lines in reverse order
        elements = sc.elements
        for k in range(i - 1, -1, -1):
            el = elements[k]
            tail = el.tail
            if tail and not tail.isspace() and k not in held:
                back.append(norm_space(tail))
            text = el.text
            if text and not text.isspace():
                back.append(norm_space(text))
            if len(back) >= limit:
                break
        return back[:limit][::-1]
    texts: list[str] = []
    # the tail of the block or of one of its ancestors comes after the block
    holders = {first, *first.iterancestors()}
    for el in body.iter():
        if el is first:
            break
        if not isinstance(el.tag, str):
            continue
        text = el.text
        if text and not text.isspace():
            texts.append(norm_space(text))
        tail = el.tail
        if tail and not tail.isspace() and el not in holders:
            texts.append(norm_space(tail))
        if len(texts) > 400:
            texts = texts[-limit:]
    return [t for t in texts[-limit:] if t]


def _lines_after(body: etree._Element, last: etree._Element, limit: int = 30) -> list[str]:
    """The first text lines of the page after the article block (编辑:, 来源: footers)."""
    # The elements after the block in document order, inside body: the following siblings of the
    # block and of each of its ancestors below body, with their subtrees.  Walking only those
    # (not all of body, testing each element for being inside the block) is linear.
    chain = []
    node: etree._Element | None = last
    while node is not None and node is not body:
        chain.append(node)
        node = node.getparent()
    if node is None:
        return []  # the block is not inside body (a profile selector matched outside it)
    texts: list[str] = []
    tail = last.tail
    if tail and not tail.isspace():
        texts.append(norm_space(tail))
    for holder in chain:
        for sib in holder.itersiblings():
            for el in sib.iter():
                if not isinstance(el.tag, str):
                    continue
                for t in (el.text, el.tail):
                    if t and not t.isspace():
                        texts.append(norm_space(t))
                if len(texts) >= limit:
                    return texts[:limit]
    return texts[:limit]
