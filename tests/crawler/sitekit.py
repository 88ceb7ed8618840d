"""A scriptable HTTP server on 127.0.0.1 (port 0) for crawl tests, and page builders.

``pipelines/demo/localsite.py`` serves the demo site from files; crawl tests also need servers that
misbehave on purpose (500 twice then 200, a stall past the timeout, a body cut short, a gzip bomb,
a page that changes between two runs), so each route here is a small ``Route`` value the test
can change while the server runs.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html"})
    statuses: list[int] = field(default_factory=list)  # per request, in order; then ``status``
    stall: float = 0.0  # seconds to wait before answering (a server that hangs)
    etag: bool = False  # send an ETag and answer If-None-Match with 304
    truncate: int = 0  # announce this many extra bytes in Content-Length, then close
    redirect: str = ""  # Location for a 3xx status


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The default listen backlog (5) overflows when the crawler opens a burst of connections; a
    # dropped SYN is retried by the kernel after 1 s, which looks like a server timeout.
    request_queue_size = 128


class TestSite:
    __test__ = False  # not a pytest class

    def __init__(
        self, routes: dict[str, Route] | None = None, dynamic: Callable[[str], Route | None] | None = None
    ):
        self.routes: dict[str, Route] = dict(routes or {})
        self.dynamic = dynamic  # path -> Route for paths not in ``routes`` (endless sites)
        self.hits: list[str] = []
        self.log: list[tuple[float, str, str]] = []  # (time.monotonic(), path, User-Agent) per request
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                with site.lock:
                    site.hits.append(self.path)
                    site.log.append((time.monotonic(), self.path, self.headers.get("User-Agent", "")))
                    route = site.routes.get(self.path) or site.routes.get(self.path.split("?")[0])
                    if route is None and site.dynamic is not None:
                        route = site.dynamic(self.path)
                    status = (
                        route.statuses.pop(0)
                        if route and route.statuses
                        else (route.status if route else 404)
                    )
                if route is None:
                    body = b"<html><body>not found</body></html>"
                    self._send(404, {"Content-Type": "text/html"}, body)
                    return
                if route.stall:
                    time.sleep(route.stall)
                headers = dict(route.headers)
                if route.redirect:
                    headers["Location"] = route.redirect
                body = route.body if status not in (301, 302, 303, 307, 308) else b""
                if route.etag:
                    tag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
                    headers["ETag"] = tag
                    if self.headers.get("If-None-Match") == tag:
                        self._send(304, {"ETag": tag}, b"")
                        return
                self._send(status, headers, body, extra=route.truncate)

            def _send(self, status: int, headers: dict[str, str], body: bytes, extra: int = 0) -> None:
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    if status != 304:
                        self.send_header("Content-Length", str(len(body) + extra))
                    # One request per connection: a kept-alive connection that the server drops
                    # (after a stall) would make the crawler's retry counts depend on timing.
                    self.send_header("Connection", "close")
                    self.end_headers()
                    if status != 304:
                        self.wfile.write(body)
                    self.wfile.flush()
                    self.close_connection = True
                except (BrokenPipeError, ConnectionResetError):  # the crawler gave up on us
                    pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def count(self, path: str) -> int:
        with self.lock:
            return sum(1 for h in self.hits if h == path)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> TestSite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


PARAGRAPHS = [
    "大理古城的清晨格外安静,石板路上只有零星的游客和早起的商贩。",
    "洱海边的风很大,建议游客带一件外套,骑行环湖时注意防晒。",
    "苍山索道分为感通索道和洗马潭索道,旺季需要提前在官方渠道预约。",
    "古城里的小吃以乳扇、饵丝和鲜花饼最有名,价格一般在十元左右。",
    "如果行程只有三天,可以第一天逛古城,第二天环洱海,第三天上苍山。",
    "当地的三道茶讲究一苦二甜三回味,是白族待客的传统礼节。",
]


def article_html(
    title: str, paras: list[str], *, charset: str = "utf-8", pager: str = "", extra_links: str = ""
) -> str:
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (
        f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}_生活百科网</title></head><body>'
        f'<div class="nav"><a href="/">首页</a> &gt; <a href="/list/">攻略</a></div>'
        f'<div class="article"><h1>{title}</h1><div class="info">来源:生活百科网 时间:2024-05-12 10:20:00</div>'
        f'<div class="content">{body}</div>{pager}</div>'
        f'<div class="related">{extra_links}</div></body></html>'
    )


def listing_html(links: list[tuple[str, str]], *, next_href: str = "") -> str:
    items = "".join(f'<li><a href="{h}">{t}</a></li>' for h, t in links)
    nxt = f'<div class="pages"><a href="{next_href}">下一页</a></div>' if next_href else ""
    return f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>攻略列表</title></head><body><ul>{items}</ul>{nxt}</body></html>'


def gzip_bomb(size: int) -> bytes:
    return gzip.compress(b"\0" * size, compresslevel=9)


def farm_routes(
    n_articles: int, *, per_listing: int = 20, stall: float = 0.0, tag: str = ""
) -> dict[str, Route]:
    """A small content farm: ``/`` → ``/list_1.html`` → … (``per_listing`` articles each, "下一页"
    to the next), articles at ``/a/<n>.html`` whose first sentence names ``tag`` and ``n``."""
    r: dict[str, Route] = {
        "/robots.txt": Route(b"User-agent: *\nDisallow:\n", headers={"Content-Type": "text/plain"}),
        "/": Route(listing_html([("/list_1.html", "列表")]).encode(), stall=stall),
    }
    n_lists = max(1, -(-n_articles // per_listing))
    n = 0
    for i in range(1, n_lists + 1):
        links = []
        for _ in range(per_listing):
            if n >= n_articles:
                break
            n += 1
            links.append((f"/a/{n}.html", f"文章{n}"))
            paras = [f"{tag}站第{n}篇文章的独有句子。", *PARAGRAPHS]
            r[f"/a/{n}.html"] = Route(article_html(f"{tag}文章{n}", paras).encode(), stall=stall)
        nxt = f"/list_{i + 1}.html" if i < n_lists else ""
        r[f"/list_{i}.html"] = Route(listing_html(links, next_href=nxt).encode(), stall=stall)
    return r


def guidecrawl(*args: str, timeout: float = 180, env: dict | None = None, **kw):
    """``python -m pipelines.cli ARGS`` from the repo root, as cron would run ``guidecrawl``."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        **kw,
    )


def guidecrawl_popen(*args: str, env: dict | None = None, **kw):
    """``guidecrawl ARGS`` started in the background (to be killed by the test)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=repo,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        **kw,
    )


FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=false", "--clean-workers", "1", "--quiet"]


def db_rows(db, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of ``sql`` on the DuckDB file ``db`` (read-only)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
