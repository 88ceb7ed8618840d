"""Health checks: each threshold fires on a run that crosses it, and stays quiet on a healthy one."""

from __future__ import annotations

import json

import pytest

from pipelines.errors import UserError
from pipelines.run.health import (
    DEFAULT_THRESHOLDS,
    HealthFailure,
    evaluate,
    exit_code,
    from_json,
    thresholds_for,
    to_json,
)

T = {**DEFAULT_THRESHOLDS, "min_articles": 5}


def run(
    pages=200, articles=120, errors=2, empty_body=1, no_title=0, unchanged=0, drops=None, site="guanxian"
):
    return {
        "run_id": "r1",
        "site": site,
        "counts": {
            "pages": pages,
            "articles": articles,
            "unchanged_articles": unchanged,
            "errors": errors,
            "empty_body": empty_body,
            "no_title": no_title,
        },
        "drops": drops or {},
    }


HISTORY = [run(articles=a) for a in (110, 120, 130, 125)]


def checks(failures):
    return [f.check for f in failures]


def test_healthy_run_has_no_failures():
    assert evaluate(run(), HISTORY, T) == []
    assert exit_code([]) == 0


def test_yield_drop_against_median_names_the_profile():
    (f,) = evaluate(run(articles=3, pages=60, empty_body=0), HISTORY, {**T, "min_articles": 1})
    assert f.check == "max_yield_drop"
    assert f.value == 3 and f.threshold == 61.25  # median of 110,120,125,130 is 122.5; half of it
    assert "fell from a median of 122.5 over the last 4 runs to 3" in f.message
    assert "data/sites/guanxian.toml" in f.message
    assert exit_code([f]) == 1


def test_small_drop_within_limit_and_short_history_do_not_fire():
    assert evaluate(run(articles=70), HISTORY, T) == []  # 70 > 61.25
    assert (
        evaluate(run(articles=3, empty_body=0), HISTORY[:2], {**T, "min_articles": 1}) == []
    )  # 2 < min_history


def test_unchanged_articles_count_as_yield():
    # An incremental re-run of an unchanged site cleans nothing new: that is not a collapse.
    assert evaluate(run(articles=0, empty_body=0, unchanged=118), HISTORY, T) == []


def test_history_runs_without_pages_are_ignored():
    history = HISTORY[:2] + [run(pages=0, articles=0), run(pages=0, articles=0)]
    assert evaluate(run(articles=3, empty_body=0), history, {**T, "min_articles": 1}) == []


def test_min_articles_with_no_pages_points_at_start_urls():
    (f,) = evaluate(run(pages=0, articles=0, errors=0, empty_body=0), [], T)
    assert f.check == "min_articles" and f.value == 0 and f.threshold == 5
    assert "no page was fetched" in f.message and "start URLs" in f.message


def test_min_articles_with_pages_points_at_article_rule():
    (f,) = evaluate(run(pages=80, articles=2, errors=0, empty_body=0), [], T)
    assert f.check == "min_articles"
    assert "80 pages were fetched but they gave 2 articles" in f.message and "article link rule" in f.message


def test_generic_site_advice_is_to_write_a_profile():
    (f,) = evaluate(run(pages=80, articles=0, errors=0, empty_body=0, site="127.0.0.1"), [], T, generic=True)
    assert "compare its article links with the generic rules this crawl used" in f.message
    assert "write a site profile data/sites/127.0.0.1.toml" in f.message


def test_error_rate_lists_top_reasons():
    r = run(pages=100, errors=45, drops={"http_500": 30, "timeout": 15, "too_large": 1})
    (f,) = evaluate(r, HISTORY, T)
    assert f.check == "max_error_rate" and f.value == 0.45
    assert "45 of 100 pages failed (45%, limit 20%)" in f.message
    assert "http_500 (30), timeout (15), too_large (1)" in f.message


def test_error_rate_at_the_limit_passes():
    assert evaluate(run(pages=100, errors=20), HISTORY, T) == []


def test_empty_body_and_no_title_shares():
    fs = evaluate(run(articles=100, empty_body=40, no_title=30), HISTORY, T)
    assert checks(fs) == ["max_empty_body_share", "max_no_title_share"]
    assert "40 of 100 articles have an empty or very short body" in fs[0].message
    assert "[extract] body" in fs[0].message
    assert "30 of 100 articles have no title" in fs[1].message and "[extract] title" in fs[1].message


