"""The compiled walks (cleaners/_fastwalk.pyx) give exactly what the pure-Python walks give.

cleaners/extract.py runs its per-element walks (scoring counts, the line writer, pruning) in C
when the module is built, and in Python otherwise (``extract._fast`` is None): the Python code is
the reference.  Each test runs both paths on the same input, on real pages (Scrapy's HtmlResponse,
as the crawler hands them over) and on hostile trees: comments, processing instructions, entity
references, CDATA, deep nesting, empty text, characters outside the BMP, namespaced elements,
attribute values with entity references, a 2 MB page.  No test here measures time (bench/clean.py
does).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from scrapy.http import HtmlResponse

from cleaners import extract as ex
from cleaners.decode import decode_html
from tests.pyproc import run_python

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fast():
    """The compiled module; the install (make .venv/.installed-dev) builds it, so a missing one is
    a failure here, not a skip."""
    from cleaners import _fastwalk

    assert _fastwalk.LXML_BUILT == etree.__version__, "rebuild: make .venv/.installed-dev"
    assert ex._fast is _fastwalk, "cleaners/extract.py does not use the compiled walks"
    return _fastwalk


def both(monkeypatch, fast, fn):
    """fn() on the compiled path, then on the Python path: (compiled, python)."""
    monkeypatch.setattr(ex, "_fast", fast)
    a = fn()
    monkeypatch.setattr(ex, "_fast", None)
    b = fn()
    monkeypatch.setattr(ex, "_fast", fast)
    return a, b


@pytest.fixture(scope="module")
def page_htmls(shared: Path) -> list[str]:
    """The real pages as the crawler hands them over: Scrapy's HtmlResponse, decoded."""
    base = shared / "pages"
    out = []
    for line in (base / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            resp = HtmlResponse(
                url=rec.get("url") or "http://example.com/", body=(base / rec["html"]).read_bytes()
            )
            dec = decode_html(resp.body, resp.headers.get("Content-Type", b"").decode("latin-1") or None)
            assert dec.ok
            out.append(dec.text)
    assert len(out) >= 70
    return out


def _scores(body: etree._Element) -> tuple:
    sc = ex._score_tree(body)
    return (sc.elements, sc.tags, sc.up, sc.text, sc.link, sc.punct, sc.score, sc.whole)


def _lines(node: etree._Element) -> list:
    out = []
    for kw in ({}, {"alt": True}, {"skip_junk": True}, {"alt": True, "skip_junk": True}):
        facts: list = []
        out.append((ex.block_lines(node, **kw, facts=facts), facts, ex.block_lines(node, **kw)))
    return out


def _pruned(root: etree._Element) -> tuple[str, list[str]]:
    """The tree after pruning and the comment containers found (as paths: the runs prune copies)."""
    tree = copy.deepcopy(root)
    named = ex._prune(tree)
    paths = [el.getroottree().getpath(el) for el in named]
    return etree.tostring(tree, encoding="unicode"), paths


def _extracted(root: etree._Element) -> dict:
    return dataclasses.asdict(ex.extract(copy.deepcopy(root)))


def _all_walks(monkeypatch, fast, root: etree._Element) -> None:
    """Every compiled walk against its Python reference on ``root`` (and on its pruned body)."""
    a, b = both(monkeypatch, fast, lambda: _pruned(root))
    assert a == b
    a, b = both(monkeypatch, fast, lambda: _extracted(root))
    assert a == b
    pruned = copy.deepcopy(root)
    ex._prune(pruned)
    for tree in (root, pruned):
        body = tree.find("body")
        body = tree if body is None else body
        a, b = both(monkeypatch, fast, lambda: _scores(body))  # noqa: B023
        assert a == b
        nodes = [body, *[el for el in body.iter(etree.Element) if len(el)][::3]]
        for node in nodes:
            a, b = both(monkeypatch, fast, lambda: _lines(node))  # noqa: B023
            assert a == b


# ------------------------------------------------------------------ real pages


def test_extract_is_the_same_on_real_pages(page_htmls, monkeypatch, fast):
    for html in page_htmls:
        root = ex.parse(html)
        a, b = both(monkeypatch, fast, lambda: _extracted(root))  # noqa: B023
        assert a == b


def test_every_walk_is_the_same_on_real_pages(page_htmls, monkeypatch, fast):
    for html in page_htmls[::4]:
        _all_walks(monkeypatch, fast, ex.parse(html))


def test_real_pages_take_the_compiled_path(page_htmls, monkeypatch, fast):
    # the compiled walks must not quietly hand every page back to Python (they return None on
    # what they do not read): on real pages each answers
    root = ex.parse(page_htmls[0])
    body = root.find("body")
    assert fast.prune_marks(root, ex._HIDDEN_STYLE.search, ex._key_is_comment) is not None
    assert fast.block_lines(body, False, True, True, ex.MAX_ELEMENTS, ex._junk, ex._stuffed_text) is not None
    elements = list(body.iter(etree.Element))
    assert fast.score_counts(body, elements, ex.MAX_ELEMENTS, lambda i: False) is not None


# ------------------------------------------------------------------ hostile trees

_KEEP = etree.HTMLParser(remove_comments=False, remove_pis=False, recover=True)

HOSTILE_HTML = {
    "comments and PIs": (
        "<html><body><div class='content'><p>第一段，有逗号。<!-- 注释里的字，不算 -->注释后的尾巴。"
        "<?php echo 1 ?>处理指令后的尾巴，</p><!-- c --><p>第二段<a href='/x'>链接<!--x-->文字</a>结尾。</p>"
        "<div class='comment-list'><!-- c --><p>评论：好。</p></div></div></body></html>"
    ),
    "empty texts": "<html><body><div><p></p><p> </p><span></span><b>\u3000</b><br><p>\xa0</p></div></body></html>",
    "whitespace kinds": (
        "<html><body><div><p>a\x1cb\x1dc\x1ed\x1fe\x85f\xa0g\u1680h\u2000i\u200aj\u2028k\u2029l\u202fm\u205fn"
        "\u3000o\u200bp\ufeffq，r</p></div></body></html>"
    ),
    "non-BMP": (
        "<html><body><article><h1>标题😀</h1><p>𠀀𠀁𠀂，😀😁😂。𝄞音乐！" + "𠀀" * 300 + "</p>"
        "<p><a href='/'>😀链接😀</a>，文字。</p><img alt='头像😀'></article></body></html>"
    ),
    "hidden and styled": (
        "<html><body><div style='display: NONE'>藏起来的字，很多。</div><div style='font-ſize:0'>藏，</div>"
        "<div style='font-size : 0px'>藏。</div><div style='text-indent:-９９９９px'>藏。</div>"
        "<div style='color:red;font-size:14px'>看得见，这段文字。</div><div hidden>藏！</div>"
        "<p style='overflow:hidden'>看得见的一段，文字很长很长很长很长。</p></div></body></html>"
    ),
    "links and anchors": (
        "<html><body><div><a name='top'>锚点里的整篇文章，很长的一段文字，有标点。</a><p><a href=''>空链接</a>，"
        "<a>没有链接</a>。</p><ul><li><a href='/1'>一</a></li><li><a href='/2'>二</a></li></ul></div></body></html>"
    ),
    "junk blocks": (
        "<html><body><div id='main'><p>正文第一段，很长的一段文字。</p><div class='share'>分享到<p>微博</p></div>"
        "尾巴文字。<div class='related'><a href='/1'>相关一</a></div><p>第二段。<br>换行后的字，</p>"
        "<div class='sidebar-text'>" + "侧栏的文字，" * 120 + "</div></div></body></html>"
    ),
    "stuffing": "<html><body><div><p>"
    + "京东逾期,京东解冻," * 400
    + "</p><p>正文，一段。</p></div></body></html>",
    "no body": "<div><p>只有一个片段，没有 body。</p><p>第二段，文字。</p></div>",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_HTML))
