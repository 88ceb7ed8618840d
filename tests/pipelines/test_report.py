"""guidecrawl report: one self-contained HTML page that renders in headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess

from pipelines import store
from pipelines.commands.dedup import cluster
from pipelines.commands.report import report
from tests.pipelines.warehouse_data import article, page, stage

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LONG = "京东逾期以后账户会被冻结，用户需要先还清欠款，然后联系客服申请解冻，并保持良好的信用记录。" * 3


def chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chrome'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def build(tmp_path):
    recs = [page("http://a/1"), page("http://a/2", status=404, outcome="gone", raw=None)]
    for i, (site, day, spin) in enumerate(
        [("siteA", "01", 0.05), ("siteA", "02", 0.35), ("siteB", "02", 0.95), ("siteB", "03", 0.5)]
    ):
        recs.append(
            article(
                f"http://{site}/{i}",
                site=site,
                body=f"第{i}篇<独特>的正文&内容" * 20,
                published_at=f"2025-03-{day}T10:00:00+08:00",
                spin_score=spin,
            )
        )
    recs.append(article("http://siteA/orig", body=LONG, title="原文<标题>", spin_score=0.0))
    recs.append(article("http://siteB/copy", site="siteB", body=LONG.replace("，", ","), spin_score=0.3))
    recs.append(
        {
            "type": "run",
            "run_id": "r1",
            "job": "crawl",
            "status": "ok",
            "started_at": "2026-01-01T00:00:00Z",
            "counts": {"pages": 40, "articles": 30, "errors": 1},
            "drops": {"robots": 2, "404": 1},
            "health": [],
        }
    )
    recs.append(
        {
            "type": "run",
            "run_id": "r2",
            "job": "crawl",
            "status": "failed",
            "started_at": "2026-01-02T00:00:00Z",
            "counts": {"pages": 10, "articles": 2, "errors": 8},
            "drops": {"timeout": 8},
            "health": [{"check": "error_rate", "ok": False}],
        }
    )
    stage(tmp_path / "stage", "w1", recs)
    db = tmp_path / "g.duckdb"
    store.load_stage(tmp_path / "stage", db)
    cluster(db)
    return db


def test_report_is_self_contained_and_renders_in_chromium(tmp_path):
    db = build(tmp_path)
    out = report(db, tmp_path / "report.html")
    doc = out.read_text(encoding="utf-8")
    # nothing to fetch: no scripts, stylesheets, images, fonts or frames
    for bad in ("<script", "<link", "<img", "<iframe", "url(", "@import", "src="):
        assert bad not in doc, bad
    assert "原文&lt;标题&gt;" in doc  # page text is escaped, not markup
    for h in (
        "Articles per site and day",
        "Repairs by kind",
        "Spin-score histogram",
        "Duplicate clusters",
        "Crawl health over runs",
    ):
        assert f"<h2>{h}</h2>" in doc

    dom = chromium(tmp_path, "--dump-dom", out.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    text = dom.stdout
    assert "<h2>Spin-score histogram</h2>" in text
    hist = text.split("<h2>Spin-score histogram</h2>")[1].split("<h2>")[0]
    bars = re.findall(r'<rect class="bar"[^>]*height="([\d.]+)"', hist)
    assert len(bars) == 10
    # spin scores 0.05 and 0.0 -> bin 0, 0.35 and 0.3 -> bin 3, 0.5 -> bin 5, 0.95 -> bin 9
    assert [i for i, b in enumerate(bars) if float(b) > 0] == [0, 3, 5, 9]
    assert float(bars[0]) == float(bars[3]) == 2 * float(bars[5]) == 2 * float(bars[9])
    per_day = text.split("<h2>Articles per site and day</h2>")[1].split("<h2>")[0]
    assert per_day.count("<polyline") == 2  # one line per site
    assert "2025-03-01" in per_day and "2025-03-03" in per_day
    clusters = text.split("<h2>Duplicate clusters</h2>")[1].split("<h2>")[0]
    assert "原文&lt;标题&gt;" in clusters and "siteA, siteB" in clusters
    health = text.split("<h2>Crawl health over runs</h2>")[1]
    assert "failed" in health and "timeout 8" in health

    shot = chromium(tmp_path, f"--screenshot={tmp_path / 'r.png'}", "--window-size=1000,2400", out.as_uri())
    assert shot.returncode == 0, shot.stderr[-2000:]
    png = (tmp_path / "r.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000  # a page with charts, not a blank one


def test_report_of_an_empty_database(tmp_path):
    (tmp_path / "st").mkdir()
    store.load_stage(tmp_path / "st", tmp_path / "g.duckdb")
    doc = report(tmp_path / "g.duckdb", tmp_path / "r.html").read_text(encoding="utf-8")
    assert "no data" in doc and "<h2>Crawl health over runs</h2>" in doc
