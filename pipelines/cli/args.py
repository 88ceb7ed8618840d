"""What several commands share: the ``--db`` option and its default, ``--allow-files``,
``--spin-table`` (and installing the tables it names), whole-number options."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.errors import UserError

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

DEFAULT_DB = Path("data") / "guidecrawl.duckdb"


def db_default() -> Path:
    return Path(os.environ.get("GUIDECRAWL_DB", DEFAULT_DB))


def db_arg(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--db", default=str(db_default()), help="DuckDB file (default: %(default)s)")


def allow_files_arg(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--allow-files",
        action="store_true",
        help="let the SQL read and write files on this machine and load extensions (read_csv, "
        "read_parquet, COPY TO, ATTACH, INSTALL); off by default, so SQL reads only the corpus. "
        "Only with SQL you wrote or trust",
    )


def positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {n}")
    return n


def spin_table_arg(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--spin-table",
        action="append",
        metavar="FILE",
        help="also invert this spinner's find->replace table (SQL dump, PHP array, 'a,b' word list or "
        "our TSV; repeatable; not shipped, since such tables carry no licence). Same as listing it in "
        "GUIDECRAWL_SPIN_TABLES",
    )


def use_spin_tables(paths: list[str]) -> None:
    """Check each run-time spinner table now (one clear line if one is unreadable) and hand them
    to the repair chain through ``GUIDECRAWL_SPIN_TABLES``, which cleaning processes inherit."""
    from cleaners import spin
    from cleaners.spintables import ENV, SpinTableError, read_table, runtime_table_paths

    full = []
    for p in paths:
        try:
            read_table(p)
        except SpinTableError as e:
            raise UserError(f"{e} (see `guidecrawl repair --help`)") from None
        full.append(str(Path(p).resolve()))
    os.environ[ENV] = os.pathsep.join(dict.fromkeys(runtime_table_paths() + full))
    spin.reload()
