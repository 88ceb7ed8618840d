"""``export --out``: what --force may replace (issue 12 item 1) and ``--out -`` (stdout).

Every case runs the real command on a real DuckDB file and checks what is left on disk.
"""

from __future__ import annotations

import io
import json
import os
import socket
import stat
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from tests.test_cli import REPO, _small_db, assert_user_error, gc


@pytest.fixture
def db(tmp_path):
    return _small_db(tmp_path)


def _export(db, out, *extra):
    return gc("export", "--table", "articles", "--out", str(out), "--db", str(db), "--quiet", *extra)


def test_force_never_replaces_the_source_database(db, tmp_path):
    before = db.read_bytes()
    r = _export(db, db, "--format", "parquet", "--force")
    assert_user_error(r, 2, "is the database being read")
    assert db.read_bytes() == before
    # the same file reached another way: a relative path with .., a hard link
    (tmp_path / "sub").mkdir()
    assert_user_error(_export(db, tmp_path / "sub" / ".." / db.name, "--format", "parquet", "--force"), 2)
    os.link(db, tmp_path / "hard.parquet")
    assert_user_error(_export(db, tmp_path / "hard.parquet", "--force"), 2, "database being read")
    assert db.read_bytes() == before
    r = gc("sql", "SELECT count(*) AS n FROM articles", "--db", str(db), "--format", "json")
    assert json.loads(r.stdout) == [{"n": 1}]


def test_force_never_replaces_the_wal_of_the_database(db):
    wal = db.with_name(db.name + ".wal")
    wal.write_bytes(b"not really a wal, but its name")
    assert_user_error(_export(db, wal, "--format", "csv", "--force"), 2, "database being read")
    assert wal.read_bytes() == b"not really a wal, but its name"


def test_symlink_to_the_database_is_refused(db, tmp_path):
    link = tmp_path / "out.parquet"
    link.symlink_to(db)
    before = db.read_bytes()
    assert_user_error(_export(db, link, "--force"), 2, "database being read")
    assert link.is_symlink() and db.read_bytes() == before


def test_symlink_is_never_replaced(db, tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("keep me")
    link = tmp_path / "out.csv"
    link.symlink_to(target)
    assert_user_error(_export(db, link, "--force"), 2, "symbolic link")
    assert link.is_symlink() and target.read_text() == "keep me"


def test_another_duckdb_database_is_never_replaced(db, tmp_path):
    other = tmp_path / "other.duckdb"
    other.write_bytes(db.read_bytes())
    assert_user_error(_export(db, other, "--format", "parquet", "--force"), 2, "DuckDB database")
    assert other.read_bytes() == db.read_bytes()


def test_special_files_and_folders_are_refused(db, tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    assert_user_error(_export(db, fifo, "--force"), 2, "not a regular file")
    assert fifo.exists() and not fifo.is_file()
    # A Unix socket stands for devices: a test must never point a possibly broken build at
    # /dev/null (as root, the old code replaced it with a regular file for the whole machine).
    sock_path = tmp_path / "sock.csv"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    try:
        assert_user_error(_export(db, sock_path, "--force"), 2, "not a regular file")
        assert stat.S_ISSOCK(os.lstat(sock_path).st_mode)
    finally:
        sock.close()
    assert_user_error(_export(db, tmp_path, "--format", "csv", "--force"), 2, "folder")


def test_force_still_replaces_a_regular_file(db, tmp_path):
    out = tmp_path / "a.csv"
    out.write_text("old")
    os.chmod(out, 0o644)
    r = _export(db, out, "--force")
    assert r.returncode == 0, r.stderr
    assert "测试文章" in out.read_text(encoding="utf-8")
    assert out.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp left


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_out_dash_writes_to_stdout(db, tmp_path, fmt):
    r = gc("export", "--table", "articles", "--out", "-", "--format", fmt, "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert "测试文章" in r.stdout
    assert "wrote 1 rows" in r.stderr and "wrote" not in r.stdout  # the data alone on stdout
    if fmt == "jsonl":
        assert json.loads(r.stdout.splitlines()[0])["title"] == "测试文章"
    assert not (tmp_path / "-").exists()


def test_out_dash_parquet_is_a_valid_file_through_a_pipe(db, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    r = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "export", "--table", "articles", "--out", "-",
         "--format", "parquet", "--db", str(db), "--quiet"],
        capture_output=True, cwd=REPO, env=env, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert pq.read_table(io.BytesIO(r.stdout)).column("title").to_pylist() == ["测试文章"]


def test_out_dash_parquet_to_a_terminal_is_refused(db, monkeypatch, capsys):
    from pipelines.cli.main import main

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code = main(["export", "--table", "articles", "--out", "-", "--format", "parquet", "--db", str(db)])
    assert code == 2
    assert "Parquet is binary" in capsys.readouterr().err


def test_out_dash_needs_a_format(db):
    assert_user_error(gc("export", "--table", "articles", "--out", "-", "--db", str(db)), 2, "needs --format")


def test_name_turned_into_symlink_during_export_is_not_replaced(db, tmp_path, monkeypatch):
    """The check is repeated right before the rename: a symlink planted meanwhile survives."""
    from pipelines.commands import export as export_mod

    out = tmp_path / "late.csv"
    target = tmp_path / "victim.txt"
    target.write_text("victim")
    real_run = export_mod._run_with_progress

    def plant_then_run(*a, **k):
        out.symlink_to(target)
        return real_run(*a, **k)

    monkeypatch.setattr(export_mod, "_run_with_progress", plant_then_run)
    with pytest.raises(export_mod.UserError, match="symbolic link"):
        export_mod.export(db, out, table="articles", progress=False)
    assert out.is_symlink() and target.read_text() == "victim"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
