"""run_crawl starts the cleaners' fork server before it imports Scrapy, and never leaves it behind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# In a fresh interpreter: Scrapy not imported yet, as in ``python -m pipelines.run.crawl``.
SCRIPT = r"""
import json, os, sys
from multiprocessing import forkserver
import pipelines.item.workers as workers
from pipelines.run.crawl import CrawlOptions, run_crawl

seen = []
start = workers.start_fork_server
def recording():
    seen.append("scrapy.crawler" in sys.modules)
    start()
    seen.append(forkserver._forkserver._forkserver_pid)
workers.start_fork_server = recording

blocker = os.path.join(sys.argv[1], "a-file")
open(blocker, "w").close()
error = ""
try:  # the stage folder cannot be made (a file is in the way): the crawl fails before it starts
    run_crawl(CrawlOptions(start_urls=["http://127.0.0.1:9/"], stage_dir=os.path.join(blocker, "stage")))
except OSError as exc:
    error = type(exc).__name__
pid = seen[1] if len(seen) > 1 else None
print(json.dumps({"scrapy_before": seen[:1], "server": pid, "error": error,
                  "left": forkserver._forkserver._forkserver_pid,
                  "alive": bool(pid) and os.path.exists(f"/proc/{pid}")}))
"""


def test_fork_server_starts_before_scrapy_and_stops_when_the_crawl_cannot_start(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["error"]  # the crawl did fail
    assert got["scrapy_before"] == [False]  # warming while Scrapy is imported, not after
    if sys.platform.startswith("linux"):
        assert got["server"]  # a fork server was started ...
        assert got["left"] is None and not got["alive"]  # ... and stopped, not left for the load
