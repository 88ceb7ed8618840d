"""`--spin-table` on the command line: checked up front, one line when wrong, used when right."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cleaners.wordlm import model_tag
from pipelines.cli.main import main

ROOT = Path(__file__).resolve().parent.parent


def test_unreadable_table_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["repair", "--spin-table", str(tmp_path / "missing.sql")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot read spinner table" in err[0]


def test_repair_uses_the_table(tmp_path):
    table = tmp_path / "t.txt"
    table.write_text("电脑,电子脑\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "GUIDECRAWL_SPIN_TABLES"}
    out = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "repair", "--spin-table", str(table)],
        input="我的电子脑坏了。\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
    ).stdout
    row = json.loads(out)
    assert row["text"] == "我的电脑坏了。"
    assert row["repairs"][0]["rule"] == "t.txt:1"


def test_cleaner_version_names_the_runtime_tables(tmp_path, monkeypatch):
    from cleaners import CLEANER_VERSION, cleaner_version

    monkeypatch.delenv("GUIDECRAWL_SPIN_TABLES", raising=False)
    base = cleaner_version()
    # the code, the rule files and models, + the word model's tag when it is switched on ('' when
    # off, the default); no tables
    assert base.startswith(CLEANER_VERSION + "+data.") and base.endswith(model_tag())
    assert "+tables." not in base
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("电脑,电子脑\n", encoding="utf-8")
    b.write_text("电脑,电子机\n", encoding="utf-8")
    monkeypatch.setenv("GUIDECRAWL_SPIN_TABLES", str(a))
    va = cleaner_version()
    monkeypatch.setenv("GUIDECRAWL_SPIN_TABLES", str(b))
    vb = cleaner_version()
    stem = base + "+tables."
    assert va.startswith(stem) and vb.startswith(stem)
    assert va != vb  # different tables, different rows' provenance


def test_crawler_side_imports_do_not_load_the_models():
    # the crawler process reads profiles (cleaners.data) and the version; the models, numpy and
    # the page cleaner belong to the cleaning processes only
    code = (
        "import sys, cleaners.data, cleaners, crawler.profiles; cleaners.cleaner_version();"
        "print(sorted(m for m in ('numpy', 'cleaners.page', 'cleaners.lm') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_crawl_hands_the_table_to_its_cleaning_processes(tmp_path):
    # the cleaning happens in worker processes: the rows they write must name the tables
    from pipelines.demo.localsite import DEMO_ROOT, serve

    table = tmp_path / "t.txt"
    table.write_text("电脑,电子脑\n", encoding="utf-8")
    db = tmp_path / "c.duckdb"
    env = {k: v for k, v in os.environ.items() if k != "GUIDECRAWL_SPIN_TABLES"}
    with serve(DEMO_ROOT / "guanxian") as site:
        r = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "crawl", site.url + "/", "--spin-table", str(table)]
            + ["--quiet", "--db", str(db), "--max-pages", "20", "--clean-workers", "1"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=120,
        )
    assert r.returncode in (0, 1), r.stderr  # 1 would be a health verdict on a capped crawl
    import duckdb

    from cleaners import cleaner_version

    base = cleaner_version()  # this process has no run-time tables: the crawl's version up to them
    with duckdb.connect(str(db), read_only=True) as con:
        versions = {v for (v,) in con.execute("SELECT DISTINCT cleaner_version FROM articles").fetchall()}
    assert versions and all(v.startswith(base + "+tables.") for v in versions), versions
