"""The guide spider's decisions on saved pages (real ``HtmlResponse`` objects, no network)."""

from __future__ import annotations

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed
from twisted.web.http import _DataLoss

from crawler.items import ArticleItem, PageItem
from crawler.spiders.guide import GuideSpider, article_stem, canonical
from tests.crawler.sitekit import PARAGRAPHS, article_html, listing_html

BASE = "http://farm.example"


def spider(**kw) -> GuideSpider:
    return GuideSpider(start_urls=BASE + "/", **kw)


def resp(path: str, body: str | bytes, headers: dict | None = None, status: int = 200) -> HtmlResponse:
    if isinstance(body, str):
        body = body.encode("utf-8")
    url = BASE + path
    return HtmlResponse(
        url, body=body, headers=headers or {"Content-Type": "text/html"}, status=status, request=Request(url)
    )


PAGER = (
    '<div class="pages"><a href="/a/9.html">第1页</a><a href="/a/9_2.html">2</a><a href="/a/9_3.html">3</a>'
    '<a href="{nxt}">下一页</a></div><div class="near"><a href="/a/10.html">下一篇</a></div>'
)


def test_canonical_drops_fragment_and_tracking():
    assert canonical(BASE + "/a/1.html?from=rss#pl") == BASE + "/a/1.html"
    assert canonical(BASE + "/list?from=40&utm_source=x") == BASE + "/list?from=40"
    assert canonical("http://farm.example") == BASE + "/"


def test_article_stem():
    assert article_stem(BASE + "/a/9_3.html") == BASE + "/a/9.html"
    assert article_stem(BASE + "/q?id=7&page=2") == BASE + "/q?id=7"
    assert article_stem(BASE + "/a/9.html") == BASE + "/a/9.html"


def test_generic_article_and_listing_told_apart():
    s = spider()
    rules = s.rules[s.profiles[0]["name"]]
    art = resp("/a/9.html", article_html("大理三日游", PARAGRAPHS * 2))
    links = [(f"/a/{n}.html", f"攻略标题第{n}篇的标题文字") for n in range(40)]
    lst = resp("/list_2.html", listing_html(links, next_href="/list_3.html"))
    # an article-looking URL whose page is nothing but links is a listing
    hub = resp("/a/77.html", listing_html(links))
    # a page with no telling URL is judged by its text
    plain = resp("/page/about-dali", article_html("大理", PARAGRAPHS * 2))
    assert s.is_article(art, rules) is True
    assert s.is_article(lst, rules) is False
    assert s.is_article(hub, rules) is False
    assert s.is_article(plain, rules) is True


def test_link_text_hidden_in_noscript_or_template_does_not_make_an_article_a_listing():
    # a modelled page of the kind that failed: a short real article under a nav whose links
    # each hold a <noscript> image fallback; counted as link text, those fallbacks outweighed the
    # page's visible text and the article was taken for a list of links
    nav = "".join(
        f'<a href="/c/{n}">栏目{n}<noscript><img alt="{"图片说明文字" * 20}"></noscript>'
        f"<template>{'模板里的隐藏文字' * 20}</template></a>"
        for n in range(30)
    )
    s = spider()
    rules = s.rules[s.profiles[0]["name"]]
    page = resp("/a/12.html", article_html("大理", PARAGRAPHS, extra_links=nav))
    assert s.is_article(page, rules) is True


def test_real_pages_with_heavy_navigation_are_articles(shared):
    # two real news pages (pages-more/scrapinghub) whose menus hide text in <noscript>/<template>
    # inside their links: at an article URL they are articles
    s = spider()
    rules = s.rules[s.profiles[0]["name"]]
    for name in ("6a72de37e8f98f4e", "785affa2c34e6e48"):
        body = (shared / "pages-more" / "scrapinghub" / f"{name}.html").read_bytes()
        assert s.is_article(resp("/a/1.html", body), rules) is True, name


