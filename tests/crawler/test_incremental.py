"""Incremental re-crawls: a second run of the same crawl re-cleans only what changed."""

from __future__ import annotations

from pathlib import Path

import duckdb

from crawler.stage import read_records, stage_files
from pipelines.run.crawl import CrawlOptions, run_crawl_subprocess
from tests.crawler.sitekit import PARAGRAPHS, article_html, listing_html
from tests.mockserver import Route, TestSite

FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_TIMES": 1, "RETRY_BACKOFF_BASE": 0.05}


def page(title: str, paras: list[str]) -> bytes:
    return article_html(title, paras).encode("utf-8")


def routes() -> dict[str, Route]:
    links = [("/a/1.html", "一"), ("/a/2.html", "二"), ("/a/3.html", "三")]
    return {
        "/robots.txt": Route(b"", status=404),
        "/": Route(listing_html(links).encode()),
        "/a/1.html": Route(page("带ETag的页面", PARAGRAPHS), etag=True),  # answers 304 when unchanged
        "/a/2.html": Route(page("没有ETag的页面", PARAGRAPHS[1:])),  # compared by content hash
        "/a/3.html": Route(page("会改变的页面", PARAGRAPHS[2:])),
    }


def change_site(site: TestSite) -> None:
    """Between the runs: page 3 changes, page 4 is new (linked from the listing)."""
    links = [("/a/1.html", "一"), ("/a/2.html", "二"), ("/a/3.html", "三"), ("/a/4.html", "四")]
    site.routes["/"] = Route(listing_html(links).encode())
    site.routes["/a/3.html"] = Route(
        page("会改变的页面", ["这一段是第二次抓取前新加的内容。", *PARAGRAPHS[2:]])
    )
    site.routes["/a/4.html"] = Route(page("新文章", PARAGRAPHS[:3]))


def by_run(stage: Path) -> dict[str, list[dict]]:
    runs: dict[str, list[dict]] = {}
    for f in stage_files(stage):
        for r in read_records(f):
            runs.setdefault(r["run_id"], []).append(r)
    return runs


def test_second_run_recleans_only_the_changed_page(tmp_path: Path):
    stage = tmp_path / "stage"
    with TestSite(routes()) as site:
        opts = CrawlOptions(
            start_urls=[site.url + "/"], stage_dir=stage, quiet=True, settings=FAST, clean_workers=1
        )
        first = run_crawl_subprocess(opts, timeout=120)
        change_site(site)
        hits_before = len(site.hits)
        second = run_crawl_subprocess(opts, timeout=120)
        second_hits = site.hits[hits_before:]
    assert first["run_id"] != second["run_id"]
    assert first["counts"]["articles"] == 3
    recs = by_run(stage)[second["run_id"]]
    base = site.url
    arts = sorted(r["page_urls"][0][len(base) :] for r in recs if r["type"] == "article")
    assert arts == ["/a/3.html", "/a/4.html"]  # the changed one and the new one, nothing else
    pages = {r["url"][len(base) :]: r for r in recs if r["type"] == "page"}
    assert (pages["/a/1.html"]["outcome"], pages["/a/1.html"]["reason"], pages["/a/1.html"]["status"]) == (
        "unchanged",
        "not_modified",
        304,
    )
    assert (pages["/a/2.html"]["outcome"], pages["/a/2.html"]["reason"]) == ("unchanged", "same_content_hash")
    assert pages["/a/3.html"]["outcome"] == "article"
    # the unchanged pages keep the content hash of the stored copy, so a third run compares right
    first_pages = {r["url"]: r for r in by_run(stage)[first["run_id"]] if r["type"] == "page"}
    assert pages["/a/1.html"]["content_hash"] == first_pages[base + "/a/1.html"]["content_hash"]
    assert second["counts"]["unchanged_articles"] == 2
    assert second["counts"]["articles"] == 2
    # the listing is always fetched again (new articles are found there); each page once
    assert sorted(second_hits) == [
        "/",
        "/a/1.html",
        "/a/2.html",
        "/a/3.html",
        "/a/4.html",
        "/list/",
        "/robots.txt",
    ]


def test_incremental_state_from_the_database(tmp_path: Path):
    """Prior state comes from the store when the stage of the first run is gone (loaded, cleaned)."""
    db = tmp_path / "crawl.duckdb"
    with TestSite(routes()) as site:
        first = run_crawl_subprocess(
            CrawlOptions(
                start_urls=[site.url + "/"],
                stage_dir=tmp_path / "s1",
                db=db,
                quiet=True,
                settings=FAST,
                clean_workers=1,
            ),
            timeout=120,
        )
        change_site(site)
        second = run_crawl_subprocess(
            CrawlOptions(
                start_urls=[site.url + "/"],
                stage_dir=tmp_path / "s2",
                db=db,
                quiet=True,
                settings=FAST,
                clean_workers=1,
            ),
            timeout=120,
        )
    assert first["counts"]["articles"] == 3
    assert second["counts"]["articles"] == 2
    assert second["counts"]["unchanged_articles"] == 2
    con = duckdb.connect(str(db), read_only=True)
    try:
        n, distinct = con.execute("SELECT count(*), count(DISTINCT url) FROM articles").fetchone()
        body = con.execute("SELECT body FROM articles WHERE url LIKE '%/a/3.html'").fetchone()[0]
    finally:
        con.close()
    assert (n, distinct) == (4, 4)
    assert "第二次抓取前新加的内容" in body
