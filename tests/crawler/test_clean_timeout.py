"""A page that keeps its cleaner busy past ``GUIDECRAWL_CLEAN_TIMEOUT`` is interrupted inside the
worker process (SIGPROF on its CPU time), stored uncleaned with status ``timeout`` and its reason, its raw page
kept, and counted; the worker goes on with the next article (issue 12 item 5)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.stage import read_records, stage_files, unpack_raw
from pipelines.item.budget import clean_within
from pipelines.run.crawl import CrawlOptions
from tests.crawler.sitekit import PARAGRAPHS, article_html, listing_html
from tests.mockserver import Route, TestSite

REPO = Path(__file__).resolve().parents[2]
N = 6
STUCK = "/a/4.html"

# The crawl runs this script as its main module; multiprocessing imports it in every cleaning
# process too, so the cleaner below is what the workers run on the page ``stuck``: never returning
# ("loop": a super-linear stage on a hostile page, over the budget, status ``timeout``) or killing
# its cleaning process ("die": the pool dies, the page is retried once in a fresh pool, then
# recorded as ``error``).
SCRIPT = """
import json, os, sys
sys.path.insert(0, {repo!r})
import cleaners.page as page

_clean = page.clean_parts

def clean_parts(parts, profile=None):
    if parts[0][1].endswith({stuck!r}):
        if {how!r} == "die":
            os._exit(3)
        while True:  # never returns by itself
            pass
    return _clean(parts, profile=profile)

page.clean_parts = clean_parts

if __name__ == "__main__":
    from pipelines.run.crawl import CrawlOptions, run_crawl
    print(json.dumps(run_crawl(CrawlOptions.from_json(sys.stdin.read())), default=str))
