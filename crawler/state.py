"""What a crawl knows before it fetches anything: its run id, what earlier runs stored (for
incremental re-crawls) and, when resuming, what this job already fetched.

Resume is built on our own stage files, not on Scrapy's ``JOBDIR``: Scrapy writes its disk queue
state when the spider closes, so a SIGKILL loses it, while every stage record is flushed when it
is written (see ``crawler/stage.py``).  A resumed run re-reads this run's page records; pages
already fetched are *replayed* from the stage (``ResumeReplayMiddleware``) instead of fetched, so
the spider sees the same pages, rebuilds the same frontier and goes on where the killed run was,
without a second page record or a second article.

One ``CrawlState`` per crawler, shared by the spider, the middlewares and the item pipeline.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawler.stage import recover_orphans, stage_files

logger = logging.getLogger(__name__)

# Page outcomes that mean "this URL is done for this run": a resumed run does not fetch it again.
# ``error`` is not among them: a page that failed is worth another try.
DONE_OUTCOMES = {"article", "article_part", "listing", "unchanged", "gone", "dropped"}
# Outcomes whose content hash is the page as stored (the incremental crawl compares against it).
STORED_OUTCOMES = {"article", "article_part", "unchanged"}
DROP_OUTCOMES = {"gone", "error", "dropped"}
LOW_CONFIDENCE = 0.5  # cleaners.page.UNSURE: an article below this says why in its reason
MIN_BODY_CHARS = 50  # as pipelines.run.health.DEFAULT_THRESHOLDS["min_body_chars"]


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def new_run_id() -> str:
    # Sortable by time, unique across workers started in the same second.
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def tally(counts: Counter, drops: Counter, record: dict) -> None:
    """Count one stage record into a run's ``counts`` and ``drops`` (the run record's shape)."""
    kind = record.get("type")
    if kind == "page":
        outcome = record.get("outcome", "")
        counts["pages"] += 1
        counts[f"pages_{outcome}"] += 1
        if outcome in DROP_OUTCOMES:
            drops[record.get("reason") or outcome] += 1
        if outcome == "error":
            counts["errors"] += 1
        if outcome == "unchanged" and (record.get("part_no") or 1) == 1:
            counts["unchanged_articles"] += 1
    elif kind == "article":
        counts["articles"] += 1
        status = record.get("status", "ok")
        if status != "ok":
            counts[f"articles_{status}"] += 1
        if len((record.get("body") or "").strip()) < MIN_BODY_CHARS:
            counts["empty_body"] += 1
        if not (record.get("title") or "").strip():
            counts["no_title"] += 1
        conf = record.get("confidence")
        if isinstance(conf, int | float) and conf < LOW_CONFIDENCE and status == "ok":
            counts["low_confidence"] += 1  # kept, but the extractor was unsure it is the article


class CrawlState:
    """Run id, prior page state and (for ``resume``) the pages this job already fetched."""

    def __init__(
        self,
        stage_dir: str | os.PathLike,
        *,
        db: str | os.PathLike | None = None,
        job_dir: str | os.PathLike | None = None,
        resume: bool = False,
        run_id: str | None = None,
        worker: str | None = None,
        read_prior: Callable[[Path], Mapping[str, dict[str, Any]]] | None = None,
    ):
        self.stage_dir = Path(stage_dir)
        self.db = Path(db) if db else None
        self.job_dir = Path(job_dir) if job_dir else None
        self.started_at = utcnow()
        self.resumed_from: str | None = None
        job = self._read_job()
        if run_id:
            self.run_id = run_id
        elif resume and job and not job.get("finished"):
            self.run_id = job["run_id"]
            self.resumed_from = job.get("started_at")
        else:
            if resume:
                logger.info("nothing to resume in %s: starting a new run", self.job_dir)
            self.run_id = new_run_id()
        self.resume = bool(resume and self.resumed_from)
        # url -> {"etag", "last_modified", "content_hash"} as stored in ``db`` (the store's reader,
        # named by the GUIDECRAWL_PRIOR_STATE setting: the crawler does not know the store)
        self.read_prior = read_prior
        self.worker = worker or f"crawl-{self.run_id}"
        self._write_job(finished=False)
        # url -> {"etag", "last_modified", "content_hash"} as last stored
        self.prior: dict[str, dict[str, Any]] = {}
        # url -> (stage file, byte offset) of this run's page record (resume only)
        self.done: dict[str, tuple[str, int]] = {}
        self.articles_done: set[str] = set()  # first-page URLs of this run's article records
        self.counts: Counter = Counter()  # this run's counts so far (earlier attempts included)
        self.drops: Counter = Counter()
        self._load()

    # ------------------------------------------------------------------ job file
    def _job_file(self) -> Path | None:
        return self.job_dir / "job.json" if self.job_dir else None

    def _read_job(self) -> dict | None:
        f = self._job_file()
        if not f or not f.is_file():
            return None
        try:
            job = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return job if isinstance(job, dict) and job.get("run_id") else None

    def _write_job(self, finished: bool) -> None:
        f = self._job_file()
        if not f:
            return
        f.parent.mkdir(parents=True, exist_ok=True)
        tmp = f.with_name(f".job.json.{os.getpid()}")
        data = {
            "run_id": self.run_id,
            "started_at": self.resumed_from or self.started_at,
            "finished": finished,
        }
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, f)  # atomic: a kill leaves the old or the new file, never half of one

    def mark_finished(self) -> None:
        self._write_job(finished=True)

    # ------------------------------------------------------------------ prior state
    def _load(self) -> None:
        if self.db and self.db.exists() and self.read_prior is not None:
            self.prior.update(self.read_prior(self.db))
        # A killed writer of this run left a .part file: publish it so its records count.
        recover_orphans(self.stage_dir, self.worker)
        newest: dict[str, str] = {}
        for path in stage_files(self.stage_dir):
            self._scan(path, newest)

    def _scan(self, path: Path, newest: dict[str, str]) -> None:
        offset = 0
        with open(path, "rb") as fh:
            for line in fh:
                start, offset = offset, offset + len(line)
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                kind = rec.get("type")
                mine = self.resume and rec.get("run_id") == self.run_id
                if kind == "page":
                    url = rec.get("url", "")
                    outcome = rec.get("outcome")
                    if outcome in STORED_OUTCOMES and rec.get("content_hash"):
                        at = rec.get("fetched_at", "")
                        if at >= newest.get(url, ""):
                            newest[url] = at
                            self.prior[url] = {
                                "etag": rec.get("etag") or None,
                                "last_modified": rec.get("last_modified") or None,
                                "content_hash": rec.get("content_hash"),
                            }
                    if mine and outcome in DONE_OUTCOMES and url not in self.done:
                        self.done[url] = (str(path), start)
                        tally(self.counts, self.drops, rec)
                        final = rec.get("final_url")
                        if final and final != url:
                            self.done.setdefault(final, (str(path), start))
                elif kind == "article" and mine:
                    first = (rec.get("page_urls") or [rec.get("url")])[0]
                    if first and first not in self.articles_done:
                        self.articles_done.add(first)
                        tally(self.counts, self.drops, rec)

    def replay(self, url: str) -> dict | None:
        """This run's stored page record for ``url`` (resume), or None."""
        where = self.done.get(url)
        if not where:
            return None
        path, offset = where
        with open(path, "rb") as fh:
            fh.seek(offset)
            return json.loads(fh.readline())

    @classmethod
    def from_settings(cls, settings: Any) -> CrawlState:
        """A crawl's state from its ``GUIDECRAWL_*`` settings.

        ``GUIDECRAWL_PRIOR_STATE`` names the function (an object or its import path) that reads
        what earlier runs stored in ``GUIDECRAWL_DB``; crawler/settings.py names the store's.
        """
        reader = settings.get("GUIDECRAWL_PRIOR_STATE") or None
        if isinstance(reader, str):
            from scrapy.utils.misc import load_object

            try:
                reader = load_object(reader)
            except (ImportError, NameError, ValueError) as exc:  # a crawl still works without it
                logger.warning(
                    "cannot load GUIDECRAWL_PRIOR_STATE %r (%s): no incremental state", reader, exc
                )
                reader = None
        return cls(
            settings.get("GUIDECRAWL_STAGE") or "data/stage",
            db=settings.get("GUIDECRAWL_DB") or None,
            job_dir=settings.get("GUIDECRAWL_JOB_DIR") or None,
            resume=settings.getbool("GUIDECRAWL_RESUME"),
            run_id=settings.get("GUIDECRAWL_RUN_ID") or None,
            worker=settings.get("GUIDECRAWL_WORKER") or None,
            read_prior=reader,
        )

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlState:
        """The crawl's one state: the spider's ``crawl_state`` (the guide spider builds it when it is
        created, before the middlewares and the item pipeline, which take it from there); for
        another spider it is built here from the settings and kept on the spider."""
        spider = getattr(crawler, "spider", None)
        state = getattr(spider, "crawl_state", None)
        if not isinstance(state, CrawlState):
            state = cls.from_settings(crawler.settings)
            if spider is not None:
                spider.crawl_state = state
        return state
