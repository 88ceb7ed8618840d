"""When the network or the site failed, the health message says so instead of blaming the
``[links]`` rule (issue 12 item 13).  Real servers: a closed port, a server answering 500, a
redirect loop, pages over the size limit."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from pipelines.run.health import evaluate
from tests.crawler.sitekit import FAST, guidecrawl, listing_html
from tests.mockserver import Route, TestSite


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there any more: connections are refused
    return port


def _health_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if "health check failed: only 0 articles" in ln]


def test_every_page_refused(tmp_path: Path):
    url = f"http://127.0.0.1:{closed_port()}/"
    r = guidecrawl("crawl", url, "--db", str(tmp_path / "g.duckdb"), *FAST, "-s", "RETRY_TIMES=0")
    assert r.returncode == 1, r.stderr
    (line,) = _health_lines(r.stderr)
    assert "the site did not answer: connection refused on 1 of 1 pages" in line
    assert "[links]" not in r.stderr


def _links(n: int) -> bytes:
    return listing_html([(f"/a/{i}.html", f"文章{i}") for i in range(1, n + 1)]).encode()


@pytest.mark.parametrize(
    "kind,expected",
    [
        ("500", "server error HTTP 500 on 12 of 13 pages"),
        ("loop", "redirect loop on 12 of 13 pages"),
        ("large", "page too large (DOWNLOAD_MAXSIZE) on 12 of 13 pages"),
    ],
)
def test_every_article_failed(tmp_path: Path, kind: str, expected: str):
    routes = {"/": Route(_links(12))}
    big = b"<html><body>" + b"x" * (9 * 1024 * 1024) + b"</body></html>"  # over DOWNLOAD_MAXSIZE (8 MB)
    for i in range(1, 13):
        p = f"/a/{i}.html"
        if kind == "500":
            routes[p] = Route(b"<html><body>oops</body></html>", status=500)
        elif kind == "loop":
            routes[p] = Route(status=302, redirect=f"/b/{i}.html")
            routes[f"/b/{i}.html"] = Route(status=302, redirect=p)
        else:
            routes[p] = Route(big)
    with TestSite(routes) as site:
        r = guidecrawl(
            "crawl", site.url + "/", "--db", str(tmp_path / "g.duckdb"), *FAST,
            "-s", "RETRY_TIMES=0", "-s", "DOWNLOAD_TIMEOUT=10",
        )  # fmt: skip
    assert r.returncode == 1, r.stderr
    (line,) = _health_lines(r.stderr)
    assert f"the site did not answer: {expected}" in line, line
    assert "[links]" not in line


def test_a_layout_change_still_points_at_the_links_rule():
    # Pages arrived but none was an article: that *is* the rule's fault.
    run = {"site": "x", "counts": {"pages": 12, "articles": 0}, "drops": {"http_404": 1}}
    (f,) = [f for f in evaluate(run, [], {}) if f.check == "min_articles"]
    assert "[links] probably no longer matches" in f.message
