"""A chunked body (no Content-Length) over DOWNLOAD_MAXSIZE is recorded as ``too_large``
(issue 12 item 14), like a body whose Content-Length announces it -- not as
``downloadcancellederror``.  A real server on 127.0.0.1 streams the chunks."""

from __future__ import annotations

from crawler.stage import read_records, stage_files
from pipelines.run.crawl import CrawlOptions, run_crawl_subprocess
from tests.crawler.sitekit import PARAGRAPHS, article_html
from tests.mockserver import Route, TestSite

MAXSIZE = 100_000
UTF8 = {"Content-Type": "text/html; charset=utf-8"}


def test_chunked_body_over_the_limit_is_too_large(tmp_path):
    big = article_html("超大页面", PARAGRAPHS * 400).encode()  # ~ 400 x 6 x 90 bytes > MAXSIZE
    small = article_html("普通页面", PARAGRAPHS).encode()
    assert len(big) > 2 * MAXSIZE
    links = "".join(f'<a href="/a/{n}.html">文章{n}</a>' for n in (1, 2, 3))
    index = f"<html><body>{links}</body></html>".encode()
    routes = {
        "/": Route(index, headers=UTF8),
        "/a/1.html": Route(big, headers=UTF8, chunked=True),  # chunked, over the limit
        "/a/2.html": Route(small, headers=UTF8, chunked=True),  # chunked, under the limit: stored
        "/a/3.html": Route(big, headers=UTF8),  # Content-Length over the limit
    }
    with TestSite(routes) as site:
        base = site.url
        run_crawl_subprocess(
            CrawlOptions(
                start_urls=[base + "/"],
                stage_dir=tmp_path / "stage",
                job_dir=tmp_path / "job",
                quiet=True,
                settings={
                    "DOWNLOAD_DELAY": 0,
                    "AUTOTHROTTLE_ENABLED": False,
                    "RETRY_TIMES": 0,
                    "DOWNLOAD_MAXSIZE": MAXSIZE,
                    "DOWNLOAD_WARNSIZE": 0,
                    "ROBOTSTXT_OBEY": False,
                },
                clean_workers=1,
            ),
            timeout=120,
        )
    records = [r for f in stage_files(tmp_path / "stage") for r in read_records(f)]
    pages = {r["url"][len(base) :]: r for r in records if r["type"] == "page"}
    assert (pages["/a/1.html"]["outcome"], pages["/a/1.html"]["reason"]) == ("dropped", "too_large")
    assert (pages["/a/3.html"]["outcome"], pages["/a/3.html"]["reason"]) == ("dropped", "too_large")
    assert pages["/a/2.html"]["outcome"] == "article"
    run = next(r for r in records if r["type"] == "run")
    assert run["drops"].get("too_large") == 2 and "downloadcancellederror" not in run["drops"]
