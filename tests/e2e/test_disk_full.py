"""A full disk during a crawl: stop at the first failed write with one line, exit 1, never print a
page's bytes; ``--resume`` once there is room again stores everything (issue 12 item 9).

The disk really fills: a 1 MB tmpfs mounted for the test (root), or -- where mounting is not
allowed -- a file-size limit (RLIMIT_FSIZE with SIGXFSZ ignored: writes fail with EFBIG, which the
crawl treats as ENOSPC).  The fallback is taken loudly (a warning), never skipped.
"""

from __future__ import annotations

import random
import resource
import signal
import subprocess
import warnings
from pathlib import Path

import pytest

from tests.crawler.sitekit import FAST, PARAGRAPHS, article_html, db_rows, guidecrawl, listing_html
from tests.mockserver import Route, TestSite

MARKER = "独一无二的页面标记"
N = 100


def heavy_routes() -> dict[str, Route]:
    """Articles of ~8k characters of varied text, slow to serve: the stage outgrows 1 MB after a
    few dozen, long before the crawl could have fetched them all."""
    rng = random.Random(12)
    pool = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    r = {
        "/robots.txt": Route(b"User-agent: *\nDisallow:\n", headers={"Content-Type": "text/plain"}),
        "/": Route(listing_html([(f"/a/{n}.html", f"文章{n}") for n in range(1, N + 1)]).encode()),
    }
    for n in range(1, N + 1):
        paras = [f"{MARKER}{n}。", *PARAGRAPHS] + [
            "".join(rng.choices(pool, k=300)) + "。" for _ in range(25)
        ]
        r[f"/a/{n}.html"] = Route(article_html(f"文章{n}", paras).encode(), stall=0.05)
    return r


def _mount_small_disk(where: Path) -> bool:
    where.mkdir()
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1M", "tmpfs", str(where)], capture_output=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _limit_file_size() -> None:  # in the crawl's process, before exec
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (400_000, 400_000))


@pytest.mark.parametrize("mechanism", ["tmpfs", "rlimit"])
def test_disk_full_stops_with_one_line_and_resume_finishes(tmp_path: Path, mechanism: str):
    disk = tmp_path / "disk"
    mounted = mechanism == "tmpfs" and _mount_small_disk(disk)
    if mechanism == "tmpfs" and not mounted:
        warnings.warn(
            "cannot mount a tmpfs here (not root?): filling the disk with RLIMIT_FSIZE instead", stacklevel=1
        )
    if not mounted:
        disk.mkdir(exist_ok=True)
    db = disk / "g.duckdb"
    try:
        with TestSite(heavy_routes()) as site:
            r = guidecrawl(
                "crawl",
                site.url + "/",
                "--db",
                str(db),
                *FAST,
                "-s",
                "CONCURRENT_REQUESTS_PER_DOMAIN=2",
                preexec_fn=None if mounted else _limit_file_size,
            )
            assert r.returncode == 1, r.stderr[-3000:]
            lines = r.stderr.strip().splitlines()
            assert len(lines) == 1, r.stderr[-3000:]
            assert lines[0].startswith(f"guidecrawl: error: disk full writing {disk}/")
            assert lines[0].endswith("; free space and run --resume")
            assert MARKER not in r.stderr and "internal error" not in r.stderr
            fetched = sum(1 for h in site.hits if h.startswith("/a/"))
            assert fetched < N, "the crawl went on fetching after the disk was full"

            if mounted:
                subprocess.run(["mount", "-o", "remount,size=64M", str(disk)], check=True, timeout=30)
            r = guidecrawl("crawl", site.url + "/", "--db", str(db), "--resume", *FAST)
            assert r.returncode == 0, r.stderr[-3000:]
        assert db_rows(db, "SELECT count(*) FROM articles")[0][0] == N
        (status,) = db_rows(db, "SELECT status FROM crawl_runs")[0]
        assert status == "finished"
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(disk)], timeout=30)


def test_items_never_print_their_bytes():
    from crawler.items import ArticleItem, Fetched, PageItem

    page = Fetched(
        "http://a.example/1.html", "http://a.example/1.html", 200, "t", body=MARKER.encode() * 1000
    )
    for item in (ArticleItem("a", [page]), PageItem("a", page, "listing"), page):
        text = f"Error processing {item}"
        assert MARKER not in text and len(text) < 200 and "http://a.example/1.html" in text
