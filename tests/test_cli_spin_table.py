"""`--spin-table` on the command line: checked up front, one line when wrong, used when right."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pipelines.cli import main

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
