"""The stage: where crawl workers put what they fetched and cleaned, for one loader to store.

Workers never open the DuckDB file (DuckDB allows one read-write process and then refuses every
other one, analysts included).  Each worker appends JSON Lines to its own
``<worker>-<seq>.jsonl.part`` file and flushes after every record, so a record that was written
survives a SIGKILL of the worker (it is in the kernel's page cache).  A file is published by an
atomic rename to ``.jsonl`` when it is full or the worker closes.  A ``.part`` left behind by a
killed worker is published by the next writer with the same worker id (its last, possibly torn,
line dropped) or by ``recover_orphans``.

Record types (the ``type`` key):
  page     one fetched URL: url, site, status, outcome, reason, fetched_at, encoding, ...,
           raw (zlib-compressed bytes, base64 in the file)
  article  one cleaned article: Article.to_dict() plus site, run_id, cleaner_version, page_urls
  run      a crawl run's record: run_id, started_at, finished_at, counts ...
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

PART = ".jsonl.part"
DONE = ".jsonl"
# A file is published once it holds this many bytes (or ``max_records`` records), whichever comes
# first.  By bytes, not only records: pages of real sites weigh 10-200 KB, and the DuckDB load at
# the end of a crawl (``load_stage(low_memory=True)``) reads two files per transaction, its memory
# growing with them (measured on the bench's stage: 20 MB files 177 MB peak, 10 MB 147 MB).
MAX_FILE_BYTES = 8 * 1024 * 1024


# The fastest level: on the 735 real pages of ../shared (84 KB on average) zlib packs a page in
# 0.7-0.8 ms of CPU at level 1 against 1.9 ms at level 6, for 26% of the raw size against 23%; the
# cleaning workers pack every page they clean, and their CPU is what bounds a crawl on real pages
# (issue 14).  ISA-L's deflate (the ``isal`` package) writes the same zlib format ~4x faster:
# 0.17 ms a page at its level 1, 26% of the raw size too.  Any level of either unpacks with the
# standard ``zlib.decompress`` (the stored archive's contract, see ``pipelines/store/schema.py``);
# without ``isal`` the standard zlib packs.
_compress: Callable[[bytes, int], bytes]
try:
    from isal.isal_zlib import compress as _compress
except ImportError:  # pragma: no cover - isal is a dependency; a platform without its wheel
    _compress = zlib.compress
RAW_LEVEL = 1


def pack_raw(raw: bytes) -> str:
    return base64.b64encode(_compress(raw, RAW_LEVEL)).decode("ascii")


def unpack_raw(packed: str | None) -> bytes:
    return zlib.decompress(base64.b64decode(packed)) if packed else b""


def _publish(part: Path) -> Path | None:
    """Drop a torn last line, then rename ``x.jsonl.part`` to ``x.jsonl``; remove it if empty."""
    data = part.read_bytes()
    if data and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
        part.write_bytes(data)
    if not data:
        part.unlink()
        return None
    done = part.with_name(part.name[: -len(PART)] + DONE)
    os.replace(part, done)
    return done


def _locked_by_a_live_writer(part: Path) -> bool:
    """A writer holds an exclusive flock on its open ``.part`` file; the kernel drops it when the
    writer dies, SIGKILL included.  So a ``.part`` we cannot lock belongs to a live writer."""
    try:
        fd = os.open(part, os.O_RDONLY)
    except FileNotFoundError:
        return True  # published or removed meanwhile: nothing for us to do
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases our probe lock
    return False


def recover_orphans(stage_dir: str | os.PathLike, worker: str | None = None) -> list[Path]:
    """Publish ``.part`` files left by dead writers (all of them, or one worker's).

    A file still locked by a live writer is left alone, so a loader may run while workers crawl.
    """
    d = Path(stage_dir)
    if not d.is_dir():
        return []
    pat = f"{worker}-*{PART}" if worker else f"*{PART}"
    out = []
    for part in sorted(d.glob(pat)):
        if _locked_by_a_live_writer(part):
            continue
        done = _publish(part)
        if done:
            out.append(done)
    return out


class StageWriter:
    """Append-only writer of one worker's stage files.  Not thread-safe: one per process."""

    def __init__(
        self,
        stage_dir: str | os.PathLike,
        worker: str,
        max_records: int = 2000,
        max_bytes: int = MAX_FILE_BYTES,
    ):
        self.dir = Path(stage_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.worker = worker
        self.max_records = max_records
        self.max_bytes = max_bytes
        self._bytes = 0
        recover_orphans(self.dir, worker)
        existing = [p.name for p in self.dir.glob(f"{worker}-*{DONE}")]
        self._seq = 1 + max((int(n[len(worker) + 1 :].split(".")[0]) for n in existing), default=0)
        self._fh: BinaryIO | None = None
        self._count = 0
        self.published: list[Path] = []

    def _open(self) -> None:
        self._path = self.dir / f"{self.worker}-{self._seq:06d}{PART}"
        self._seq += 1
        self._fh = fh = open(self._path, "ab")  # noqa: SIM115 - closed in rotate()
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # "alive": see recover_orphans
        self._count = 0
        self._bytes = 0

    def write(self, record: dict) -> None:
        self._append(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")

    def write_line(self, line: str) -> None:
        """Append one record already serialized as a JSON object and ending in a newline (the
        cleaning processes serialize the article records they build, off the crawler's thread)."""
        if not line.endswith("\n") or "\n" in line[:-1]:
            raise ValueError("a stage line is one JSON object followed by a single newline")
        self._append(line)

    def _append(self, line: str) -> None:
        if self._fh is None:
            self._open()
        fh = self._fh
        assert fh is not None  # _open() sets it or raises
        data = line.encode("utf-8")  # encoded once: written as is, and its size counts
        try:
            fh.write(data)
            fh.flush()
        except OSError as exc:  # name the file: "disk full writing <path>" (pipelines/errors.py)
            raise OSError(exc.errno, exc.strerror, str(self._path)) from exc
        self._count += 1
        self._bytes += len(data)
        if self._count >= self.max_records or self._bytes >= self.max_bytes:
            self.rotate()

    def rotate(self) -> None:
        if self._fh is None:
            return
        self._fh.flush()
        done = _publish(self._path)  # renamed while still locked: no loader can grab it half-way
        self._fh.close()
        self._fh = None
        if done:
            self.published.append(done)

    close = rotate

    def __enter__(self) -> StageWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def stage_files(stage_dir: str | os.PathLike) -> list[Path]:
    """Published stage files, oldest first (by name: worker, then sequence)."""
    d = Path(stage_dir)
    return sorted(d.glob(f"*{DONE}")) if d.is_dir() else []


def read_records(path: str | os.PathLike) -> Iterator[dict]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)