def test_next_part_by_pager_in_order():
    s = spider()
    rules = s.rules[s.profiles[0]["name"]]
    p1 = resp("/a/9.html", article_html("t", PARAGRAPHS, pager=PAGER.format(nxt="/a/9_2.html")))
    p2 = resp("/a/9_2.html", article_html("t", PARAGRAPHS, pager=PAGER.format(nxt="/a/9_3.html")))
    p3 = resp("/a/9_3.html", article_html("t", PARAGRAPHS, pager=PAGER.format(nxt="/a/9_2.html")))
    assert s.next_part(p1, rules, [BASE + "/a/9.html"]) == BASE + "/a/9_2.html"
    have = [BASE + "/a/9.html", BASE + "/a/9_2.html"]
    assert s.next_part(p2, rules, have) == BASE + "/a/9_3.html"
    # the last page: its 下一页 points back, 下一篇 is another article -> the chain ends
    assert s.next_part(p3, rules, [*have, BASE + "/a/9_3.html"]) is None


def test_next_part_by_query_page_and_text_only():
    s = spider()
    rules = s.rules[s.profiles[0]["name"]]
    pager = '<a href="/q/5.html?page=2">下一页</a>'
    p1 = resp("/q/5.html", article_html("问", PARAGRAPHS, pager=pager))
    assert s.next_part(p1, rules, [BASE + "/q/5.html"]) == BASE + "/q/5.html?page=2"
    no_pager = resp("/a/11.html", article_html("t", PARAGRAPHS, pager='<a href="/a/12.html">下一页</a>'))
    # 下一页 to a different article is not a page of this one
    assert s.next_part(no_pager, rules, [BASE + "/a/11.html"]) is None


def test_gbk_page_with_utf8_header_readable_for_link_texts():
    s = spider()
    rules = s.rules[s.profiles[0]["name"]]
    body = article_html("标题", PARAGRAPHS, charset="gbk", pager=PAGER.format(nxt="/a/9_2.html")).encode(
        "gbk"
    )
    r = resp("/a/9.html", body, headers={"Content-Type": "text/html; charset=utf-8"})
    assert "下一页" not in r.text  # what Scrapy makes of it
    fixed = s.readable(r)
    assert "下一页" in fixed.text and "大理古城" in fixed.text
    assert s.next_part(fixed, rules, [BASE + "/a/9.html"]) == BASE + "/a/9_2.html"


def test_parse_yields_article_or_chain_and_follows_links():
    s = spider()
    out = list(
        s.parse(resp("/a/1.html", article_html("t", PARAGRAPHS * 2, extra_links='<a href="/a/2.html">x</a>')))
    )
    # the links first, the page's item last (a staged page always has its links in the frontier)
    assert isinstance(out[-1], ArticleItem) and out[-1].parts[0].url == BASE + "/a/1.html"
    assert [(r.url, r.meta["guidecrawl_kind"]) for r in out[:-1]] == [
        (BASE + "/", "listing"),
        (BASE + "/list/", "listing"),
        (BASE + "/a/2.html", "article"),
    ]
    s2 = spider()
    out = list(
        s2.parse(resp("/a/9.html", article_html("t", PARAGRAPHS, pager=PAGER.format(nxt="/a/9_2.html"))))
    )
    chain = out[0]
    assert isinstance(chain, Request) and chain.url == BASE + "/a/9_2.html" and chain.priority == 10
    assert [p.url for p in chain.meta["guidecrawl_parts"]] == [BASE + "/a/9.html"]
    followed = [r.url for r in out[1:]]
    assert BASE + "/a/9_3.html" not in followed  # a later page is fetched only through the chain
    assert BASE + "/a/10.html" in followed


