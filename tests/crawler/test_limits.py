"""Every crawl ends (issue 12 item 4) and a capped crawl still stores articles (item 11).

Real servers on 127.0.0.1, the real ``guidecrawl crawl`` command, real DuckDB files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from crawler.traps import distance, simhash, url_template
from pipelines.run.jobs import job_dir
from pipelines.run.lock import RunLock
from tests.crawler.sitekit import (
    FAST,
    PARAGRAPHS,
    article_html,
    db_rows,
    farm_routes,
    guidecrawl,
    listing_html,
)
from tests.mockserver import Route, TestSite


def endless(path: str) -> Route | None:
    """/page/N → /page/N+1, forever, every page the same but for its number."""
    m = re.fullmatch(r"/page/(\d+)", path)
    if not m:
        return None
    n = int(m.group(1))
    body = (
        f"<html><head><meta charset='utf-8'><title>第{n}页</title></head><body><div class='nav'>"
        f"<a href='/'>首页</a></div><p>这里还没有内容，请看下一页。</p><p>当前第{n}页</p>"
        f"<a href='/page/{n + 1}'>下一页</a></body></html>"
    )
    return Route(body.encode())


def trap_routes() -> dict[str, Route]:
    return {
        "/robots.txt": Route(b"User-agent: *\nDisallow:\n", headers={"Content-Type": "text/plain"}),
        "/": Route(listing_html([("/page/1", "开始")]).encode()),
    }


def _run(db: Path) -> dict:
    (run,) = db_rows(db, "SELECT status, counts, args FROM crawl_runs")
    return {"status": run[0], "counts": json.loads(run[1]), "args": json.loads(run[2])}


def _lock_is_free(db: Path, url: str) -> bool:
    lock = RunLock(job_dir(db, "127.0.0.1", [url]) / "crawl.lock")
    lock.acquire()  # raises if the crawl left it held
    lock.release()
    return True


def test_trap_heuristic_units():
    assert url_template("http://a:8/page/12?d=3") == "http://a:N/page/N?d=N"
    a = simhash(["这里还没有内容", "当前第1页", "下一页", "首页"])
    b = simhash(["这里还没有内容", "当前第2页", "下一页", "首页"])
    assert a == b  # only the number differs
    c = simhash(["大理古城的清晨格外安静", "洱海边的风很大", "苍山索道分为两条", "首页"])
    assert distance(a, c) > 3


def test_simhash_is_the_bitwise_majority_of_the_feature_hashes():
    import random

    from crawler.traps import DIGITS

    rng = random.Random(5)
    for n in (1, 2, 3, 4, 7, 64, 65, 1000):
        texts = ["".join(chr(0x4E00 + rng.randrange(20000)) for _ in range(6)) + str(i) for i in range(n)]
        texts += ["", "  ", "第12页"]
        feats = {DIGITS.sub("", t).strip() for t in texts} - {""}
        assert len(feats) == n + 1  # distinct features: "第页" and the n random ones
        hashes = [hash(f) & ((1 << 64) - 1) for f in feats]
        want = sum(1 << k for k in range(64) if 2 * sum((h >> k) & 1 for h in hashes) > len(hashes))
        assert simhash(texts) == want  # a tie (n even, half the hashes) leaves the bit unset


def test_endless_pagination_is_cut_by_the_trap_detector(tmp_path: Path):
    db = tmp_path / "g.duckdb"
    with TestSite(trap_routes(), dynamic=endless) as site:
        # No wall-clock bound: the crawl ending by itself (not at the subprocess timeout) with the
        # page count below is the behaviour; how fast it ends depends on the machine's load.
        r = guidecrawl("crawl", site.url + "/", "--db", str(db), *FAST, timeout=120)
        pages = [h for h in site.hits if h.startswith("/page/")]
    assert r.returncode == 1, r.stderr  # no article: the health check fails, the crawl ended
    assert "Traceback" not in r.stderr
    assert 10 <= len(pages) <= 12, pages  # GUIDECRAWL_TRAP_PAGES = 10 near-identical pages in a row
    run = _run(db)
    assert run["status"] == "limit:trap"
    assert run["counts"]["skipped_trap"] >= 1
    assert _lock_is_free(db, site.url + "/")


def test_depth_limit_ends_the_trap_when_the_detector_is_off(tmp_path: Path):
    db = tmp_path / "g.duckdb"
    with TestSite(trap_routes(), dynamic=endless) as site:
        r = guidecrawl(
            "crawl",
            site.url + "/",
            "--db",
            str(db),
            *FAST,
            "-s",
            "GUIDECRAWL_TRAP_PAGES=0",
            "-s",
            "DEPTH_LIMIT=6",
        )
        pages = [h for h in site.hits if h.startswith("/page/")]
    assert r.returncode == 1, r.stderr
    assert len(pages) == 6  # "/" is depth 0, /page/1 depth 1 ... /page/6 depth 6
    run = _run(db)
    assert run["status"] == "limit:depth_limit"
    assert run["counts"]["skipped_depth_limit"] == 1
    assert _lock_is_free(db, site.url + "/")


def test_site_page_budget_ends_the_trap(tmp_path: Path):
    db = tmp_path / "g.duckdb"
    with TestSite(trap_routes(), dynamic=endless) as site:
        r = guidecrawl(
            "crawl",
            site.url + "/",
            "--db",
            str(db),
            *FAST,
            "-s",
            "GUIDECRAWL_TRAP_PAGES=0",
            "-s",
            "GUIDECRAWL_SITE_PAGE_BUDGET=8",
        )
        pages = [h for h in site.hits if h != "/robots.txt"]
    assert r.returncode == 1, r.stderr
    assert len(pages) == 8  # "/" and seven /page/N
    run = _run(db)
    assert run["status"] == "limit:site_budget"
    assert run["counts"]["skipped_site_budget"] >= 1
    assert run["counts"]["pages"] == 8  # a page never fetched gets no page record


def test_deep_pagination_that_differs_is_not_a_trap(tmp_path: Path):
    # 12 listing pages chained by 下一页 under one URL template, each listing other articles.
    db = tmp_path / "g.duckdb"
    with TestSite(farm_routes(60, per_listing=5)) as site:
        r = guidecrawl("crawl", site.url + "/", "--db", str(db), *FAST)
    assert r.returncode == 0, r.stderr
    assert _run(db)["status"] == "finished"
    assert db_rows(db, "SELECT count(*) FROM articles")[0][0] == 60


def nav_first_routes() -> dict[str, Route]:
    """A start page whose links are twelve category listings; articles only on the listings."""
    r = {"/robots.txt": Route(b"User-agent: *\nDisallow:\n", headers={"Content-Type": "text/plain"})}
    cats = [(f"/cat{i}/", f"分类{i}") for i in range(1, 13)]
    r["/"] = Route(listing_html(cats).encode())
    n = 0
    for i in range(1, 13):
        links = []
        for _ in range(5):
            n += 1
            links.append((f"/a/{n}.html", f"文章{n}"))
            r[f"/a/{n}.html"] = Route(
                article_html(f"文章{n}", [f"第{n}篇的独有句子。", *PARAGRAPHS]).encode()
            )
        r[f"/cat{i}/"] = Route(listing_html(links + cats).encode())
    return r


@pytest.mark.parametrize("concurrency", ["1", "8"])
def test_max_pages_on_a_listing_first_site_still_stores_articles(tmp_path: Path, concurrency: str):
    db = tmp_path / "g.duckdb"
    with TestSite(nav_first_routes()) as site:
        r = guidecrawl(
            "crawl",
            site.url + "/",
            "--db",
            str(db),
            "--max-pages",
            "10",
            *FAST,
            "-s",
            f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}",
        )
        fetched = [h for h in site.hits if h != "/robots.txt"]
    assert r.returncode == 0, r.stderr  # the health check passes: articles were stored
    assert len(fetched) <= 10
    n_articles = db_rows(db, "SELECT count(*) FROM articles")[0][0]
    assert n_articles >= 5, fetched
    run = _run(db)
    assert run["status"] == "limit:max_pages"
