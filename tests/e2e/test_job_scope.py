"""Jobs are scoped to the database file and the full origin (issue 12 item 3).

The job folder used to be ``<db folder>/jobs/<host>/``: two sites on one host (different ports)
crawled into two databases in one folder shared a stage, a lock and a ``job.json``, so a killed
crawl of A was loaded into B's database, a ``--resume`` of A loaded B's pages, and two crawls
refused each other's lock.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from crawler.origins import origin
from pipelines.run.jobs import job_dir, job_key, legacy_job_dir
from tests.crawler.sitekit import FAST, db_rows, farm_routes, guidecrawl, guidecrawl_popen
from tests.mockserver import TestSite


def _stage_records(stage: Path) -> list[dict]:
    out = []
    for f in sorted(stage.glob("*.jsonl*")) if stage.is_dir() else []:
        for line in f.read_bytes().split(b"\n"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def _kill(proc) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _wait_for(cond, timeout: float = 60.0, what: str = "") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_origin_and_job_folder_names():
    assert origin("http://127.0.0.1:8000/a") == "http://127.0.0.1:8000"
    assert origin("https://Example.com/") == "https://example.com:443"
    assert job_key("site", ["http://127.0.0.1:8000/", "http://127.0.0.1:8000/sitemap.xml"]) == (
        "site@http-127.0.0.1-8000"
    )
    assert job_key("x", ["http://a.example/"]) != job_key("x", ["https://a.example/"])
    long = job_key("x", [f"http://host{i}.example/" for i in range(20)])
    assert len(long) < 130 and "+19more-" in long


def test_killed_crawl_of_a_then_crawl_of_b_then_resume_of_a_never_mix(tmp_path: Path):
    db_a, db_b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    with (
        TestSite(farm_routes(120, stall=0.05, tag="甲")) as a,
        TestSite(farm_routes(6, tag="乙")) as b,
    ):
        stage_a = job_dir(db_a, "127.0.0.1", [a.url + "/"]) / "stage"
        proc = guidecrawl_popen(
            "crawl", a.url + "/", "--db", str(db_a), *FAST, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"
        )
        try:
            _wait_for(
                lambda: sum(r.get("type") == "page" for r in _stage_records(stage_a)) >= 10, what="A's pages"
            )
        finally:
            _kill(proc)
        killed = _stage_records(stage_a)
        killed_run = {r["run_id"] for r in killed}
        assert len(killed_run) == 1 and not any(r["type"] == "run" for r in killed)

        r = guidecrawl("crawl", b.url + "/", "--db", str(db_b), *FAST)
        assert r.returncode == 0, r.stderr
        b_urls = [u for (u,) in db_rows(db_b, "SELECT url FROM pages")]
        assert b_urls and all(u.startswith(b.url) for u in b_urls), "A's pages went into B's database"
        assert db_rows(db_b, "SELECT count(*) FROM crawl_runs")[0][0] == 1

        r = guidecrawl("crawl", a.url + "/", "--db", str(db_a), "--resume", *FAST, timeout=300)
        assert r.returncode == 0, r.stderr
        a_urls = [u for (u,) in db_rows(db_a, "SELECT url FROM pages")]
        assert all(u.startswith(a.url) for u in a_urls), "B's pages went into A's database"
        assert db_rows(db_a, "SELECT count(*) FROM articles")[0][0] == 120
        # the resume continued the killed run: one run, that run
        runs = db_rows(db_a, "SELECT run_id, status FROM crawl_runs")
        assert [run_id for run_id, _ in runs] == list(killed_run) and runs[0][1] == "finished"
        assert all(rec.get("site") in (None, "127.0.0.1") for rec in _stage_records(stage_a))
        assert all(rec["url"].startswith(a.url) for rec in _stage_records(stage_a) if rec["type"] == "page")


def test_two_ports_into_two_databases_do_not_refuse_each_other(tmp_path: Path):
    with TestSite(farm_routes(60, stall=0.5)) as a, TestSite(farm_routes(4)) as b:
        lock_a = job_dir(tmp_path / "a.duckdb", "127.0.0.1", [a.url + "/"]) / "crawl.lock"
        proc = guidecrawl_popen(
            "crawl",
            a.url + "/",
            "--db",
            str(tmp_path / "a.duckdb"),
            *FAST,
            "-s",
            "CONCURRENT_REQUESTS_PER_DOMAIN=1",
        )
        try:
            _wait_for(lambda: lock_a.exists() and lock_a.read_text().strip(), what="A's lock")
            r = guidecrawl("crawl", b.url + "/", "--db", str(tmp_path / "b.duckdb"), *FAST)
            assert proc.poll() is None, "A should still be running"
            assert r.returncode == 0, r.stderr
            assert "another crawl" not in r.stderr
        finally:
            _kill(proc)


def test_same_origin_same_database_is_still_refused(tmp_path: Path):
    with TestSite(farm_routes(60, stall=0.5)) as a:
        db = tmp_path / "a.duckdb"
        lock = job_dir(db, "127.0.0.1", [a.url + "/"]) / "crawl.lock"
        proc = guidecrawl_popen(
            "crawl", a.url + "/", "--db", str(db), *FAST, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"
        )
        try:
            _wait_for(lambda: lock.exists() and lock.read_text().strip(), what="the lock")
            r = guidecrawl("crawl", a.url + "/", "--db", str(db), *FAST)
            assert r.returncode == 1 and "another crawl of '127.0.0.1' is running" in r.stderr
        finally:
            _kill(proc)


def test_old_job_folder_is_left_alone_and_named(tmp_path: Path):
    # An earlier version's shared folder: never loaded into this database, but the user is told.
    old = tmp_path / "jobs" / "127.0.0.1"
    (old / "stage").mkdir(parents=True)
    foreign = {"type": "page", "run_id": "old", "url": "http://127.0.0.1:1/x.html", "site": "127.0.0.1"}
    (old / "stage" / "crawl-old-000001.jsonl").write_text(json.dumps(foreign) + "\n")
    db = tmp_path / "g.duckdb"
    assert legacy_job_dir(db, "127.0.0.1") == old
    with TestSite(farm_routes(3)) as site:
        r = guidecrawl("crawl", site.url + "/", "--db", str(db), *FAST)
    assert r.returncode == 0, r.stderr
    assert f"{old} is a job folder of an earlier version" in r.stderr
    assert db_rows(db, "SELECT count(*) FROM pages WHERE url = ?", [foreign["url"]])[0][0] == 0
    assert (old / "stage" / "crawl-old-000001.jsonl").exists()
