"""One-line errors instead of tracebacks, and exit codes that tell the truth (issue 12 items 14, 15).

Every case runs the real command in a subprocess on real files and a real DuckDB file.
"""

from __future__ import annotations

import json
import socket

from tests.pipelines.warehouse_data import page
from tests.test_cli import _small_db, assert_user_error, gc

ARTICLE = (
    "<html><head><title>大理三日游攻略</title></head><body><article>"
    + "".join(
        f"<p>第{i}段：大理古城的清晨格外安静，石板路上只有零星的游客和早起的商贩。</p>" for i in range(8)
    )
    + "</article></body></html>"
)


# ------------------------------------------------------------------ item 14: one line, no traceback
def test_sql_empty_or_comment_only(tmp_path):
    db = _small_db(tmp_path)
    for q in ("", "   ", ";", "-- only a comment"):
        assert_user_error(gc("sql", q, "--db", str(db)), 2, "no SQL statement")


def test_report_out_in_a_missing_folder(tmp_path):
    db = _small_db(tmp_path)
    assert_user_error(
        gc("report", "--out", str(tmp_path / "missing" / "r.html"), "--db", str(db)), 2, "create it"
    )
    assert not (tmp_path / "missing").exists()


def test_report_out_is_a_folder_a_socket_a_symlink_or_the_database(tmp_path):
    db = _small_db(tmp_path)
    assert_user_error(gc("report", "--out", str(tmp_path), "--db", str(db)), 2, "folder")
    sock_path = tmp_path / "s.html"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    try:
        assert_user_error(gc("report", "--out", str(sock_path), "--db", str(db)), 2, "not a regular file")
    finally:
        sock.close()
    before = db.read_bytes()
    assert_user_error(gc("report", "--out", str(db), "--db", str(db)), 2, "database being read")
    assert db.read_bytes() == before
    (tmp_path / "link.html").symlink_to(tmp_path / "elsewhere.html")
    assert_user_error(gc("report", "--out", str(tmp_path / "link.html"), "--db", str(db)), 2, "symbolic link")
    # a regular file is still replaced (reports are rewritten by cron)
    out = tmp_path / "r.html"
    out.write_text("old")
    r = gc("report", "--out", str(out), "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert "测试文章" in out.read_text(encoding="utf-8") or "<html" in out.read_text(encoding="utf-8")


def test_crawl_bad_urls(tmp_path):
    db = str(tmp_path / "c.duckdb")
    for url, phrase in [
        ("http://[::1", "Invalid IPv6"),
        ("http://exa mple.com/", "space"),
        ("http://a.example:99999/", "Port"),
        ("http:///path", "no host"),
    ]:
        assert_user_error(gc("crawl", url, "--db", db, "--quiet"), 2, "not a valid URL", phrase)


def test_clean_refuses_devices_and_fifos(tmp_path):
    import os

    fifo = tmp_path / "page.html"
    os.mkfifo(fifo)
    assert_user_error(gc("clean", str(fifo), timeout=30), 2, "not a regular file")
    assert_user_error(gc("clean", "/dev/zero", timeout=30), 2, "not a regular file")  # read-only use


def test_generic_profile_for_an_ipv6_host():
    from crawler.profiles import generic_profile

    assert generic_profile(["http://[::1]:8080/"])["name"] == "ipv6_1"


# ------------------------------------------------------------------ item 15: exit codes
def test_clean_exits_1_when_no_page_could_be_cleaned(tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.html"
    blank.write_text("<html><body><div></div></body></html>")
    r = gc("clean", str(empty), str(blank))
    assert r.returncode == 1, r.stderr
    assert "2 of 2 pages could not be cleaned" in r.stderr
    statuses = [json.loads(ln)["status"] for ln in r.stdout.splitlines()]
    assert statuses and all(s != "ok" for s in statuses)
    good = tmp_path / "good.html"
    good.write_text(ARTICLE, encoding="utf-8")
    r = gc("clean", str(good), str(empty))  # one page cleaned: the run did its job, failures counted
    assert r.returncode == 0, r.stderr
    assert "1 of 2 pages could not be cleaned" in r.stderr


def test_load_reports_skipped_lines_and_exits_1(tmp_path):
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    st.mkdir()
    (st / "w1-000001.jsonl").write_text(
        json.dumps(page("http://a/2")) + "\n{not json\n[1, 2]\n", encoding="utf-8"
    )
    r = gc("load", str(st), "--db", str(db))
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "bad_lines 2" in r.stdout
    assert "skipped 2 stage line(s)" in r.stderr and "Traceback" not in r.stderr
    r = gc("sql", "SELECT count(*) AS n FROM pages", "--db", str(db), "--format", "json")
    assert json.loads(r.stdout) == [{"n": 1}]  # the good record is loaded
    assert gc("load", str(st), "--db", str(db)).returncode == 0  # nothing new, nothing skipped


def test_repair_counts_invalid_utf8_on_stderr(tmp_path):
    import os
    import subprocess
    import sys

    from tests.test_cli import REPO

    r = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "repair"],
        input="好的\n".encode() + b"abc\xff\xfe\xe4\xb8\n" + "正常的一行\n".encode("gb18030"),
        capture_output=True,
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        timeout=120,
    )
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "stdin line 2 is not valid UTF-8" in err
    assert "2 line(s) of stdin were not valid UTF-8" in err and "iconv" in err
    out = [json.loads(ln) for ln in r.stdout.decode().splitlines()]
    assert len(out) == 3 and out[0]["text"] == "好的"
    assert out[1]["text"].startswith("abc\ufffd")
    r = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "repair"],
        input="好的\n".encode(),
        capture_output=True,
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        timeout=120,
    )
    assert r.returncode == 0 and r.stderr == b""
