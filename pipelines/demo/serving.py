"""The HTTP-serving base under the demo site server and the tests' scriptable server.

``SiteServer`` listens on 127.0.0.1 (port 0: a free one) in a background thread and answers every
GET and HEAD with its ``respond`` method: the mechanics of serving (threads, keep-alive,
TCP_NODELAY, a real listen backlog, writing an answer whole, chunked, streamed or cut short,
recording each request on arrival, start/stop).  ``pipelines/demo/localsite.py`` (the demo's
static files) and ``tests/mockserver.py`` (routes scripted per test) are thin layers over it, so
there is one implementation of serving: the product cannot import ``tests/``, the tests can
import this.

Why the standard library (``http.server.ThreadingHTTPServer``) and not a third-party server: it
must start in-process from a test or from ``guidecrawl demo`` on a free port with no extra
dependency, and do on purpose what real servers avoid (a charset that lies about the bytes, a body
cut short, an endless body).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple, Self, cast

from pipelines.errors import UserError


@dataclass(slots=True)
class Hit:
    """One request the server received (for tests: was this path fetched, when, and how).

    Recorded when the request arrives, before it is answered, so a request whose answer is still
    being held back (a stalled route) is already counted; ``status`` is 0 until the answer goes out.
    """

    method: str
    path: str  # as requested, with the query
    status: int
    at: float = 0.0  # time.monotonic() on arrival
    headers: Any = None  # the request's headers (an email.message.Message: case-insensitive .get)


class Reply(NamedTuple):
    """What ``SiteServer.respond`` returns; a plain ``(status, headers, body)`` tuple is a Reply
    with the defaults below.

    ``body`` is bytes, or an iterable of byte chunks (a generated, huge or endless body) that is
    sent with ``Transfer-Encoding: chunked`` unless ``length`` is given.  ``length`` is the
    Content-Length to announce when it is not the body's own: a longer one makes a body cut short
    (the connection is then closed, the only way HTTP/1.1 lets a server end it early).  ``close``
    ends the connection after the answer (``Connection: close``).
    """

    status: int
    headers: Mapping[str, str]
    body: bytes | Iterable[bytes] = b""
    length: int | None = None
    close: bool = False


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive (Scrapy reuses them); every answer sets Content-Length
    # or is chunked.
    protocol_version = "HTTP/1.1"
    server_version = "guidecrawl-localsite/1"
    timeout = 30  # an idle keep-alive connection must not hold its thread forever
    # Headers and body go out as two writes; with Nagle on, the second waits for the client's
    # delayed ACK (~40 ms a response on keep-alive connections).  TCP_NODELAY removes that.
    disable_nagle_algorithm = True
    server: _Server

    def version_string(self) -> str:
        return self.server_version  # no Python version in the Server header

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        # Silence: tests and `guidecrawl demo` print their own output; requests go to .requests.
        return

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        # Recorded on arrival: a client that has its answer must find its request here, and so
        # must a test while the answer is still being held back.
        hit = Hit(self.command, self.path, 0, time.monotonic(), self.headers)
        self.server.site._record(hit)
        try:
            # http.server's headers are an email Message: a case-insensitive mapping in all but type
            reply = Reply(*self.server.site.respond(self.path, cast(Mapping[str, str], self.headers)))
        except Exception as exc:  # a server bug must show up as a 500 the test can see, not hang
            reply = Reply(*_plain(HTTPStatus.INTERNAL_SERVER_ERROR, f"internal error: {exc!r}\n"))
        hit.status = int(reply.status)
        try:
            self._write(reply, send_body)
        except (ConnectionError, TimeoutError):  # the client hung up mid-answer (a crawler giving up)
            self.close_connection = True

    def _write(self, reply: Reply, send_body: bool) -> None:
        status, body = reply.status, reply.body
        chunks: Iterable[bytes] = [body] if isinstance(body, bytes) else body
        length = reply.length
        if length is None and isinstance(body, bytes):
            length = len(body)
        self.send_response(status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if status != HTTPStatus.NOT_MODIFIED:  # a 304 has no body, and no length to announce
            if length is None:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(length))
        if reply.close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if not send_body or status in (HTTPStatus.NOT_MODIFIED, HTTPStatus.NO_CONTENT):
            return
        sent = 0
        for chunk in chunks:
            if length is None:
                if chunk:  # an empty chunk would end the body
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            else:
                self.wfile.write(chunk)
            sent += len(chunk)
        if length is None:
            self.wfile.write(b"0\r\n\r\n")
        elif sent != length:  # cut short (or overlong): the connection cannot carry another answer
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # keep-alive threads must not keep the process (or stop()) waiting
    allow_reuse_address = True
    # socketserver's default listen backlog is 5: a crawler opening more connections at once
    # would see SYNs dropped and retried a second later.
    request_queue_size = 128
    site: SiteServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A crawler that drops a keep-alive connection is normal, not worth a traceback on stderr.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class SiteServer:
    """A running HTTP server on ``host:port`` (0: a free port) in a background thread, answering
    every GET and HEAD with ``self.respond``.  Use as a context manager, or call ``stop()``.

    Subclasses set up what ``respond`` needs, then call ``super().__init__`` (which starts serving).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._requests: list[Hit] = []
        try:
            self._httpd = _Server((host, port), _Handler)
        except OSError as exc:
            raise UserError(f"cannot listen on {host}:{port} ({exc}); choose another --port") from exc
        self._httpd.site = self
        host_, self.port = self._httpd.server_address[:2]
        self.host = host_.decode() if isinstance(host_, bytes) else str(host_)
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.name = f"localsite:{self.port}"
        self._stopped = False
        self._thread.start()

    # -- lifecycle -------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop serving and free the port; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what was fetched ------------------------------------------------------------------
    @property
    def requests(self) -> list[Hit]:
        """Every request answered so far, in order (a copy)."""
        return list(self._requests)

    def fetched(self, path: str) -> bool:
        """Whether any request asked for ``path`` (query ignored) -- or anything below it if it ends in /."""
        want = path.split("?", 1)[0]
        for hit in self._requests:
            got = hit.path.split("?", 1)[0]
            if got == want or (want.endswith("/") and got.startswith(want)):
                return True
        return False

    def _record(self, hit: Hit) -> None:
        self._requests.append(hit)  # list.append is atomic under the GIL

    def respond(
        self, raw_path: str, request_headers: Mapping[str, str]
    ) -> Reply | tuple[int, dict[str, str], bytes]:
        """The answer to one GET (HEAD drops the body); runs in the request's own thread."""
        raise NotImplementedError


def _plain(status: int, text: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "text/plain; charset=utf-8"}, text.encode("utf-8")