def test_hostile_html_is_the_same(name, monkeypatch, fast):
    _all_walks(monkeypatch, fast, etree.fromstring(HOSTILE_HTML[name], _KEEP))
    _all_walks(monkeypatch, fast, ex.parse(HOSTILE_HTML[name]))


def _xml(text: str, **kw) -> etree._Element:
    return etree.fromstring(text.encode("utf-8"), etree.XMLParser(**kw))


def test_entities_and_cdata_are_the_same(monkeypatch, fast):
    doc = (
        "<?xml version='1.0' encoding='utf-8'?><!DOCTYPE html [<!ENTITY e '实体的字，'>]>"
        "<html><body><div class='content'><p>前面，&e;后面。<![CDATA[CDATA 里的字，<b>不是标签</b>。]]>尾。</p>"
        "<p title='a&e;b' class='x'>实体在别的属性里，文字。<img alt='头像'/>&e;</p>"
        "<?pi 指令?>指令后。<!-- 注释 -->注释后，</div></body></html>"
    )
    for kw in ({"resolve_entities": False, "strip_cdata": False}, {"resolve_entities": True}):
        root = _xml(doc, **kw)
        body = root.find("body")
        # the compiled walks read these trees themselves (no hand-back to Python)
        assert fast.prune_marks(root, ex._HIDDEN_STYLE.search, ex._key_is_comment) is not None
        lines = fast.block_lines(body, True, True, True, ex.MAX_ELEMENTS, ex._junk, ex._stuffed_text)
        assert lines is not None
        elements = list(body.iter(etree.Element))
        assert fast.score_counts(body, elements, ex.MAX_ELEMENTS, lambda i: False) is not None
        _all_walks(monkeypatch, fast, root)
    # by eye: an entity reference ends an element's .text (what follows is the entity's tail),
    # CDATA is text
    root = _xml(doc, resolve_entities=False, strip_cdata=False)
    assert ex.block_lines(root.find("body"))[0] == "前面，后面。CDATA 里的字，<b>不是标签</b>。尾。"


