"""Scale-out on a real redis-server: several worker processes share one crawl.

The site is served by the tests' scripted server (tests/mockserver.py), which counts requests
per path (so "fetched exactly once" is measured at the server, not believed from the crawler).
"""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import redis

from crawler.errors import CrawlConfigError
from crawler.redis import StageTail, configure, crawl_keys, staged_urls
from tests.mockserver import Route, TestSite, folder_routes

N_LISTS = 20
PER_LIST = 15


def site_paths() -> set[str]:
    paths = {"/"} | {f"/list/{i}/" for i in range(N_LISTS)}
    paths |= {f"/a/{i}-{j}.html" for i in range(N_LISTS) for j in range(PER_LIST)}
    return paths  # 321 pages


def page(path: str) -> bytes | None:
    if path == "/":
        links = [f"/list/{i}/" for i in range(N_LISTS)]
    elif path.startswith("/list/"):
        i = int(path.split("/")[2])
        if i >= N_LISTS:
            return None
        links = ["/"] + [f"/a/{i}-{j}.html" for j in range(PER_LIST)] + [f"/list/{(i + 1) % N_LISTS}/"]
    elif path.startswith("/a/"):
        i, j = (int(x) for x in path[3:-5].split("-"))
        if i >= N_LISTS or j >= PER_LIST:
            return None
        # Links back and sideways: every page is reachable many times, fetched once.
        links = ["/", f"/list/{i}/", f"/a/{i}-{(j + 1) % PER_LIST}.html", f"/a/{(i + 1) % N_LISTS}-{j}.html"]
    else:
        return None
    body = "".join(f'<a href="{u}">{u}</a>\n' for u in links)
    return f"<html><head><title>{path}</title></head><body><p>第{path}页</p>{body}</body></html>".encode()


def page_route(path: str) -> Route | None:
    """``page`` as the test server's ``dynamic`` route (query ignored)."""
    body = page(path.split("?", 1)[0])
    return None if body is None else Route(body, headers={"Content-Type": "text/html; charset=utf-8"})


