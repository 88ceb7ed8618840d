"""Real crawls over HTTP on 127.0.0.1: one generic crawl of a small misbehaving farm, checked from
the stage records it wrote and the server's request log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.stage import read_records, stage_files, unpack_raw
from pipelines.run.crawl import CrawlOptions, run_crawl_subprocess
from tests.crawler.sitekit import PARAGRAPHS, article_html, gzip_bomb, listing_html
from tests.mockserver import Route, TestSite

FAST = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_TIMEOUT": 1,
    "RETRY_TIMES": 2,
    "RETRY_BACKOFF_BASE": 0.05,
    "DOWNLOAD_MAXSIZE": 200_000,
    "DOWNLOAD_WARNSIZE": 100_000,
    "REDIRECT_MAX_TIMES": 3,
}

GBK_PHRASE = "白族待客讲究三道茶，一苦二甜三回味"
PART_MARKS = ["第一部分：出发前准备好证件", "第二部分：古城住宿选在南门附近", "第三部分：返程前记得寄明信片"]


def html(s: str, enc: str = "utf-8") -> bytes:
    return s.encode(enc)


def farm_routes() -> dict[str, Route]:
    arts = [f"/a/{n}.html" for n in (1001, 1002, 1003, 1004, 1006, 1007, 1008, 1010, 1011, 1012, 1014, 1015)]
    links = [(u, f"攻略{u}") for u in arts] + [("/private/1005.html", "内部"), ("/list/", "更多")]
    pager = (
        '<div class="pages"><a href="/a/1003.html">第1页</a><a href="/a/1003_2.html">2</a>'
        '<a href="/a/1003_3.html">3</a><a href="{next}">下一页</a></div>'
    )
    r: dict[str, Route] = {
        "/robots.txt": Route(
            b"User-agent: *\nDisallow: /private/\nSitemap: /sitemap.xml\n",
            headers={"Content-Type": "text/plain"},
        ),
        # the only way to /a/1020.html is the sitemap named in robots.txt
        "/sitemap.xml": Route(
            b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<url><loc>/a/1020.html</loc></url></urlset>",
            headers={"Content-Type": "application/xml"},
        ),
        "/a/1020.html": Route(html(article_html("只在站点地图里的文章", PARAGRAPHS[:4]))),
        "/": Route(html(listing_html(links))),
        "/list/": Route(html(listing_html([("/a/1001.html", "again")]))),
        "/a/1001.html": Route(html(article_html("大理三日游攻略", PARAGRAPHS))),
        # GBK bytes, a header that says utf-8, a <meta> that tells the truth
        "/a/1002.html": Route(
            html(
                article_html(
                    "白族三道茶的讲究", [GBK_PHRASE + "。" + PARAGRAPHS[1]] + PARAGRAPHS[2:], charset="gbk"
                ),
                "gbk",
            ),
            headers={"Content-Type": "text/html; charset=utf-8"},
        ),
        "/a/1003.html": Route(
            html(
                article_html(
                    "云南旅行全攻略",
                    [PART_MARKS[0], *PARAGRAPHS[:3]],
                    pager=pager.format(next="/a/1003_2.html"),
                )
            )
        ),
        "/a/1003_2.html": Route(
            html(
                article_html(
                    "云南旅行全攻略(2)",
                    [PART_MARKS[1], *PARAGRAPHS[3:]],
                    pager=pager.format(next="/a/1003_3.html"),
                )
            )
        ),
        "/a/1003_3.html": Route(
            html(
                article_html(
                    "云南旅行全攻略(3)",
                    [PART_MARKS[2], *PARAGRAPHS[1:4]],
                    pager=pager.format(next="/a/1003_2.html"),
                )
            )
        ),
        "/private/1005.html": Route(html(article_html("内部页面", PARAGRAPHS))),
        "/a/1006.html": Route(
            html(article_html("重试之后才拿到的页面", PARAGRAPHS[::-1])), statuses=[500, 500]
        ),
        "/a/1007.html": Route(html(article_html("卡住的页面", PARAGRAPHS)), stall=4),
        "/a/1008.html": Route(html(article_html("卡住之后的页面", PARAGRAPHS[2:]))),
        "/a/1010.html": Route(b"%PDF-1.4 not a page", headers={"Content-Type": "application/pdf"}),
        "/a/1011.html": Route(html(article_html("超大页面", PARAGRAPHS * 800))),
        "/a/1012.html": Route(status=302, redirect="/a/1013.html"),
        "/a/1013.html": Route(status=302, redirect="/a/1012.html"),
        "/a/1014.html": Route(html(article_html("被截断的页面", PARAGRAPHS)), truncate=500),
        "/a/1015.html": Route(
            gzip_bomb(5_000_000), headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}
        ),
    }
    return r


@pytest.fixture(scope="module")
def farm(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("farm")
    with TestSite(farm_routes()) as site:
        summary = run_crawl_subprocess(
            CrawlOptions(
                start_urls=[site.url + "/"],
                stage_dir=tmp / "stage",
                job_dir=tmp / "job",
                quiet=True,
                settings=FAST,
                clean_workers=1,
            ),
            timeout=120,
        )
        hits = list(site.hits)
    records = [r for f in stage_files(tmp / "stage") for r in read_records(f)]
    return {"summary": summary, "hits": hits, "records": records, "base": site.url}


def pages(farm) -> dict[str, dict]:
    base = farm["base"]
    return {r["url"][len(base) :]: r for r in farm["records"] if r["type"] == "page"}


def articles(farm) -> dict[str, dict]:
    base = farm["base"]
    return {r["page_urls"][0][len(base) :]: r for r in farm["records"] if r["type"] == "article"}


def test_articles_found_once_each(farm):
    arts = [r for r in farm["records"] if r["type"] == "article"]
    got = sorted(r["page_urls"][0][len(farm["base"]) :] for r in arts)
    assert got == [
        "/a/1001.html",
        "/a/1002.html",
        "/a/1003.html",
        "/a/1006.html",
        "/a/1008.html",
        "/a/1020.html",
    ]
    assert farm["summary"]["counts"]["articles"] == 6


def test_sitemap_from_robots_followed(farm):
    assert farm["hits"].count("/sitemap.xml") == 1
    assert pages(farm)["/sitemap.xml"]["outcome"] == "listing"
    assert articles(farm)["/a/1020.html"]["title"] == "只在站点地图里的文章"
    assert farm["hits"].count("/robots.txt") == 1  # read once, by the robots middleware


def test_gbk_page_with_lying_header_decoded(farm):
    art = articles(farm)["/a/1002.html"]
    assert GBK_PHRASE in art["body"]
    assert art["title"] == "白族三道茶的讲究"
    page = pages(farm)["/a/1002.html"]
    assert page["encoding"] in ("gb18030", "gbk")
    assert "utf-8" in page["encoding_reason"].lower()  # the reason names the header that lied
    # the raw bytes are stored as fetched
    assert GBK_PHRASE.encode("gbk") in unpack_raw(page["raw"])


def test_paged_article_merged_in_order_each_part_once(farm):
    art = articles(farm)["/a/1003.html"]
    base = farm["base"]
    assert art["page_urls"] == [base + "/a/1003.html", base + "/a/1003_2.html", base + "/a/1003_3.html"]
    body = art["body"]
    positions = [body.find(m) for m in PART_MARKS]
    assert -1 not in positions and positions == sorted(positions)
    for path in ("/a/1003.html", "/a/1003_2.html", "/a/1003_3.html"):
        assert farm["hits"].count(path) == 1
    p = pages(farm)
    assert [p[u]["outcome"] for u in ("/a/1003.html", "/a/1003_2.html", "/a/1003_3.html")] == [
        "article",
        "article_part",
        "article_part",
    ]
    assert p["/a/1003_3.html"]["part_no"] == 3 and p["/a/1003_3.html"]["article_url"] == base + "/a/1003.html"


def test_robots_disallowed_path_never_fetched(farm):
    assert not any(h.startswith("/private/") for h in farm["hits"])
    assert "/private/1005.html" not in pages(farm)
    assert farm["summary"]["drops"].get("robots_disallowed") is None  # not a fetched page


def test_500_twice_then_200_is_retried_and_stored(farm):
    assert farm["hits"].count("/a/1006.html") == 3
    assert articles(farm)["/a/1006.html"]["title"] == "重试之后才拿到的页面"
    assert pages(farm)["/a/1006.html"]["status"] == 200


def test_stalled_page_counted_and_crawl_goes_on(farm):
    p = pages(farm)["/a/1007.html"]
    assert (p["outcome"], p["reason"], p["status"]) == ("error", "timeout", 0)
    assert "/a/1008.html" in articles(farm)
    assert farm["summary"]["drops"]["timeout"] == 1
    assert farm["summary"]["counts"]["errors"] == 1


def test_404_recorded_as_gone(farm):
    p = pages(farm)["/a/1004.html"]
    assert (p["outcome"], p["reason"], p["status"]) == ("gone", "http_404", 404)


@pytest.mark.parametrize(
    "path,outcome,reason",
    [
        ("/a/1010.html", "dropped", "non_html"),
        ("/a/1011.html", "dropped", "too_large"),
        ("/a/1012.html", "dropped", "redirect_loop"),
        ("/a/1014.html", "dropped", "truncated"),
        ("/a/1015.html", "dropped", "decompressed_too_large"),
    ],
)
def test_bad_responses_counted_not_fatal(farm, path, outcome, reason):
    p = pages(farm)[path]
    assert (p["outcome"], p["reason"]) == (outcome, reason)
    assert farm["summary"]["drops"][reason] == 1


def test_run_record_written_last_with_counts(farm):
    recs = farm["records"]
    assert recs[-1]["type"] == "run"
    run = recs[-1]
    assert run["status"] == "finished"
    n_pages = sum(1 for r in recs if r["type"] == "page")
    assert run["counts"]["pages"] == n_pages
    assert run["counts"]["pages_gone"] == 1
    assert json.dumps(run["drops"], sort_keys=True) == json.dumps(farm["summary"]["drops"], sort_keys=True)


def test_every_fetched_url_has_one_page_record(farm):
    urls = [r["url"] for r in farm["records"] if r["type"] == "page"]
    assert len(urls) == len(set(urls))
    fetched = {h.split("?")[0] for h in farm["hits"]} - {"/robots.txt", "/a/1013.html"}
    assert {u[len(farm["base"]) :] for u in urls} == fetched


def test_start_urls_paths_are_relative_to_repo(tmp_path: Path):
    # a start URL that is not http(s) is the user's mistake: one clear error, no traceback
    from pipelines.errors import UserError

    with pytest.raises(UserError, match="not an http"):
        run_crawl_subprocess(CrawlOptions(start_urls=["ftp://x/"], stage_dir=tmp_path / "s", quiet=True))


def test_scrapy_crawl_command_from_repo_root(tmp_path: Path, repo: Path):
    """``scrapy crawl guide`` (scrapy.cfg -> crawler.settings) writes the same stage records."""
    import subprocess
    import sys

    routes = {
        "/robots.txt": Route(b"User-agent: *\nDisallow: /private/\n", headers={"Content-Type": "text/plain"}),
        "/": Route(html(listing_html([("/a/1.html", "一"), ("/private/2.html", "二")]))),
        "/a/1.html": Route(html(article_html("命令行抓取的文章", PARAGRAPHS))),
        "/private/2.html": Route(html(article_html("不该抓", PARAGRAPHS))),
    }
    with TestSite(routes) as site:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "crawl",
                "guide",
                "-a",
                f"start_urls={site.url}/",
                "-s",
                f"GUIDECRAWL_STAGE={tmp_path / 'stage'}",
                "-s",
                "DOWNLOAD_DELAY=0",
                "-s",
                "AUTOTHROTTLE_ENABLED=0",
                "-s",
                "GUIDECRAWL_CLEAN_WORKERS=1",
                "-s",
                "LOG_LEVEL=WARNING",
            ],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=120,
        )
        hits = list(site.hits)
    assert proc.returncode == 0, proc.stderr[-2000:]
    recs = [r for f in stage_files(tmp_path / "stage") for r in read_records(f)]
    arts = [r for r in recs if r["type"] == "article"]
    assert [a["title"] for a in arts] == ["命令行抓取的文章"]
    assert recs[-1]["type"] == "run" and recs[-1]["counts"]["articles"] == 1
    assert "/private/2.html" not in hits
