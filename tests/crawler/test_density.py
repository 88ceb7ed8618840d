"""The spider's text/link density (issue 14): all text less hidden text, the same sums as the
per-text-node visibility test it replaced, on every real page and on hostile nestings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree
from scrapy.http import HtmlResponse

from crawler.profiles import Rules
from crawler.spiders import guide
from crawler.spiders.guide import (
    X_ALL_LINK_TEXT,
    X_ALL_TEXT,
    X_BODY_TEXT,
    X_HIDDEN_LINK_TEXT,
    X_HIDDEN_TEXT,
    X_LINK_TEXT,
    X_N_LINKS,
    GuideSpider,
)
from tests.pyproc import run_python


def ref_density(root: etree._Element) -> tuple[int, int, int]:
    """``GuideSpider.density`` as first written: the visibility predicate on every text node."""
    text = sum(len(t.strip()) for t in X_BODY_TEXT(root))
    link_text = sum(len(t.strip()) for t in X_LINK_TEXT(root))
    return text, link_text, int(X_N_LINKS(root))


ROOT = Path(__file__).resolve().parents[2]


def _resp(body: bytes) -> HtmlResponse:
    return HtmlResponse("http://farm.example/a/1.html", body=body, headers={"Content-Type": "text/html"})


def _real_pages(shared: Path) -> list[bytes]:
    out = []
    for sub in ("pages", "pages-more"):
        for line in (shared / sub / "manifest.jsonl").read_text("utf-8").splitlines():
            if line.strip():
                out.append((shared / sub / json.loads(line)["html"]).read_bytes())
    return out


HOSTILE = [
    # hidden text inside links, links inside hidden blocks, hidden inside hidden, text in the head
    "<html><head><title>t</title><script>var a='头部';</script></head><body>正文 <a href=/x>链接"
    "<noscript><img alt=x>图片文字<script>深层</script></noscript><template>模板</template></a>"
    "<noscript><a href=/y>隐藏链接<style>p{}</style></a> 隐藏</noscript>"
    "<template><div><a href=/z>模板链接</a>模板正文</div></template>"
    "<script>document.write('<a href=/w>脚本</a>')</script><style>a{color:red}</style>"
    "<a name=top>锚点 </a>  尾巴  </body></html>",
    "<body><a href=/1><a href=/2>套<script>x</script>娃</a></a><p>  段落  </p></body>",
    "<p>没有 body 标签的页面 <a href=/q>链接</a><noscript>无脚本</noscript></p>",
    "",
    "<html><body></body></html>",
]


def test_density_same_as_visibility_predicate(shared: Path) -> None:
    pages = _real_pages(shared) + [h.encode("utf-8") for h in HOSTILE]
    hidden_seen = 0
    for body in pages:
        r = _resp(body)
        root = r.selector.root
        if not hasattr(root, "xpath"):
            continue
        got = GuideSpider.density(r)
        assert got == ref_density(root)
        hidden_seen += got[0] != sum(len(t.strip()) for t in root.xpath("//body//text()"))
    assert len(pages) > 700 and hidden_seen > 100  # many pages hide text: the subtraction matters


def test_hostile_page_counts_only_visible_text() -> None:
    r = _resp(HOSTILE[0].encode("utf-8"))
    text, link_text, _ = GuideSpider.density(r)
    visible = "正文链接锚点尾巴"  # (the <a name> anchor holds text too; it is not a link for the score)
    assert text == len(visible)
    assert link_text == len("链接锚点")  # //body//a counts every <a>, as before


def ref_is_article(r: HtmlResponse, rules: Rules) -> bool:
    """``GuideSpider.is_article`` of a generic profile as written before its shortcut: every
    decision from the five sums of ``density``."""
    url = r.url
    by_url, listing_url = rules.is_article(url), rules.is_listing(url)
    text, link_text, n_links = GuideSpider.density(r)
    link_density = link_text / max(1, text)
    if listing_url:
        return link_density < 0.25 and GuideSpider.longest_block(r) >= 300
    if by_url:
        return not (text - link_text < 150 and n_links > 20)
    return text - link_text >= 300 and link_density < 0.4


def _links(n: int, text: str = "链接") -> str:
    return "".join(f"<a href=/x/{i}.html>{text}{i}</a>" for i in range(n))


# Around the shortcut's edges: just under and over 150 characters outside links, hidden text
# inside links (which the shortcut's lower bound subtracts twice), few and many links.
BORDER = [
    f"<body><p>{'字' * 149}</p>{_links(21)}</body>",
    f"<body><p>{'字' * 150}</p>{_links(21)}</body>",
    f"<body><p>{'字' * 149}</p>{_links(20)}</body>",
    f"<body><p>{'字' * 140}</p>{_links(30, '<script>隐藏的脚本文字</script>链')}</body>",
    f"<body><p>{'字' * 160}</p><script>{'x' * 500}</script>{_links(30)}</body>",
    f"<body><p>{'字' * 120}</p><noscript>{'字' * 100}</noscript>{_links(25)}</body>",
]


def test_is_article_shortcut_decides_as_the_full_test(shared: Path) -> None:
    spider = GuideSpider(start_urls="http://farm.example/")
    rules = spider.rules[spider.profiles[0]["name"]]
    assert rules.generic
    pages = _real_pages(shared) + [h.encode("utf-8") for h in HOSTILE + BORDER]
    decided = {True: 0, False: 0}
    for body in pages:
        for url in (
            "http://farm.example/a/1.html",
            "http://farm.example/list_2.html",
            "http://farm.example/about",
        ):
            r = HtmlResponse(url, body=body, headers={"Content-Type": "text/html"})
            got = spider.is_article(r, rules)
            assert got == ref_is_article(r, rules), (url, body[:200])
            decided[got] += 1
    assert decided[True] > 700 and decided[False] > 700  # both answers are exercised


def test_shortcut_edges() -> None:
    spider = GuideSpider(start_urls="http://farm.example/")
    rules = spider.rules[spider.profiles[0]["name"]]
    art = [spider.is_article(_resp(b.encode("utf-8")), rules) for b in BORDER]
    # 149 + 21 links: only links; 150: an article; 20 links: an article whatever the text;
    # hidden text in links is not visible text outside them; a big script is not text
    assert art == [False, True, True, False, True, False]


# ---------------------------------------------------------------- the compiled walk (issue 14)
# crawler/spiders/guide.py's density figures from one walk of libxml2's tree
# (cleaners/_fastwalk.pyx density_counts) against the five XPaths it replaces (the reference and
# the fallback): the same numbers, so the same article-or-listing decision on every page.

# Hostile trees for the walk: comments and processing instructions among text, entities, CDATA
# (kept as a comment by the HTML parser), nothing at all, hidden in hidden in links, non-BMP
# characters and Unicode whitespace at the ends of text, bodies nested or missing, upper case.
WALK_HOSTILE = [
    *HOSTILE,
    *BORDER,
    "<body><!-- 注释 <a href=/c>不是链接</a> -->正文<?pi 指令?>&amp;&lt;&#x20000;&nbsp;</body>",
    "<body><![CDATA[ 字符数据 <a>x</a> ]]><a href=/1>&copy; &#12354;</a></body>",
    "<body>\u3000\u00a0 𠀀😀 \u2028x\u205f</body>",
    "<body><a href=/1> \u3000 </a><a href=/2></a><a></a><A HREF=/3>大写</A></body>",
    "<body><script><noscript><a>深</a></noscript></script><noscript><template><a href=/x>藏"
    "<style>s</style></a></template></noscript><a><a><noscript>x</noscript>y</a></a></body>",
    "<html><body><p>一</p><body><p>二</p></body><a>三</a></body></html><p>尾</p>",
    "<html><head><script>头</script><a href=/h>头链</a></head></html>",
    "<svg><body>奇怪</body></svg>",
    "<body>" + "<div>" * 300 + "深层<a>链</a>" + "</div>" * 300 + "</body>",
    "<body>\x00\x01\x1c\x1f 控制 \ud800 </body>".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    "<body>" + "𝒜" * 5 + "<a>" + " 𝒜 " * 3 + "</a></body>",
    " ",
    "<body></body>",
]


def _xpath_figures(root: etree._Element) -> tuple[int, int, int, int]:
    """The figures straight from the spider's five XPaths."""
    n = [
        sum(len(t.strip()) for t in x(root))
        for x in (X_ALL_TEXT, X_HIDDEN_TEXT, X_ALL_LINK_TEXT, X_HIDDEN_LINK_TEXT)
    ]
    return n[0] - n[1], n[2] - n[3], n[3], int(X_N_LINKS(root))


