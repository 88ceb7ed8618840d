"""Retry-After holds the whole site (issue 12 item 7); the crawl stays on its origin (item 8);
``-s`` and a profile's ``[settings]`` reach the crawl and its run record (item 12).

Real servers on 127.0.0.1, the real ``guidecrawl crawl`` command, real DuckDB files.
"""

from __future__ import annotations

import json
import time
from email.utils import formatdate
from pathlib import Path

import pytest

from crawler.middlewares import retry_after_seconds
from tests.crawler.sitekit import (
    FAST,
    PARAGRAPHS,
    article_html,
    db_rows,
    farm_routes,
    guidecrawl,
    listing_html,
)
from tests.mockserver import Route, TestSite


def test_retry_after_header_values():
    now = time.time()
    assert retry_after_seconds(b"2") == 2.0
    assert retry_after_seconds(" 120 ") == 120.0
    assert retry_after_seconds(None) is None and retry_after_seconds(b"soon") is None
    assert 9 <= retry_after_seconds(formatdate(now + 10, usegmt=True), now=now) <= 10
    assert retry_after_seconds(formatdate(now - 100, usegmt=True), now=now) == 0.0


def _busy_site(retry_after: str | None, held: dict | None = None) -> TestSite:
    """``retry_after``: the header's value; None: an HTTP date 5 s after the moment the 429 is
    sent (computed then, so a crawl slow to start on a loaded machine still gets the whole hold),
    its end (monotonic) put in ``held["until"]``."""
    routes = farm_routes(24, per_listing=24, stall=0.1)
    # The first answer for one article, at once: "too many requests, come back later"; the other
    # articles are slower, so some are still waiting in the crawler's queue when it comes.
    article = routes["/a/1.html"]
    article.stall = 0
    if retry_after is not None:
        article.statuses = [429]
        article.headers = {"Content-Type": "text/html", "Retry-After": retry_after}
        return TestSite(routes)
    del routes["/a/1.html"]
    answered: list[str] = []

    def first_a_429(path: str) -> Route | None:
        if path != "/a/1.html":
            return None
        if answered:
            return article
        answered.append(path)
        wall, mono = time.time(), time.monotonic()
        assert held is not None
        held["until"] = mono + (int(wall + 5) - wall)  # HTTP dates have whole seconds
        return Route(
            b"busy",
            status=429,
            headers={"Content-Type": "text/html", "Retry-After": formatdate(wall + 5, usegmt=True)},
        )

    return TestSite(routes, dynamic=first_a_429)


def _after_429(site: TestSite) -> tuple[float, list[tuple[float, str]]]:
    log = [(t, p) for t, p, _ in site.log]
    t429 = next(t for t, p in log if p == "/a/1.html")
    return t429, [(t - t429, p) for t, p in log if t > t429]


@pytest.mark.parametrize("header", ["seconds", "date"])
def test_retry_after_holds_every_request_to_the_site(tmp_path: Path, header: str):
    held: dict = {}
    # seconds: "3"; an HTTP date (whole seconds): the hold ends then
    with _busy_site("3" if header == "seconds" else None, held) as site:
        r = guidecrawl("crawl", site.url + "/", "--db", str(tmp_path / "g.duckdb"), *FAST)
        t429, later = _after_429(site)
    wait = 3.0 if header == "seconds" else held["until"] - t429
    assert wait > 1
    assert r.returncode == 0, r.stderr
    assert db_rows(tmp_path / "g.duckdb", "SELECT count(*) FROM articles")[0][0] == 24
    retry = [dt for dt, p in later if p == "/a/1.html"]
    assert len(retry) == 1 and retry[0] >= wait - 0.1, later
    # Requests already on their way when the 429 came may land just after it; none is *sent*
    # during the hold: the whole site waits, not only the URL that got the 429.
    early = [(round(dt, 2), p) for dt, p in later if 1.0 < dt < wait - 0.1]
    assert not early, early
    assert any(p != "/a/1.html" and dt >= wait - 0.1 for dt, p in later)


def test_retry_after_is_capped_by_the_setting(tmp_path: Path):
    with _busy_site("3600") as site:
        r = guidecrawl(
            "crawl",
            site.url + "/",
            "--db",
            str(tmp_path / "g.duckdb"),
            *FAST,
            "-s",
            "GUIDECRAWL_RETRY_AFTER_MAX=1.5",
        )
        _, later = _after_429(site)
    assert r.returncode == 0, r.stderr
    retry = [dt for dt, p in later if p == "/a/1.html"]
    # capped: the retry came ~1.5 s after the 429, not 3600 s (no bound on the whole crawl's wall
    # time: that depends on the machine's load, and the subprocess timeout ends a crawl that waits)
    assert len(retry) == 1 and 1.4 <= retry[0] < 10


