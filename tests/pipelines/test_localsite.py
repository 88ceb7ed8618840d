"""The static test/demo server, over real HTTP on 127.0.0.1 (port 0)."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
from email.utils import formatdate
from pathlib import Path

import pytest

from pipelines.demo.localsite import DEMO_ROOT, serve, serve_demo
from pipelines.errors import UserError

REPO = Path(__file__).resolve().parents[2]

PAGE = "<html><head><title>测试页</title></head><body><p>信用卡逾期怎么办</p></body></html>".encode()
GBK_PAGE = '<html><head><meta charset="gb2312"></head><body><p>手机充电慢是什么原因</p></body></html>'.encode(
    "gbk"
)


@pytest.fixture
def site(tmp_path: Path):
    root = tmp_path / "site"
    (root / "a").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "index.html").write_bytes(b"<html>home</html>")
    (root / "a" / "1.html").write_bytes(PAGE)
    (root / "a" / "gbk.html").write_bytes(GBK_PAGE)
    (root / "a" / "deleted.html").write_bytes(b"<html>old</html>")
    (root / "docs" / "index.html").write_bytes(b"<html>docs</html>")
    (root / "robots.txt").write_bytes(b"User-agent: *\nDisallow: /private/\nSitemap: {base}/sitemap.xml\n")
    (root / "data.bin").write_bytes(bytes(range(256)))
    (tmp_path / "secret.txt").write_bytes(b"TOP SECRET")
    os.symlink(tmp_path / "secret.txt", root / "link.txt")
    (root / "_routes.json").write_text(
        json.dumps(
            {
                "//": "comment keys are ignored",
                "/a/gbk.html": {"headers": {"Content-Type": "text/html; charset=utf-8"}},
                "/a/deleted.html": {"status": 410},
                "/gone.html": {"status": 404},
                "/robots.txt": {"template": True},
                "/alias.html": {"body_file": "a/1.html"},
                "/a/1.html?from=rss": {"headers": {"X-Variant": "rss"}},
            }
        )
    )
    with serve(root) as server:
        yield server


def request(server, path: str, method: str = "GET", headers: dict | None = None):
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_url_is_base_without_trailing_slash(site):
    assert site.url == f"http://127.0.0.1:{site.port}"
    assert site.port > 0


def test_get_serves_bytes_intact_and_html_without_charset(site):
    status, headers, body = request(site, "/a/1.html")
    assert status == 200
    assert body == PAGE
    assert headers["content-type"] == "text/html"  # no charset unless _routes.json gives one
    assert headers["content-length"] == str(len(PAGE))
    status, headers, body = request(site, "/data.bin")
    assert (status, body, headers["content-type"]) == (200, bytes(range(256)), "application/octet-stream")


def test_index_html_for_root_and_folders(site):
    assert request(site, "/")[2] == b"<html>home</html>"
    assert request(site, "/docs/")[2] == b"<html>docs</html>"
    status, headers, _ = request(site, "/docs?x=1")
    assert status == 301 and headers["location"] == "/docs/?x=1"


def test_query_string_ignored_for_lookup_but_exact_route_wins(site):
    status, headers, body = request(site, "/a/1.html?utm=abc")
    assert (status, body) == (200, PAGE) and "x-variant" not in headers
    status, headers, body = request(site, "/a/1.html?from=rss")
    assert (status, body, headers["x-variant"]) == (200, PAGE, "rss")


def test_route_header_lies_about_charset_but_bytes_stay_gbk(site):
    status, headers, body = request(site, "/a/gbk.html")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert body == GBK_PAGE
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")


def test_route_status_overrides(site):
    status, _, body = request(site, "/a/deleted.html")
    assert status == 410 and body == b"<html>old</html>"  # a file with a route status keeps its body
    status, headers, body = request(site, "/gone.html")
    assert status == 404 and b"404 Not Found" in body and headers["content-type"] == "text/html"


def test_route_body_file_and_template(site):
    status, _, body = request(site, "/alias.html")
    assert (status, body) == (200, PAGE)
    status, headers, body = request(site, "/robots.txt")
    assert status == 200 and headers["content-type"] == "text/plain"
    assert body == f"User-agent: *\nDisallow: /private/\nSitemap: {site.url}/sitemap.xml\n".encode()


def test_etag_and_if_none_match(site):
    _, headers, _ = request(site, "/a/1.html")
    etag = headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    status, headers2, body = request(site, "/a/1.html", headers={"If-None-Match": etag})
    assert (status, body, headers2["etag"]) == (304, b"", etag)
    assert request(site, "/a/1.html", headers={"If-None-Match": f'"other", W/{etag}'})[0] == 304
    assert request(site, "/a/1.html", headers={"If-None-Match": "*"})[0] == 304
    assert request(site, "/a/1.html", headers={"If-None-Match": '"other"'})[0] == 200
    # the tag is a content hash: another file with other bytes has another tag
    assert request(site, "/a/gbk.html")[1]["etag"] != etag


def test_last_modified_and_if_modified_since(site):
    _, headers, _ = request(site, "/a/1.html")
    lm = headers["last-modified"]
    mtime = int((site.root / "a" / "1.html").stat().st_mtime)
    assert lm == formatdate(mtime, usegmt=True)
    assert request(site, "/a/1.html", headers={"If-Modified-Since": lm})[0] == 304
    later = formatdate(mtime + 3600, usegmt=True)
    assert request(site, "/a/1.html", headers={"If-Modified-Since": later})[0] == 304
    earlier = formatdate(mtime - 3600, usegmt=True)
    assert request(site, "/a/1.html", headers={"If-Modified-Since": earlier})[0] == 200
    assert request(site, "/a/1.html", headers={"If-Modified-Since": "not a date"})[0] == 200


def test_if_none_match_wins_over_if_modified_since(site):
    lm = request(site, "/a/1.html")[1]["last-modified"]
    status, _, body = request(
        site, "/a/1.html", headers={"If-None-Match": '"other"', "If-Modified-Since": lm}
    )
    assert (status, body) == (200, PAGE)


def test_head_has_headers_and_no_body(site):
    _, get_headers, _ = request(site, "/a/1.html")
    status, headers, body = request(site, "/a/1.html", method="HEAD")
    assert (status, body) == (200, b"")
    assert headers["content-length"] == str(len(PAGE))
    assert headers["etag"] == get_headers["etag"]
    assert request(site, "/nope.html", method="HEAD")[0] == 404


def test_missing_file_is_404(site):
    status, _, body = request(site, "/a/404.html")
    assert status == 404 and body == b"not found\n"
    assert request(site, "/nodir/")[0] == 404


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/a/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/a/%2E%2E/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/a\\..\\..\\secret.txt",
        "/link.txt",
        "/%00.html",
    ],
)
def test_path_traversal_refused(site, path):
    status, _, body = request(site, path)
    assert status == 403
    assert b"SECRET" not in body


def test_control_files_are_not_served(site):
    assert request(site, "/_routes.json")[0] == 404


def test_requests_are_recorded(site):
    request(site, "/a/1.html?x=1")
    request(site, "/a/404.html", method="HEAD")
    hits = [(h.method, h.path, h.status) for h in site.requests]
    assert hits == [("GET", "/a/1.html?x=1", 200), ("HEAD", "/a/404.html", 404)]
    assert site.fetched("/a/1.html") and site.fetched("/a/") and not site.fetched("/private/")


def test_keep_alive_serves_several_requests_on_one_connection(site):
    conn = http.client.HTTPConnection(site.host, site.port, timeout=10)
    try:
        for path, want in (("/a/1.html", PAGE), ("/", b"<html>home</html>"), ("/a/1.html", PAGE)):
            conn.request("GET", path)
            resp = conn.getresponse()
            assert resp.status == 200 and resp.read() == want
    finally:
        conn.close()


def test_304_then_200_on_one_keep_alive_connection(site):
    etag = request(site, "/a/1.html")[1]["etag"]
    conn = http.client.HTTPConnection(site.host, site.port, timeout=10)
    try:
        conn.request("GET", "/a/1.html", headers={"If-None-Match": etag})
        resp = conn.getresponse()
        assert (resp.status, resp.read(), resp.getheader("Content-Length")) == (304, b"", None)
        conn.request("GET", "/a/gbk.html")
        resp = conn.getresponse()
        assert (resp.status, resp.read()) == (200, GBK_PAGE)
    finally:
        conn.close()


def test_files_are_read_once_and_cached(site):
    assert request(site, "/a/1.html")[2] == PAGE
    (site.root / "a" / "1.html").write_bytes(b"changed")
    assert request(site, "/a/1.html")[2] == PAGE  # served from memory, as documented


def test_concurrent_requests(site):
    errors: list[str] = []

    def worker():
        for _ in range(25):
            status, _, body = request(site, "/a/1.html")
            if (status, body) != (200, PAGE):
                errors.append(f"{status} {body[:20]!r}")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(site.requests) == 200


def test_stop_frees_the_port_and_is_idempotent(tmp_path):
    (tmp_path / "index.html").write_bytes(b"x")
    server = serve(tmp_path)
    host, port = server.host, server.port
    assert request(server, "/")[0] == 200
    server.stop()
    server.stop()
    with pytest.raises(OSError):
        http.client.HTTPConnection(host, port, timeout=2).request("GET", "/")


def test_runs_from_a_background_thread(tmp_path):
    (tmp_path / "index.html").write_bytes(b"bg")
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("server", serve(tmp_path)))
    t.start()
    t.join(10)
    with box["server"] as server:
        assert request(server, "/")[2] == b"bg"


def test_user_errors(tmp_path):
    with pytest.raises(UserError, match="not a folder"):
        serve(tmp_path / "missing")
    (tmp_path / "_routes.json").write_text("{not json")
    with pytest.raises(UserError, match="_routes.json: not valid JSON"):
        serve(tmp_path)
    (tmp_path / "_routes.json").write_text(json.dumps({"/x": {"stauts": 404}}))
    with pytest.raises(UserError, match="unknown keys"):
        serve(tmp_path)
    with pytest.raises(UserError, match="no site folders"):
        serve_demo(tmp_path)
    (tmp_path / "_routes.json").unlink()
    with serve(tmp_path) as busy, pytest.raises(UserError, match="cannot listen"):
        serve(tmp_path, port=busy.port)


def test_serve_demo_one_server_per_site_with_substituted_profiles():
    with serve_demo() as sites:
        assert set(sites) == {"guanxian", "dedecms", "wenda"}
        assert sites.urls == dict(sites)
        assert len({url for url in sites.values()}) == 3  # an origin (and robots.txt) per site
        profiles = sites.profiles()
        for name, url in sites.items():
            assert profiles[name]["start_urls"][0] == url + "/"
            assert "{base}" not in json.dumps(profiles[name])
            status, _, body = request(sites.sites[name], "/robots.txt")
            assert status == 200 and f"Sitemap: {url}/sitemap.xml".encode() in body
    assert DEMO_ROOT.is_dir()


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.demo.localsite", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_help_and_bad_folder(tmp_path):
    done = _run_cli("--help")
    assert done.returncode == 0 and "--port" in done.stdout
    done = _run_cli(str(tmp_path / "nope"))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "not a folder" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_serves_a_folder_and_prints_its_url(tmp_path):
    (tmp_path / "index.html").write_bytes(b"by hand")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.demo.localsite", str(tmp_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        name, url = line.rstrip("\n").split("\t")
        assert name == tmp_path.name and url.startswith("http://127.0.0.1:") and url.endswith("/")
        host, port = url[len("http://") : -1].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"by hand"
        conn.close()
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()