def test_profile_mode_follows_only_its_rules():
    prof = {
        "name": "p",
        "start_urls": [BASE + "/"],
        "links": {"article": [r"/a/\d+\.html$"], "listing": [r"/list_\d+\.html$"], "deny": ["/a/666"]},
    }
    s = GuideSpider(profiles=[prof])
    links = [
        ("/a/1.html", "a"),
        ("/about.html", "b"),
        ("/list_2.html", "c"),
        ("/a/666.html", "d"),
        ("http://other.example/a/1.html", "e"),
    ]
    out = list(s.parse(resp("/list_1.html", listing_html(links))))
    assert isinstance(out[-1], PageItem) and out[-1].outcome == "listing"
    assert [(r.url, r.meta["guidecrawl_kind"]) for r in out[:-1]] == [
        (BASE + "/a/1.html", "article"),
        (BASE + "/list_2.html", "listing"),
    ]


@pytest.mark.parametrize(
    "status,headers,outcome,reason",
    [
        (404, {"Content-Type": "text/html"}, "gone", "http_404"),
        (410, {"Content-Type": "text/html"}, "gone", "http_410"),
        (304, {}, "unchanged", "not_modified"),
        (200, {"Content-Type": "application/pdf"}, "dropped", "non_html"),
        (204, {"Content-Type": "text/html"}, "dropped", "http_204"),
    ],
)
def test_bad_responses(status, headers, outcome, reason):
    s = spider()
    url = BASE + "/a/1.html"
    r = Response(
        url, status=status, headers=headers, body=b"%PDF" if status == 200 else b"", request=Request(url)
    )
    (item,) = list(s.parse(r))
    assert (item.outcome, item.reason) == (outcome, reason)


def _failure(exc: Exception, url: str = BASE + "/a/1.html") -> Failure:
    f = Failure(exc)
    f.request = Request(url, meta={"guidecrawl_site": "farm.example"})
    return f


@pytest.mark.parametrize(
    "exc,expected",
    [
        (IgnoreRequest("Forbidden by robots.txt"), ("dropped", "robots_disallowed")),
        (IgnoreRequest("redirect loop: a -> b -> a"), ("dropped", "redirect_loop")),
        (
            IgnoreRequest(
                "Ignored response because its body (123 B compressed, 9 MB decompressed) is larger than the download max size (DOWNLOAD_MAXSIZE)"
            ),
            ("dropped", "decompressed_too_large"),
        ),
        (TxTimeoutError("took longer than 1.0 seconds"), ("error", "timeout")),
        (ResponseFailed([Failure(_DataLoss())]), ("dropped", "truncated")),
    ],
)
def test_classify_failure(exc, expected):
    assert GuideSpider.classify_failure(_failure(exc)) == expected


def test_http_error_after_retries_is_an_error_page():
    s = spider()
    url = BASE + "/a/1.html"
    r = HtmlResponse(url, status=503, body=b"busy", request=Request(url))
    (item,) = list(s.on_error(_failure(HttpError(r, "Ignoring non-200 response"))))
    assert (item.outcome, item.reason, item.page.status) == ("error", "http_503", 503)


def test_links_are_scheduled_articles_first_and_budgeted_when_fetched(tmp_path):
    # --max-pages used to be spent where links were found: the first N links of the start page,
    # on a farm its navigation's listings, so a capped crawl stored no article (issue 12 item 11).
    # Now every link is scheduled, article links with a higher priority than listings, and the
    # budget is counted as pages are fetched (PageBudgetMiddleware; see test_limits.py).
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(GuideSpider, {"GUIDECRAWL_STAGE": str(tmp_path / "stage"), "ROBOTSTXT_OBEY": True})
    s = GuideSpider.from_crawler(crawler, start_urls=BASE + "/", max_pages=3)
    starts = s.start_requests_list()  # robots.txt is read by the middleware (ROBOTSTXT_OBEY)
    assert [r.url for r in starts] == [BASE + "/"]
    assert starts[0].meta["guidecrawl_budget"] is False  # a start URL is always fetched
    links = [(f"/list_{n}.html", f"列表{n}") for n in range(2, 6)] + [
        (f"/a/{n}.html", f"攻略{n}") for n in range(4)
    ]
    out = [r for r in s.parse(resp("/", listing_html(links))) if isinstance(r, Request)]
    assert len(out) == 8
    prio = {r.url.rsplit("/", 1)[1]: r.priority for r in out}
    assert min(prio[f"{n}.html"] for n in range(4)) > max(prio[f"list_{n}.html"] for n in range(2, 6))
    assert all(r.meta["guidecrawl_budget"] for r in out)


