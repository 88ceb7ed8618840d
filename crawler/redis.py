"""Scale-out: several crawl workers share one frontier and one duplicate filter in Redis.

``configure(settings, redis_url)`` switches a Scrapy settings dict to scrapy-redis.  Every worker
may be started with the same start URLs; the shared duplicate filter lets exactly one of them
fetch each page.  Workers never write the DuckDB file: each writes its own stage files and one
loader (``guidecrawl load``) merges them.

What scrapy-redis 0.9.1 gives us, checked against Scrapy 2.19 (tests/crawler/test_redis_scale.py):
  * the request queues (``scrapy_redis.queue``) and the fingerprint set
    (``scrapy_redis.dupefilter.RFPDupeFilter``) work unchanged;
  * its ``Scheduler`` works, but four things it does are wrong for us, so
    ``SharedScheduler`` below subclasses it and replaces exactly those parts:
      1. start requests carry ``dont_filter=True`` (Scrapy's default ``start()``), and the
         scrapy-redis scheduler lets every such request through, so N workers given the same start
         URLs would each fetch them.  We filter a start request through the shared set the first
         time this worker sees it (a retry of it, which comes back with the same fingerprint, is
         let through).
      2. a request popped by a worker that then dies (SIGKILL, OOM, a lost machine) is gone: it
         is no longer in the queue and its fingerprint is in the seen-set, so no other worker will
         ever fetch it — the known hole of scrapy-redis.  We pop and record a *claim* in one Lua
         script (atomic: a worker killed between the two cannot lose the request), and a live
         worker that finds a dead worker's claims re-queues those whose URL never reached the
         stage (see ``reconcile_dead_workers``).  The same hole exists on the way in: scrapy-redis
         adds the fingerprint to the seen-set (SADD) and pushes the request (ZADD) in two round
         trips, so a worker killed between them leaves a URL that is "seen" but in no queue and no
         claim; re-queuing the dead worker's page makes a live worker parse it again, but its
         link is then filtered as seen and never fetched.  So the seen-check and the push are one
         Lua script too (``_SEEN_AND_PUSH``).
      3. with ``SCHEDULER_IDLE_BEFORE_CLOSE`` its FIFO/LIFO queues block the reactor thread in
         BRPOP, and with 0 a worker closes the moment the shared queue is empty even while
         another worker is about to push the links of the page it is parsing.  We never block,
         and ``SharedIdleClose`` decides when a worker is done.
      4. it passes ``spider=`` to ``stats.inc_value``, deprecated in Scrapy 2.19 (a warning for
         every request); our ``enqueue_request``/``next_request`` count without it.
  * ``scrapy_redis.spiders.RedisSpider`` (start URLs pushed into a Redis list) is not used: our
    spiders take start URLs and profiles from the command line like a one-machine crawl.

Keys, all under ``guidecrawl:<crawl>:`` (``<crawl>`` is the job name, so two different crawls
can share one Redis database): ``requests`` (sorted set, the frontier), ``seen`` (fingerprints),
``members`` (worker ids), ``alive:<worker>`` (heartbeat with a TTL, value busy|idle) and
``claims:<worker>`` (hash: requests that worker popped and whose page is not yet in its stage
files; pruned every few seconds as the pages are staged, and emptied when the worker is idle).
When the last worker of a finished crawl exits, it deletes them, so tomorrow's cron run of the
same crawl starts afresh (and the incremental crawl skips what has not changed); if every worker was killed, they
stay, and the next run resumes the crawl where it stopped.

Size: just over 500 lines, one adapter over scrapy-redis: the scheduler, the shared idle close
and ``configure`` share the Redis keys and the claim records.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from twisted.internet.task import LoopingCall

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy_redis.scheduler import Scheduler as _RedisScheduler

from crawler.errors import CrawlConfigError

logger = logging.getLogger(__name__)

KEY_PREFIX = "guidecrawl"

# Pop the best request from the frontier and record it as claimed by this worker, atomically.
# ZRANGE + ZREMRANGEBYRANK is what scrapy-redis's PriorityQueue.pop does in MULTI; the HSET has
# to be in the same atomic step, or a kill between pop and claim loses the request.
_POP_AND_CLAIM = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0)
if #r == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], redis.sha1hex(r[1]), r[1])
return r[1]
"""


