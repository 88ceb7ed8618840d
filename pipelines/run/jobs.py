"""Where a crawl job keeps its lock, its ``job.json`` (resume) and its stage: one folder per
database file *and* per origin set.

A job is "crawl these origins into this database".  Its folder is

    <db folder>/jobs/<db file name>/<job>@<origins>/     crawl.lock, job.json, stage/

``<origins>`` spells out scheme, host and port of the crawl's start URLs (``http-127.0.0.1-8000``;
several origins are joined with ``+``, and a long list is shortened with a hash).  So a crawl of
site A into ``a.duckdb`` and one of site B into ``b.duckdb`` in the same folder never share a
stage, a ``--resume`` of A reads A's stage only, and two crawls of different ports of one host
into different databases never refuse each other's lock.

Earlier versions used ``<db folder>/jobs/<job>/`` (the job being the host without its port),
shared by every database in that folder.  Such a folder cannot be given to one database safely
(which database a killed crawl's pages were meant for is not recorded), so it is never read
automatically: ``legacy_job_dir`` finds it and the CLI says how to load it by hand.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path

from crawler.origins import origins

MAX_NAME = 120  # characters of a job folder's name before the origin list is shortened


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "-", text).strip("-.") or "x"


def job_key(job: str, start_urls: Iterable[str]) -> str:
    """The folder name of job ``job`` crawling ``start_urls``: ``<job>@<origins>``."""
    found = origins(start_urls)
    spelled = "+".join(_slug(o.replace("://", "-").replace(":", "-")) for o in found) or "none"
    name = f"{_slug(job)}@{spelled}"
    if len(name) > MAX_NAME:
        digest = hashlib.sha1("\n".join(found).encode()).hexdigest()[:12]
        first = _slug(found[0].replace("://", "-").replace(":", "-")) if found else "none"
        name = f"{_slug(job)[:40]}@{first[:50]}+{len(found) - 1}more-{digest}"
    return name


def job_dir(db: str | os.PathLike, job: str, start_urls: Iterable[str]) -> Path:
    """The folder of one job: its lock, ``job.json`` and (by default) its stage."""
    db = Path(db).resolve()
    return db.parent / "jobs" / db.name / job_key(job, start_urls)


def job_dirs(db: str | os.PathLike) -> list[Path]:
    """Every job folder of the database ``db`` (``<db folder>/jobs/<db file name>/*``), sorted."""
    db = Path(db).resolve()
    root = db.parent / "jobs" / db.name
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def legacy_job_dir(db: str | os.PathLike, job: str) -> Path | None:
    """The folder an earlier version used for ``job`` (shared by every database beside ``db``), if
    it holds anything: a ``job.json`` or stage files."""
    db = Path(db).resolve()
    if not re.fullmatch(r"[\w.-]+", job) or job in (".", ".."):
        return None
    d = db.parent / "jobs" / job
    if d == db.parent / "jobs" / db.name:  # that is the new layout's folder of this database
        return None
    stage = d / "stage"
    if (d / "job.json").is_file() or (stage.is_dir() and any(stage.glob("*.jsonl*"))):
        return d
    return None
