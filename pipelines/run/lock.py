"""A run lock so two runs of the same crawl never overlap (cron fires again while one still runs).

The lock is ``fcntl.flock`` on a lock file, not the file's existence: the kernel drops a flock
when the process holding it ends, however it ends (SIGKILL, OOM, reboot), so a crashed run never
leaves a stale lock that someone has to clean up by hand.  The file itself stays on disk and is
reused; it only carries the holder's pid and start time so the refusal can say who is running.
The file is never unlinked: removing it while another process waits on its descriptor would let
two processes each lock a different inode of the "same" path.
"""

from __future__ import annotations

import fcntl
import os
import re
import time
from pathlib import Path

from pipelines.errors import UserError


def lock_path(lock_dir: str | os.PathLike, job: str) -> Path:
    """The lock file of crawl ``job`` (a site name or job id) under ``lock_dir``."""
    safe = re.sub(r"[^\w.-]+", "_", job).strip("._") or "crawl"
    return Path(lock_dir) / f"{safe}.lock"


class RunLock:
    """Exclusive, non-blocking lock for one crawl; use as ``with RunLock(path, name="site"):``.

    Raises ``UserError`` (exit code 1) when another live process holds the lock.
    """

    def __init__(self, path: str | os.PathLike, name: str | None = None):
        self.path = Path(path)
        self.name = name or self.path.stem
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # O_CREAT without O_TRUNC: the holder's pid line must survive until we own the lock.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise UserError(
                f"another crawl of {self.name!r} is running ({holder}); wait for it to end — "
                f"there is nothing to remove: the lock {self.path} frees itself when that process ends",
                exit_code=1,
            ) from None
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {stamp}\n".encode(), 0)
        except OSError:  # a full disk: the lock holds all the same, only the holder line is lost
            pass
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        # Clear the holder line first so a reader never reports a process that has finished.
        try:
            os.ftruncate(self._fd, 0)
        except OSError:
            pass
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    """``pid N, since T`` from the lock file, or a plain phrase if the holder has not written it yet."""
    try:
        line = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        line = ""
    parts = line.split()
    if len(parts) == 2 and parts[0].isdigit():
        return f"pid {parts[0]}, since {parts[1]}"
    return "pid not yet recorded"