@pytest.fixture
def site():
    # a crawl long enough (~6 s for one worker) for every worker to join
    with TestSite(dynamic=page_route, delay=0.08) as s:
        yield s


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    """A real redis-server on a free port, no persistence, stopped after the test."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("redis-server not found: install the Debian package redis-server (make test does)")
    for _ in range(5):
        port = _free_port()
        proc = subprocess.Popen(
            [
                exe,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None:
                    break
                time.sleep(0.05)
        if proc.poll() is None:
            break
    else:
        pytest.fail("could not start redis-server")
    yield f"redis://127.0.0.1:{port}/0"
    client.close()
    proc.terminate()
    proc.wait(10)


def start_workers(n, redis_url, stage, base, repo, crawl="t", idle=1.5, ttl=10):
    env = {**os.environ, "PYTHONPATH": str(repo)}
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.crawler.redis_worker",
                redis_url,
                str(stage),
                crawl,
                str(idle),
                str(ttl),
                base + "/",
            ],
            cwd=repo,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(n)
    ]


def wait_all(procs, timeout=240):
    outs = []
    for p in procs:
        out, _ = p.communicate(timeout=timeout)
        outs.append((p.returncode, out))
    return outs


# --------------------------------------------------------------------------- settings


def test_configure_switches_to_shared_scheduler(redis_url):
    s = {"JOBDIR": "/tmp/x", "EXTENSIONS": {"a.B": 1}, "GUIDECRAWL_JOB_DIR": "/db/jobs/guanxian"}
    configure(s, redis_url, idle_timeout=3, stage_dir="/stage")
    assert s["SCHEDULER"] == "crawler.redis.SharedScheduler"
    assert s["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert s["SCHEDULER_PERSIST"] is True
    assert s["REDIS_URL"] == redis_url
    assert s["SCHEDULER_QUEUE_KEY"] == "guidecrawl:guanxian:requests"
    assert s["SCHEDULER_DUPEFILTER_KEY"] == "guidecrawl:guanxian:seen"
    assert s["GUIDECRAWL_REDIS_STAGE_DIR"] == "/stage" and s["GUIDECRAWL_REDIS_IDLE_TIMEOUT"] == 3.0
    assert s["EXTENSIONS"] == {"a.B": 1, "crawler.redis.SharedIdleClose": 500}
    assert "JOBDIR" not in s


def test_configure_refuses_unreachable_or_bad_url():
    with pytest.raises(CrawlConfigError, match="cannot reach Redis at redis://127.0.0.1:1/0"):
        configure({}, "redis://127.0.0.1:1/0")
    with pytest.raises(CrawlConfigError, match="not a Redis URL"):
        configure({}, "http://127.0.0.1:6379")


def test_staged_urls_reads_published_and_part_files_and_skips_torn_lines(tmp_path):
    (tmp_path / "w1-000001.jsonl").write_text(
        '{"type":"page","url":"http://x/1","final_url":"http://x/1b"}\n{"type":"article","url":"http://x/9"}\n'
    )
    (tmp_path / "w2-000001.jsonl.part").write_text(
        '{"type":"page","url":"http://x/2"}\n{"type":"page","url":"http://x/3"'
    )
    assert staged_urls(tmp_path) == {"http://x/1", "http://x/1b", "http://x/2"}
    assert staged_urls(tmp_path / "missing") == set()


def test_stage_tail_reads_only_new_complete_lines_of_one_writer(tmp_path):
    tail = StageTail(tmp_path, "vm_1-")
    part = tmp_path / "vm_1-000001.jsonl.part"
    part.write_text('{"type":"page","url":"http://x/1"}\n{"type":"page","url":"http://x/2"')
    (tmp_path / "vm_12-000001.jsonl").write_text('{"type":"page","url":"http://x/other"}\n')
    assert tail.new_urls() == {"http://x/1"}
    with part.open("a") as fh:
        fh.write('}\n{"type":"article","url":"http://x/9"}\n')
    assert tail.new_urls() == {"http://x/2"}  # the line is complete now; /1 is not read again
    assert tail.new_urls() == set()
    part.rename(tmp_path / "vm_1-000001.jsonl")  # published: read once more under its new name
    assert tail.new_urls() == {"http://x/1", "http://x/2"}
    assert tail.new_urls() == set()


# --------------------------------------------------------------------------- real workers


def test_three_workers_fetch_every_page_exactly_once(redis_url, site, tmp_path, repo):
    stage = tmp_path / "stage"
    outs = wait_all(start_workers(3, redis_url, stage, site.url, repo))
    for rc, out in outs:
        assert rc == 0, out
    expected = site_paths()
    hits = site.counts()
    assert set(hits) == expected
    assert {p: n for p, n in hits.items() if n != 1} == {}
    # The work was split (a worker that starts late on a busy machine may find little left) ...
    per_worker = Counter(f.name.split("-")[0] for f in stage.glob("*.jsonl") for _ in f.open())
    assert len(per_worker) >= 2, per_worker
    # ... every page was staged once, and the last worker out cleared the crawl's keys.
    assert staged_urls(stage) == {site.url + p for p in expected}
    assert sum(per_worker.values()) == len(expected)
    assert redis.Redis.from_url(redis_url).keys("guidecrawl:t:*") == []


# --------------------------------------------------------------------------- guidecrawl's own crawl

PARA = (
    "第{n}篇：办理{topic}需要先在网上预约，再带上身份证原件和复印件到窗口提交材料，工作人员审核后当场受理。"
)
TOPICS = [
    "居住证",
    "护照",
    "驾驶证",
    "社保卡",
    "公积金",
    "营业执照",
    "医保",
    "户口迁移",
    "出生证明",
    "结婚登记",
]


def make_site(root: Path, n_lists: int = 10, per_list: int = 20) -> set[str]:
    """A static site: index -> listing pages -> article pages; returns the page paths."""
    paths = {"/"}
    lists = []
    for i in range(n_lists):
        arts = []
        for j in range(per_list):
            n = i * per_list + j
            path = f"/consult/{i}/{1000 + n}.html"
            arts.append(path)
            body = "".join(f"<p>{PARA.format(n=n, topic=TOPICS[i])}{k}</p>" for k in range(4))
            f = root / path.lstrip("/")
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(
                f"<html><head><title>{TOPICS[i]}攻略第{n}篇</title></head><body><h1>{TOPICS[i]}攻略第{n}篇</h1>"
                f'<div class="content">{body}</div><a href="/">首页</a> <a href="/consult/{i}/">返回列表</a></body></html>',
                encoding="utf-8",
            )
        links = "".join(f'<li><a href="{a}">{TOPICS[i]}{a}</a></li>' for a in arts)
        (root / "consult" / str(i) / "index.html").write_text(
            f"<html><head><title>{TOPICS[i]}</title></head><body><ul>{links}</ul></body></html>",
            encoding="utf-8",
        )
        lists.append(f"/consult/{i}/")
        paths |= set(arts) | {f"/consult/{i}/"}
    links = "".join(f'<a href="{u}">{u}</a> ' for u in lists)
    (root / "index.html").write_text(
        f"<html><head><title>首页</title></head><body>{links}</body></html>", encoding="utf-8"
    )
    return paths


def test_three_guidecrawl_workers_then_one_load(redis_url, tmp_path, repo):
    from pipelines.run.crawl import CrawlOptions
    from pipelines.store import load_stage

    site_root = tmp_path / "site"
    paths = make_site(site_root)
    stage = tmp_path / "stage"
    with TestSite(folder_routes(site_root), keep_alive=True) as server:
        opts = CrawlOptions(
            start_urls=[server.url + "/"],
            stage_dir=stage,
            job_dir=tmp_path / "jobs" / "scale",
            redis_url=redis_url,
            quiet=True,
            clean_workers=1,
            # No politeness delay against our own test server; a short idle timeout to end quickly.
            settings={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "GUIDECRAWL_REDIS_IDLE_TIMEOUT": 1},
        )
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "pipelines.run.crawl"],
                cwd=repo,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=open(tmp_path / f"worker{i}.err", "w"),  # noqa: SIM115 - a file, not a pipe: no deadlock
                text=True,
            )
            for i in range(3)
        ]
        for p in procs:  # all three start together (a worker started after the crawl ends starts anew)
            p.stdin.write(opts.to_json())
            p.stdin.close()
        rcs = [p.wait(240) for p in procs]
        hits = Counter(h.path.split("?")[0] for h in server.requests if h.method == "GET")
    for i, rc in enumerate(rcs):
        assert rc == 0, (tmp_path / f"worker{i}.err").read_text()[-3000:]
    page_hits = {p: n for p, n in hits.items() if p != "/robots.txt"}
    assert set(paths) <= set(page_hits)
    assert {p: n for p, n in page_hits.items() if n != 1} == {}  # every page fetched exactly once

    db = tmp_path / "g.duckdb"
    load_stage(stage, db)
    load_stage(stage, db)  # loading the same stage twice changes nothing
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        n, distinct = con.execute("SELECT count(*), count(DISTINCT url) FROM articles").fetchone()
        runs = con.execute("SELECT count(*) FROM crawl_runs").fetchone()[0]
    n_articles = sum(1 for p in paths if p.endswith(".html"))
    assert (n, distinct) == (n_articles, n_articles)  # every article stored once
    assert runs == 3  # one run record per worker
    assert redis.Redis.from_url(redis_url).keys("guidecrawl:scale:*") == []


def test_killed_guidecrawl_worker_loses_nothing_after_load(redis_url, tmp_path, repo):
    from pipelines.run.crawl import CrawlOptions
    from pipelines.store import load_stage

    site_root = tmp_path / "site"
    paths = make_site(site_root)
    slow = TestSite(folder_routes(site_root), delay=0.03)
    stage = tmp_path / "stage"
    client = redis.Redis.from_url(redis_url)
    try:
        opts = CrawlOptions(
            start_urls=[slow.url + "/"],
            stage_dir=stage,
            job_dir=tmp_path / "jobs" / "kill",
            redis_url=redis_url,
            quiet=True,
            clean_workers=1,
            settings={
                "DOWNLOAD_DELAY": 0,
                "AUTOTHROTTLE_ENABLED": False,
                "GUIDECRAWL_REDIS_IDLE_TIMEOUT": 1,
                "GUIDECRAWL_REDIS_WORKER_TTL": 4,  # the dead worker is noticed 4 s after the kill
            },
        )
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "pipelines.run.crawl"],
                cwd=repo,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=open(tmp_path / f"worker{i}.err", "w"),  # noqa: SIM115 - a file, not a pipe
                text=True,
                start_new_session=True,  # its own process group: the kill takes its cleaning pool too
            )
            for i in range(3)
        ]
        for p in procs:
            p.stdin.write(opts.to_json())
            p.stdin.close()
        # Kill, like a lost machine, the first worker seen holding claims on a busy crawl.
        claims = crawl_keys("kill")["claims"]
        victim, deadline = None, time.monotonic() + 60
        while victim is None and time.monotonic() < deadline:
            for p in procs:
                key = next((k for k in client.keys(claims + "*") if k.decode().endswith(f"-{p.pid}")), None)
                if key and client.hlen(key) >= 30:
                    victim = p
                    break
            time.sleep(0.02)
        assert victim is not None, "no worker got going"
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(10)
        # What it held when it died: popped, and not yet staged (fetching, or queued for cleaning).
        held = {pickle.loads(v)["url"] for v in client.hvals(key)}
        for i, p in enumerate(procs):
            if p is not victim:
                assert p.wait(240) == 0, (tmp_path / f"worker{i}.err").read_text()[-3000:]
    finally:
        slow.stop()
    hits = slow.counts()
    assert set(paths) <= set(hits)  # nothing lost: every page fetched ...
    assert client.keys("guidecrawl:kill:*") == []
    db = tmp_path / "g.duckdb"
    load_stage(stage, db)
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        n, distinct = con.execute("SELECT count(*), count(DISTINCT url) FROM articles").fetchone()
        page_urls = {r[0] for r in con.execute("SELECT url FROM pages").fetchall()}
    n_articles = sum(1 for p in paths if p.endswith(".html"))
    assert (n, distinct) == (n_articles, n_articles)  # ... and every article stored, once
    assert {slow.url + p for p in paths} <= page_urls
    # Only what the dead worker held was fetched again, and only once more.
    twice = {p: n for p, n in hits.items() if n > 1 and p != "/robots.txt"}
    assert all(n == 2 for n in twice.values()), twice
    assert {slow.url + p for p in twice} <= held


def _scheduler(redis_url, worker, crawl="u"):
    import scrapy
    from scrapy.utils.test import get_crawler

    from crawler.redis import SharedScheduler

    settings = {}
    configure(settings, redis_url, crawl=crawl)
    crawler = get_crawler(scrapy.Spider, settings)
    spider = scrapy.Spider("u")
    spider.crawler, spider.settings = crawler, crawler.settings
    sch = SharedScheduler.from_crawler(crawler)
    sch.worker, sch.claims_key = worker, sch.keys["claims"] + worker  # two "workers" in one process
    sch.open(spider)
    return sch


def test_start_requests_filtered_across_workers_but_retries_pass(redis_url):
    import scrapy

    a, b = _scheduler(redis_url, "wa"), _scheduler(redis_url, "wb")

    def start(url):
        return scrapy.Request(url, dont_filter=True, meta={"is_start_request": True})

    assert a.enqueue_request(start("http://x/")) is True
    assert b.enqueue_request(start("http://x/")) is False  # the other worker has it
    first = a.next_request()
    assert first.url == "http://x/"
    # RetryMiddleware sends the same request back (dont_filter, is_start_request kept): let through.
    retry = first.replace(meta={**first.meta, "retry_times": 1})
    assert a.enqueue_request(retry) is True
    assert b.enqueue_request(start("http://x/other")) is True
    assert a.enqueue_request(scrapy.Request("http://x/page")) is True
    assert b.enqueue_request(scrapy.Request("http://x/page")) is False
    # Popping records a claim in the same atomic step; requeue puts the very bytes back.
    got = [a.next_request() for _ in range(3)]
    assert sorted(r.url for r in got) == ["http://x/", "http://x/other", "http://x/page"]
    assert a.next_request() is None and b.next_request() is None
    claims = a.server.hgetall(a.claims_key)
    assert len(claims) == 4 and b.server.hlen(b.claims_key) == 0
    assert a.requeue(claims.values()) == 4 and len(a.queue) == 4
    # Once a page is staged its claims go (both of http://x/: the first try and the retry).
    assert a.release_staged({"http://x/", "http://x/nothing"}) == 2
    assert a.server.hlen(a.claims_key) == 2 and a.release_staged({"http://x/"}) == 0


def test_clear_crawl_deletes_only_that_crawls_keys(redis_url):
    from crawler.redis import clear_crawl

    client = redis.Redis.from_url(redis_url)
    client.set("guidecrawl:a:seen", 1)
    client.set("guidecrawl:a:requests", 1)
    client.set("guidecrawl:ab:seen", 1)
    assert clear_crawl(redis_url, "a") == 2
    assert client.keys("guidecrawl:*") == [b"guidecrawl:ab:seen"]
