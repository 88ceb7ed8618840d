"""End to end: serve the embedded demo sites on 127.0.0.1, crawl them with the real spider over
HTTP in a separate process, load a temporary DuckDB file, and check the rows against
data/demo_site/expected.json (facts written down by hand about the demo pages)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.demo.localsite import DEMO_ROOT, serve_demo
from pipelines.run.crawl import CrawlOptions, run_crawl_subprocess

EXPECTED = json.loads((DEMO_ROOT / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    db = tmp / "demo.duckdb"
    with serve_demo() as sites:
        summary = run_crawl_subprocess(
            CrawlOptions(
                profiles=sites.profiles(),
                db=db,
                stage_dir=tmp / "stage",
                job_dir=tmp / "job",
                quiet=True,
                job="demo",
            ),
            timeout=300,
        )
        requested = {name: srv.requests for name, srv in sites.sites.items()}
        urls = dict(sites.urls)
    con = duckdb.connect(str(db), read_only=True)
    yield {"con": con, "summary": summary, "requested": requested, "urls": urls, "db": db}
    con.close()


def q(con, sql, *params):
    return con.execute(sql, list(params)).fetchall()


def article(d, site, path):
    url = d["urls"][site] + path
    rows = q(d["con"], "SELECT id, title, body FROM articles WHERE url = ? OR canonical_url = ?", url, url)
    assert len(rows) == 1, f"{site}{path}: {len(rows)} rows"
    return rows[0]


def test_every_demo_article_stored_once(demo):
    con = demo["con"]
    want = []
    for site, facts in EXPECTED["sites"].items():
        for a in facts["articles"]:
            want.append((site, demo["urls"][site] + a["path"], a["title"]))
    got = q(con, "SELECT site, url, title FROM v_articles")
    assert len(got) == EXPECTED["total_articles"] == len(want)
    got_urls = sorted(u for _, u, _ in got)
    assert got_urls == sorted(u for _, u, _ in want)
    titles = {u: t for _, u, t in got}
    for site, url, title in want:
        if site == "wenda" and title == EXPECTED["sites"]["wenda"]["traditional"]["raw_title"]:
            continue  # checked after t2s below
        assert titles[url] == title, url


def test_three_page_article_merged_in_order(demo):
    mp = EXPECTED["sites"]["dedecms"]["multipage"]
    _, _, body = article(demo, "dedecms", mp["path"])
    positions = [body.find(p) for p in mp["phrases"]]
    assert all(p >= 0 for p in positions), positions
    assert positions == sorted(positions)
    assert "下一页" not in body
    # each part fetched once
    hits = [h.path for h in demo["requested"]["dedecms"]]
    for part in mp["parts"]:
        assert hits.count(part) == 1, part


def test_duplicate_urls_not_doubled(demo):
    con = demo["con"]
    for dup in EXPECTED["sites"]["dedecms"]["duplicates"]:
        canon = demo["urls"]["dedecms"] + dup["canonical"]
        alias = demo["urls"]["dedecms"] + dup["alias"]
        n = q(
            con,
            "SELECT count(*) FROM articles WHERE is_canonical AND (url IN (?, ?) OR canonical_url = ?)",
            canon,
            alias,
            canon,
        )[0][0]
        assert n == 1, dup


def test_gbk_pages_decoded(demo):
    facts = EXPECTED["sites"]["dedecms"]
    for ph in facts["phrases"]:
        _, _, body = article(demo, "dedecms", ph["path"])
        assert ph["phrase"] in body, ph
    lying = facts["lying_header"]
    _, _, body = article(demo, "dedecms", lying["path"])
    assert lying["phrase"] in body
    enc = q(
        demo["con"],
        "SELECT encoding, encoding_reason FROM pages WHERE url = ?",
        demo["urls"]["dedecms"] + lying["path"],
    )
    assert enc and enc[0][0].lower() in {"gbk", "gb18030", "gb2312"}, enc


def test_disallowed_path_not_fetched(demo):
    for site, facts in EXPECTED["sites"].items():
        rule = facts["disallowed"]["rule"]
        paths = [h.path for h in demo["requested"][site]]
        assert not any(p.startswith(rule) for p in paths), (site, rule)
        n = q(demo["con"], "SELECT count(*) FROM pages WHERE url LIKE ?", demo["urls"][site] + rule + "%")[0][
            0
        ]
        assert n == 0


def test_missing_and_gone_pages_recorded(demo):
    facts = EXPECTED["sites"]["dedecms"]
    for key in ("missing", "gone"):
        url = demo["urls"]["dedecms"] + facts[key]["path"]
        rows = q(demo["con"], "SELECT status, outcome FROM pages WHERE url = ?", url)
        assert rows == [(facts[key]["status"], "gone")], (key, rows)


def test_seed_page_cleaned(demo):
    seed = EXPECTED["sites"]["guanxian"]["seed"]
    aid, title, body = article(demo, "guanxian", seed["path"])
    assert title == seed["title"]
    for junk in EXPECTED["sites"]["guanxian"]["boilerplate_not_in_body"]:
        assert junk not in body, junk
    assert body.count(seed["title"]) == 0  # the repeated title is gone from the body
    row = q(
        demo["con"],
        "SELECT source, editor, strftime(timezone('Asia/Shanghai', published_at), '%Y-%m-%d %H:%M:%S') FROM articles WHERE id = ?",
        aid,
    )[0]
    assert row == (seed["source"], seed["editor"], seed["published_at"])
    for g in EXPECTED["sites"]["guanxian"]["garbled"]:
        if g["path"] == seed["path"]:
            assert g["before"] not in body and "工具，" in body
    for s in EXPECTED["sites"]["guanxian"]["spun_examples"]:
        if s["path"] == seed["path"]:
            assert s["original"] in body
    kinds = {k for (k,) in q(demo["con"], "SELECT DISTINCT kind FROM repairs WHERE article_id = ?", aid)}
    assert {"boilerplate", "garble", "spin"} <= kinds


def test_comments_with_authors(demo):
    con = demo["con"]
    for site in ("guanxian", "wenda"):
        for c in EXPECTED["sites"][site]["comments"]:
            aid, _, body = article(demo, site, c["path"])
            rows = q(con, "SELECT author, role FROM comments WHERE article_id = ? ORDER BY idx", aid)
            authors = [a for a, _ in rows]
            assert authors[: len(c["rows"])] == [r["author"] for r in c["rows"]], (site, c["path"], rows)
            for r in c["rows"]:
                if "role" in r:
                    assert (r["author"], r["role"]) in rows
                assert r["author"] not in body  # comment text never leaks into the body


def test_traditional_page_converted(demo):
    t = EXPECTED["sites"]["wenda"]["traditional"]
    _, title, body = article(demo, "wenda", t["path"])
    assert t["phrase_t2s"] in body
    assert t["raw_phrase"] not in body
    assert title == t["title_t2s"]


def test_run_recorded(demo):
    runs = q(demo["con"], "SELECT run_id, job, counts FROM crawl_runs")
    assert len(runs) >= 1
    assert {r[1] for r in runs} == {"demo"}
    assert demo["summary"]["run_id"] in {r[0] for r in runs}


def test_demo_command_end_to_end(tmp_path):
    """`guidecrawl demo` itself: prints the summary and example queries, and is rerunnable."""
    import subprocess
    import sys

    db = tmp_path / "d.duckdb"
    for _ in range(2):  # the second run rebuilds the demo database
        r = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "demo", "--db", str(db), "--quiet"],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=str(Path(__file__).resolve().parents[2]),
        )
        assert r.returncode == 0, r.stderr[-3000:]
        assert "articles" in r.stdout and "SELECT" in r.stdout
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM v_articles").fetchone()[0] == EXPECTED["total_articles"]
    con.close()


def test_demo_refuses_a_non_demo_database(tmp_path):
    import subprocess
    import sys

    db = tmp_path / "corpus.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE crawl_runs (run_id VARCHAR, job VARCHAR)")
    con.execute("INSERT INTO crawl_runs VALUES ('r1', 'nightly')")
    con.close()
    r = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "demo", "--db", str(db), "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=str(Path(__file__).resolve().parents[2]),
    )
    assert r.returncode == 2
    assert "other than the demo" in r.stderr and "Traceback" not in r.stderr
    assert db.exists()
