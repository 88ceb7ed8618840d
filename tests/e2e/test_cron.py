"""`guidecrawl crawl` as cron runs it: exit codes 2 (usage), 1 (lock held, health failed)."""

from __future__ import annotations

import subprocess
import sys

from pipelines.run.jobs import job_dir
from pipelines.run.lock import RunLock
from tests.mockserver import TestSite, folder_routes


def guidecrawl(repo, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args], cwd=repo, capture_output=True, text=True, timeout=120
    )


def test_usage_error_exits_2(tmp_path, repo):
    r = guidecrawl(repo, "crawl", "ftp://example.com/", "--db", str(tmp_path / "g.duckdb"), "--quiet")
    assert r.returncode == 2
    assert "not an http(s) URL" in r.stderr and "Traceback" not in r.stderr


def test_second_run_of_a_job_exits_1_while_the_first_holds_the_lock(tmp_path, repo):
    db = tmp_path / "g.duckdb"
    # The job's folder is per database file and origin (pipelines/run/jobs.py).
    lock = job_dir(db, "nightly", ["http://127.0.0.1:9/"]) / "crawl.lock"
    assert lock == tmp_path / "jobs" / "g.duckdb" / "nightly@http-127.0.0.1-9" / "crawl.lock"
    with RunLock(lock, name="nightly"):
        r = guidecrawl(repo, "crawl", "http://127.0.0.1:9/", "--job", "nightly", "--db", str(db), "--quiet")
    assert r.returncode == 1, r.stderr
    assert "another crawl of 'nightly' is running" in r.stderr and "Traceback" not in r.stderr
    assert not db.exists()  # refused before anything was crawled


def test_crawl_that_finds_no_articles_fails_its_health_check(tmp_path, repo):
    # A site whose pages are all listings/about pages: the run "works" but yields nothing.
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(
        '<html><head><title>列表</title></head><body><a href="/about.html">关于</a></body></html>'
    )
    (site / "about.html").write_text(
        "<html><head><title>关于</title></head><body><p>关于我们</p></body></html>"
    )
    db = tmp_path / "g.duckdb"
    with TestSite(folder_routes(site)) as server:
        r = guidecrawl(repo, "crawl", server.url + "/", "--job", "nightly", "--db", str(db), "--quiet")
    assert r.returncode == 1, r.stderr
    assert "health check failed: only 0 articles (minimum 1); 2 pages were fetched" in r.stderr
    assert "write a site profile data/sites/127.0.0.1.toml" in r.stderr