"""


def _crawl_with_a_stuck_page(
    tmp_path: Path, site: TestSite, stuck: str, how: str, batch: int, budget: int, timeout: int
) -> tuple[subprocess.CompletedProcess, list[dict], dict[str, dict]]:
    """Crawl ``site`` from / in a subprocess running ``SCRIPT`` (one cleaning process, the given
    batch size and cleaning budget in seconds); (the process, every stage record, the article
    records by path)."""
    script = tmp_path / "crawl_with_a_stuck_page.py"
    script.write_text(SCRIPT.format(repo=str(REPO), stuck=stuck, how=how))
    opts = CrawlOptions(
        start_urls=[site.url + "/"],
        stage_dir=tmp_path / "stage",
        quiet=True,
        settings={
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "GUIDECRAWL_CLEAN_BATCH": batch,
            "GUIDECRAWL_CLEAN_TIMEOUT": budget,
        },
        clean_workers=1,
    )
    proc = subprocess.run(
        [sys.executable, str(script)], input=opts.to_json(), capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = [r for f in stage_files(tmp_path / "stage") for r in read_records(f)]
    arts = {r["url"][len(site.url) :]: r for r in records if r["type"] == "article"}
    return proc, records, arts


def test_a_stuck_cleaner_is_interrupted_and_the_page_stored_raw(tmp_path: Path):
    routes = {
        "/robots.txt": Route(b"User-agent: *\n", headers={"Content-Type": "text/plain"}),
        "/": Route(listing_html([(f"/a/{n}.html", f"文章{n}") for n in range(1, N + 1)]).encode()),
    }
    for n in range(1, N + 1):
        routes[f"/a/{n}.html"] = Route(
            article_html(f"文章{n}", [f"第{n}篇文章的独有句子。", *PARAGRAPHS]).encode()
        )
    with TestSite(routes) as site:
        # without the budget the stuck worker would hold the crawl until the timeout kills it
        proc, records, arts = _crawl_with_a_stuck_page(tmp_path, site, STUCK, "loop", 2, 3, 120)
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["status"] == "finished"
    assert sorted(arts) == sorted(f"/a/{n}.html" for n in range(1, N + 1))
    stuck = arts[STUCK]
    assert stuck["status"] == "timeout" and stuck["body"] == ""
    assert "longer than 3 s" in stuck["reason"] and "GUIDECRAWL_CLEAN_TIMEOUT" in stuck["reason"]
    # the same worker cleaned the articles after it: the alarm interrupted one page, not the process
    assert all(r["status"] == "ok" for u, r in arts.items() if u != STUCK)
    page = next(r for r in records if r["type"] == "page" and r["url"].endswith(STUCK))
    assert page["outcome"] == "article" and unpack_raw(page["raw"]) == routes[STUCK].body
    assert summary["counts"]["articles_timeout"] == 1


def test_clean_within_returns_the_result_or_none_and_disarms():
    import signal

    def mine(signum, frame):  # the caller's own SIGPROF handler, to be given back
        raise AssertionError("the caller's handler must not fire")

    previous = signal.signal(signal.SIGPROF, mine)
    try:
        assert clean_within(5.0, lambda: "done") == "done"
        assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)  # nothing left armed

        def busy() -> str:
            while True:
                pass

        assert clean_within(0.2, busy) is None  # interrupted, not waited for
        assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
        assert signal.getsignal(signal.SIGPROF) is mine
        assert clean_within(0, lambda: 7) == 7  # 0: no budget
    finally:
        signal.signal(signal.SIGPROF, previous)


def test_time_waiting_for_a_core_is_not_counted_against_the_budget():
    """The budget is CPU time: a cleaning process that is not running -- niced below the crawler
    on a loaded machine, waiting for a core -- does not use it up.  With a wall-clock budget an
    ordinary page was stored as ``timeout`` under load (no text, no rel=canonical: the demo's
    mobile copy became a 44th article).  A sleep stands in for the time spent off the CPU."""
    import time

    def descheduled() -> str:
        time.sleep(0.6)  # off the CPU for three times the budget
        return "cleaned"

    assert clean_within(0.2, descheduled) == "cleaned"


def _with_canonical(html: str, href: str) -> bytes:
    return html.replace("</title></head>", f'</title><link href="{href}" rel="canonical" /></head>').encode()


@pytest.mark.parametrize(
    ("how", "names_itself"), [("loop", True), ("die", True), ("loop", False)], ids=["timeout", "died", "bare"]
)
def test_a_mobile_copy_stored_uncleaned_still_folds_into_its_article(
    tmp_path: Path, how: str, names_itself: bool
):
    """Dedup must not depend on cleaning succeeding: a mobile copy whose cleaning ran over its
    budget (or whose cleaning process died) is stored raw with its reason, but its rel=canonical
    is still read -- from the raw bytes -- so the store has one article, not two (the demo's
    /m/view/1101.html became a 44th article).  The reader's hostile cases (another site,
    a 2 MB page) are in tests/cleaners/test_raw_canonical.py."""
    import duckdb

    from pipelines.store.load import load_stage

    mobile = "/m/4.html"
    routes = {
        "/robots.txt": Route(b"User-agent: *\n", headers={"Content-Type": "text/plain"}),
        "/": Route(
            listing_html(
                [(f"/a/{n}.html", f"文章{n}") for n in range(1, N + 1)] + [(mobile, "手机版")]
            ).encode()
        ),
    }
    for n in range(1, N + 1):
        html = article_html(f"文章{n}", [f"第{n}篇文章的独有句子。", *PARAGRAPHS])
        # "bare": the article does not name itself; it still wins over the uncleaned copy
        routes[f"/a/{n}.html"] = Route(
            _with_canonical(html, f"/a/{n}.html") if names_itself else html.encode()
        )
    routes[mobile] = Route(
        _with_canonical(article_html("文章4", ["第4篇文章的独有句子。", *PARAGRAPHS]), "../a/4.html")
    )
    with TestSite(routes) as site:
        _, _, arts = _crawl_with_a_stuck_page(tmp_path, site, mobile, how, 1, 2, 180)
    stuck = arts[mobile]
    assert stuck["status"] == ("timeout" if how == "loop" else "error") and stuck["body"] == ""
    assert stuck["canonical_url"] == site.url + "/a/4.html"

    db = tmp_path / "g.duckdb"
    load_stage(tmp_path / "stage", db)
    with duckdb.connect(str(db)) as con:
        rows = con.execute("SELECT url, status FROM articles ORDER BY url").fetchall()
    # one article per canonical URL: the mobile copy folded into /a/4.html, whose cleaned
    # version is the one kept (it was fetched at the canonical URL itself)
    assert [(u[len(site.url) :], s) for u, s in rows] == [(f"/a/{n}.html", "ok") for n in range(1, N + 1)]