def test_crawling_process_imports_leave_numpy_out() -> None:
    # numpy was the crawling process's heaviest import (issue 14: start-up CPU and memory), for
    # the trap fingerprint alone, which now counts its votes without it
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, pipelines.run.crawl, crawler.spiders.guide, crawler.middlewares, "
        "pipelines.item.pipeline, pipelines.store; print('numpy' in sys.modules); "
        "from crawler.traps import simhash; simhash(['一', '二']); print('numpy' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_crawl_does_not_start_scrapys_remote_control_server(tmp_path) -> None:
    # Scrapy 2.19 starts, by default, an HTTP server that runs Python code sent to it
    from scrapy.crawler import Crawler
    from scrapy.exceptions import NotConfigured
    from scrapy.extensions.remote_control import RemoteControl

    from pipelines.run.crawl import CrawlOptions, build_settings

    s = build_settings(CrawlOptions(start_urls=["http://127.0.0.1:9/"], stage_dir=tmp_path), [])
    with pytest.raises(NotConfigured):
        RemoteControl(Crawler(GuideSpider, s))


def test_crawl_start_up_does_not_import_the_remote_control_module(tmp_path) -> None:
    # its module pulls in aiohttp (~0.17 s of start-up); the crawl's extensions are built without it
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys; from pathlib import Path; from scrapy.crawler import CrawlerProcess; "
        "from pipelines.run.crawl import CrawlOptions, build_settings; "
        "from crawler.spiders.guide import GuideSpider; "
        f"s = build_settings(CrawlOptions(start_urls=['http://127.0.0.1:9/'], stage_dir=Path({str(tmp_path)!r})), []); "
        "c = CrawlerProcess(s).create_crawler(GuideSpider); c._apply_settings(); "
        "names = {type(e).__name__ for e in c.extensions.middlewares}; "
        "print('CoreStats' in names, 'LogStats' in names, 'CrawlProgress' in names, "
        "'scrapy.utils._remote_control' in sys.modules, 'aiohttp' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "True", "True", "False", "False"]


def test_first_crawl_does_not_import_duckdb_until_the_load(tmp_path) -> None:
    # DuckDB costs the crawling process ~13 MB for the whole crawl; with no database yet there is
    # no prior state to read, and an existing one is still read
    import subprocess
    import sys
    from pathlib import Path

    from pipelines.store import load_stage

    new, old = tmp_path / "new.duckdb", tmp_path / "old.duckdb"
    (tmp_path / "stage").mkdir()
    load_stage(tmp_path / "stage", old)  # an empty but valid database
    code = (
        "import sys; from pathlib import Path; from scrapy.crawler import CrawlerProcess; "
        "import pipelines.item.pipeline, crawler.middlewares; "
        "from pipelines.run.crawl import CrawlOptions, build_settings; "
        "from crawler.spiders.guide import GuideSpider; from crawler.state import CrawlState; "
        "opts = lambda db: CrawlOptions(start_urls=['http://127.0.0.1:9/'], stage_dir=Path(db).parent, db=db); "
        f"s = build_settings(opts(Path({str(new)!r})), []); "
        "c = CrawlerProcess(s).create_crawler(GuideSpider); c._apply_settings(); "
        "st = CrawlState.from_settings(s); print(st.read_prior(st.db), 'duckdb' in sys.modules); "
        f"st = CrawlState.from_settings(build_settings(opts(Path({str(old)!r})), [])); "
        "print(st.read_prior(st.db), 'duckdb' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["{}", "False", "{}", "True"]
