"""A chunked body (no Content-Length) over DOWNLOAD_MAXSIZE is recorded as ``too_large``
(issue 12 item 14), like a body whose Content-Length announces it -- not as
``downloadcancellederror``.  A real server on 127.0.0.1 streams the chunks."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

from crawler.stage import read_records, stage_files
from pipelines.run.crawl import CrawlOptions, run_crawl_subprocess
from tests.crawler.sitekit import PARAGRAPHS, _Server, article_html

MAXSIZE = 100_000


def _serve(pages: dict[str, tuple[bytes, bool]]):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body, chunked = pages.get(self.path, (b"", False))
            try:
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Connection", "close")
                if not chunked:
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                else:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for i in range(0, len(body), 16_384):
                        chunk = body[i : i + 16_384]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):  # the crawler hung up: expected
                pass
            self.close_connection = True

    server = _Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_chunked_body_over_the_limit_is_too_large(tmp_path):
    big = article_html("超大页面", PARAGRAPHS * 400).encode()  # ~ 400 x 6 x 90 bytes > MAXSIZE
    small = article_html("普通页面", PARAGRAPHS).encode()
    assert len(big) > 2 * MAXSIZE
    links = "".join(f'<a href="/a/{n}.html">文章{n}</a>' for n in (1, 2, 3))
    index = f"<html><body>{links}</body></html>".encode()
    server = _serve(
        {
            "/": (index, False),
            "/a/1.html": (big, True),  # chunked, over the limit
            "/a/2.html": (small, True),  # chunked, under the limit: stored
            "/a/3.html": (big, False),  # Content-Length over the limit
        }
    )
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        run_crawl_subprocess(
            CrawlOptions(
                start_urls=[base + "/"],
                stage_dir=tmp_path / "stage",
                job_dir=tmp_path / "job",
                quiet=True,
                settings={
                    "DOWNLOAD_DELAY": 0,
                    "AUTOTHROTTLE_ENABLED": False,
                    "RETRY_TIMES": 0,
                    "DOWNLOAD_MAXSIZE": MAXSIZE,
                    "DOWNLOAD_WARNSIZE": 0,
                    "ROBOTSTXT_OBEY": False,
                },
                clean_workers=1,
            ),
            timeout=120,
        )
    finally:
        server.shutdown()
        server.server_close()
    records = [r for f in stage_files(tmp_path / "stage") for r in read_records(f)]
    pages = {r["url"][len(base) :]: r for r in records if r["type"] == "page"}
    assert (pages["/a/1.html"]["outcome"], pages["/a/1.html"]["reason"]) == ("dropped", "too_large")
    assert (pages["/a/3.html"]["outcome"], pages["/a/3.html"]["reason"]) == ("dropped", "too_large")
    assert pages["/a/2.html"]["outcome"] == "article"
    run = next(r for r in records if r["type"] == "run")
    assert run["drops"].get("too_large") == 2 and "downloadcancellederror" not in run["drops"]
