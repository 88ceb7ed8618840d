"""Where the rule tables live: ``data/`` at the top of the checkout, or ``$GUIDECRAWL_DATA``."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    env = os.environ.get("GUIDECRAWL_DATA")
    return Path(env) if env else ROOT / "data"


def data_path(*parts: str) -> Path:
    return data_dir().joinpath(*parts)


def read_tsv(*parts: str) -> list[dict[str, str]]:
    """The rows of a table in ``data/``: tab-separated, ``#`` comment lines and blank lines
    skipped, the first other line naming the columns; a row with the wrong number of fields is
    an error (a table is data the code trusts)."""
    path = data_path(*parts)
    rows: list[dict[str, str]] = []
    header: list[str] | None = None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            if header is None:
                header = cols
            elif len(cols) != len(header):
                raise ValueError(f"{path}:{n}: {len(cols)} fields, the header names {len(header)}")
            else:
                rows.append(dict(zip(header, cols, strict=True)))
    return rows
