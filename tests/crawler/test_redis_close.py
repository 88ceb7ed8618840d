"""When may a Redis worker close, and what does enqueuing leave in Redis (crawler/redis.py).

Two workers are simulated in one process against a real redis-server; the end-to-end kill test is
``test_redis_scale.py::test_killed_guidecrawl_worker_loses_nothing_after_load``.
"""

from __future__ import annotations

from types import SimpleNamespace

import redis
import scrapy
from scrapy.settings import Settings

from crawler.redis import SharedIdleClose, configure
from tests.crawler import test_redis_scale as scale

redis_url = scale.redis_url  # the real redis-server fixture


def _worker(redis_url: str, name: str) -> tuple[SharedIdleClose, object]:
    sch = scale._scheduler(redis_url, name)
    settings: dict = {}
    configure(settings, redis_url, crawl="u")
    crawler = SimpleNamespace(
        settings=Settings(settings), engine=SimpleNamespace(_slot=SimpleNamespace(scheduler=sch))
    )
    return SharedIdleClose(crawler), sch


def test_enqueue_marks_seen_and_pushes_together(redis_url):
    ext, a = _worker(redis_url, "wa")
    _, b = _worker(redis_url, "wb")
    assert a.enqueue_request(scrapy.Request("http://x/1")) is True
    fp = a.df.request_fingerprint(scrapy.Request("http://x/1"))
    assert a.server.sismember(a.df.key, fp) and len(a.queue) == 1
    # Seen by another worker: refused, and nothing is pushed a second time.
    assert b.enqueue_request(scrapy.Request("http://x/1")) is False
    assert len(a.queue) == 1
    # dont_filter requests bypass the set (and do not enter it), as with Scrapy's own scheduler.
    assert a.enqueue_request(scrapy.Request("http://x/2", dont_filter=True)) is True
    assert len(a.queue) == 2
    assert not a.server.sismember(a.df.key, a.df.request_fingerprint(scrapy.Request("http://x/2")))
    assert b.next_request().url == "http://x/1"


def test_a_worker_dying_mid_enqueue_leaves_the_url_either_unseen_or_queued(redis_url, monkeypatch):
    # The page the kill test lost: its fingerprint reached the seen-set, the request never reached
    # the queue, and every later link to it was filtered.  Here the worker's connection dies right
    # after the first Redis command of an enqueue.
    _, a = _worker(redis_url, "wa")
    assert a.enqueue_request(scrapy.Request("http://x/0")) is True  # scripts loaded, connections up
    real = redis.Redis.execute_command
    sent: list = []

    def dies_after_one_command(self, *args, **kwargs):
        if sent:
            raise redis.ConnectionError("worker killed")
        sent.append(args[0])
        return real(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "execute_command", dies_after_one_command)
    try:
        a.enqueue_request(scrapy.Request("http://x/1"))
    except redis.ConnectionError:
        pass
    monkeypatch.undo()
    fp = a.df.request_fingerprint(scrapy.Request("http://x/1"))
    seen = bool(a.server.sismember(a.df.key, fp))
    queued = {r.url for r in iter(a.next_request, None)}
    assert seen == ("http://x/1" in queued), (sent, seen, queued)
    assert queued == {"http://x/0", "http://x/1"}  # one round trip was all it took


def test_a_worker_holding_claims_keeps_the_others_open_until_it_is_dead(redis_url):
    ext_a, a = _worker(redis_url, "wa")
    ext_b, b = _worker(redis_url, "wb")
    ext_a._beat(busy=False)
    ext_b._beat(busy=False)
    b.enqueue_request(scrapy.Request("http://x/1"))
    b.enqueue_request(scrapy.Request("http://x/2"))
    assert ext_a._others_busy() is False
    # b beat "idle", then popped (a beat is up to a tick old when a worker is killed): it holds a
    # claim, so for a it is still working although its heartbeat says idle.
    assert b.next_request().url == "http://x/1"
    assert ext_a._others_busy() is True
    # Once b is idle again every request it popped is done: the idle beat drops its claims.
    ext_b._beat(busy=False)
    assert b.server.hlen(b.claims_key) == 0 and b._claimed == {}
    assert ext_a._others_busy() is False
    ext_b._beat(busy=True)
    assert ext_a._others_busy() is True
    assert ext_b._others_busy() is False  # a: idle, no claims
    # Dead (heartbeat expired) with a claim: not "busy", left to reconcile_dead_workers, which
    # needs the claim (a busy beat keeps claims).
    assert b.next_request().url == "http://x/2"
    ext_b._beat(busy=True)
    b.server.delete(b.keys["alive"] + "wb")
    assert ext_a._others_busy() is False
    assert b.server.hlen(b.claims_key) == 1
