"""The tests' scripted server (tests/mockserver.py) over real HTTP on 127.0.0.1: what crawl tests
and benches rely on it to do, byte for byte on the wire."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.mockserver import (
    Route,
    ServerProcess,
    TestSite,
    endless,
    folder_routes,
    huge,
    robots,
    sitemap,
)

REPO = Path(__file__).resolve().parent.parent


def get(site, path: str, headers: dict | None = None, conn: http.client.HTTPConnection | None = None):
    own = conn is None
    conn = conn or http.client.HTTPConnection(site.host, site.port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        if own:
            conn.close()


def raw_get(site, path: str, limit: int = 1 << 20) -> bytes:
    """The bytes on the wire for one request (the server closes the connection after it)."""
    with socket.create_connection((site.host, site.port), timeout=10) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        out = b""
        while len(out) < limit:
            data = s.recv(65536)
            if not data:
                break
            out += data
    return out


def test_routes_headers_charset_and_404():
    gbk = "<html><body>手机充电慢</body></html>".encode("gbk")
    routes = {
        "/a.html": Route(gbk, headers={"Content-Type": "text/html; charset=utf-8", "X-Site": "farm"}),
        "/p.pdf": Route(b"%PDF-1.4", headers={"Content-Type": "application/pdf"}),
    }
    with TestSite(routes) as site:
        assert site.url == f"http://127.0.0.1:{site.port}" and site.port > 0
        status, headers, body = get(site, "/a.html?from=rss")  # the query is ignored for lookup
        assert (status, body) == (200, gbk)  # the bytes stay GBK whatever the header says
        assert headers["content-type"] == "text/html; charset=utf-8" and headers["x-site"] == "farm"
        assert headers["content-length"] == str(len(gbk)) and headers["connection"] == "close"
        assert get(site, "/p.pdf")[1]["content-type"] == "application/pdf"
        status, headers, body = get(site, "/missing")
        assert (status, body) == (404, b"<html><body>not found</body></html>")


def test_exact_path_with_query_wins():
    routes = {"/a": Route(b"plain"), "/a?x=1": Route(b"with query")}
    with TestSite(routes) as site:
        assert get(site, "/a?x=1")[2] == b"with query"
        assert get(site, "/a?x=2")[2] == b"plain"


def test_requests_are_counted_at_the_server_with_their_user_agent():
    with TestSite({"/": Route(b"home")}) as site:
        get(site, "/", {"User-Agent": "ua-1"})
        get(site, "/?page=2", {"User-Agent": "ua-2"})
        get(site, "/nothing")
        assert site.hits == ["/", "/?page=2", "/nothing"]
        assert site.count("/") == 1 and site.count("/?page=2") == 1
        assert site.counts() == {"/": 2, "/nothing": 1}
        assert [(p, ua) for _, p, ua in site.log] == [("/", "ua-1"), ("/?page=2", "ua-2"), ("/nothing", "")]
        times = [t for t, _, _ in site.log]
        assert times == sorted(times)
        assert [h.status for h in site.requests] == [200, 200, 404]
        assert site.fetched("/") and not site.fetched("/other")
        site.clear()
        assert site.hits == [] and site.count("/") == 0


def test_statuses_in_turn_then_the_route_status():
    with TestSite({"/flaky": Route(b"ok", statuses=[500, 503])}) as site:
        assert [get(site, "/flaky")[0] for _ in range(4)] == [500, 503, 200, 200]


def test_redirect_has_location_and_no_body():
    routes = {"/old": Route(b"ignored", status=301, redirect="/new"), "/new": Route(b"new")}
    with TestSite(routes) as site:
        status, headers, body = get(site, "/old")
        assert (status, headers["location"], body, headers["content-length"]) == (301, "/new", b"", "0")


def test_etag_and_if_none_match():
    with TestSite({"/e": Route(b"same", etag=True)}) as site:
        status, headers, _ = get(site, "/e")
        tag = headers["etag"]
        assert status == 200 and tag.startswith('"')
        status, headers, body = get(site, "/e", {"If-None-Match": tag})
        assert (status, body, headers.get("content-length")) == (304, b"", None)
        assert get(site, "/e", {"If-None-Match": '"other"'})[0] == 200


def test_truncated_body_announces_more_and_closes():
    with TestSite({"/cut": Route(b"x" * 100, truncate=500)}) as site:
        conn = http.client.HTTPConnection(site.host, site.port, timeout=10)
        conn.request("GET", "/cut")
        resp = conn.getresponse()
        assert resp.getheader("Content-Length") == "600"
        with pytest.raises(http.client.IncompleteRead) as err:
            resp.read()
        assert err.value.partial == b"x" * 100
        conn.close()


def test_chunked_body_has_no_content_length():
    body = b"<p>" + b"y" * 40_000 + b"</p>"
    with TestSite({"/c": Route(body, chunked=True)}) as site:
        status, headers, got = get(site, "/c")
        assert (status, got) == (200, body)
        assert headers["transfer-encoding"] == "chunked" and "content-length" not in headers
        wire = raw_get(site, "/c")
        assert b"\r\n4000\r\n" in wire and wire.endswith(b"\r\n0\r\n\r\n")  # 16 KB chunks, then the end


def test_huge_body_is_generated_while_sent():
    size = 3 * 65_536 + 17
    with TestSite({"/big": Route(stream=huge(size))}) as site:
        status, headers, body = get(site, "/big")
        assert status == 200 and len(body) == size and headers["transfer-encoding"] == "chunked"
        assert get(site, "/big")[2] == body  # a fresh stream per request


def test_endless_body_until_the_client_hangs_up_and_the_server_carries_on():
    routes = {"/forever": Route(stream=endless(b"<p>more</p>", every=0.01)), "/": Route(b"home")}
    with TestSite(routes) as site:
        wire = raw_get(site, "/forever", limit=600)
        assert len(wire) >= 600 and wire.count(b"<p>more</p>") > 20
        assert get(site, "/")[2] == b"home"


def test_stalled_answer_is_counted_while_held_back():
    with TestSite({"/slow": Route(b"late", stall=1.0)}) as site:
        got: list = []
        t = threading.Thread(target=lambda: got.append(get(site, "/slow")))
        t0 = time.monotonic()
        t.start()
        while site.count("/slow") == 0:
            assert time.monotonic() - t0 < 60  # liveness only: the request arrives at all
            time.sleep(0.01)
        assert not got and [h.status for h in site.requests] == [0]  # arrived, not answered yet
        t.join(10)
        assert got[0][0] == 200 and time.monotonic() - t0 >= 1.0
        assert [h.status for h in site.requests] == [200]


def test_site_wide_delay():
    with TestSite({"/": Route(b"x")}, delay=0.3) as site:
        t0 = time.monotonic()
        assert get(site, "/nothing")[0] == 404
        assert time.monotonic() - t0 >= 0.3


def test_keep_alive_on_request():
    with TestSite({"/": Route(b"a"), "/b": Route(b"b")}, keep_alive=True) as site:
        conn = http.client.HTTPConnection(site.host, site.port, timeout=10)
        try:
            assert get(site, "/", conn=conn)[2] == b"a"
            status, headers, body = get(site, "/b", conn=conn)
            assert (status, body) == (200, b"b") and "connection" not in headers
        finally:
            conn.close()


def test_dynamic_routes_and_routes_changed_while_running():
    def endless_pages(path: str) -> Route | None:
        if path.startswith("/page/"):
            n = int(path.rsplit("/", 1)[1])
            return Route(f'<a href="/page/{n + 1}">next</a>'.encode())
        return None

    with TestSite({"/": Route(b"v1")}, dynamic=endless_pages) as site:
        assert get(site, "/page/41")[2] == b'<a href="/page/42">next</a>'
        assert get(site, "/other")[0] == 404
        site.routes["/"] = Route(b"v2")
        assert get(site, "/")[2] == b"v2"


def test_robots_and_sitemap_builders():
    with TestSite() as site:
        site.routes["/robots.txt"] = robots("/private/", sitemaps=[site.url + "/sitemap.xml"])
        site.routes["/sitemap.xml"] = sitemap([site.url + "/a/1.html"])
        status, headers, body = get(site, "/robots.txt")
        assert headers["content-type"] == "text/plain"
        assert body == f"User-agent: *\nDisallow: /private/\nSitemap: {site.url}/sitemap.xml\n".encode()
        assert robots().body == b"User-agent: *\nDisallow:\n"  # nothing disallowed
        status, headers, body = get(site, "/sitemap.xml")
        assert headers["content-type"] == "application/xml"
        assert f"<loc>{site.url}/a/1.html</loc>".encode() in body


def test_folder_routes(tmp_path: Path):
    (tmp_path / "d").mkdir()
    (tmp_path / "index.html").write_bytes(b"<html>home</html>")
    (tmp_path / "d" / "index.html").write_bytes(b"<html>d</html>")
    (tmp_path / "d" / "p.html").write_bytes("<p>页</p>".encode("gbk"))
    (tmp_path / "robots.txt").write_bytes(b"User-agent: *\n")
    routes = folder_routes(tmp_path)
    assert set(routes) == {"/", "/index.html", "/d/", "/d/index.html", "/d/p.html", "/robots.txt"}
    assert routes["/"].body == b"<html>home</html>" and routes["/d/"].body == b"<html>d</html>"
    assert routes["/d/p.html"].headers == {"Content-Type": "text/html"}  # no charset
    assert routes["/robots.txt"].headers == {"Content-Type": "text/plain"}


def test_server_in_its_own_process(tmp_path: Path):
    (tmp_path / "index.html").write_bytes(b"<html>from another process</html>")
    with ServerProcess(tmp_path, keep_alive=False) as server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert get(server, "/")[2] == b"<html>from another process</html>"
        assert server.proc.poll() is None
    assert server.proc.returncode is not None  # stopped with the context


def test_cli_help_and_bad_folder(tmp_path: Path):
    run = [sys.executable, "-m", "tests.mockserver"]
    r = subprocess.run([*run, "--help"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "--keep-alive" in r.stdout
    r = subprocess.run([*run, str(tmp_path / "nope")], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "not a folder" in r.stderr
