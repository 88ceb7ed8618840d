"""``kill -9`` of a crawl takes its cleaning processes with it (issue 12 item 6).

Before, the fork server, the resource tracker and the cleaning workers lived on (~280 MB) after
the crawler was killed: each worker waited on a task queue whose write end it held itself, and
the fork server waited for its workers.  Processes are found through /proc (no extra dependency).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from tests.crawler.sitekit import FAST, farm_routes, guidecrawl_popen
from tests.mockserver import TestSite


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of ``pid`` from /proc, None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    rest = text[text.rindex(")") + 2 :].split()
    return rest[0], int(rest[1])


def descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = _proc_stat(int(d))
            if st is not None:
                children.setdefault(st[1], []).append(int(d))
    out, todo = set(), [root]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def alive(pid: int) -> bool:
    st = _proc_stat(pid)
    return st is not None and st[0] not in ("Z", "X")  # a zombie is dead, only not reaped yet


def test_sigkill_of_the_crawl_leaves_no_child_behind(tmp_path: Path):
    with TestSite(farm_routes(200, stall=0.2)) as site:
        proc = guidecrawl_popen(
            "crawl",
            site.url + "/",
            "--db",
            str(tmp_path / "g.duckdb"),
            *FAST[:4],
            "--clean-workers",
            "2",
            "--quiet",
        )
        try:
            # the fork server, the resource tracker and two cleaning workers
            end = time.monotonic() + 60
            kids: set[int] = set()
            while time.monotonic() < end:
                kids = {p for p in descendants(proc.pid) if alive(p)}
                if len(kids) >= 4 and site.count("/list_1.html"):
                    break
                time.sleep(0.2)
            assert len(kids) >= 4, kids
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        end = time.monotonic() + 10
        while time.monotonic() < end and any(alive(p) for p in kids):
            time.sleep(0.1)
        left = {p: Path(f"/proc/{p}/cmdline").read_bytes()[:120] for p in kids if alive(p)}
        for p in left:  # do not leave them to the next test
            os.kill(p, signal.SIGKILL)
        assert not left, f"still alive 10 s after the crawl was killed: {left}"
