"""``guidecrawl clean`` (saved pages, offline) and ``guidecrawl repair`` (text on stdin): the cleaners
without a crawl or a database."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.cli.args import spin_table_arg
from pipelines.errors import UserError

if TYPE_CHECKING:
    from pipelines.cli.args import Subparsers


def _existing_file(value: str) -> Path:
    p = Path(value)
    if not p.exists():
        raise UserError(f"no such file: {value}")
    if p.is_dir():
        raise UserError(f"{value} is a folder; give the saved page file itself")
    if not p.is_file():  # /dev/zero would be read forever, a FIFO would block
        raise UserError(
            f"{value} is not a regular file (a device, FIFO or socket); save the page to a file first"
        )
    return p


def add_clean(sub: Subparsers) -> None:
    sp = sub.add_parser(
        "clean",
        help="clean saved pages offline; JSON Lines on stdout",
        description="Clean saved pages offline; one JSON object per page on stdout. Exit 1 when no "
        "page could be cleaned (all undecodable or empty), else 0; failures are counted on stderr.",
    )
    sp.add_argument("files", nargs="+", metavar="FILE", help="saved page files (raw bytes)")
    sp.add_argument("--url", default="", help="the page's URL (resolves links, canonical, site)")
    sp.add_argument("--encoding", help="the charset the server declared, if known")
    sp.add_argument("--site", help="apply this site profile's selectors")
    sp.add_argument("--explain", action="store_true", help="print a readable audit of every repair instead")
    sp.add_argument("--with-extracted", action="store_true", help="include extracted_text (replay input)")
    spin_table_arg(sp)
    sp.set_defaults(func=cmd_clean)


def cmd_clean(args: argparse.Namespace) -> int:
    from crawler.profiles import load_profile

    if args.url and len(args.files) > 1:
        raise UserError("--url names one page; give one FILE with it")
    profile = load_profile(args.site) if args.site else None
    paths = [_existing_file(f) for f in args.files]
    failed = 0
    for path in paths:
        art = _clean_one(path, args.url, args.encoding, profile)
        failed += art.status != "ok"
        if args.explain:
            _explain(path, art)
        else:
            d = art.to_dict()
            if not args.with_extracted:
                d.pop("extracted_text", None)
            print(json.dumps(d, ensure_ascii=False))
    if failed:
        print(
            f"guidecrawl: {failed} of {len(paths)} pages could not be cleaned (see status/reason)",
            file=sys.stderr,
        )
    # 1 when nothing could be cleaned: a script must not take an all-empty result for success
    return 1 if failed == len(paths) else 0


def _clean_one(path: Path, url: str, encoding: str | None, profile: dict | None):
    from cleaners.page import clean_page

    return clean_page(
        path.read_bytes(), url or path.resolve().as_uri(), declared_encoding=encoding, profile=profile
    )


def _explain(path: Path, art) -> None:
    print(f"== {path}  [{art.status}{': ' + art.reason if art.reason else ''}]")
    print(f"title: {art.title}")
    print(f"encoding: {art.encoding} ({art.encoding_reason})")
    print(f"published_at: {art.published_at}  source: {art.source}  editor: {art.editor}")
    print(f"sections: {len(art.sections)}  comments: {len(art.comments)}  spin_score: {art.spin_score:.2f}")
    print(f"confidence: {art.confidence:.2f} (how sure the extractor is that the body is the article)")
    print(f"repairs: {len(art.repairs)}")
    for i, r in enumerate(art.repairs):
        flag = "" if r.applied else "  (suspected, not applied)"
        before = r.before if len(r.before) <= 40 else r.before[:37] + "..."
        print(
            f"  {i:>3} {r.kind:<12} {r.rule:<28} @{r.offset:<6} {r.confidence:.2f}  {before!r} -> {r.after!r}{flag}"
        )


def add_repair(sub: Subparsers) -> None:
    sp = sub.add_parser(
        "repair",
        help="repair text from stdin, one paragraph a line; JSON Lines out",
        description="Repair UTF-8 text from stdin, one paragraph a line; JSON Lines out. Bytes that "
        "are not UTF-8 become U+FFFD, are counted on stderr, and the exit code is then 1.",
    )
    spin_table_arg(sp)
    sp.set_defaults(func=cmd_repair)


def cmd_repair(args: argparse.Namespace) -> int:
    from cleaners.repair import repair_text

    out = sys.stdout
    bad_lines = bad_bytes = 0
    for n, raw in enumerate(sys.stdin.buffer, 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            # Not silently: each undecodable byte becomes U+FFFD, and the count goes to stderr.
            line = raw.decode("utf-8", errors="replace")
            bad_lines += 1
            bad_bytes += _undecodable_bytes(raw)
            if bad_lines == 1:
                print(f"guidecrawl: stdin line {n} is not valid UTF-8", file=sys.stderr)
        text = line.rstrip("\n").rstrip("\r")
        fixed, repairs = repair_text(text)
        out.write(
            json.dumps({"text": fixed, "repairs": [r.to_dict() for r in repairs]}, ensure_ascii=False) + "\n"
        )
    out.flush()
    if bad_lines:
        print(
            f"guidecrawl: {bad_lines} line(s) of stdin were not valid UTF-8; {bad_bytes} byte(s) became U+FFFD. "
            "Convert the input first, e.g. iconv -f GB18030 -t UTF-8",
            file=sys.stderr,
        )
        return 1
    return 0


def _undecodable_bytes(raw: bytes) -> int:
    """How many bytes of ``raw`` are not part of valid UTF-8 (those ``errors="ignore"`` drops)."""
    return len(raw) - len(raw.decode("utf-8", errors="ignore").encode("utf-8"))
