"""The one scriptable HTTP server of the tests and benches: real HTTP on 127.0.0.1, port 0.

A test scripts a site as routes, path -> ``Route`` (a page, a status, a redirect, a stall, a body
cut short, chunked, huge or endless, its own headers and charset), plus an optional ``dynamic``
function for paths no route names (endless sites, generated farms).  Routes can be changed while
the server runs (a page that changes between two crawls).  Every request is recorded on arrival,
so a test can count what was fetched, when, and with which User-Agent -- at the server, not as
the crawler reports it.

    with TestSite({"/": Route(b"<html>...</html>")}) as site:
        crawl(site.url + "/")
        assert site.count("/") == 1

``TestSite(routes, delay=0.02)`` makes every request wait (a slow site); ``keep_alive=True`` keeps
connections open (benches; the tests close each one, so a crawler's retry counts do not depend on
when a kept-alive connection was dropped).  ``folder_routes(root)`` turns a folder of files into
routes; ``ServerProcess(root)`` serves one from its own process (``python -m tests.mockserver``),
for a bench that measures the crawler's CPU and must not share its process with the server.

This is a thin scripting layer: listening, threads, writing answers (whole, chunked, streamed,
cut short) and recording requests are ``pipelines.demo.serving.SiteServer``, the demo server's own
base, so there is one implementation of serving.  Page builders for crawl tests are in
``tests/crawler/sitekit.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.demo.localsite import CONTENT_TYPES, DEFAULT_CONTENT_TYPE
from pipelines.demo.serving import Reply, SiteServer

REPO = Path(__file__).resolve().parent.parent
REDIRECTS = (301, 302, 303, 307, 308)
NOT_FOUND = b"<html><body>not found</body></html>"


@dataclass
class Route:
    """How the server answers one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html"})
    statuses: list[int] = field(default_factory=list)  # per request, in order; then ``status``
    stall: float = 0.0  # seconds to wait before answering (a server that hangs)
    etag: bool = False  # send an ETag and answer If-None-Match with 304
    truncate: int = 0  # announce this many extra bytes in Content-Length, then close
    redirect: str = ""  # Location for a 3xx status
    chunked: bool = False  # send ``body`` in 16 KB chunks, no Content-Length
    stream: Callable[[], Iterable[bytes]] | None = None  # a generated body (huge, slow, endless), chunked