def test_unreadable_subtrees_go_to_python(monkeypatch, fast):
    # a namespaced element and an attribute value with an entity reference: the compiled walks
    # hand these back (None) and the Python path answers; the answers still match
    doc = (
        "<!DOCTYPE html [<!ENTITY e 'x'>]><html xmlns:v='urn:v'><body><div><v:p>命名空间，文字。</v:p>"
        "<p class='a&e;'>属性里的实体，文字。</p><img alt='a&e;'/></div></body></html>"
    )
    root = _xml(doc, resolve_entities=False)
    body = root.find("body")
    assert fast.block_lines(body, True, True, True, ex.MAX_ELEMENTS, ex._junk, ex._stuffed_text) is None
    assert fast.prune_marks(root, ex._HIDDEN_STYLE.search, ex._key_is_comment) is None
    _all_walks(monkeypatch, fast, root)


def test_deep_nesting_is_the_same(monkeypatch, fast):
    html = (
        "<html><body>"
        + "<div>" * 1500
        + "<p>最深处的一段文字，有标点。</p>"
        + "</div>" * 1500
        + "</body></html>"
    )
    root, note = ex.parse_noted(html)
    assert "huge-tree" in note
    body = root.find("body")
    a, b = both(monkeypatch, fast, lambda: _scores(body))
    assert a == b
    a, b = both(monkeypatch, fast, lambda: (ex.block_lines(body, skip_junk=True), ex.block_lines(body)))
    assert a == b == (["最深处的一段文字，有标点。"], ["最深处的一段文字，有标点。"])
    a, b = both(monkeypatch, fast, lambda: _extracted(root))
    assert a == b


def test_element_cap_is_the_same(monkeypatch, fast):
    monkeypatch.setattr(ex, "MAX_ELEMENTS", 7)
    for html in HOSTILE_HTML.values():
        _all_walks(monkeypatch, fast, etree.fromstring(html, _KEEP))


def test_a_2mb_page_is_the_same(page_htmls, monkeypatch, fast):
    body = "".join(re.sub(r"(?is)^.*?<body[^>]*>|</body>.*$", "", h) for h in page_htmls)
    while len(body) < 2_000_000:
        body += body
    html = "<html><body>" + body[:2_100_000] + "</body></html>"
    root = ex.parse(html)
    assert len(list(root.iter())) > 10_000
    a, b = both(monkeypatch, fast, lambda: _extracted(root))
    assert a == b
    assert a["paragraphs"]


# ------------------------------------------------------------------ the pieces


