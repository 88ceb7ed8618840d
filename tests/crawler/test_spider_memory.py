"""The spider frees each page's parsed tree as soon as it has read the page, not when Python's
cyclic GC gets round to it: an article's item can wait a long time for a cleaning slot, and every
waiting page used to keep its whole lxml tree (the crawl's biggest memory cost)."""

from __future__ import annotations

import gc

from scrapy.selector import Selector
from scrapy.utils.trackref import live_refs

from crawler.items import ArticleItem, PageItem
from tests.crawler.sitekit import PARAGRAPHS, article_html, listing_html
from tests.crawler.test_spider_units import BASE, PAGER, resp, spider


def live_selectors() -> int:
    return len(live_refs.get(Selector, ()))


def run_until_item(gen):
    """Consume ``gen`` up to its first item and leave it suspended there, as Scrapy does while
    the item pipeline works on the item."""
    out = []
    for x in gen:
        out.append(x)
        if isinstance(x, ArticleItem | PageItem):
            return out
    raise AssertionError("no item yielded")


def test_tree_freed_while_the_article_item_waits():
    s = spider()
    gc.collect()
    before = live_selectors()
    gc.disable()  # the tree must go by reference counting alone
    try:
        r = resp("/a/1.html", article_html("标题", PARAGRAPHS * 2, extra_links='<a href="/a/2.html">x</a>'))
        gen = s.parse(r)
        out = run_until_item(gen)
        assert live_selectors() == before
        # what the pipeline needs is all there: the raw bytes, and the links were followed
        assert out[-1].parts[0].body == r.body
        assert BASE + "/a/2.html" in [x.url for x in out[:-1]]
        assert list(gen) == []
    finally:
        gc.enable()


def test_tree_freed_for_listings_and_article_parts():
    s = spider()
    gc.collect()
    before = live_selectors()
    gc.disable()
    try:
        listing = resp("/list/", listing_html([(f"/a/{i}.html", f"第{i}篇") for i in range(1, 30)]))
        out = run_until_item(s.parse(listing))
        assert isinstance(out[-1], PageItem) and out[-1].outcome == "listing"
        assert live_selectors() == before

        first = list(
            s.parse(resp("/a/9.html", article_html("t", PARAGRAPHS, pager=PAGER.format(nxt="/a/9_2.html"))))
        )
        chain = first[0]
        assert live_selectors() == before
        part = resp("/a/9_2.html", article_html("t", PARAGRAPHS, pager=PAGER.format(nxt="/a/9_3.html")))
        part.request.meta.update(chain.meta)
        out = list(s.parse_part(part))
        assert live_selectors() == before
        assert out[0].url == BASE + "/a/9_3.html"  # the chain goes on to the third page
    finally:
        gc.enable()
