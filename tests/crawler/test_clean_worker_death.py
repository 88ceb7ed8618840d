"""A cleaning process that dies mid-crawl (OOM killer, a crash in a C extension) costs the crawl
only the article that killed it: its batch-mates are cleaned again, one at a time, on a new pool,
and the killer is recorded as an error -- never lost, never a stuck crawl."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from crawler.stage import read_records, stage_files
from pipelines.run.crawl import CrawlOptions
from tests.crawler.sitekit import PARAGRAPHS, article_html, listing_html
from tests.mockserver import Route, TestSite

REPO = Path(__file__).resolve().parents[2]
N = 12
KILLER = "/a/7.html"

# The crawl runs this script as its main module; multiprocessing imports the main module in every
# cleaning process too, so the wrapper below is what the workers run.
SCRIPT = """
import json, os, sys
sys.path.insert(0, {repo!r})
import pipelines.item.workers as cp

_clean = cp.clean_article

def clean_article(parts, profile, fields=None):
    if parts[0][1].endswith({killer!r}):
        os._exit(1)  # the worker dies as if the OOM killer took it
    return _clean(parts, profile, fields)

cp.clean_article = clean_article

if __name__ == "__main__":
    from pipelines.run.crawl import CrawlOptions, run_crawl
    print(json.dumps(run_crawl(CrawlOptions.from_json(sys.stdin.read())), default=str))
"""


def test_only_the_article_that_kills_its_worker_is_an_error(tmp_path: Path):
    routes = {
        "/robots.txt": Route(b"User-agent: *\n", headers={"Content-Type": "text/plain"}),
        "/": Route(listing_html([(f"/a/{n}.html", f"文章{n}") for n in range(1, N + 1)]).encode()),
    }
    for n in range(1, N + 1):
        routes[f"/a/{n}.html"] = Route(
            article_html(f"文章{n}", [f"第{n}篇文章的独有句子。", *PARAGRAPHS]).encode()
        )
    script = tmp_path / "crawl_with_a_killer.py"
    script.write_text(SCRIPT.format(repo=str(REPO), killer=KILLER))
    with TestSite(routes) as site:
        opts = CrawlOptions(
            start_urls=[site.url + "/"],
            stage_dir=tmp_path / "stage",
            quiet=True,
            settings={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "GUIDECRAWL_CLEAN_BATCH": 4},
            clean_workers=1,
        )
        proc = subprocess.run(
            [sys.executable, str(script)], input=opts.to_json(), capture_output=True, text=True, timeout=120
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["status"] == "finished"
    records = [r for f in stage_files(tmp_path / "stage") for r in read_records(f)]
    arts = {r["url"][len(site.url) :]: r for r in records if r["type"] == "article"}
    assert sorted(arts) == sorted(f"/a/{n}.html" for n in range(1, N + 1))  # each once, none lost
    assert arts[KILLER]["status"] == "error"
    assert arts[KILLER]["reason"].startswith("cleaning process failed")
    others = [r for u, r in arts.items() if u != KILLER]
    assert all(r["status"] == "ok" and r["title"].startswith("文章") for r in others)
    pages = [r for r in records if r["type"] == "page" and r["outcome"] == "article"]
    assert len(pages) == N  # the killer's page is stored too (raw bytes kept for a reclean)
    assert summary["counts"]["articles"] == N and summary["counts"]["articles_error"] == 1
