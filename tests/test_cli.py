"""The command-line contract: every command answers --help, user mistakes give one line and a
non-zero exit (never a traceback), and the JSON outputs have the documented keys."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.stage import StageWriter, pack_raw
from pipelines.cli.main import command_names, main

REPO = Path(__file__).resolve().parent.parent
COMMANDS = command_names()  # the parser's own list: a new command is tested without editing this file


def gc(*args: str, stdin: str | None = None, cwd: Path | None = None, timeout: float = 120):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("GUIDECRAWL_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        env=env,
        timeout=timeout,
    )


def assert_user_error(r, code: int, *phrases: str) -> None:
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert lines and lines[-1].startswith("guidecrawl: error:"), r.stderr
    for p in phrases:
        assert p in r.stderr


@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_command_has_help(cmd):
    r = gc(cmd, "--help")
    assert r.returncode == 0, r.stderr
    assert "usage: guidecrawl " + cmd in r.stdout


def readme_commands() -> list[str]:
    """The commands of README's command table (its rows read ``| `guidecrawl NAME ...` | ... |``)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `guidecrawl ([a-z][a-z-]*)\b", section, re.M)


def test_readme_command_table_matches_the_parser():
    # every command in the parser has a README row, and every README row is a real command
    documented = readme_commands()
    assert len(documented) == len(set(documented)), "a command has two rows in README's table"
    assert sorted(documented) == sorted(COMMANDS)


def test_parser_lists_the_commands():
    assert len(COMMANDS) >= 13 and len(set(COMMANDS)) == len(COMMANDS)
    assert {"crawl", "sql", "export", "reclean", "demo"} <= set(COMMANDS)