# Add a request's fingerprint to the seen-set and, only if it was new, push the request: one
# atomic step.  As two commands (what scrapy-redis's dupefilter + queue do), a worker killed between
# them leaves the fingerprint seen and the request nowhere, and every later link to the page is
# filtered: the page is lost for good (this was the page the kill test kept losing).
_SEEN_AND_PUSH = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""


def crawl_keys(crawl: str) -> dict[str, str]:
    base = f"{KEY_PREFIX}:{crawl}"
    return {
        "requests": f"{base}:requests",
        "seen": f"{base}:seen",
        "members": f"{base}:members",
        "alive": f"{base}:alive:",
        "claims": f"{base}:claims:",
        "reconcile": f"{base}:reconcile-lock",
    }


def _crawl_name(settings: Any) -> str:
    return str(settings.get("GUIDECRAWL_REDIS_CRAWL") or "crawl")


def configure(
    settings: dict | Any,
    redis_url: str,
    idle_timeout: float = 10,
    *,
    crawl: str | None = None,
    stage_dir: str | os.PathLike | None = None,
) -> None:
    """Switch Scrapy settings (a dict or a ``scrapy.settings.Settings``) to a Redis-shared frontier.

    ``idle_timeout``: a worker exits once the shared queue has been empty, and no other live
    worker busy, for this many seconds.  ``crawl`` names the Redis keys (default: the settings'
    ``GUIDECRAWL_JOB``, else the name of ``GUIDECRAWL_JOB_DIR``, else "crawl"); workers of one crawl
    must use the same name.  ``stage_dir`` (default: the settings' ``GUIDECRAWL_STAGE``) is read
    to decide which of a dead worker's requests were never staged.  Raises ``CrawlConfigError`` if Redis
    cannot be reached.
    """
    import redis

    if not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise CrawlConfigError(f"not a Redis URL: {redis_url!r}; expected redis://HOST:PORT/DB")
    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=5)
        client.ping()
        client.close()
    except (redis.RedisError, OSError, ValueError) as e:
        raise CrawlConfigError(
            f"cannot reach Redis at {redis_url} ({e}); start redis-server or fix --redis"
        ) from None
    job_dir = settings.get("GUIDECRAWL_JOB_DIR")
    name = crawl or settings.get("GUIDECRAWL_JOB") or (Path(job_dir).name if job_dir else "") or "crawl"
    # '%' would be read as a format by scrapy-redis (it does ``key % {"spider": name}``).
    name = str(name).replace("%", "_")
    keys = crawl_keys(name)
    stage = stage_dir or settings.get("GUIDECRAWL_STAGE")
    values = {
        "REDIS_URL": redis_url,
        "SCHEDULER": "crawler.redis.SharedScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": keys["requests"],
        "SCHEDULER_DUPEFILTER_KEY": keys["seen"],
        # One worker finishing must not flush the queue the others still work on; the last
        # worker out clears the keys itself (SharedIdleClose.spider_closed).
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
        "GUIDECRAWL_REDIS_CRAWL": name,
        # A setting given by the caller (scrapy -s, CrawlOptions.settings) wins over the argument.
        "GUIDECRAWL_REDIS_IDLE_TIMEOUT": float(settings.get("GUIDECRAWL_REDIS_IDLE_TIMEOUT") or idle_timeout),
        "GUIDECRAWL_REDIS_STAGE_DIR": str(stage) if stage else "",
    }
    if not settings.get("GUIDECRAWL_WORKER"):
        # Name the stage files after the worker process, so its claims can be matched to its own
        # files (and a human can tell whose files are whose).  No '-' inside: StageWriter finds a
        # writer's files by the '<worker>-' prefix, which must not match another worker's id.
        values["GUIDECRAWL_WORKER"] = worker_id().replace("-", "_")
    ext = dict(settings.get("EXTENSIONS") or {})
    ext["crawler.redis.SharedIdleClose"] = 500
    values["EXTENSIONS"] = ext
    # JOBDIR keeps a disk queue that would shadow the shared one; Redis is the resume state here.
    values["JOBDIR"] = None
    for key, value in values.items():
        if not isinstance(settings, dict):  # a scrapy Settings: our values must beat cmdline ones
            settings.set(key, value, priority="cmdline")
        elif value is None:
            settings.pop(key, None)
        else:
            settings[key] = value


def worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class SharedScheduler(_RedisScheduler):
    """scrapy-redis's scheduler with shared start-URL filtering and crash-safe claims (see above)."""

    @classmethod
    def from_crawler(cls, crawler):
        inst = super().from_crawler(crawler)
        inst.crawl = _crawl_name(crawler.settings)
        inst.keys = crawl_keys(inst.crawl)
        inst.worker = worker_id()
        inst.claims_key = inst.keys["claims"] + inst.worker
        inst._starts_seen: set[str] = set()
        inst._claimed: dict[str, list[str]] = {}  # url -> claim fields, until its page is staged
        inst._pop = inst.server.register_script(_POP_AND_CLAIM)
        inst._seen_push = inst.server.register_script(_SEEN_AND_PUSH)
        return inst

    def enqueue_request(self, request):
        # Written out rather than calling super(): scrapy-redis passes ``spider=`` to
        # ``stats.inc_value``, which Scrapy 2.19 deprecates (a warning per request).
        if request.dont_filter and request.meta.get("is_start_request"):
            fp = self.df.request_fingerprint(request)
            # Not seen by this worker before: filter it through the shared set.  Else this worker
            # enqueued it before, so this is a retry: let it through like Scrapy.
            check = fp not in self._starts_seen
            self._starts_seen.add(fp)
        else:
            check = not request.dont_filter
        if check:
            if not self._push_unseen(request):  # another worker (or an earlier run) has it
                self.df.log(request, self.spider)
                return False
        else:
            self.queue.push(request)
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def _push_unseen(self, request) -> bool:
        """Mark ``request`` seen and push it in one atomic step; False if it was seen already."""
        # Same fingerprint and key as scrapy-redis's RFPDupeFilter.request_seen, same score and
        # bytes as its PriorityQueue.push: only the two round trips become one script.
        fp = self.df.request_fingerprint(request)
        data = self.queue._encode_request(request)
        return bool(self._seen_push(keys=[self.df.key, self.queue.key], args=[fp, -request.priority, data]))

    def next_request(self):
        data = self._pop(keys=[self.queue.key, self.claims_key])
        if not data:
            return None
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        request = self.queue._decode_request(data)
        self._claimed.setdefault(request.url, []).append(hashlib.sha1(data).hexdigest())
        return request

    def release_staged(self, urls: Iterable[str]) -> int:
        """Drop the claims of requests whose page is now in the stage; returns how many."""
        fields = [f for u in urls for f in self._claimed.pop(u, ())]
        if fields:
            self.server.hdel(self.claims_key, *fields)
        return len(fields)

    def requeue(self, encoded: Iterable[bytes]) -> int:
        """Push already-encoded requests back, bypassing the seen-set (they are in it already)."""
        n = 0
        for data in encoded:
            # Same score as scrapy-redis's PriorityQueue.push; the bytes are pushed as they were.
            score = -self.queue._decode_request(data).priority
            self.server.execute_command("ZADD", self.queue.key, score, data)
            n += 1
        return n


def _page_urls(lines: Iterable[bytes], out: set[str]) -> None:
    """Add the ``url`` and ``final_url`` of the ``page`` records among complete JSON lines."""
    for line in lines:
        # Cheap pre-filter: article lines are large and have no "type":"page".
        if b'"page"' not in line:
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("type") == "page":
            for k in ("url", "final_url"):
                if rec.get(k):
                    out.add(rec[k])


def _complete_lines(path: Path, offset: int) -> tuple[list[bytes], int]:
    """The complete lines of ``path`` after byte ``offset``, and the offset after the last one.

    A last line with no newline is being written (or was torn by a kill): it is not staged yet.
    """
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read()
    end = data.rfind(b"\n") + 1
    return data[:end].splitlines(), offset + end


def staged_urls(stage_dir: str | os.PathLike) -> set[str]:
    """URLs that have a ``page`` record in any worker's stage file, published or still ``.part``."""
    return StageTail(stage_dir).new_urls()


