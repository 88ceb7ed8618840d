"""Analysts and loads at the same time, with two real processes (DuckDB's lock is per process)."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import pytest

from crawler.stage import StageWriter
from pipelines import store
from pipelines.errors import UserError
from tests.conftest import REPO

HOLDER = """
import sys, time, pathlib
sys.path.insert(0, {repo!r})
from pipelines import store
mode, db, hold = sys.argv[1], sys.argv[2], float(sys.argv[3])
con = store.connect_rw(db) if mode == "rw" else store.connect_readonly(db)
con.execute("SELECT count(*) FROM articles").fetchall()
print("holding", flush=True)
time.sleep(hold)
con.close()
print("released", flush=True)
"""


def hold(tmp_path, mode: str, db, seconds: float) -> subprocess.Popen:
    """Start a process that holds ``db`` (read-write or read-only) for ``seconds``; wait until it does."""
    script = tmp_path / "holder.py"
    script.write_text(HOLDER.format(repo=str(REPO)))
    p = subprocess.Popen(
        [sys.executable, str(script), mode, str(db), str(seconds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = p.stdout.readline()
    assert line.strip() == "holding", p.stderr.read()
    return p


def write_articles(stage_dir, n: int, worker: str = "w1") -> None:
    with StageWriter(stage_dir, worker, max_records=50) as w:
        for i in range(n):
            w.write(
                {
                    "type": "article",
                    "run_id": "r1",
                    "site": "s",
                    "url": f"http://s/{worker}/{i}",
                    "title": f"第{i}篇",
                    "body": f"正文{worker}{i}",
                    "sections": [],
                    "comments": [],
                    "repairs": [],
                    "status": "ok",
                }
            )


@pytest.fixture
def db(tmp_path):
    db = tmp_path / "g.duckdb"
    write_articles(tmp_path / "stage0", 3, "seed")
    store.load_stage(tmp_path / "stage0", db)
    return db


def test_reader_waits_for_a_loader_then_succeeds(tmp_path, db, capsys):
    p = hold(tmp_path, "rw", db, 4)  # long enough that a loaded machine does not let it go first
    t0 = time.monotonic()
    out = store.run_sql(db, "SELECT count(*) AS n FROM articles", "csv", wait=30)
    waited = time.monotonic() - t0
    assert out == "n\n3"
    assert waited > 0.5  # it really had to wait for the holder
    assert "is busy (held by PID" in capsys.readouterr().err
    assert p.wait(10) == 0


def test_reader_gives_up_with_a_clear_message(tmp_path, db):
    p = hold(tmp_path, "rw", db, 120)  # held far longer than the reader waits; killed below
    try:
        t0 = time.monotonic()
        with pytest.raises(
            UserError, match=r"database .* is busy \(held by PID \d+\); gave up after 1 s"
        ) as e:
            store.connect_readonly(db, wait=1)
        assert time.monotonic() - t0 > 0.9  # it did wait its second
        # ... and gave up while the file was still held (an event, not a wall-clock upper bound,
        # which a loaded machine can overrun): it did not just wait for the holder to let go
        assert p.poll() is None
        assert e.value.exit_code == 1
    finally:
        p.kill()
        p.wait()


def test_loader_waits_for_an_analyst_and_loses_nothing(tmp_path, db):
    st = tmp_path / "stage"
    write_articles(st, 200)
    p = hold(tmp_path, "ro", db, 4)  # long enough that a loaded machine does not let it go first
    # while the analyst holds the file, the loader cannot even open it ...
    with pytest.raises(duckdb.IOException):
        duckdb.connect(str(db))
    t0 = time.monotonic()
    got = store.load_stage(st, db, wait=60)
    assert time.monotonic() - t0 > 0.5
    assert got["files"] == 4 and got["articles"] == 200
    assert p.wait(10) == 0
    con = store.connect_readonly(db)
    try:
        assert con.execute("SELECT count(*), count(DISTINCT id) FROM articles").fetchone() == (203, 203)
    finally:
        con.close()


def test_loader_gives_up_with_a_clear_message_and_loads_later(tmp_path, db):
    st = tmp_path / "stage"
    write_articles(st, 10)
    p = hold(tmp_path, "ro", db, 6)
    try:
        with pytest.raises(UserError, match="is busy .*gave up after 0.5 s"):
            store.load_stage(st, db, wait=0.5)
    finally:
        p.kill()
        p.wait()
    # the stage kept everything: the next load takes it all
    assert store.load_stage(st, db)["articles"] == 10
