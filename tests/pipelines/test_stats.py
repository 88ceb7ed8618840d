"""guidecrawl stats: per-site counts, repair kinds, spin distribution, last crawl."""

from __future__ import annotations

from pipelines import store
from pipelines.commands.stats import render_stats, stats
from tests.pipelines.warehouse_data import article, page, stage

REP = {
    "kind": "garble",
    "rule": "g.1",
    "before": "粳",
    "after": "具",
    "offset": 1,
    "confidence": 1.0,
    "applied": True,
}
SUSPECT = dict(REP, kind="spin", applied=False)


def test_stats_per_site(tmp_path):
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    stage(
        st,
        "w1",
        [
            page("http://a/1", run="r1"),
            page("http://a/2", run="r1"),
            page("http://a/404", run="r1", status=404, outcome="gone", raw=None),
            article("http://a/1", spin_score=0.05, n_comments=2, n_sections=3, repairs=[REP, REP, SUSPECT]),
            article("http://a/2", spin_score=0.5, body="另一篇", n_comments=1, n_sections=1),
            article("http://a/dup", spin_score=0.05, n_comments=4),  # exact duplicate of a/1: not counted
            page("http://b/1", run="r2", site="siteB", fetched="2026-02-01T00:00:00+00:00"),
            {"type": "run", "run_id": "r1", "job": "crawl", "status": "ok", "drops": {"robots": 3}},
        ],
    )
    store.load_stage(st, db)
    got = {s["site"]: s for s in stats(db)}
    assert list(got) == ["siteA", "siteB"]
    a = got["siteA"]
    assert (a["pages"], a["pages_failed"], a["articles"], a["exact_duplicates"]) == (3, 1, 2, 1)
    assert (a["sections"], a["comments"]) == (4, 3)
    # applied repairs by kind (suspicions are not repairs); a/2's default spin repair counts once
    assert a["repairs"] == {"garble": 2, "spin": 1}
    assert a["spin"]["min"] == 0.05 and a["spin"]["max"] == 0.5 and a["spin"]["p50"] == 0.275
    assert a["spin"]["histogram"] == {"0.0-0.1": 1, "0.1-0.2": 0, "0.2-0.4": 0, "0.4-0.6": 1, "0.6-1.0": 0}
    assert a["last_crawl"]["run_id"] == "r1" and a["last_crawl"]["status"] == "ok"
    assert a["last_crawl"]["drops"] == {"robots": 3}
    b = got["siteB"]
    assert (b["pages"], b["articles"], b["repairs"], b["spin"]["max"]) == (1, 0, {}, None)
    assert b["last_crawl"]["status"] == "incomplete"

    text = render_stats(stats(db))
    assert "siteA\n=====\npages      3 (1 failed or gone)" in text
    assert "articles   2 (+1 exact duplicates hidden, 0 not ok)" in text
    assert "repairs    garble 2, spin 1" in text
    assert "drops: robots 3" in text
    assert "spin score min 0.05  median 0.28  p90 0.46  max 0.50" in text


def test_stats_of_an_empty_database(tmp_path):
    (tmp_path / "st").mkdir()
    store.load_stage(tmp_path / "st", tmp_path / "g.duckdb")
    assert stats(tmp_path / "g.duckdb") == []
    assert render_stats([]) == "the database holds no pages or articles yet"


def test_run_wide_drops_shown_once_not_under_every_site(tmp_path):
    """One run over three sites (the demo's shape): each site shows the drops of its own pages,
    the run's total appears once (issue 12 item 17)."""
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    stage(
        st,
        "w1",
        [
            page("http://a/1", run="r1"),
            dict(page("http://a/404", run="r1", status=404, outcome="gone", raw=None), reason="http_404"),
            page("http://b/1", run="r1", site="siteB"),
            page("http://c/1", run="r1", site="siteC"),
            dict(
                page("http://c/500", run="r1", site="siteC", status=500, outcome="error", raw=None),
                reason="http_500",
            ),
            {
                "type": "run",
                "run_id": "r1",
                "job": "demo",
                "status": "ok",
                "drops": {"http_404": 1, "http_500": 1},
            },
        ],
    )
    store.load_stage(st, db)
    got = {s["site"]: s for s in stats(db)}
    assert got["siteB"]["last_crawl"]["site_drops"] == {}
    text = render_stats(stats(db))
    assert text.count("http_404 1") == 2  # siteA's own line and the run's line, not under B and C
    assert text.count("run r1 crawled siteA, siteB, siteC; drops of the whole run") == 1
    block_b = text.split("siteB\n")[1].split("\n\n")[0]
    assert "drops: none (this site's pages)" in block_b
