"""``guidecrawl demo``: the whole job on the embedded demo sites."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.cli.args import db_arg

if TYPE_CHECKING:
    from pipelines.cli.args import Subparsers


def add_demo(sub: Subparsers) -> None:
    sp = sub.add_parser("demo", help="serve the embedded demo sites, crawl, clean, load and query them")
    db_arg(sp)
    sp.add_argument("--quiet", action="store_true")
    sp.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from pipelines.demo.run import run_demo

    return run_demo(Path(args.db), quiet=args.quiet)