class StageTail:
    """Page URLs appended to stage files since the last call; each byte is read about once.

    ``prefix`` limits it to one writer's files (``<worker>-``).  A ``.part`` file published under
    its ``.jsonl`` name is read once more from the start (the name is what we track).
    """

    def __init__(self, stage_dir: str | os.PathLike, prefix: str = ""):
        self.dir = Path(stage_dir)
        self.prefix = prefix
        self.offsets: dict[str, int] = {}

    def new_urls(self) -> set[str]:
        urls: set[str] = set()
        if not self.dir.is_dir():
            return urls
        for path in sorted(self.dir.glob(f"{self.prefix}*.jsonl")) + sorted(
            self.dir.glob(f"{self.prefix}*.jsonl.part")
        ):
            try:
                lines, self.offsets[path.name] = _complete_lines(path, self.offsets.get(path.name, 0))
            except FileNotFoundError:  # published (renamed) meanwhile: read under its new name
                done = path.with_name(path.name.removesuffix(".part"))
                if not done.exists():
                    continue
                lines, self.offsets[done.name] = _complete_lines(done, self.offsets.get(done.name, 0))
            _page_urls(lines, urls)
        return urls


def reconcile_dead_workers(scheduler: SharedScheduler, ttl: float, stage_dir: str | None) -> int:
    """Re-queue the requests of dead workers (no heartbeat) that never reached the stage.

    Runs under a Redis lock so two idle workers do not both re-queue the same claims.  Without a
    stage dir every claim of a dead worker is re-queued (at-least-once: a page may be fetched
    twice, which the idempotent loader absorbs).  Returns the number of requests re-queued.
    """
    server, keys = scheduler.server, scheduler.keys
    dead = [
        m.decode()
        for m in server.smembers(keys["members"])
        if m.decode() != scheduler.worker and not server.exists(keys["alive"] + m.decode())
    ]
    if not dead:
        return 0
    lock = server.lock(keys["reconcile"], timeout=max(30.0, 3 * ttl), blocking=False)
    if not lock.acquire(blocking=False):
        return 0
    try:
        done = staged_urls(stage_dir) if stage_dir else set()
        total = 0
        for w in dead:
            claims = server.hgetall(keys["claims"] + w)
            todo = []
            for data in claims.values():
                req = scheduler.queue._decode_request(data)
                if req.url not in done:
                    todo.append(data)
            total += scheduler.requeue(todo)
            server.delete(keys["claims"] + w)
            server.srem(keys["members"], w)
            logger.warning(
                "worker %s died: re-queued %d of its %d claimed requests that never reached the stage",
                w,
                len(todo),
                len(claims),
            )
        if scheduler.stats:
            scheduler.stats.inc_value("redis/requeued_from_dead_workers", total)
        return total
    finally:
        lock.release()


