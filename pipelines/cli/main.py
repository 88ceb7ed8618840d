"""The ``guidecrawl`` command: a thin layer over the functions the pipelines call.

Exit codes (cron-friendly): 0 success, 1 the request ran but failed (health check, bad SQL, busy
database), 2 a usage error (bad path, unknown site, bad option).  A user mistake prints one line
on stderr, never a traceback; set GUIDECRAWL_DEBUG=1 to see tracebacks of internal errors.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from pipelines.cli import analyse, clean, crawl, demo, maintain
from pipelines.cli.args import use_spin_tables
from pipelines.errors import USER_ERRORS

if TYPE_CHECKING:
    from pipelines.cli.args import Subparsers

# Every command, in the order ``guidecrawl --help`` lists them.  Each ``add_<command>`` sits next to
# its handler ``cmd_<command>`` in its module: it adds the subcommand, its options and its handler.
COMMANDS: list[Callable[[Subparsers], None]] = [
    crawl.add_crawl,
    crawl.add_sites,
    clean.add_clean,
    clean.add_repair,
    analyse.add_sql,
    analyse.add_stats,
    analyse.add_export,
    maintain.add_load,
    maintain.add_prune,
    maintain.add_reclean,
    maintain.add_dedup,
    analyse.add_report,
    demo.add_demo,
]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="guidecrawl",
        description="Crawl Chinese guide articles, clean and repair them, and query them in DuckDB.",
        epilog="Exit codes: 0 ok, 1 failed (health check, bad SQL, busy database), 2 usage error.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for add in COMMANDS:
        add(sub)
    return p


def command_names(parser: argparse.ArgumentParser | None = None) -> list[str]:
    """The names of the parser's commands, in order (tests check each against README and --help)."""
    parser = parser or build_parser()
    for action in parser._actions:  # argparse keeps its subparsers here and nowhere public
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if getattr(args, "spin_table", None):
            use_spin_tables(args.spin_table)
        return args.func(args)
    except USER_ERRORS as e:
        print(f"guidecrawl: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("guidecrawl: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # an internal error: say so in one line unless debugging
        if os.environ.get("GUIDECRAWL_DEBUG"):
            raise
        print(
            f"guidecrawl: internal error: {type(e).__name__}: {e} (set GUIDECRAWL_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
