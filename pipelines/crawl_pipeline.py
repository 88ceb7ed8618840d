"""The Scrapy item pipeline: clean articles in worker processes, write stage records.

Scrapy runs on one thread.  Cleaning a page (decode, parse, boilerplate, repairs) costs far more
CPU than fetching it, so cleaning on the reactor thread would make the whole crawl as slow as the
cleaner.  Articles are handed to a ``ProcessPoolExecutor`` (processes, not threads: the cleaners
are pure Python and would hold the GIL); at most ``GUIDECRAWL_MAX_IN_FLIGHT`` are out at once and
``process_item`` waits for a free slot, which pushes back on the spider through Scrapy's scraper
slot.  Results come back on the reactor thread, which alone writes the stage (``StageWriter`` is
one writer per process, not thread-safe).

Write order makes a SIGKILL harmless: an article's record is written *before* the page records of
its parts, and a resumed run treats a URL as done when it has a page record (see
``crawler/state.py``).  A kill between the two leaves an article whose pages are fetched again;
the resumed run sees the article already stored and writes only the page records.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import sys
from collections import Counter, deque
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from crawler.items import ArticleItem, Fetched, PageItem
from crawler.state import CrawlState, tally, utcnow
from pipelines.stage import StageWriter, pack_raw

logger = logging.getLogger(__name__)


MAX_POOL_RESTARTS = 5


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


WARM_PAGE = (
    "<html><head><meta charset='utf-8'><title>预热</title></head><body><div class='content'>"
    "<h1>预热页面</h1><p>一、概述</p><p>这是一段用来预热清洗进程的文字，没有别的用途。</p></div></body></html>"
).encode()


def _warm_worker() -> None:
    # The cleaner builds its tables on first use (seconds); pay that when the pool starts, while
    # the spider is still fetching its first listings, not on the first article.
    try:
        from cleaners.page import clean_parts

        clean_parts([(WARM_PAGE, "http://warm.invalid/1.html", "utf-8")])
    except Exception:  # a broken cleaner shows up, per article, in clean_article
        pass


def _noop() -> None:
    return None


def _in_forkserver() -> bool:
    # multiprocessing starts its fork server as ``python -c "from multiprocessing.forkserver import
    # main; main(...)"`` and imports the preload modules there.
    return sys.argv == ["-c"] and "multiprocessing.forkserver" in sys.modules


if _in_forkserver():
    # Build the cleaner's tables once in the fork server: every cleaning process forked from it
    # shares them copy-on-write (hundreds of MB) instead of building its own copy.
    _warm_worker()


def clean_article(parts: Sequence[tuple[bytes, str, str | None]], profile: dict | None) -> dict:
    """Runs in a worker process: clean one article and pack its raw pages for the stage.

    Never raises: a cleaner failure becomes an article with ``status="error"`` so one bad page
    cannot stop a crawl.
    """
    from cleaners.model import Article

    url = parts[0][1] if parts else ""
    version = ""
    try:
        # Imported here, not at module level: the cleaner is another engineer's module and the
        # crawl must keep working (recording the failure) while it is being changed.
        from cleaners import CLEANER_VERSION as version
        from cleaners.page import clean_parts

        art = clean_parts(list(parts), profile=profile)
    except Exception as exc:  # the contract says clean_parts never raises; guard it anyway
        art = Article(url=url, status="error", reason=f"cleaner failed: {type(exc).__name__}: {exc}"[:500])
    d = art.to_dict()
    return {
        "article": d,
        "cleaner_version": version,
        "raws": [pack_raw(raw) for raw, _, _ in parts],
    }


def _mp_context() -> multiprocessing.context.BaseContext:
    # Not "fork": forking a process that runs the Twisted reactor and its thread pool can copy a
    # held lock into the child.  forkserver forks from a clean helper process instead.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class StagePipeline:
    """Writes every item to the stage; articles go through the cleaning process pool first."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.state = CrawlState.from_crawler(crawler)
        s = crawler.settings
        self.workers = s.getint("GUIDECRAWL_CLEAN_WORKERS") or max(1, (os.cpu_count() or 2) - 1)
        self.max_in_flight = s.getint("GUIDECRAWL_MAX_IN_FLIGHT") or 4 * self.workers
        self.job = s.get("GUIDECRAWL_JOB") or ""
        self.args = s.get("GUIDECRAWL_ARGS") or ""
        self.pool: ProcessPoolExecutor | None = None
        self._pool_ready = False
        self.restarts = 0
        self.writer: StageWriter | None = None
        self.in_flight = 0
        self._waiters: deque[Deferred] = deque()
        self._idle: list[Deferred] = []
        self.counts: Counter = Counter(self.state.counts)
        self.drops: Counter = Counter(self.state.drops)
        self.run_record: dict | None = None
        self._written: set[str] = set()  # URLs with a page record from this process

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StagePipeline:
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
            ctx.set_forkserver_preload(["pipelines.crawl_pipeline"])
        pool = self.pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_warm_worker)

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
        while self.in_flight or self._waiters:
            d: Deferred = Deferred()
            self._idle.append(d)
            await maybe_deferred_to_future(d)
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def spider_closed(self, spider: Any, reason: str) -> None:
        names = [p["name"] for p in getattr(spider, "profiles", [])]
        self.run_record = {
            "type": "run",
            "run_id": self.state.run_id,
            "job": self.job or (names[0] if names else ""),
            "site": names[0] if len(names) == 1 else (self.job or ",".join(names)),
            "started_at": self.state.resumed_from or self.state.started_at,
            "finished_at": utcnow(),
            "status": reason,
            "args": json.loads(self.args) if self.args else {"sites": names},
            "counts": dict(sorted(self.counts.items())),
            "drops": dict(sorted(self.drops.items())),
            "health": [],
        }
        assert self.writer is not None
        self.writer.write(self.run_record)
        self.writer.close()
        if reason == "finished":
            self.state.mark_finished()
        self.crawler._guidecrawl_run = self.run_record
        self.crawler._guidecrawl_stage_files = [str(p) for p in self.writer.published]

    # ------------------------------------------------------------------ records
    def _write(self, record: dict) -> None:
        assert self.writer is not None
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
        self.writer.write(record)
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
        result = await self._clean(parts, profile)
        art = result["article"]
        art.update(
            type="article",
            run_id=self.state.run_id,
            site=site,
            cleaner_version=result.get("cleaner_version", ""),
            page_urls=[p.url for p in item.parts],
            content_hash=sha1("".join(hashes).encode("ascii")),
        )
        if item.reason and not art.get("reason"):
            art["reason"] = item.reason
        self._write(art)
        self.state.articles_done.add(first)
        raws = result.get("raws") or [None] * len(item.parts)
        for n, (p, h, raw) in enumerate(zip(item.parts, hashes, raws, strict=True), 1):
            self._write(
                self.page_record(
                    site,
                    p,
                    "article" if n == 1 else "article_part",
                    item.reason if n == 1 else "",
                    raw=raw,
                    content_hash=h,
                    encoding=art.get("encoding") or "",
                    encoding_reason=art.get("encoding_reason") or "",
                    article_url=first,
                    part_no=n,
                )
            )

    def _profile(self, site: str) -> dict | None:
        for p in getattr(self.crawler.spider, "profiles", []):
            if p["name"] == site:
                return p
        return None

    # ------------------------------------------------------------------ the pool
    async def _clean(self, parts: list[tuple[bytes, str, str | None]], profile: dict | None) -> dict:
        while self.in_flight >= self.max_in_flight:
            d: Deferred = Deferred()
            self._waiters.append(d)
            await maybe_deferred_to_future(d)
        self.in_flight += 1
        self.stats.max_value("guidecrawl/clean/max_in_flight", self.in_flight)
        pool = self.pool
        try:
            return await maybe_deferred_to_future(self._submit(parts, profile))
        except Exception as exc:
            # A worker died (out of memory, killed), or the pool was replaced while this article
            # waited: record the article as an error -- never lose it -- and go on with a new
            # pool, unless pools keep dying (then every article is recorded as an error at once
            # instead of forking processes in a loop).
            reason = f"cleaning process failed: {type(exc).__name__}: {exc}"[:300]
            logger.error("%s (%s)", reason, parts[0][1])
            if pool is self.pool and self.restarts < MAX_POOL_RESTARTS:
                self.restarts += 1
                self.stats.inc_value("guidecrawl/clean/pool_restarts")
                if self.pool is not None:
                    self.pool.shutdown(wait=False, cancel_futures=True)
                self._start_pool()
            from cleaners.model import Article

            art = Article(url=parts[0][1], status="error", reason=reason)
            return {"article": art.to_dict(), "raws": [pack_raw(r) for r, _, _ in parts]}
        finally:
            self.in_flight -= 1
            if self._waiters:
                self._waiters.popleft().callback(None)
            elif not self.in_flight:
                idle, self._idle = self._idle, []
                for d in idle:
                    d.callback(None)

    def _submit(self, parts: list[tuple[bytes, str, str | None]], profile: dict | None) -> Deferred:
        from twisted.internet import reactor

        pool = self.pool
        assert pool is not None
        d: Deferred = Deferred()

        def done(f: Future) -> None:
            # Called on a pool management thread: hand the result to the reactor thread.
            exc = f.exception()
            if exc is not None:
                reactor.callFromThread(d.errback, exc)
            else:
                reactor.callFromThread(d.callback, f.result())

        def submit() -> None:
            # On a reactor pool thread: ``submit`` can block for seconds while the first worker
            # is forked from a fork server that is still building the cleaner's tables.
            try:
                pool.submit(clean_article, parts, profile).add_done_callback(done)
            except Exception as exc:  # BrokenProcessPool: handled by _clean on the reactor thread
                reactor.callFromThread(d.errback, exc)

        if self._pool_ready:
            submit()
        else:
            reactor.callInThread(submit)
        return d
