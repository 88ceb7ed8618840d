"""The spider's text/link density (issue 14): all text less hidden text, the same sums as the
per-text-node visibility test it replaced, on every real page and on hostile nestings."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree
from scrapy.http import HtmlResponse

from crawler.profiles import Rules
from crawler.spiders.guide import X_BODY_TEXT, X_LINK_TEXT, X_N_LINKS, GuideSpider


def ref_density(root: etree._Element) -> tuple[int, int, int]:
    """``GuideSpider.density`` as first written: the visibility predicate on every text node."""
    text = sum(len(t.strip()) for t in X_BODY_TEXT(root))
    link_text = sum(len(t.strip()) for t in X_LINK_TEXT(root))
    return text, link_text, int(X_N_LINKS(root))


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