def test_counts_at_top_level_and_json_strings_are_read():
    flat = {"site": "s", "pages": 10, "articles": 0, "errors": 9, "drops": '{"dns": 9}'}
    fs = evaluate(flat, [], T)
    assert checks(fs) == ["min_articles", "max_error_rate"]
    assert "dns (9)" in fs[1].message


def test_thresholds_layering_and_validation():
    t = thresholds_for({"name": "g", "health": {"min_articles": 7, "max_yield_drop": 0.3}})
    assert t["min_articles"] == 7 and t["max_yield_drop"] == 0.3
    assert t["max_error_rate"] == DEFAULT_THRESHOLDS["max_error_rate"]
    assert thresholds_for(None, {"min_history": 1})["min_history"] == 1
    with pytest.raises(UserError, match="unknown health threshold 'max_error_rat'.*'g'"):
        thresholds_for({"name": "g", "health": {"max_error_rat": 0.1}})
    with pytest.raises(UserError, match="must be a number"):
        thresholds_for({"name": "g", "health": {"min_articles": "five"}})


def test_failures_round_trip_through_json():
    fs = [HealthFailure("min_articles", 0, 5, "只有 0 篇")]
    s = to_json(fs)
    assert "只有" in s  # stored readable, not \\u-escaped
    assert from_json(s) == fs
    assert from_json(None) == [] and from_json("[]") == []


def _store_runs(db, runs):
    from pipelines.store import connect_rw

    con = connect_rw(db)
    for r in runs:
        con.execute(
            "INSERT INTO crawl_runs (run_id, job, site, started_at, status, counts, drops) VALUES (?, 'crawl', ?, ?, ?, ?, ?)",
            [
                r["run_id"],
                r["site"],
                r["started_at"],
                r.get("status", "finished"),
                json.dumps(r["counts"]),
                "{}",
            ],
        )
    con.close()


def test_check_run_reads_history_from_the_store_and_records(tmp_path):
    from pipelines.run.health import check_run, record

    db = tmp_path / "g.duckdb"
    runs = [
        {**run(articles=a), "run_id": f"r{i}", "started_at": f"2026-11-{10 + i:02d}T03:00:00Z"}
        for i, a in enumerate((110, 120, 130, 125))
    ]
    runs.append(
        {**run(articles=500), "run_id": "other", "site": "other", "started_at": "2026-11-12T03:00:00Z"}
    )
    runs.append(
        {**run(articles=900), "run_id": "bad", "status": "failed", "started_at": "2026-11-13T03:00:00Z"}
    )
    runs.append(
        {**run(articles=3, pages=60, empty_body=0), "run_id": "now", "started_at": "2026-11-20T03:00:00Z"}
    )
    runs.append({**run(articles=1000), "run_id": "later", "started_at": "2026-11-21T03:00:00Z"})
    _store_runs(db, runs)
    fs = check_run(db, "now", {**T, "min_articles": 1})
    assert checks(fs) == ["max_yield_drop"]
    assert (
        "median of 122.5 over the last 4 runs to 3" in fs[0].message
    )  # other site, failed, later: not history
    assert check_run(db, "r3", {**T, "min_articles": 1}) == []  # only 3 earlier runs, all similar
    record(db, "now", fs)
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        (health,) = con.execute("SELECT health FROM crawl_runs WHERE run_id = 'now'").fetchone()
    assert from_json(health) == fs
    with pytest.raises(UserError, match="no run 'nope'"):
        check_run(db, "nope")


def test_low_confidence_share():
    r = run(articles=100)
    r["counts"]["low_confidence"] = 35
    fs = evaluate(r, HISTORY, T)
    assert checks(fs) == ["max_low_confidence_share"]
    assert "35 of 100 articles were extracted with low confidence" in fs[0].message
    assert "[extract] body" in fs[0].message
    r["counts"]["low_confidence"] = 30  # at the limit: healthy
    assert evaluate(r, HISTORY, T) == []


def test_tally_counts_low_confidence_ok_articles_only():
    from collections import Counter

    from crawler.state import tally

    counts, drops = Counter(), Counter()
    for conf, status in ((0.2, "ok"), (0.9, "ok"), (0.1, "empty"), (None, "ok")):
        tally(
            counts,
            drops,
            {"type": "article", "status": status, "confidence": conf, "body": "x" * 60, "title": "t"},
        )
    assert counts["low_confidence"] == 1
