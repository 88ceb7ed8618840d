"""``guidecrawl prune``: delete stage files that are already loaded into the database.

A crawl stages every page as JSON Lines and loads the files at its end; the files stay, so a
cron job's stage folder grows by the size of every page it ever fetched (raw bytes included).
A file may go once the database holds it: its sha1 is in ``stage_files`` (the same key that
makes ``load`` idempotent), so a file whose bytes changed, a ``.part`` file still being written,
or a file loaded into some *other* database is never deleted.  A job's folder is pruned under
that job's run lock, so a crawl of the job cannot be running (nor start) meanwhile; a job whose
lock is held is skipped and named.  ``--dry-run`` lists what would go.
"""

from __future__ import annotations

import os
from pathlib import Path

from crawler.stage import stage_files
from pipelines.errors import UserError
from pipelines.run.jobs import job_dirs
from pipelines.run.lock import RunLock
from pipelines.store import connect_readonly, has_table
from pipelines.store.load import _file_checksum


def job_stage_dirs(db_path: Path) -> list[Path]:
    """The stage folders of the database's own jobs (``pipelines/run/jobs.py`` says where they are)."""
    return [d / "stage" for d in job_dirs(db_path) if (d / "stage").is_dir()]


def _loaded_checksums(db_path: Path, wait: float) -> set[str]:
    con = connect_readonly(db_path, wait=wait)
    try:
        if not has_table(con, "stage_files"):
            return set()
        return {r[0] for r in con.execute("SELECT checksum FROM stage_files").fetchall()}
    finally:
        con.close()


def prune(
    db_path: str | os.PathLike,
    stage_dirs: list[str | os.PathLike] | None = None,
    *,
    dry_run: bool = False,
    wait: float = 30,
) -> dict:
    """Delete (or with ``dry_run`` only list) loaded stage files.

    Returns ``{"files": [paths], "bytes": n, "kept": n, "busy": [folders skipped]}``.
    """
    db = Path(db_path)
    if not db.exists():
        raise UserError(f"no database at {db}; nothing can be known to be loaded, so nothing is pruned")
    dirs = [Path(d) for d in stage_dirs] if stage_dirs else job_stage_dirs(db)
    for d in dirs:
        if not d.is_dir():
            raise UserError(f"no stage folder at {d}")
    loaded = _loaded_checksums(db, wait)
    out: dict = {"files": [], "bytes": 0, "kept": 0, "busy": []}
    for d in dirs:
        lock_file = d.parent / "crawl.lock"
        lock = RunLock(lock_file, name=d.parent.name) if lock_file.exists() and not stage_dirs else None
        try:
            if lock is not None:
                lock.acquire()
        except UserError:
            out["busy"].append(str(d))
            continue
        try:
            for f in stage_files(d):
                if _file_checksum(f) not in loaded:
                    out["kept"] += 1
                    continue
                out["files"].append(str(f))
                out["bytes"] += f.stat().st_size
                if not dry_run:
                    f.unlink()
        finally:
            if lock is not None:
                lock.release()
    return out
