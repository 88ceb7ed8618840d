"""SQL from the command line reads the corpus and nothing else (issue 12 item 2).

``guidecrawl sql`` and ``export --query`` run on a real DuckDB file; every attack of the issue is
tried and must fail with one line, leaving no file written and the other database unchanged.
``--allow-files`` is the explicit opt-in.
"""

from __future__ import annotations

import json

import duckdb
import pytest

from tests.test_cli import _small_db, assert_user_error, gc


@pytest.fixture
def db(tmp_path):
    return _small_db(tmp_path)


@pytest.fixture
def other(tmp_path):
    p = tmp_path / "other.duckdb"
    con = duckdb.connect(str(p))
    con.execute("CREATE TABLE keep AS SELECT 42 AS v")
    con.close()
    return p


def _refused(r):
    assert_user_error(r, 1, "refused", "--allow-files")
    assert len([ln for ln in r.stderr.splitlines() if ln.strip()]) == 1


def test_main_database_is_still_readable(db):
    r = gc("sql", "SELECT title FROM v_articles", "--db", str(db), "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [{"title": "测试文章"}]


def test_copy_to_and_export_database_write_nothing(db, tmp_path):
    _refused(gc("sql", f"COPY (SELECT * FROM articles) TO '{tmp_path / 'leak.csv'}'", "--db", str(db)))
    _refused(gc("sql", f"EXPORT DATABASE '{tmp_path / 'dump'}'", "--db", str(db)))
    assert not (tmp_path / "leak.csv").exists()
    assert not (tmp_path / "dump").exists() or not any((tmp_path / "dump").iterdir())


def test_attach_cannot_change_another_database(db, other):
    _refused(gc("sql", f"ATTACH '{other}' AS o (READ_ONLY false); DROP TABLE o.keep", "--db", str(db)))
    con = duckdb.connect(str(other), read_only=True)
    assert con.execute("SELECT v FROM keep").fetchall() == [(42,)]
    con.close()


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM read_blob('/etc/hostname')",
        "SELECT * FROM read_parquet('http://127.0.0.1:9/x.parquet')",
    ],
)
def test_machine_files_cannot_be_read(db, query):
    _refused(gc("sql", query, "--db", str(db)))


@pytest.mark.parametrize("query", ["INSTALL httpfs", "LOAD httpfs", "SET enable_external_access = true",
                                   "SET allowed_directories = ['/']", "SET lock_configuration = false"])  # fmt: skip
def test_extensions_and_settings_are_locked(db, query):
    _refused(gc("sql", query, "--db", str(db)))


def test_export_query_is_sandboxed_too(db, tmp_path):
    out = tmp_path / "x.csv"
    r = gc("export", "--query", "SELECT * FROM read_csv('/etc/passwd')", "--out", str(out), "--db", str(db))
    _refused(r)
    assert not out.exists()
    # a query cannot smuggle a COPY of its own either
    r = gc(
        "export", "--query", f"COPY articles TO '{tmp_path / 'y.csv'}'", "--out", str(out), "--db", str(db)
    )
    assert r.returncode != 0 and not (tmp_path / "y.csv").exists()


def test_allow_files_opts_in(db, tmp_path):
    mine = tmp_path / "mine.csv"
    mine.write_text("site,label\nt,好站\n", encoding="utf-8")
    q = f"SELECT a.title, m.label FROM articles a JOIN read_csv('{mine}') m USING (site)"
    r = gc("sql", q, "--db", str(db), "--format", "json", "--allow-files")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [{"title": "测试文章", "label": "好站"}]
    out = tmp_path / "joined.csv"
    r = gc("export", "--query", q, "--out", str(out), "--db", str(db), "--allow-files", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "好站" in out.read_text(encoding="utf-8")


def test_library_readers_are_sandboxed(db, tmp_path):
    from pipelines.store import connect_readonly

    con = connect_readonly(db)
    try:
        assert con.execute("SELECT count(*) FROM articles").fetchall() == [(1,)]
        with pytest.raises(duckdb.PermissionException):
            con.execute("SELECT * FROM read_text('/etc/hostname')")
    finally:
        con.close()
