"""The spider's text/link density (issue 14): all text less hidden text, the same sums as the
per-text-node visibility test it replaced, on every real page and on hostile nestings."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree
from scrapy.http import HtmlResponse

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