@pytest.fixture(scope="module")
def compiled():
    """The compiled walk; the install (make .venv/.installed-dev) builds it, so a missing one is
    a failure here, not a skip."""
    from cleaners import _fastwalk

    assert _fastwalk.LXML_BUILT == etree.__version__, "rebuild: make .venv/.installed-dev"
    assert guide._density_counts is _fastwalk.density_counts, "the spider does not use the compiled walk"
    return _fastwalk.density_counts


def test_compiled_walk_gives_the_xpaths_figures(shared: Path, compiled) -> None:
    pages = _real_pages(shared) + [h.encode("utf-8", "surrogatepass") for h in WALK_HOSTILE]
    hidden_links = 0
    for body in pages:
        for ctype in ("text/html", "text/html; charset=gb18030"):
            root = HtmlResponse(
                "http://farm.example/a", body=body, headers={"Content-Type": ctype}
            ).selector.root
            if not hasattr(root, "xpath"):
                continue
            want = _xpath_figures(root)
            assert compiled(root) == want, body[:300]
            # any element of the document gives the document's figures, as the XPaths (//) do
            assert compiled(root[-1] if len(root) else root) == want
            hidden_links += want[2] > 0
    assert hidden_links > 10  # hidden text inside links is exercised


def test_compiled_walk_on_a_tree_built_by_hand(compiled) -> None:
    # a tree not from the parser: CDATA, entity references, comments, namespaced look-alikes
    root = etree.fromstring(
        "<!DOCTYPE html [<!ENTITY e '实体'>]><html xmlns:x='urn:x'><body> <![CDATA[ 字 ]]>&e;"
        "<a>链<x:script>命名空间</x:script><script>藏</script></a><x:a>非链</x:a><!--c--></body></html>",
        etree.XMLParser(resolve_entities=False),
    )
    assert compiled(root) == _xpath_figures(root)
    # the namespaced x:script hides nothing and x:a is no link: only <script> 藏 is hidden
    assert compiled(root) == (len("字链命名空间非链"), len("链命名空间"), 1, 1)


