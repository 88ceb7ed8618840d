"""A crawl killed with SIGKILL half-way and resumed: every page once, no article lost or doubled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipelines.run.crawl import CrawlOptions, run_crawl_subprocess
from tests.crawler.sitekit import PARAGRAPHS, article_html, listing_html
from tests.mockserver import Route, TestSite

REPO = Path(__file__).resolve().parents[2]
N_LISTINGS = 10
PER_LISTING = 20  # 200 articles
STALL = 0.03  # per request: the crawl takes seconds, so the kill lands in the middle of it


def site_routes() -> dict[str, Route]:
    r: dict[str, Route] = {
        "/robots.txt": Route(b"User-agent: *\nDisallow: /admin/\n", headers={"Content-Type": "text/plain"}),
        "/": Route(listing_html([("/list_1.html", "列表")]).encode()),
    }
    n = 0
    for i in range(1, N_LISTINGS + 1):
        links = []
        for _ in range(PER_LISTING):
            n += 1
            links.append((f"/a/{n}.html", f"文章{n}"))
            paras = [f"第{n}篇文章的独有句子。", *PARAGRAPHS[n % 3 :]]
            if n % 25 == 0:  # every 25th article has a second page
                pager = f'<div class="pages"><a href="/a/{n}_2.html">下一页</a></div>'
                r[f"/a/{n}_2.html"] = Route(
                    article_html(f"文章{n}(2)", [f"第{n}篇的第二页。"]).encode(), stall=STALL
                )
            else:
                pager = ""
            r[f"/a/{n}.html"] = Route(article_html(f"文章{n}", paras, pager=pager).encode(), stall=STALL)
        nxt = f"/list_{i + 1}.html" if i < N_LISTINGS else ""
        r[f"/list_{i}.html"] = Route(listing_html(links, next_href=nxt).encode(), stall=STALL)
    return r


def read_stage(stage: Path) -> list[dict]:
    """Every complete record in the stage, published or not (a killed writer leaves a .part)."""
    out = []
    for f in sorted(stage.glob("*.jsonl*")):
        for line in f.read_bytes().split(b"\n"):
            try:
                out.append(json.loads(line))
            except ValueError:  # the empty tail, or a line torn by the kill
                pass
    return out


def test_sigkill_then_resume_every_page_once(tmp_path: Path):
    stage, job = tmp_path / "stage", tmp_path / "job"
    settings = {
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
        "RETRY_BACKOFF_BASE": 0.05,
    }
    with TestSite(site_routes()) as site:
        opts = CrawlOptions(
            start_urls=[site.url + "/"],
            stage_dir=stage,
            job_dir=job,
            quiet=True,
            settings=settings,
            clean_workers=1,
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.run.crawl"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=REPO,
            start_new_session=True,  # its own process group: the kill takes the cleaning workers too
        )
        proc.stdin.write(opts.to_json().encode())
        proc.stdin.close()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            done = sum(1 for r in read_stage(stage) if r.get("type") == "article")
            if done >= 40:
                break
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        before = read_stage(stage)
        hits_first = len(site.hits)
        assert not any(r["type"] == "run" for r in before), "the crawl finished before the kill"
        stored_before = {r["url"] for r in before if r["type"] == "page"}
        n_articles_before = sum(1 for r in before if r["type"] == "article")
        assert 40 <= n_articles_before < 200

        summary = run_crawl_subprocess(CrawlOptions(**{**opts.__dict__, "resume": True}), timeout=120)
        second_hits = site.hits[hits_first:]
    base = site.url
    run_id = json.loads((job / "job.json").read_text())["run_id"]
    assert summary["run_id"] == run_id and summary["resumed"] is True
    recs = [r for r in read_stage(stage) if r.get("run_id") == run_id]
    assert {r["run_id"] for r in read_stage(stage)} == {run_id}

    arts = [r["page_urls"][0][len(base) :] for r in recs if r["type"] == "article"]
    assert len(arts) == len(set(arts)) == N_LISTINGS * PER_LISTING  # none lost, none doubled
    assert set(arts) == {f"/a/{n}.html" for n in range(1, 201)}
    two_page = [r for r in recs if r["type"] == "article" and len(r["page_urls"]) == 2]
    assert len(two_page) == 8 and all("第二页" in r["body"] for r in two_page)

    page_urls = [r["url"] for r in recs if r["type"] == "page"]
    assert len(page_urls) == len(set(page_urls))  # every page once, listings included
    expected = {
        "/",
        "/list/",
        *(f"/list_{i}.html" for i in range(1, 11)),
        *(f"/a/{n}.html" for n in range(1, 201)),
    }
    expected |= {f"/a/{n}_2.html" for n in range(25, 201, 25)}
    assert {u[len(base) :] for u in page_urls} == expected

    # nothing the killed run had stored was fetched again
    refetched = {h for h in second_hits} & {u[len(base) :] for u in stored_before}
    assert refetched == set()
    runs = [r for r in recs if r["type"] == "run"]
    assert len(runs) == 1 and runs[0]["counts"]["articles"] == 200
    assert runs[0]["counts"]["pages"] == len(expected)
