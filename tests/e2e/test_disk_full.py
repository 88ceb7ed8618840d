"""A full disk during a crawl: stop at the first failed write with one line, exit 1, never print a
page's bytes; ``--resume`` once there is room again stores everything (issue 12 item 9).

The disk really fills: a 1 MB tmpfs mounted for the test (root), or -- where mounting is not
allowed -- a file-size limit (RLIMIT_FSIZE with SIGXFSZ ignored: writes fail with EFBIG, which the
crawl treats as ENOSPC).  The fallback is taken loudly (a warning), never skipped.
"""

from __future__ import annotations

import os
import random
import resource
import signal
import subprocess
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crawler.sitekit import FAST, PARAGRAPHS, article_html, db_rows, guidecrawl, listing_html
from tests.mockserver import Route, TestSite

MARKER = "独一无二的页面标记"
N = 100
HELD_AFTER = 40  # article requests answered before the disk is full: their records fill it twice
FSIZE_LIMIT = 400_000  # RLIMIT_FSIZE of the crawl where no tmpfs can be mounted
SAFETY_S = 120.0  # a crawl that never fills the disk is let go (and then fails the test)


class HoldUntilDiskFull:
    """Holds every article request after the first ``HELD_AFTER`` until the disk is full.

    Whether the crawl "went on fetching after the disk was full" must not depend on how fast the
    machine cleans: on a loaded machine the niced cleaning process can fall so far behind that the
    spider has fetched all ``N`` pages before the first write fails, and the test would fail on a
    correct crawl.  So the site itself waits for the event: it answers the first ``HELD_AFTER``
    article requests at once (their stage records are twice what the disk holds), and holds the
    later ones until a write has really failed -- seen from outside: the tmpfs has no free block
    left, or a file has reached the RLIMIT_FSIZE -- or until the test is over with the crawl.  A
    crawl that stops at the failed write then has fetched about ``HELD_AFTER`` pages; one that
    goes on fetches all ``N``.
    """

    def __init__(self, disk: Path, mounted: bool):
        self.disk = disk
        self.mounted = mounted
        self.released = threading.Event()
        self.reason = ""
        self.arrived = 0
        self.lock = threading.Lock()
        self.started = time.monotonic()

    def disk_full(self) -> bool:
        if self.mounted:
            return os.statvfs(self.disk).f_bavail == 0
        return any(f.is_file() and f.stat().st_size >= FSIZE_LIMIT for f in self.disk.rglob("*"))

    def release(self, reason: str) -> None:
        with self.lock:
            self.reason = self.reason or reason
        self.released.set()

    def wait_turn(self) -> None:
        with self.lock:
            self.arrived += 1
            turn = self.arrived
        if turn <= HELD_AFTER:
            return
        while not self.released.wait(0.02):
            if self.disk_full():
                self.release("disk full")
            elif time.monotonic() - self.started > SAFETY_S:
                self.release("safety timeout")

    def route(self, body: bytes) -> Route:
        def answer() -> Iterator[bytes]:
            self.wait_turn()
            yield body

        return Route(stream=answer)


def heavy_routes(gate: HoldUntilDiskFull | None = None) -> dict[str, Route]:
    """Articles of ~8k characters of varied text: the stage outgrows 1 MB after a few dozen."""
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
        body = article_html(f"文章{n}", paras).encode()
        r[f"/a/{n}.html"] = gate.route(body) if gate is not None else Route(body)
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
    gate = HoldUntilDiskFull(disk, mounted)
    try:
        with TestSite(heavy_routes(gate)) as site:
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
            gate.release("first crawl over")  # the resume below is not held
            assert gate.reason == "disk full", gate.reason  # the held pages waited for the event
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
        gate.release("test over")
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