def test_crawl_stays_on_the_start_urls_scheme_host_and_port(tmp_path: Path):
    db = tmp_path / "g.duckdb"
    with TestSite(farm_routes(3, tag="乙")) as b, TestSite(farm_routes(3, tag="丙")) as c:
        home = listing_html(
            [("/a/1.html", "本站文章"), (b.url + "/a/1.html", "别的端口"), (c.url + "/", "又一个端口")]
        ).encode()
        paras = ["本站唯一的一篇文章。", *PARAGRAPHS]
        routes = {
            "/": Route(home),
            "/a/1.html": Route(
                article_html("本站文章", paras, extra_links=f'<a href="{c.url}/a/2.html">x</a>').encode()
            ),
        }
        with TestSite(routes) as a:
            r = guidecrawl("crawl", a.url + "/", "--db", str(db), *FAST)
        assert r.returncode == 0, r.stderr
        assert b.hits == [] and c.hits == [], (b.hits, c.hits)
    urls = sorted(u for (u,) in db_rows(db, "SELECT url FROM pages"))
    assert a.url + "/a/1.html" in urls and all(u.startswith(a.url + "/") for u in urls), urls


def _profile(tmp_path: Path, url: str, settings: str) -> Path:
    sites = tmp_path / "sites"
    sites.mkdir(exist_ok=True)
    (sites / "local.toml").write_text(
        f'name = "local"\nstart_urls = ["{url}/"]\n[links]\narticle = [\'/a/\\d+\\.html$\']\n'
        f"listing = ['/$', '/list_\\d+\\.html$']\n[settings]\n{settings}\n",
        encoding="utf-8",
    )
    return sites


def test_settings_from_profile_and_command_line_reach_the_crawl_and_its_record(tmp_path: Path):
    with TestSite(farm_routes(3)) as site:
        env = {
            "GUIDECRAWL_SITES_DIR": str(
                _profile(tmp_path, site.url, 'USER_AGENT = "from-profile"\nDEPTH_LIMIT = 9')
            )
        }
        db = tmp_path / "p.duckdb"
        r = guidecrawl("crawl", "--site", "local", "--db", str(db), *FAST, env=env)
        assert r.returncode == 0, r.stderr
        agents = {ua for _, p, ua in site.log if p != "/robots.txt"}
        assert agents == {"from-profile"}
        (args,) = db_rows(db, "SELECT args FROM crawl_runs")[0]
        args = json.loads(args)
        assert args["profile_settings"] == {"USER_AGENT": "from-profile", "DEPTH_LIMIT": 9}
        assert args["settings"] == {"DOWNLOAD_DELAY": 0.0, "AUTOTHROTTLE_ENABLED": False}

        site.clear()
        db = tmp_path / "s.duckdb"
        r = guidecrawl(
            "crawl", "--site", "local", "--db", str(db), *FAST, "-s", "USER_AGENT=from-cli", env=env
        )
        assert r.returncode == 0, r.stderr
        assert {ua for _, p, ua in site.log if p != "/robots.txt"} == {"from-cli"}  # -s wins
        (args,) = db_rows(db, "SELECT args FROM crawl_runs")[0]
        assert json.loads(args)["settings"]["USER_AGENT"] == "from-cli"


@pytest.mark.parametrize(
    "arg,message",
    [
        ("DOWNLOAD_DELAI=1", "-s DOWNLOAD_DELAI: unknown crawl setting 'DOWNLOAD_DELAI'"),
        ("DOWNLOAD_DELAY=slow", "-s DOWNLOAD_DELAY: DOWNLOAD_DELAY must be a number >= 0, not 'slow'"),
        ("CONCURRENT_REQUESTS_PER_DOMAIN=0", "must be a whole number >= 1"),
        ("DEPTH_LIMIT", "write -s NAME=VALUE"),
    ],
)
def test_bad_setting_is_one_line_and_exit_2(tmp_path: Path, arg: str, message: str):
    r = guidecrawl("crawl", "http://127.0.0.1:9/", "--db", str(tmp_path / "g.duckdb"), "-s", arg, timeout=60)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and message in r.stderr, r.stderr
    assert not (tmp_path / "g.duckdb").exists()


def test_bad_profile_setting_is_one_line_and_exit_2(tmp_path: Path):
    env = {"GUIDECRAWL_SITES_DIR": str(_profile(tmp_path, "http://127.0.0.1:9", "DOWNLOAD_DELAY = 'x'"))}
    r = guidecrawl("crawl", "--site", "local", "--db", str(tmp_path / "g.duckdb"), env=env, timeout=60)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "[settings]: DOWNLOAD_DELAY must be a number >= 0" in r.stderr