class SharedIdleClose:
    """Keep an idle worker open while the crawl may still grow; close it when it is truly done.

    Scrapy closes a spider as soon as *its* scheduler and downloader are empty.  With a shared
    frontier that is too early: another worker may be parsing a listing page and about to push
    fifty article links.  Every ``tick`` seconds each worker publishes a heartbeat (busy or idle,
    with a TTL).  A worker closes once, for ``idle_timeout`` seconds in a row, it is idle, the
    shared queue is empty, no other live worker is busy or holds claims, and no dead worker is
    left unreconciled.
    """

    tick = 0.5

    def __init__(self, crawler: Any):
        s = crawler.settings
        if not s.get("GUIDECRAWL_REDIS_CRAWL"):
            raise NotConfigured
        self.crawler = crawler
        self.idle_timeout = s.getfloat("GUIDECRAWL_REDIS_IDLE_TIMEOUT", 10)
        # Declared dead after this long without a heartbeat: long enough that a worker starved of
        # CPU on a loaded machine is not mistaken for a dead one (that costs second fetches).
        self.ttl = s.getfloat("GUIDECRAWL_REDIS_WORKER_TTL") or max(10.0, self.idle_timeout)
        self.stage_dir = s.get("GUIDECRAWL_REDIS_STAGE_DIR") or None
        # Claims of pages already staged are dropped as we go, so a long-running worker's claims
        # stay about the size of what it has in flight, not of everything it ever fetched.
        worker = s.get("GUIDECRAWL_WORKER")
        self.tail = StageTail(self.stage_dir, f"{worker}-" if worker else "") if self.stage_dir else None
        self.prune_every = 5.0
        self._pruned_at = time.monotonic()
        self.idle_since: float | None = None
        self.may_close = False
        self._loop: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> SharedIdleClose:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    @property
    def scheduler(self) -> SharedScheduler:
        return self.crawler.engine._slot.scheduler  # the engine exposes no public accessor in 2.19

    def spider_opened(self, spider: Any) -> None:
        from twisted.internet import task

        self._beat(busy=True)
        self._loop = loop = task.LoopingCall(self._tick)
        loop.start(self.tick, now=False)

    def _beat(self, busy: bool) -> None:
        sch = self.scheduler
        pipe = sch.server.pipeline(transaction=False)
        pipe.set(sch.keys["alive"] + sch.worker, "busy" if busy else "idle", px=int(self.ttl * 1000))
        # Re-join every beat: a worker stalled past the TTL was taken for dead and removed; once it
        # beats again it must be watched again (its new claims reconciled if it really dies).
        pipe.sadd(sch.keys["members"], sch.worker)
        if not busy:
            # Idle means every request this worker popped is done: its page staged, its links and
            # any follow-up (a next-part request) in the shared queue.  So its claims can all go,
            # in the same step as the "idle" beat: an idle worker holds no claims, and a worker
            # that holds claims is working (or died working), whatever its last beat said.
            pipe.delete(sch.claims_key)
            sch._claimed.clear()
        pipe.execute()

    def _others_busy(self) -> bool:
        """Is another live worker busy, or holding claims (popped work not yet staged)?

        The claims count as busy because a heartbeat is up to ``tick`` seconds old: a worker that
        beat "idle", then popped the last requests and was killed, still reads "idle" for a whole
        TTL, and without this check the others would close before its claims were re-queued.
        """
        sch = self.scheduler
        for m in sch.server.smembers(sch.keys["members"]):
            w = m.decode()
            if w == sch.worker:
                continue
            beat = sch.server.get(sch.keys["alive"] + w)
            if beat is None:
                continue  # dead: its claims are for reconcile_dead_workers, not a reason to wait
            if beat == b"busy" or sch.server.exists(sch.keys["claims"] + w):
                return True
        return False

    def _tick(self) -> None:
        engine = self.crawler.engine
        if engine is None or engine._slot is None or engine._slot.closing:
            return
        try:
            idle = engine.spider_is_idle()
            self._beat(busy=not idle)
            if self.tail is not None and time.monotonic() - self._pruned_at >= self.prune_every:
                self._pruned_at = time.monotonic()
                self.scheduler.release_staged(self.tail.new_urls())
            if not idle:
                self.may_close = False  # work came back after we decided to close: decide again
            sch = self.scheduler
            if idle and len(sch.queue):
                # Work appeared (pushed by another worker or re-queued): wake the engine now rather
                # than at its next 5 s heartbeat.
                engine._slot.nextcall.schedule()
                self.idle_since = None
                return
            if not idle or self._others_busy():
                self.idle_since = None
                return
            if reconcile_dead_workers(sch, self.ttl, self.stage_dir):
                engine._slot.nextcall.schedule()
                self.idle_since = None
                return
            dead_claims = any(
                not sch.server.exists(sch.keys["alive"] + m.decode())
                for m in sch.server.smembers(sch.keys["members"])
                if m.decode() != sch.worker
            )
            now = time.monotonic()
            if dead_claims:  # a dead worker not yet reconciled (another worker holds the lock)
                self.idle_since = None
            elif self.idle_since is None:
                self.idle_since = now
            elif now - self.idle_since >= self.idle_timeout:
                self.may_close = True
                engine._slot.nextcall.schedule()  # the engine re-checks idleness, then spider_idle
        except Exception:  # a Redis hiccup must not kill the loop; the next tick tries again
            logger.exception("shared idle check failed")

    def spider_idle(self, spider: Any) -> None:
        if not self.may_close:
            raise DontCloseSpider

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        sch = self.scheduler
        server, keys = sch.server, sch.keys
        # Pipelines (and so the stage files) are closed before spider_closed: what this worker
        # claimed is staged, its claims can go.
        pipe = server.pipeline(transaction=True)
        pipe.delete(keys["claims"] + sch.worker, keys["alive"] + sch.worker)
        pipe.srem(keys["members"], sch.worker)
        pipe.scard(keys["members"])
        left = pipe.execute()[-1]
        if left == 0 and reason == "finished" and not len(sch.queue):
            server.delete(keys["requests"], keys["seen"], keys["reconcile"])
            logger.info("last worker of crawl %r finished: cleared its Redis keys", sch.crawl)


def clear_crawl(redis_url: str, crawl: str) -> int:
    """Delete every Redis key of ``crawl`` (to abandon a half-done crawl instead of resuming it)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{KEY_PREFIX}:{crawl}:*"))
    return client.delete(*keys) if keys else 0
