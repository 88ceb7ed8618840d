"""The ``guidecrawl`` command: a thin layer over the functions the pipelines call.

Exit codes (cron-friendly): 0 success, 1 the request ran but failed (health check, bad SQL, busy
database), 2 a usage error (bad path, unknown site, bad option).  A user mistake prints one line
on stderr, never a traceback; set GUIDECRAWL_DEBUG=1 to see tracebacks of internal errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pipelines.errors import UserError

DEFAULT_DB = Path("data") / "guidecrawl.duckdb"


def _db_default() -> Path:
    return Path(os.environ.get("GUIDECRAWL_DB", DEFAULT_DB))


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


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {n}")
    return n


def _check_url(u: str) -> None:
    """A start URL the crawler can fetch, or one line saying what is wrong with it."""
    from urllib.parse import urlsplit

    if not u.startswith(("http://", "https://")):
        raise UserError(f"not an http(s) URL: {u!r}")
    try:
        parts = urlsplit(u)
        host = parts.hostname
        parts.port  # noqa: B018 -- raises ValueError on a bad port
    except ValueError as e:
        raise UserError(f"not a valid URL: {u!r} ({e}); check the brackets, host and port") from None
    if not host or any(ch.isspace() for ch in parts.netloc):
        raise UserError(f"not a valid URL: {u!r} (no host name, or a space in it)")


# --------------------------------------------------------------------------- commands
def cmd_crawl(args: argparse.Namespace) -> int:
    from crawler.profiles import generic_profile, load_profile, parse_setting_args
    from pipelines.crawl import CrawlOptions, run_crawl
    from pipelines.errors import DiskFull, is_disk_full
    from pipelines.jobs import job_dir as job_folder
    from pipelines.jobs import legacy_job_dir
    from pipelines.lock import RunLock

    if not args.urls and not args.site:
        raise UserError("nothing to crawl: give start URLs or --site NAME (see `guidecrawl sites`)")
    for u in args.urls:
        _check_url(u)
    settings = parse_setting_args(args.set or [])
    profiles = [load_profile(args.site)] if args.site else [generic_profile(args.urls)]
    job = args.job or profiles[0]["name"]
    db = Path(args.db)
    # One folder per database file and origin set (scheme, host, port): see pipelines/jobs.py.
    job_dir = job_folder(db, job, list(args.urls) or profiles[0]["start_urls"])
    stage_dir = Path(args.stage) if args.stage else job_dir / "stage"
    legacy = legacy_job_dir(db, job)
    if legacy is not None:
        print(
            f"guidecrawl: note: {legacy} is a job folder of an earlier version, shared by every database "
            f"in its folder, and is not read any more; if it holds a killed crawl's pages, load them into "
            f"the database they were meant for (guidecrawl load {legacy / 'stage'} --db FILE), then remove it",
            file=sys.stderr,
        )
    try:
        job_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if is_disk_full(exc):
            raise DiskFull(job_dir) from None
        raise
    opts = CrawlOptions(
        start_urls=list(args.urls),
        profiles=profiles,
        db=None if args.redis else db,
        stage_dir=stage_dir,
        job_dir=job_dir,
        resume=args.resume,
        max_pages=args.max_pages,
        quiet=args.quiet,
        log_file=Path(args.log_file) if args.log_file else None,
        redis_url=args.redis,
        clean_workers=args.clean_workers,
        job=job,
        settings=settings,
    )
    try:
        if args.redis:
            # Scale-out workers of one job share its frontier on purpose: no per-job lock there.
            summary = run_crawl(opts)
        else:
            with RunLock(job_dir / "crawl.lock", name=job):
                summary = run_crawl(opts)
    except OSError as exc:
        if is_disk_full(exc):
            raise DiskFull(exc.filename or job_dir) from None
        raise
    return _finish_run(summary, db, quiet=args.quiet, check=not args.redis)


def _finish_run(summary: dict, db: Path, *, quiet: bool, check: bool) -> int:
    """Print the run summary and the health verdict; 1 when a health check failed."""
    failures = summary.get("health") or []
    if check and not failures and db.exists():
        from pipelines.health import check_run, record

        found = check_run(db, summary["run_id"])
        record(db, summary["run_id"], found)  # stored in crawl_runs.health for the report and history
        failures = [f.to_dict() for f in found]
    if not quiet:
        _print_summary(summary)
    for f in failures:
        msg = f.get("message") if isinstance(f, dict) else str(f)
        print(f"guidecrawl: health check failed: {msg}", file=sys.stderr)
    return 1 if failures else 0


def _print_summary(summary: dict) -> None:
    counts = summary.get("counts", {})
    drops = summary.get("drops", {})
    print(f"run {summary.get('run_id', '?')}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if drops:
        print("  dropped: " + ", ".join(f"{k} {v}" for k, v in sorted(drops.items())))
    if "pages_per_s" in summary:
        print(f"  {summary['pages_per_s']:.1f} pages/s over {summary.get('elapsed', 0):.1f} s")


def cmd_sites(args: argparse.Namespace) -> int:
    from crawler.profiles import list_profiles

    profiles = list_profiles()
    print("Site profiles (data/sites/*.toml) -- crawl one with: guidecrawl crawl --site NAME")
    for p in profiles:
        print(f"  {p['name']:<16} {p.get('description', '')}")
        print(
            f"  {'':<16} domains: {', '.join(p.get('allowed_domains') or []) or '(hosts of the start URLs)'}"
        )
        print(
            f"  {'':<16} start:   {', '.join(p.get('start_urls') or []) or '(give URLs on the command line)'}"
        )
        print(
            f"  {'':<16} article: {'  '.join(p.get('links', {}).get('article') or []) or '(generic rules)'}"
        )
    if not profiles:
        print("  (none)")
    # The demo's sites have profiles of their own (with the local server's URL filled in): they
    # are named after the demo sites, not after these profiles, and are not for --site.
    from pipelines.localsite import DEMO_ROOT, read_profile, site_folders

    demo = site_folders(DEMO_ROOT) if DEMO_ROOT.is_dir() else []
    if demo:
        print()
        print("Demo sites (data/demo_site/) -- served on 127.0.0.1 and crawled by: guidecrawl demo")
        for folder in demo:
            raw = read_profile(folder)
            desc = str(raw.get("description", ""))
            desc = desc if len(desc) <= 90 else desc[:87] + "..."
            print(f"  {str(raw.get('name') or folder.name):<16} {desc}")
    return 0


def _clean_one(path: Path, url: str, encoding: str | None, profile: dict | None):
    from cleaners.page import clean_page

    return clean_page(
        path.read_bytes(), url or path.resolve().as_uri(), declared_encoding=encoding, profile=profile
    )


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


def _use_spin_tables(paths: list[str]) -> None:
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


def spin_table_arg(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--spin-table",
        action="append",
        metavar="FILE",
        help="also invert this spinner's find->replace table (SQL dump, PHP array, 'a,b' word list or "
        "our TSV; repeatable; not shipped, since such tables carry no licence). Same as listing it in "
        "GUIDECRAWL_SPIN_TABLES",
    )


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


def cmd_sql(args: argparse.Namespace) -> int:
    from pipelines.store import run_sql

    print(run_sql(Path(args.db), args.query, fmt=args.format, wait=args.wait, allow_files=args.allow_files))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from pipelines.stats import render_stats, stats

    print(render_stats(stats(Path(args.db))))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from pipelines.export import export

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


def cmd_prune(args: argparse.Namespace) -> int:
    from pipelines.prune import prune

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


def cmd_reclean(args: argparse.Namespace) -> int:
    from pipelines.reclean import reclean

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


def cmd_dedup(args: argparse.Namespace) -> int:
    from pipelines.dedup import cluster

    res = cluster(Path(args.db), threshold=args.threshold)
    print(", ".join(f"{k} {v}" for k, v in res.items()))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from pipelines.report import report

    out = report(Path(args.db), Path(args.out))
    print(f"wrote {out}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pipelines.demo import run_demo

    return run_demo(Path(args.db), quiet=args.quiet)


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="guidecrawl",
        description="Crawl Chinese guide articles, clean and repair them, and query them in DuckDB.",
        epilog="Exit codes: 0 ok, 1 failed (health check, bad SQL, busy database), 2 usage error.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def allow_files_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--allow-files",
            action="store_true",
            help="let the SQL read and write files on this machine and load extensions (read_csv, "
            "read_parquet, COPY TO, ATTACH, INSTALL); off by default, so SQL reads only the corpus. "
            "Only with SQL you wrote or trust",
        )

    def db_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--db", default=str(_db_default()), help="DuckDB file (default: %(default)s)")

    sp = sub.add_parser("crawl", help="crawl start URLs or a site profile into the DuckDB file")
    sp.add_argument(
        "urls", nargs="*", metavar="URL", help="start URLs (listing pages, sitemap.xml, articles)"
    )
    sp.add_argument("--site", help="use the site profile NAME (see `guidecrawl sites`)")
    db_arg(sp)
    sp.add_argument("--max-pages", type=_positive_int, help="stop after fetching N pages")
    sp.add_argument(
        "--job",
        help="job name (default: the site's); its lock, resume state and stage live in "
        "<db folder>/jobs/<db file name>/JOB@<scheme-host-port of the start URLs>",
    )
    sp.add_argument("--stage", help="stage folder (default: the job folder's stage/)")
    sp.add_argument("--resume", action="store_true", help="continue a killed or stopped job")
    sp.add_argument("--redis", metavar="URL", help="scale out: share the frontier on redis://HOST:PORT/N")
    sp.add_argument("--log-file", help="write Scrapy's log to this file")
    sp.add_argument("--quiet", action="store_true", help="no live progress, no summary")
    sp.add_argument(
        "--clean-workers",
        type=_positive_int,
        default=0,
        metavar="N",
        help="cleaning processes (default: one per usable CPU; each holds ~40 MB)",
    )
    sp.add_argument(
        "-s",
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="a crawl setting, as with `scrapy crawl -s` (repeatable; over the site profile's [settings]): "
        "DOWNLOAD_DELAY, CONCURRENT_REQUESTS, CONCURRENT_REQUESTS_PER_DOMAIN, AUTOTHROTTLE_*, USER_AGENT, "
        "DEPTH_LIMIT, GUIDECRAWL_SITE_PAGE_BUDGET, GUIDECRAWL_TRAP_PAGES, GUIDECRAWL_RETRY_AFTER_MAX ...",
    )
    spin_table_arg(sp)
    sp.set_defaults(func=cmd_crawl)

    sp = sub.add_parser("sites", help="list the site profiles")
    sp.set_defaults(func=cmd_sites)

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

    sp = sub.add_parser(
        "repair",
        help="repair text from stdin, one paragraph a line; JSON Lines out",
        description="Repair UTF-8 text from stdin, one paragraph a line; JSON Lines out. Bytes that "
        "are not UTF-8 become U+FFFD, are counted on stderr, and the exit code is then 1.",
    )
    spin_table_arg(sp)
    sp.set_defaults(func=cmd_repair)

    sp = sub.add_parser("sql", help="run a SQL query on the DuckDB file (read-only)")
    sp.add_argument("query", help='e.g. "SELECT site, count(*) FROM articles GROUP BY 1"')
    db_arg(sp)
    sp.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sp.add_argument("--wait", type=float, default=30.0, help="seconds to wait while a crawl holds the file")
    allow_files_arg(sp)
    sp.set_defaults(func=cmd_sql)

    sp = sub.add_parser("stats", help="per-site pages, articles, comments, repairs, spin scores")
    db_arg(sp)
    sp.set_defaults(func=cmd_stats)

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

    sp = sub.add_parser(
        "load",
        help="load staged batches (from workers) into the DuckDB file",
        description="Load staged batches into the DuckDB file. Lines that are not JSON records are "
        "skipped and counted; the exit code is then 1 (the rest is loaded).",
    )
    sp.add_argument("stage", metavar="DIR", help="stage folder")
    db_arg(sp)
    sp.set_defaults(func=cmd_load)

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
    sp.add_argument("--workers", type=_positive_int, default=os.cpu_count() or 1)
    db_arg(sp)
    spin_table_arg(sp)
    sp.set_defaults(func=cmd_reclean)

    sp = sub.add_parser("dedup", help="cluster near-duplicate articles (MinHash LSH)")
    sp.add_argument("--threshold", type=float, default=0.8)
    db_arg(sp)
    sp.set_defaults(func=cmd_dedup)

    sp = sub.add_parser("report", help="write a self-contained HTML report")
    sp.add_argument("--out", required=True)
    db_arg(sp)
    sp.set_defaults(func=cmd_report)

    sp = sub.add_parser("demo", help="serve the embedded demo sites, crawl, clean, load and query them")
    db_arg(sp)
    sp.add_argument("--quiet", action="store_true")
    sp.set_defaults(func=cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if getattr(args, "spin_table", None):
            _use_spin_tables(args.spin_table)
        return args.func(args)
    except UserError as e:
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