def test_spider_decides_the_same_both_ways(shared: Path, compiled, monkeypatch: pytest.MonkeyPatch) -> None:
    spider = GuideSpider(start_urls="http://farm.example/")
    rules = spider.rules[spider.profiles[0]["name"]]
    urls = ("http://farm.example/a/1.html", "http://farm.example/list_2.html", "http://farm.example/about")
    pages = _real_pages(shared) + [h.encode("utf-8", "surrogatepass") for h in WALK_HOSTILE]

    def decisions() -> list[tuple[bool, tuple[int, int, int], bool]]:
        out = []
        for body in pages:
            for url in urls:
                r = HtmlResponse(url, body=body, headers={"Content-Type": "text/html"})
                out.append(
                    (
                        spider.is_article(r, rules),
                        GuideSpider.density(r),
                        spider.text_outside_links_at_least(r, 150),
                    )
                )
        return out

    fast = decisions()
    monkeypatch.setattr(guide, "_density_counts", guide._xpath_density)
    slow = decisions()
    assert fast == slow
    assert {d[0] for d in fast} == {True, False}


_SPIDER = (
    "from crawler.spiders import guide\n"
    "from scrapy.http import HtmlResponse\n"
    "r = HtmlResponse('http://x/a', body='<body>正文<a>链接<script>s</script></a></body>'.encode(),"
    " headers={'Content-Type': 'text/html'})\n"
    "print(guide._density_counts is guide._xpath_density, guide.GuideSpider.density(r))"
)


def test_spider_imports_without_the_compiled_walk() -> None:
    plain = run_python("import sys; sys.modules['cleaners._fastwalk'] = None\n" + _SPIDER)
    off = run_python(_SPIDER, GUIDECRAWL_PURE_PYTHON="1")
    other = run_python("from cleaners import _fastwalk; _fastwalk.LXML_BUILT = '0.0'\n" + _SPIDER)
    on = run_python(_SPIDER, GUIDECRAWL_PURE_PYTHON="")
    assert plain == off == other == "True (4, 2, 1)"
    assert on == "False (4, 2, 1)"
