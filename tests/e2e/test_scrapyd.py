"""The scrapyd route: deploy the project with scrapyd-deploy and scrapy.cfg's [deploy] section to
a real scrapyd started here, schedule a crawl through its HTTP API, then load the stage."""

from __future__ import annotations

import configparser
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import duckdb
import pytest

from pipelines.store import load_stage
from tests.mockserver import TestSite, folder_routes

BODY = "<p>办理居住证需要准备身份证、户口本和租房合同，先到社区登记，再去派出所窗口提交材料。</p>" * 6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(base: str, path: str, data: dict | None = None) -> dict:
    body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
    with urllib.request.urlopen(base + path, data=body, timeout=30) as r:
        return json.loads(r.read())


@pytest.fixture
def scrapyd(tmp_path):
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = _free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\nbind_address = 127.0.0.1\n"
        f"http_port = {port}\neggs_dir = eggs\nlogs_dir = logs\ndbs_dir = dbs\nitems_dir =\n"
        "max_proc = 1\npoll_interval = 0.2\n"
    )
    exe = Path(sys.executable).parent / "scrapyd"
    proc = subprocess.Popen([str(exe)], cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 20
    while True:
        try:
            assert _api(base, "daemonstatus.json")["status"] == "ok"
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"scrapyd did not start (exit {proc.poll()})")
            time.sleep(0.1)
    yield base, home
    proc.terminate()
    proc.wait(15)


def test_deploy_and_schedule_through_scrapyd(scrapyd, tmp_path, repo):
    base, home = scrapyd
    # The project as deployed: its packages and scrapy.cfg.  The [deploy] section is the repo's;
    # only the port differs (this scrapyd listens on a free port, not 6800).
    proj = tmp_path / "proj"
    proj.mkdir()
    for pkg in ("crawler", "cleaners", "pipelines"):
        shutil.copytree(repo / pkg, proj / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    cfg = configparser.ConfigParser()
    cfg.read(repo / "scrapy.cfg")
    assert cfg["deploy"]["project"] == "guidecrawl"
    assert cfg["settings"]["default"] == "crawler.settings"
    cfg["deploy"]["url"] = base
    with open(proj / "scrapy.cfg", "w") as fh:
        cfg.write(fh)
    deploy = subprocess.run(
        [str(Path(sys.executable).parent / "scrapyd-deploy"), "--version", "r1"],
        cwd=proj,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert '"status": "ok"' in deploy.stdout
    assert _api(base, "listspiders.json?project=guidecrawl")["spiders"] == ["guide"]

    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "index.html").write_text(
        '<html><head><title>首页</title></head><body><a href="/a/1.html">一</a> <a href="/a/2.html">二</a></body></html>'
    )
    for i in (1, 2):
        (site / "a" / f"{i}.html").write_text(
            f"<html><head><title>居住证攻略第{i}篇</title></head><body><h1>居住证攻略第{i}篇</h1>"
            f'<div class="content">{BODY}</div></body></html>'
        )
    stage = tmp_path / "stage"
    with TestSite(folder_routes(site)) as server:
        job = _api(
            base,
            "schedule.json",
            {
                "project": "guidecrawl",
                "spider": "guide",
                "start_urls": server.url + "/",
                "setting": [f"GUIDECRAWL_STAGE={stage}", "GUIDECRAWL_CLEAN_WORKERS=1", "LOG_LEVEL=INFO"],
            },
        )
        assert job["status"] == "ok", job
        deadline = time.monotonic() + 180
        while True:
            jobs = _api(base, "listjobs.json?project=guidecrawl")
            done = [j for j in jobs["finished"] if j["id"] == job["jobid"]]
            if done:
                break
            assert time.monotonic() < deadline, jobs
            time.sleep(0.3)
        assert server.fetched("/a/1.html") and server.fetched("/a/2.html")
    log = next((home / "logs" / "guidecrawl" / "guide").glob(f"{job['jobid']}.log")).read_text()
    assert "'finish_reason': 'finished'" in log, log[-3000:]

    # The scrapyd job wrote stage files; the one loader stores them (as `guidecrawl load` does).
    db = tmp_path / "g.duckdb"
    load_stage(stage, db)
    with duckdb.connect(str(db), read_only=True) as con:
        titles = sorted(r[0] for r in con.execute("SELECT title FROM articles").fetchall())
    assert titles == ["居住证攻略第1篇", "居住证攻略第2篇"]