def huge(size: int, fill: bytes = b"<p>x</p>", chunk: int = 65_536) -> Callable[[], Iterator[bytes]]:
    """A ``Route.stream``: ``size`` bytes of ``fill`` generated as they are sent, never held whole."""
    block = (fill * (chunk // len(fill) + 1))[:chunk]

    def gen() -> Iterator[bytes]:
        left = size
        while left > 0:
            yield block[:left]
            left -= len(block)

    return gen


def endless(chunk: bytes = b"<p>more</p>", every: float = 0.05) -> Callable[[], Iterator[bytes]]:
    """A ``Route.stream`` that never ends: ``chunk`` every ``every`` seconds until the client hangs up."""

    def gen() -> Iterator[bytes]:
        while True:
            yield chunk
            time.sleep(every)

    return gen


def robots(*disallow: str, sitemaps: Iterable[str] = ()) -> Route:
    """A ``/robots.txt`` route for every user agent."""
    lines = (
        ["User-agent: *", *(f"Disallow: {p}" for p in disallow)]
        if disallow
        else ["User-agent: *", "Disallow:"]
    )
    lines += [f"Sitemap: {u}" for u in sitemaps]
    return Route("\n".join(lines).encode() + b"\n", headers={"Content-Type": "text/plain"})


def sitemap(urls: Iterable[str]) -> Route:
    """A ``sitemap.xml`` route listing ``urls`` (absolute: the port is known once the site runs)."""
    locs = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
    )
    return Route(body.encode(), headers={"Content-Type": "application/xml"})


def folder_routes(root: Path) -> dict[str, Route]:
    """Every file under ``root`` as a route of its bytes (read once, served from memory);
    ``index.html`` also answers for its folder (``/`` and ``/dir/``).  HTML has no charset in its
    Content-Type, as on many real sites: the page's own ``<meta>`` is what a crawler decodes by."""
    root = Path(root)
    routes: dict[str, Route] = {}
    for f in sorted(root.rglob("*")):
        if not f.is_file():
            continue
        rel = f.relative_to(root).as_posix()
        ctype = CONTENT_TYPES.get(f.suffix.lower(), DEFAULT_CONTENT_TYPE)
        route = Route(f.read_bytes(), headers={"Content-Type": ctype})
        routes["/" + rel] = route
        if f.name == "index.html":
            routes["/" + rel[: -len("index.html")]] = route
    return routes


class TestSite(SiteServer):
    """A running scripted site; use as a context manager, or call ``stop()``."""

    __test__ = False  # not a pytest class

    def __init__(
        self,
        routes: Mapping[str, Route] | None = None,
        dynamic: Callable[[str], Route | None] | None = None,
        *,
        delay: float = 0.0,
        keep_alive: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.routes: dict[str, Route] = dict(routes or {})
        self.dynamic = dynamic  # path (with query) -> Route for paths not in ``routes``
        self.delay = delay  # every request waits this long before it is answered
        self.keep_alive = keep_alive
        self.lock = threading.Lock()
        super().__init__(host, port)

    # -- what was fetched (``requests``/``fetched`` come from SiteServer) ---------------------
    @property
    def hits(self) -> list[str]:
        """The path (with query) of every request so far, in order of arrival."""
        return [h.path for h in self.requests]

    @property
    def log(self) -> list[tuple[float, str, str]]:
        """``(time.monotonic(), path, User-Agent)`` per request, in order of arrival."""
        return [(h.at, h.path, h.headers.get("User-Agent", "")) for h in self.requests]

    def count(self, path: str) -> int:
        """Requests for exactly ``path`` (query included)."""
        return sum(1 for h in self.requests if h.path == path)

    def counts(self) -> Counter[str]:
        """Requests per path, query dropped."""
        return Counter(h.path.split("?", 1)[0] for h in self.requests)

    def clear(self) -> None:
        """Forget the requests so far (between two crawls of one test)."""
        self._requests.clear()

    # -- answering -------------------------------------------------------------------------
    def respond(self, raw_path: str, request_headers: Mapping[str, str]) -> Reply:
        with self.lock:
            route = self.routes.get(raw_path) or self.routes.get(raw_path.split("?", 1)[0])
            if route is None and self.dynamic is not None:
                route = self.dynamic(raw_path)
            status = route.statuses.pop(0) if route and route.statuses else (route.status if route else 404)
        close = not self.keep_alive
        if self.delay:
            time.sleep(self.delay)
        if route is None:
            return Reply(404, {"Content-Type": "text/html"}, NOT_FOUND, close=close)
        if route.stall:
            time.sleep(route.stall)
        headers = dict(route.headers)
        if route.redirect:
            headers["Location"] = route.redirect
        if route.etag:
            tag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
            headers["ETag"] = tag
            if request_headers.get("If-None-Match") == tag:
                return Reply(304, {"ETag": tag}, b"", close=close)
        if status in REDIRECTS:
            return Reply(status, headers, b"", route.truncate or None, close)
        if route.stream is not None:
            return Reply(status, headers, route.stream(), close=close)
        if route.chunked:
            body = route.body
            return Reply(
                status, headers, (body[i : i + 16_384] for i in range(0, len(body), 16_384)), close=close
            )
        length = len(route.body) + route.truncate if route.truncate else None
        return Reply(status, headers, route.body, length, close)


class ServerProcess:
    """``python -m tests.mockserver ROOT`` in its own process; ``.url`` once it listens.

    It serves ``folder_routes(ROOT)`` and ends when stopped or when this process goes (it reads
    its stdin until EOF), so a bench that fails never leaves a server behind."""

    def __init__(self, root: Path, *, delay: float = 0.0, keep_alive: bool = True):
        cmd = [sys.executable, "-m", "tests.mockserver", str(root), "--delay", str(delay)]
        if keep_alive:
            cmd.append("--keep-alive")
        self.proc = subprocess.Popen(cmd, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http://"):
            self.stop()
            raise RuntimeError(f"test server did not start (exit {self.proc.returncode})")
        self.url = line
        self.host, port = line.removeprefix("http://").rsplit(":", 1)
        self.port = int(port)

    def stop(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()  # the server reads its stdin until EOF: closing it ends the server
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tests.mockserver",
        description="Serve a folder's files from memory on 127.0.0.1 (a free port) until stdin closes; "
        "prints the base URL on the first line of stdout.",
    )
    ap.add_argument("root", type=Path, help="folder to serve (index.html answers for its folder)")
    ap.add_argument("--delay", type=float, default=0.0, help="seconds every request waits (a slow site)")
    ap.add_argument("--keep-alive", action="store_true", help="keep connections open between requests")
    ap.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    args = ap.parse_args(argv)
    if not args.root.is_dir():
        print(f"error: {args.root}: not a folder; give the folder to serve", file=sys.stderr)
        return 2
    with TestSite(
        folder_routes(args.root), delay=args.delay, keep_alive=args.keep_alive, port=args.port
    ) as site:
        print(site.url, flush=True)
        sys.stdin.read()  # until the parent closes the pipe or exits
    return 0


if __name__ == "__main__":
    sys.exit(main())
