"""The commands that write or tidy the store: ``load``, ``prune``, ``reclean``, ``dedup``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.cli.args import db_arg, positive_int, spin_table_arg
from pipelines.errors import UserError

if TYPE_CHECKING:
    from pipelines.cli.args import Subparsers


def add_load(sub: Subparsers) -> None:
    sp = sub.add_parser(
        "load",
        help="load staged batches (from workers) into the DuckDB file",
        description="Load staged batches into the DuckDB file. Lines that are not JSON records are "
        "skipped and counted; the exit code is then 1 (the rest is loaded).",
    )
    sp.add_argument("stage", metavar="DIR", help="stage folder")
    db_arg(sp)
    sp.set_defaults(func=cmd_load)


def cmd_load(args: argparse.Namespace) -> int:
    from pipelines.store import load_stage

    if not Path(args.stage).is_dir():
        raise UserError(f"no stage folder at {args.stage}")
    res = load_stage(Path(args.stage), Path(args.db))
    print(", ".join(f"{k} {v}" for k, v in res.items()))
    if res.get("bad_lines"):
        print(
            f"guidecrawl: skipped {res['bad_lines']} stage line(s) that were not valid JSON records "
            "(cut or damaged writes); the rest is loaded. Per file: "
            'guidecrawl sql "SELECT name, bad_lines FROM stage_files WHERE bad_lines > 0"',
            file=sys.stderr,
        )
        return 1
    return 0


def add_prune(sub: Subparsers) -> None:
    sp = sub.add_parser(
        "prune",
        help="delete stage files already loaded into the DuckDB file",
        description="Delete stage files whose bytes the database already holds (their sha1 is in "
        "stage_files). Default: the stage folders of every job beside the database "
        "(<db folder>/jobs/*/stage), each under its job's lock. Files not loaded, .part files and "
        "running jobs are left alone. Exit 1 if a job was skipped because it is running.",
    )
    sp.add_argument(
        "--stage", action="append", metavar="DIR", help="prune this stage folder instead (repeatable)"
    )
    sp.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")
    sp.add_argument("--verbose", action="store_true", help="list each deleted file")
    db_arg(sp)
    sp.set_defaults(func=cmd_prune)


def cmd_prune(args: argparse.Namespace) -> int:
    from pipelines.commands.prune import prune

    res = prune(Path(args.db), args.stage or None, dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    if args.verbose or args.dry_run:
        for f in res["files"]:
            print(f)
    print(
        f"{verb} {len(res['files'])} loaded stage file(s), {res['bytes'] / 1e6:.1f} MB; "
        f"kept {res['kept']} not (yet) in {args.db}"
    )
    for d in res["busy"]:
        print(f"guidecrawl: skipped {d}: its job is running; prune again when it ends", file=sys.stderr)
    return 1 if res["busy"] else 0


def add_reclean(sub: Subparsers) -> None:
    sp = sub.add_parser(
        "reclean",
        help="re-run the cleaners over archived raw pages, no network",
        description="Re-run the current cleaners over the archived raw pages (no network) and "
        "replace the derived rows. With --stale only the articles whose stored cleaner_version "
        "differs from the current one (changed rules in data/, models, profile selectors or "
        "--spin-table tables) are re-cleaned; the others are left alone and counted as skipped.",
    )
    sp.add_argument(
        "--stale",
        action="store_true",
        help="only articles made by another cleaner version than the current one (see guidecrawl "
        'sql "SELECT cleaner_version, count(*) FROM articles GROUP BY 1")',
    )
    sp.add_argument("--site")
    sp.add_argument("--since", help="pages fetched since DATE (YYYY-MM-DD)")
    sp.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1)
    db_arg(sp)
    spin_table_arg(sp)
    sp.set_defaults(func=cmd_reclean)


def cmd_reclean(args: argparse.Namespace) -> int:
    from pipelines.commands.reclean import reclean

    res = reclean(Path(args.db), site=args.site, since=args.since, workers=args.workers, stale=args.stale)
    if args.stale:
        print(_stale_summary(res), file=sys.stderr)
    print(json.dumps(res, ensure_ascii=False, indent=2))
    return 0


def _stale_summary(res: dict) -> str:
    """The one line ``reclean --stale`` says on stderr (stdout stays the JSON result)."""
    n, kept = res.get("stale", 0), res.get("skipped_current", 0)
    return (
        f"guidecrawl: {n} of {n + kept} archived articles stale (made by another cleaner version than "
        f"{res['cleaner_version']}): re-cleaned {res['articles']}; {kept} current, skipped"
    )


def add_dedup(sub: Subparsers) -> None:
    sp = sub.add_parser("dedup", help="cluster near-duplicate articles (MinHash LSH)")
    sp.add_argument("--threshold", type=float, default=0.8)
    db_arg(sp)
    sp.set_defaults(func=cmd_dedup)


def cmd_dedup(args: argparse.Namespace) -> int:
    from pipelines.commands.dedup import cluster

    res = cluster(Path(args.db), threshold=args.threshold)
    print(", ".join(f"{k} {v}" for k, v in res.items()))
    return 0
