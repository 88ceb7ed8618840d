"""The Scrapy item pipeline: clean articles in worker processes, write stage records.

Scrapy runs on one thread.  Cleaning a page (decode, parse, boilerplate, repairs) costs far more
CPU than fetching it, so cleaning on the reactor thread would make the whole crawl as slow as the
cleaner.  Articles are handed to a ``ProcessPoolExecutor`` (processes, not threads: the cleaners
are pure Python and would hold the GIL):

- one cleaning process per usable CPU, niced below the crawler, so the reactor gets a core
  whenever it has work and the cleaners take every cycle it leaves (crawling and cleaning overlap
  even on two cores);
- ``GUIDECRAWL_CLEAN_BATCH`` articles per task (a partial batch goes out after ``FLUSH_S`` or at
  once when the pool is idle), each worker with one task running and one queued;
- the worker also builds and JSON-encodes the article's stage record and packs the raw pages, so
  the reactor only writes lines;
- each article has ``GUIDECRAWL_CLEAN_TIMEOUT`` seconds in its worker (``pipelines/item/budget.py``:
  SIGPROF on CPU time inside the worker); over it, it is stored uncleaned with status ``timeout``, its raw
  pages kept, and the worker goes on with the next article;
- at most ``GUIDECRAWL_MAX_IN_FLIGHT`` articles are out at once: ``process_item`` waits for a free
  slot, which pushes back on the spider through Scrapy's scraper slot (the reactor never blocks).

Results come back on the reactor thread, which alone writes the stage (``StageWriter`` is one
writer per process, not thread-safe).

Write order makes a SIGKILL harmless: an article's record is written *before* the page records of
its parts, and a resumed run treats a URL as done when it has a page record (see
``crawler/state.py``).  A kill between the two leaves an article whose pages are fetched again;
the resumed run sees the article already stored and writes only the page records.

Size: over 500 lines because it is one Scrapy item pipeline whose lifecycle, stage records and
pool dispatch share the in-flight counters and Deferreds; what runs in the cleaning processes is
already apart, in ``workers.py``.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, deque
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from crawler.items import ArticleItem, Fetched, PageItem
from crawler.stage import StageWriter, pack_raw
from crawler.state import CrawlState, tally, utcnow
from pipelines.errors import DiskFull, is_disk_full
from pipelines.item.budget import DEFAULT_CLEAN_TIMEOUT
from pipelines.item.workers import (
    _init_worker,
    _mp_context,
    _noop,
    article_result,
    clean_batch,
    raw_canonical,
    sha1,
    stop_fork_server,
    usable_cpus,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

# Scrapy and Twisted are imported where the pipeline uses them, not at module level (the pipeline
# is imported by the runner before Scrapy has installed its reactor).

logger = logging.getLogger(__name__)


MAX_POOL_RESTARTS = 5
# Links not followed because a limit was reached (crawler stats key -> run record name).  A run
# that cut links says so in its status (``limit:trap,depth_limit``) and counts (``skipped_trap``).
LIMIT_STATS = {
    "trap": "guidecrawl/skipped/trap",
    "depth_limit": "depth/request_ignored_count",  # Scrapy's DepthMiddleware (DEPTH_LIMIT)
    "site_budget": "guidecrawl/skipped/site_budget",
    "max_pages": "guidecrawl/skipped/max_pages",
}
DEFAULT_BATCH = 4  # articles per cleaning task (GUIDECRAWL_CLEAN_BATCH)
FLUSH_S = 0.05  # a batch that does not fill up goes out after this long


class StagePipeline:
    """Writes every item to the stage; articles go through the cleaning process pool first."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.state = CrawlState.from_crawler(crawler)
        s = crawler.settings
        self.workers = s.getint("GUIDECRAWL_CLEAN_WORKERS") or usable_cpus()
        self.batch = max(1, s.getint("GUIDECRAWL_CLEAN_BATCH") or DEFAULT_BATCH)
        # Each worker has one task running and one queued, so it never waits for the reactor.
        self.max_tasks = 2 * self.workers
        self.max_in_flight = s.getint("GUIDECRAWL_MAX_IN_FLIGHT") or self.batch * (self.max_tasks + 1)
        self.clean_timeout = s.getfloat("GUIDECRAWL_CLEAN_TIMEOUT", DEFAULT_CLEAN_TIMEOUT)
        self.job = s.get("GUIDECRAWL_JOB") or ""
        self.args = s.get("GUIDECRAWL_ARGS") or ""
        self.pool: ProcessPoolExecutor | None = None
        self._pool_ready = False
        self.restarts = 0
        self.writer: StageWriter | None = None
        self.in_flight = 0  # articles handed to _clean and not returned yet
        self.tasks = 0  # batches submitted to the pool and not returned yet
        # (job, Deferred of its result, failed attempts) of articles waiting to fill a batch
        self._pending: list[tuple[tuple, Deferred, int]] = []
        self._retry: deque[tuple[tuple, Deferred, int]] = deque()  # to try again alone
        self._flush_call: Any = None
        self._waiters: deque[Deferred] = deque()
        self._idle: list[Deferred] = []
        self.counts: Counter = Counter(self.state.counts)
        self.drops: Counter = Counter(self.state.drops)
        self.run_record: dict | None = None
        # The run summary reads these through ``crawler.get_item_pipeline(StagePipeline)``:
        self.final_run: dict | None = None  # the run record, once written and the run closed
        self._written: set[str] = set()  # URLs with a page record from this process
        self.disk_full: str | None = None  # the path whose write failed: nothing more is written

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StagePipeline:
        from scrapy import signals

        o = cls(crawler)
        # The run record needs the close reason, which only the spider_closed signal carries
        # (it fires after every pipeline's close_spider).
        crawler.signals.connect(o.spider_closed, signal=signals.spider_closed)
        return o

    # ------------------------------------------------------------------ lifecycle
    def open_spider(self) -> None:
        self.writer = StageWriter(self.state.stage_dir, self.state.worker)
        self._start_pool()
        if self.state.counts:
            logger.info(
                "resuming run %s: %d pages already stored", self.state.run_id, self.state.counts["pages"]
            )

    def _start_pool(self) -> None:
        ctx = _mp_context()
        if ctx.get_start_method() == "forkserver":
            ctx.set_forkserver_preload(["pipelines.item.workers"])
            # Started here, on the reactor's (main) thread, not lazily by the first submit on a
            # pool thread: the fork server's parent-death signal fires when the thread that
            # started it ends (see die_with_parent).
            from multiprocessing import forkserver

            forkserver.ensure_running()
        pool = self.pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_init_worker)

        self._pool_ready = False

        def start_workers() -> None:
            # The executor starts workers lazily, on the first article; start them now, off the
            # reactor thread (the first fork waits for the fork server to warm the cleaner).
            try:
                for fut in [pool.submit(_noop) for _ in range(self.workers)]:
                    fut.result()
            except Exception:  # a broken pool shows up on the first article
                logger.exception("could not start the cleaning processes")
                return
            # Every worker is up: from now on ``submit`` only queues, so the reactor thread can
            # call it directly instead of paying a thread hop per article.
            self._pool_ready = pool is self.pool

        from twisted.internet import reactor

        reactor.callInThread(start_workers)

    async def close_spider(self) -> None:
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet.defer import Deferred

        while self.in_flight or self._waiters:
            d: Deferred = Deferred()
            self._idle.append(d)
            await maybe_deferred_to_future(d)
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        stop_fork_server()

    def spider_closed(self, spider: Any, reason: str) -> None:
        names = [p["name"] for p in getattr(spider, "profiles", [])]
        counts = dict(self.counts)
        cut = []
        for name, key in LIMIT_STATS.items():
            n = self.stats.get_value(key, 0)
            if n:
                counts[f"skipped_{name}"] = n
                cut.append(name)
        # Why the crawl stopped: Scrapy's reason, or the limits that cut a "finished" crawl short.
        status = "disk_full" if self.disk_full else reason
        if status == "finished" and cut:
            status = "limit:" + ",".join(cut)
        self.run_record = {
            "type": "run",
            "run_id": self.state.run_id,
            "job": self.job or (names[0] if names else ""),
            "site": names[0] if len(names) == 1 else (self.job or ",".join(names)),
            "started_at": self.state.resumed_from or self.state.started_at,
            "finished_at": utcnow(),
            "status": status,
            "args": json.loads(self.args) if self.args else {"sites": names},
            "counts": dict(sorted(counts.items())),
            "drops": dict(sorted(self.drops.items())),
            "health": [],
        }
        assert self.writer is not None
        self._guard(self.writer.write, self.run_record)
        self._guard(self.writer.close)
        if self.disk_full:
            return  # no run record on disk: a --resume continues this run
        if status == "finished" or status.startswith(("limit:", "closespider_")):
            # Ended by design (a limit is part of the job): nothing to resume.
            self._guard(self.state.mark_finished)
        self.final_run = self.run_record

    def stage_files(self) -> list[str]:
        """The stage files this crawl published (all of them once the spider closed)."""
        return [str(p) for p in self.writer.published] if self.writer is not None else []

    # ------------------------------------------------------------------ disk full
    def _guard(self, write: Any, *args: Any) -> None:
        """Run one write; a full disk stops the crawl (once, with one line), other errors raise."""
        if self.disk_full:
            return
        try:
            write(*args)
        except OSError as exc:
            if not is_disk_full(exc):
                raise
            self._stop_disk_full(exc.filename or self.state.stage_dir)

    def _stop_disk_full(self, path: Any) -> None:
        """The first failed write: stop fetching, write nothing more (never the item: it holds the
        page's raw bytes), and leave the stage as a ``--resume`` can continue it."""
        from scrapy.utils.defer import deferred_from_coro

        self.disk_full = str(path)
        # INFO: the log file keeps it; the terminal gets the CLI's one line (run_crawl raises it).
        logger.info("stopping the crawl: %s", DiskFull(path))
        if self.crawler.engine is not None and self.crawler.engine.spider is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="disk_full"))

    # ------------------------------------------------------------------ records
    def _write(self, record: dict) -> None:
        assert self.writer is not None
        if self.disk_full:
            return
        if record["type"] == "page":
            # One page record per URL and run: a resumed run may fetch again the later page of
            # an article whose first page it replayed, and a redirect can land on a URL that was
            # also linked directly.
            url = record["url"]
            if url in self.state.done or url in self._written:
                self.stats.inc_value("guidecrawl/pages/duplicate_skipped")
                return
            self._written.add(url)
        record.setdefault("run_id", self.state.run_id)
        self._guard(self.writer.write, record)
        if self.disk_full:
            return
        tally(self.counts, self.drops, record)
        if record["type"] == "page":
            self.stats.inc_value("guidecrawl/pages")
            self.stats.inc_value(f"guidecrawl/pages/{record['outcome']}")
            if record["outcome"] in ("gone", "error", "dropped"):
                self.stats.inc_value(f"guidecrawl/dropped/{record['reason'] or record['outcome']}")
        elif record["type"] == "article":
            self.stats.inc_value("guidecrawl/articles")

    def page_record(
        self,
        site: str,
        page: Fetched,
        outcome: str,
        reason: str = "",
        *,
        raw: str | None = None,
        content_hash: str | None = None,
        encoding: str = "",
        encoding_reason: str = "",
        article_url: str | None = None,
        part_no: int | None = None,
    ) -> dict:
        if raw is None and page.body:
            raw = pack_raw(page.body)
        if content_hash is None and page.body:
            content_hash = sha1(page.body)
        if not encoding and page.header_charset:
            encoding, encoding_reason = page.header_charset, "http header (not decoded by the cleaner)"
        return {
            "type": "page",
            "run_id": self.state.run_id,
            "url": page.url,
            "final_url": page.final_url,
            "site": site,
            "status": page.status,
            "outcome": outcome,
            "reason": reason,
            "fetched_at": page.fetched_at,
            "content_type": page.content_type,
            "encoding": encoding,
            "encoding_reason": encoding_reason,
            "content_hash": content_hash,
            "etag": page.etag or None,
            "last_modified": page.last_modified or None,
            "raw": raw,
            "article_url": article_url,
            "part_no": part_no,
        }

    # ------------------------------------------------------------------ items
    async def process_item(self, item: Any) -> Any:
        if isinstance(item, PageItem):
            self._page_item(item)
        elif isinstance(item, ArticleItem):
            await self._article_item(item)
        return item

    def _page_item(self, item: PageItem) -> None:
        page = item.page
        if page.replayed:
            self.stats.inc_value("guidecrawl/resume/skipped_pages")
            return
        if item.outcome == "unchanged":
            prior = self.state.prior.get(page.url, {})
            rec = self.page_record(
                item.site,
                page,
                "unchanged",
                item.reason,
                content_hash=prior.get("content_hash"),
                article_url=page.url,
                part_no=1,
            )
            rec["etag"] = rec["etag"] or prior.get("etag")
            rec["last_modified"] = rec["last_modified"] or prior.get("last_modified")
            self._write(rec)
            return
        self._write(self.page_record(item.site, page, item.outcome, item.reason))

    async def _article_item(self, item: ArticleItem) -> None:
        if not item.parts:
            return
        if item.replayed:
            self.stats.inc_value("guidecrawl/resume/skipped_articles")
            return
        site = item.site
        first = item.url
        hashes = [sha1(p.body) for p in item.parts]
        # Incremental: every page as stored last time -> nothing to clean or store again.
        if all(
            self.state.prior.get(p.url, {}).get("content_hash") == h
            for p, h in zip(item.parts, hashes, strict=True)
        ):
            # The bytes are kept, as for any fetched page, so a resumed run can replay the page.
            for n, (p, h) in enumerate(zip(item.parts, hashes, strict=True), 1):
                self._write(
                    self.page_record(
                        site,
                        p,
                        "unchanged",
                        "same_content_hash",
                        content_hash=h,
                        article_url=first,
                        part_no=n,
                    )
                )
            return
        if first in self.state.articles_done:
            # Stored by the killed attempt of this run, its page records lost: records only.
            for n, (p, h) in enumerate(zip(item.parts, hashes, strict=True), 1):
                self._write(
                    self.page_record(
                        site,
                        p,
                        "article" if n == 1 else "article_part",
                        item.reason,
                        content_hash=h,
                        article_url=first,
                        part_no=n,
                    )
                )
            return
        profile = self._profile(site)
        parts = [(p.body, p.final_url or p.url, p.header_charset) for p in item.parts]
        fields = {
            "run_id": self.state.run_id,
            "site": site,
            "page_urls": [p.url for p in item.parts],
            "content_hash": sha1("".join(hashes).encode("ascii")),
            "reason": item.reason,
            "clean_timeout": self.clean_timeout,
        }
        result = await self._clean(parts, profile, fields)
        self._write_article(result)
        self.state.articles_done.add(first)
        for n, (p, h, raw) in enumerate(zip(item.parts, hashes, result["raws"], strict=True), 1):
            self._write(
                self.page_record(
                    site,
                    p,
                    "article" if n == 1 else "article_part",
                    item.reason if n == 1 else "",
                    raw=raw,
                    content_hash=h,
                    encoding=result["encoding"],
                    encoding_reason=result["encoding_reason"],
                    article_url=first,
                    part_no=n,
                )
            )

    def _write_article(self, result: dict) -> None:
        """Write an article record the worker built and serialized (see ``article_result``)."""
        assert self.writer is not None
        self._guard(self.writer.write_line, result["line"])
        if self.disk_full:
            return
        self.counts.update(result["counts"])
        self.drops.update(result["drops"])
        self.stats.inc_value("guidecrawl/articles")

    def _profile(self, site: str) -> dict | None:
        for p in getattr(self.crawler.spider, "profiles", []):
            if p["name"] == site:
                return p
        return None

    # ------------------------------------------------------------------ the pool
    async def _clean(
        self, parts: list[tuple[bytes, str, str | None]], profile: dict | None, fields: dict
    ) -> dict:
        """The worker's ``article_result`` for one article; waits while ``max_in_flight`` are out.

        Waiting here is the crawl's backpressure: ``process_item`` does not return, so Scrapy's
        scraper slot fills up and the engine stops downloading until cleaning catches up.  The
        reactor itself never blocks.
        """
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet.defer import Deferred

        while self.in_flight >= self.max_in_flight:
            w: Deferred = Deferred()
            self._waiters.append(w)
            await maybe_deferred_to_future(w)
        self.in_flight += 1
        self.stats.max_value("guidecrawl/clean/max_in_flight", self.in_flight)
        try:
            d: Deferred = Deferred()
            self._pending.append(((parts, profile, fields), d, 0))
            self._dispatch()
            return await maybe_deferred_to_future(d)
        finally:
            self.in_flight -= 1
            if self._waiters:
                self._waiters.popleft().callback(None)
            elif not self.in_flight:
                idle, self._idle = self._idle, []
                for i in idle:
                    i.callback(None)

    def _dispatch(self, force: bool = False) -> None:
        """Submit full batches while the pool has room; a partial one only when the pool is idle
        or ``force`` (the flush timer), so a slow trickle of articles is not held back.

        An article whose batch died with its worker is tried once more *alone* in an otherwise
        idle pool, so one page that kills its cleaner cannot take its batch-mates down with it.
        """
        while self.tasks < self.max_tasks and (self._retry or self._pending):
            if self._retry:
                if self.tasks:
                    break
                batch = [self._retry.popleft()]
            else:
                if len(self._pending) < self.batch and not force and self.tasks:
                    break
                batch, self._pending = self._pending[: self.batch], self._pending[self.batch :]
            self.tasks += 1
            self._submit(batch)
        if self._pending and self._flush_call is None:
            from twisted.internet import reactor

            # zope interface methods have no self: mypy reads IReactorTime.callLater(delay, ...)
            # as if delay were self, and the callable as the first argument
            self._flush_call = reactor.callLater(FLUSH_S, self._flush)  # type: ignore[arg-type]

    def _flush(self) -> None:
        self._flush_call = None
        self._dispatch(force=True)

    def _error_result(self, job: tuple, reason: str) -> dict:
        from cleaners.model import Article

        parts, _, fields = job
        art = Article(url=parts[0][1], status="error", reason=reason, canonical_url=raw_canonical(parts))
        return article_result(art.to_dict(), "", [pack_raw(r) for r, _, _ in parts], fields)

    def _batch_done(self, batch: list[tuple], pool: Any, results: Any, exc: Any) -> None:
        """On the reactor thread: hand each article its result, then refill the pool."""
        self.tasks -= 1
        if exc is not None:
            # A worker died (out of memory, killed), or the pool was replaced while this batch
            # waited.  Go on with a new pool and try each article once more on its own; an
            # article that fails again is recorded as an error -- never lost.  When pools keep
            # dying, no new pool is started and every article is recorded as an error at once
            # instead of forking processes in a loop.
            reason = f"cleaning process failed: {type(exc).__name__}: {exc}"[:300]
            logger.error("%s (%s)", reason, ", ".join(job[0][0][1] for job, _, _ in batch))
            if pool is self.pool and self.restarts < MAX_POOL_RESTARTS:
                self.restarts += 1
                self.stats.inc_value("guidecrawl/clean/pool_restarts")
                if self.pool is not None:
                    self.pool.shutdown(wait=False, cancel_futures=True)
                self._start_pool()
            results = []
            for job, d, tries in batch:
                if not tries and pool is not self.pool:  # a fresh pool to try on
                    self.stats.inc_value("guidecrawl/clean/retried")
                    self._retry.append((job, d, tries + 1))
                    results.append(None)
                else:
                    results.append(self._error_result(job, reason))
        for (_, d, _), result in zip(batch, results, strict=True):
            if result is not None:
                d.callback(result)
        self._dispatch()

    def _submit(self, batch: list[tuple]) -> None:
        from twisted.internet import reactor

        pool = self.pool
        jobs = [job for job, _, _ in batch]

        def done(f: Future) -> None:
            # Called on a pool management thread: hand the result to the reactor thread.
            exc = f.exception()
            reactor.callFromThread(self._batch_done, batch, pool, None if exc else f.result(), exc)

        def submit() -> None:
            # On a reactor pool thread: ``submit`` can block for seconds while the first worker
            # is forked from a fork server that is still building the cleaner's tables.
            try:
                if pool is None:
                    raise RuntimeError("no cleaning pool")
                pool.submit(clean_batch, jobs).add_done_callback(done)
            except Exception as exc:  # BrokenProcessPool: handled by _batch_done on the reactor
                reactor.callFromThread(self._batch_done, batch, pool, None, exc)

        if self._pool_ready:
            submit()
        else:
            reactor.callInThread(submit)