def test_character_counts_match_str_split_and_the_punctuation_regex(fast):
    # every code point (not NUL nor surrogates: libxml2 text never holds them): whitespace as
    # str.split() sees it, punctuation as extract._PUNCT finds it
    for cp in range(1, 0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        assert fast.text_counts(ch) == (len("".join(ch.split())), len(ex._PUNCT.findall(ch))), hex(cp)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_character_counts_of_any_text(fast, text):
    text = re.sub("[\x00\ud800-\udfff]", "", text)
    assert fast.text_counts(text) == (len("".join(text.split())), len(ex._PUNCT.findall(text)))


def test_style_prefilter_letters_fold_only_to_ascii():
    # _may_hide relies on it: under re.I, n o e d f t and "-" match only themselves and their
    # ASCII capitals (unlike s, i and k, which match ſ, İ/ı and the Kelvin sign)
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        x = chr(cp)
        for c in "nodeft-":
            if re.fullmatch(re.escape(c), x, re.I):
                assert x in (c, c.upper()), (c, hex(cp))


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "display",
                "none",
                "NONE",
                ":",
                " ",
                "\u3000",
                "font-size",
                "font-ſize",
                "0",
                "0px",
                "12px",
                ";",
                "visibility",
                "hidden",
                "left",
                "top",
                "text-indent",
                "-",
                "9999",
                "٩٩٩٩",
                "-5",
                "color:red",
                "dden",
            ]
        ),  # fmt: skip
        max_size=8,
    )
)
def test_style_prefilter_never_hides_a_match(fast, parts):
    style = "".join(parts)
    if ex._HIDDEN_STYLE.search(style):
        assert fast.may_hide(style)


def test_real_styles_prefilter(page_htmls, fast):
    styles = {m for h in page_htmls for m in re.findall(r"style\s*=\s*[\"']([^\"']*)", h)}
    assert len(styles) > 50
    skipped = 0
    for s in styles:
        if ex._HIDDEN_STYLE.search(s):
            assert fast.may_hide(s), s
        skipped += not fast.may_hide(s)
    assert skipped > len(styles) / 3  # (it spares the regex on most styles)


# ------------------------------------------------------------------ import and fallback


_PAGE = (
    "from cleaners.page import clean_page\n"
    "a = clean_page('<html><body><h1>标题</h1><div><p>第一段文字，很长的一段。</p><p>第二段，也有标点。</p>"
    "</div></body></html>'.encode(), 'http://example.com/a')\n"
)


def test_import_never_fails_without_the_compiled_module():
    # the module unimportable (as on a machine where it was not built), or switched off, or built
    # against another lxml: the Python path, the same article and the same cleaner version
    plain = run_python(
        "import sys; sys.modules['cleaners._fastwalk'] = None\n"
        + _PAGE
        + "from cleaners import extract, cleaner_version\n"
        "print(extract._fast is None, a.body, cleaner_version())"
    )
    off = run_python(
        _PAGE
        + "from cleaners import extract, cleaner_version\nprint(extract._fast is None, a.body, cleaner_version())",
        GUIDECRAWL_PURE_PYTHON="1",
    )
    other = run_python(
        "from cleaners import _fastwalk; _fastwalk.LXML_BUILT = '0.0'\n"
        + _PAGE
        + "from cleaners import extract, cleaner_version\nprint(extract._fast is None, a.body, cleaner_version())"
    )
    compiled = run_python(
        _PAGE
        + "from cleaners import extract, cleaner_version\nprint(extract._fast is None, a.body, cleaner_version())",
        GUIDECRAWL_PURE_PYTHON="",
    )
    assert plain.startswith("True ") and off == plain and other == plain
    assert compiled == "False " + plain[len("True ") :]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="京东逾期解冻,ab😀𠀀 ", max_size=400), st.integers(0, 3))
def test_repetitive_matches_the_set_of_bigrams(fast, text, times):
    text = text * times
    assert fast.repetitive(text) == ex._repetitive_py(text)


def test_repetitive_on_real_paragraphs(page_htmls, fast):
    seen = [0, 0]
    for html in page_htmls:
        for p in ex.parse(html).iter("p", "div", "td"):
            text = "".join(ex.text_of(p)[:3000].split())
            if len(text) >= 200:
                got = fast.repetitive(text)
                assert got == ex._repetitive_py(text)
                seen[got] += 1
    for text in ("京东逾期,京东解冻," * 300, "".join(chr(0x4E00 + i % 5000) for i in range(3000))):
        assert fast.repetitive(text) == ex._repetitive_py(text)
    assert seen[0] > 100
