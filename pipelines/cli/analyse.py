"""The commands that read the store for analysts: ``sql``, ``stats``, ``export``, ``report``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.cli.args import allow_files_arg, db_arg
from pipelines.errors import UserError

if TYPE_CHECKING:
    from pipelines.cli.args import Subparsers


def add_sql(sub: Subparsers) -> None:
    sp = sub.add_parser("sql", help="run a SQL query on the DuckDB file (read-only)")
    sp.add_argument("query", help='e.g. "SELECT site, count(*) FROM articles GROUP BY 1"')
    db_arg(sp)
    sp.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sp.add_argument("--wait", type=float, default=30.0, help="seconds to wait while a crawl holds the file")
    allow_files_arg(sp)
    sp.set_defaults(func=cmd_sql)


def cmd_sql(args: argparse.Namespace) -> int:
    from pipelines.store import run_sql

    print(run_sql(Path(args.db), args.query, fmt=args.format, wait=args.wait, allow_files=args.allow_files))
    return 0


def add_stats(sub: Subparsers) -> None:
    sp = sub.add_parser("stats", help="per-site pages, articles, comments, repairs, spin scores")
    db_arg(sp)
    sp.set_defaults(func=cmd_stats)


def cmd_stats(args: argparse.Namespace) -> int:
    from pipelines.commands.stats import render_stats, stats

    print(render_stats(stats(Path(args.db))))
    return 0


def add_export(sub: Subparsers) -> None:
    sp = sub.add_parser("export", help="export a table or a query to CSV, Parquet or JSONL")
    g = sp.add_mutually_exclusive_group(required=True)
    g.add_argument("--table", help="table or view name, e.g. articles, v_articles")
    g.add_argument("--query", help="a SELECT query")
    sp.add_argument(
        "--out",
        required=True,
        help="output file (a new name, or an existing regular file with --force); - for stdout",
    )
    sp.add_argument("--format", choices=["csv", "parquet", "jsonl"], default=None, help="default: from --out")
    sp.add_argument("--excel", action="store_true", help="CSV for Excel: BOM, formula cells made inert")
    sp.add_argument("--site", help="only rows of this site")
    sp.add_argument("--since", help="only rows published since DATE (YYYY-MM-DD)")
    sp.add_argument("--force", action="store_true", help="overwrite --out if it is an existing regular file")
    sp.add_argument("--quiet", action="store_true")
    allow_files_arg(sp)
    db_arg(sp)
    sp.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from pipelines.commands.export import export

    if args.out == "-" and not args.format:
        raise UserError("--out - (stdout) needs --format csv|jsonl|parquet")
    fmt = args.format or _format_from_suffix(args.out)
    res = export(
        Path(args.db),
        args.out if args.out == "-" else Path(args.out),
        table=args.table,
        query=args.query,
        fmt=fmt,
        excel=args.excel,
        site=args.site,
        since=args.since,
        force=args.force,
        progress=not args.quiet,
        allow_files=args.allow_files,
    )
    if not args.quiet:
        print(
            f"wrote {res.get('rows', '?')} rows to {'stdout' if args.out == '-' else args.out}",
            file=sys.stderr if args.out == "-" else sys.stdout,
        )
    return 0


def _format_from_suffix(out: str) -> str:
    suffix = Path(out).suffix.lower()
    fmt = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".json": "jsonl"}.get(
        suffix
    )
    if fmt is None:
        raise UserError(f"cannot tell the format from {out!r}; add --format csv|parquet|jsonl")
    return fmt


def add_report(sub: Subparsers) -> None:
    sp = sub.add_parser("report", help="write a self-contained HTML report")
    sp.add_argument("--out", required=True)
    db_arg(sp)
    sp.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from pipelines.commands.report import report

    out = report(Path(args.db), Path(args.out))
    print(f"wrote {out}")
    return 0
