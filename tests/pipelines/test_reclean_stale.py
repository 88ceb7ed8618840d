"""``guidecrawl reclean --stale``: only rows made by another cleaner version are re-cleaned, on a
real DuckDB file, with a rule changed in a copy of data/ (``GUIDECRAWL_DATA``, as a deployment does)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cleaners import cleaner_version
from cleaners.data import SHIPPED_DATA
from pipelines import store
from pipelines.commands.reclean import reclean, site_profiles
from tests.pipelines.test_reclean import db  # noqa: F401  (the archived two-article fixture)
from tests.pipelines.warehouse_data import article, page, q, stage

ROOT = Path(__file__).resolve().parents[2]

# a boilerplate rule the copy adds: it removes the second paragraph of the fixture's pages
EXTRA_RULE = """
[[rule]]
id = "test-extra-line"
type = "line"
pattern = '再补充一些说明文字.*'
reason = "a rule added by the test: the second paragraph of the fixture pages goes"
"""


def _data_copy(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(SHIPPED_DATA, d, ignore=shutil.ignore_patterns("demo_site", "*.duckdb*", "jobs"))
    return d


def _cli_reclean(db_file: Path, data: Path, *extra: str) -> tuple[dict, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GUIDECRAWL_SPIN_TABLES", "GUIDECRAWL_SITES_DIR")}
    env["GUIDECRAWL_DATA"] = str(data)
    r = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "reclean", "--db", str(db_file), "--workers", "1", *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout), r.stderr


@pytest.fixture(autouse=True)
def _shipped(monkeypatch):
    for k in ("GUIDECRAWL_DATA", "GUIDECRAWL_SPIN_TABLES", "GUIDECRAWL_SITES_DIR"):
        monkeypatch.delenv(k, raising=False)


def test_stale_recleans_only_rows_of_another_version(db, tmp_path):  # noqa: F811
    # the fixture's rows were made by "0.1.0": all stale
    first = reclean(db, workers=1, stale=True)
    assert (first["stale"], first["skipped_current"], first["articles"]) == (2, 0, 2)
    shipped = cleaner_version()
    assert {v for (v,) in q(db, "SELECT cleaner_version FROM articles")} == {shipped}
    assert all("再补充一些说明文字" in b for (b,) in q(db, "SELECT body FROM articles"))

    # nothing changed since: nothing is touched, both counted as skipped
    runs = q(db, "SELECT count(*) FROM crawl_runs")[0][0]
    again = reclean(db, workers=1, stale=True)
    assert (again["stale"], again["skipped_current"], again["articles"]) == (0, 2, 0)
    assert again["run_id"] is None and q(db, "SELECT count(*) FROM crawl_runs")[0][0] == runs

    # one rule added in a copy of data/: every row is stale, and re-cleaned with the new rule
    data = _data_copy(tmp_path)
    with (data / "boilerplate.toml").open("a", encoding="utf-8") as f:
        f.write(EXTRA_RULE)
    res, err = _cli_reclean(db, data, "--stale")
    assert (res["stale"], res["skipped_current"], res["articles"]) == (2, 0, 2)
    assert res["cleaner_version"] != shipped
    assert "2 of 2 archived articles stale" in err and "0 current, skipped" in err
    assert {v for (v,) in q(db, "SELECT cleaner_version FROM articles")} == {res["cleaner_version"]}
    assert not any("再补充一些说明文字" in b for (b,) in q(db, "SELECT body FROM articles"))
    counts = json.loads(q(db, "SELECT counts FROM crawl_runs WHERE run_id = ?", [res["run_id"]])[0][0])
    assert counts["stale"] == 2 and counts["skipped_current"] == 0

    # and a second --stale with the same data re-cleans none
    res2, err2 = _cli_reclean(db, data, "--stale")
    assert (res2["stale"], res2["skipped_current"], res2["articles"]) == (0, 2, 0)
    assert "0 of 2 archived articles stale" in err2


def test_stale_follows_the_site_profile_selectors(tmp_path, monkeypatch):
    # the profile's [extract] selectors are part of a row's version: changing one site's profile
    # makes that site's rows stale, not the other site's
    data = _data_copy(tmp_path)
    (data / "sites" / "picky.toml").write_text(
        'name = "picky"\n[extract]\nbody = "div.real"\n', encoding="utf-8"
    )
    monkeypatch.setenv("GUIDECRAWL_DATA", str(data))
    para = "这一段内容足够长，用来测试清洗器能否正确地抽取正文，并且保持原来的顺序不变。"
    html = f"<html><body><div class='real'><p>真正正文{para}</p></div></body></html>".encode()
    st, dbf = tmp_path / "stage", tmp_path / "g.duckdb"
    stage(
        st,
        "w1",
        [
            page("http://p/1.html", raw=html, site="picky"),
            article("http://p/1.html", site="picky"),
            page("http://o/1.html", raw=html, site="other"),
            article("http://o/1.html", site="other"),
        ],
    )
    store.load_stage(st, dbf)
    assert reclean(dbf, workers=1, stale=True)["stale"] == 2
    versions = dict(q(dbf, "SELECT site, cleaner_version FROM articles"))
    assert versions["other"] == cleaner_version() and versions["picky"].startswith(
        cleaner_version() + "+site."
    )
    (data / "sites" / "picky.toml").write_text('name = "picky"\n[extract]\nbody = "div"\n', encoding="utf-8")
    res = reclean(dbf, workers=1, stale=True)
    assert (res["stale"], res["skipped_current"]) == (1, 1)
    assert dict(q(dbf, "SELECT site, cleaner_version FROM articles"))["other"] == versions["other"]


def test_reclean_reads_the_profiles_of_the_data_root(tmp_path, monkeypatch):
    # the scrapyd route points GUIDECRAWL_DATA at its own data folder: the crawl found its profiles
    # there, and reclean must re-clean with those same profiles (it used to read the checkout's)
    data = _data_copy(tmp_path)
    (data / "sites" / "deployed.toml").write_text(
        'name = "deployed"\n[extract]\nbody = "div.real"\n', encoding="utf-8"
    )
    (data / "sites" / "qa_site.toml").write_text(
        'name = "qa_site"\n[extract]\ntitle = "h2.q"\n', encoding="utf-8"
    )
    monkeypatch.setenv("GUIDECRAWL_DATA", str(data))
    profiles = site_profiles()
    assert profiles["deployed"]["extract"] == {"body": "div.real"}
    assert profiles["qa_site"]["extract"] == {"title": "h2.q"}