@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_command_help_exits_0_in_process(cmd, capsys):
    with pytest.raises(SystemExit) as e:
        main([cmd, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: guidecrawl " + cmd)
    assert "--help" in out


def test_top_level_help_lists_commands_and_exit_codes():
    r = gc("--help")
    assert r.returncode == 0
    for cmd in COMMANDS:
        assert cmd in r.stdout
    assert "Exit codes" in r.stdout


def test_unknown_command_is_a_usage_error():
    r = gc("frobnicate")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr


def test_clean_missing_file(tmp_path):
    assert_user_error(gc("clean", str(tmp_path / "nope.html")), 2, "no such file")


def test_clean_folder_instead_of_file(tmp_path):
    assert_user_error(gc("clean", str(tmp_path)), 2, "is a folder")


def test_clean_unknown_site(tmp_path):
    page = tmp_path / "p.html"
    page.write_text("<html><body><p>你好。</p></body></html>", encoding="utf-8")
    assert_user_error(gc("clean", str(page), "--site", "no-such-site"), 2, "no-such-site")


def test_clean_outputs_one_json_object_per_page(tmp_path):
    a = tmp_path / "a.html"
    b = tmp_path / "b.html"
    para = "这是一篇关于信用卡还款的文章，内容很长，讲清楚了还款的步骤和注意事项。" * 4
    a.write_text(
        f"<html><head><title>还款指南_某某网</title></head><body><h1>还款指南</h1><p>{para}</p></body></html>"
    )
    b.write_bytes(
        f"<html><head><meta charset='gbk'><title>旅游攻略</title></head><body><p>{para}</p></body></html>".encode(
            "gbk"
        )
    )
    r = gc("clean", str(a), str(b))
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(rows) == 2
    for row in rows:
        for key in (
            "url",
            "title",
            "published_at",
            "source",
            "editor",
            "body",
            "sections",
            "comments",
            "repairs",
            "spin_score",
        ):
            assert key in row
    assert rows[0]["title"] == "还款指南"
    assert "还款的步骤" in rows[0]["body"]
    assert "还款的步骤" in rows[1]["body"]  # decoded from GBK bytes
    assert rows[1]["encoding"].lower() in {"gbk", "gb18030", "gb2312"}


def test_clean_url_with_several_files_is_refused(tmp_path):
    a = tmp_path / "a.html"
    a.write_text("<p>x</p>")
    assert_user_error(gc("clean", str(a), str(a), "--url", "http://x/1.html"), 2, "--url")


def test_repair_reads_lines_and_prints_json_lines():
    r = gc("repair", stdin="京东作为一种便捷的消费信贷工粳为客户带来了极大的便利。\n今天天气很好。\n")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(rows) == 2
    assert "工具，" in rows[0]["text"]
    assert rows[0]["repairs"] and {"kind", "rule", "before", "after", "offset", "confidence"} <= set(
        rows[0]["repairs"][0]
    )
    assert rows[1] == {"text": "今天天气很好。", "repairs": []}


def _small_db(tmp_path: Path) -> Path:
    stage = tmp_path / "stage"
    with StageWriter(stage, "t") as w:
        w.write(
            {
                "type": "page",
                "run_id": "r1",
                "url": "http://127.0.0.1/a/1.html",
                "final_url": "http://127.0.0.1/a/1.html",
                "site": "t",
                "status": 200,
                "outcome": "article",
                "reason": "",
                "fetched_at": "2026-01-01T00:00:00+00:00",
                "content_type": "text/html",
                "encoding": "utf-8",
                "encoding_reason": "header",
                "content_hash": "h1",
                "etag": None,
                "last_modified": None,
                "raw": pack_raw(b"<html>...</html>"),
                "article_url": "http://127.0.0.1/a/1.html",
                "part_no": 1,
            }
        )
        w.write(
            {
                "type": "article",
                "run_id": "r1",
                "site": "t",
                "cleaner_version": "test",
                "page_urls": ["http://127.0.0.1/a/1.html"],
                "content_hash": "h1",
                "url": "http://127.0.0.1/a/1.html",
                "canonical_url": "",
                "title": "测试文章",
                "published_at": "2025-04-26T14:25:27+08:00",
                "source": "测试",
                "editor": "",
                "body": "第一段。\n第二段。",
                "sections": [{"level": 0, "number": "", "heading": "", "text": "第一段。\n第二段。"}],
                "comments": [{"author": "张三", "role": "读者", "published_at": "2025-04-26", "text": "好"}],
                "repairs": [],
                "spin_score": 0.0,
                "encoding": "utf-8",
                "encoding_reason": "header",
                "extracted_text": "第一段。\n第二段。",
                "status": "ok",
                "reason": "",
            }
        )
    db = tmp_path / "t.duckdb"
    r = gc("load", str(stage), "--db", str(db))
    assert r.returncode == 0, r.stderr
    return db


def test_sql_table_csv_json(tmp_path):
    db = _small_db(tmp_path)
    r = gc("sql", "SELECT title FROM articles", "--db", str(db), "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [{"title": "测试文章"}]
    r = gc("sql", "SELECT title, site FROM articles", "--db", str(db), "--format", "csv")
    assert r.stdout.splitlines()[:2] == ["title,site", "测试文章,t"]
    r = gc("sql", "SELECT title FROM articles", "--db", str(db))
    assert "测试文章" in r.stdout


def test_sql_bad_query_prints_duckdb_message(tmp_path):
    db = _small_db(tmp_path)
    r = gc("sql", "SELEC nonsense", "--db", str(db))
    assert_user_error(r, 1, "syntax error")


def test_sql_missing_table(tmp_path):
    db = _small_db(tmp_path)
    assert_user_error(gc("sql", "SELECT * FROM nope", "--db", str(db)), 1, "nope")


def test_sql_missing_database(tmp_path):
    r = gc("sql", "SELECT 1", "--db", str(tmp_path / "missing.duckdb"))
    assert r.returncode != 0
    assert_user_error(r, r.returncode, "missing.duckdb")
    assert not (tmp_path / "missing.duckdb").exists()  # a query never creates a database


def test_load_missing_stage(tmp_path):
    assert_user_error(
        gc("load", str(tmp_path / "nostage"), "--db", str(tmp_path / "x.duckdb")), 2, "no stage folder"
    )


def test_load_twice_changes_nothing(tmp_path):
    db = _small_db(tmp_path)
    r = gc("load", str(tmp_path / "stage"), "--db", str(db))
    assert r.returncode == 0, r.stderr
    r = gc("sql", "SELECT count(*) AS n FROM articles", "--db", str(db), "--format", "json")
    assert json.loads(r.stdout) == [{"n": 1}]


def test_export_refuses_to_overwrite_and_guesses_format(tmp_path):
    db = _small_db(tmp_path)
    out = tmp_path / "a.csv"
    r = gc("export", "--table", "articles", "--out", str(out), "--db", str(db), "--excel", "--quiet")
    assert r.returncode == 0, r.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for Chinese
    assert "测试文章" in out.read_text(encoding="utf-8-sig")
    assert_user_error(gc("export", "--table", "articles", "--out", str(out), "--db", str(db)), 2, "--force")
    assert_user_error(
        gc("export", "--table", "articles", "--out", str(tmp_path / "a.xyz"), "--db", str(db)), 2, "--format"
    )


def test_stats_on_small_db(tmp_path):
    db = _small_db(tmp_path)
    r = gc("stats", "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert "t" in r.stdout


def test_crawl_rejects_non_urls_and_unknown_sites(tmp_path):
    db = str(tmp_path / "c.duckdb")
    assert_user_error(gc("crawl", "ftp://example.com/", "--db", db), 2, "not an http(s) URL")
    assert_user_error(gc("crawl", "--site", "no-such-site", "--db", db), 2, "no-such-site")
    assert_user_error(gc("crawl", "--db", db), 2, "nothing to crawl")
    r = gc("crawl", "http://127.0.0.1:1/", "--max-pages", "0", "--db", db)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_sites_lists_profiles():
    r = gc("sites")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip(), "at least one site profile ships in data/sites"


def test_crawl_clean_workers_option_is_used_and_recorded(tmp_path):
    from pipelines.demo.localsite import DEMO_ROOT, serve

    db = str(tmp_path / "c.duckdb")
    with serve(DEMO_ROOT / "guanxian") as site:
        r = gc("crawl", site.url + "/", "--clean-workers", "1", "--quiet", "--db", db, "--max-pages", "30")
    assert r.returncode in (0, 1), r.stderr  # 1 would be a health verdict on a capped crawl
    q = gc("sql", "SELECT args->>'clean_workers' AS n FROM crawl_runs", "--db", db, "--format", "csv")
    assert q.returncode == 0, q.stderr
    assert q.stdout.split() == ["n", "1"]
    bad = gc("crawl", "http://127.0.0.1:1/", "--clean-workers", "0", "--db", db)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "argument --clean-workers" in bad.stderr.splitlines()[-1]


def test_clean_shows_the_extraction_confidence():
    page = Path(__file__).parent / "cleaners" / "cases" / "extract_kinds" / "sidebar_column.html"
    r = gc("clean", str(page))
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert 0.0 <= d["confidence"] <= 1.0 and d["body"].startswith("春季万物生长")
    r = gc("clean", str(page), "--explain")
    assert "confidence: " in r.stdout
