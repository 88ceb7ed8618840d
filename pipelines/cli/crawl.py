"""``guidecrawl crawl`` (a crawl job: lock, crawl, load, health checks) and ``guidecrawl sites``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.cli.args import db_arg, positive_int, spin_table_arg
from pipelines.errors import UserError

if TYPE_CHECKING:
    from pipelines.cli.args import Subparsers


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


def add_crawl(sub: Subparsers) -> None:
    sp = sub.add_parser("crawl", help="crawl start URLs or a site profile into the DuckDB file")
    sp.add_argument(
        "urls", nargs="*", metavar="URL", help="start URLs (listing pages, sitemap.xml, articles)"
    )
    sp.add_argument("--site", help="use the site profile NAME (see `guidecrawl sites`)")
    db_arg(sp)
    sp.add_argument("--max-pages", type=positive_int, help="stop after fetching N pages")
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
        type=positive_int,
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


def cmd_crawl(args: argparse.Namespace) -> int:
    from crawler.profiles import generic_profile, load_profile, parse_setting_args
    from pipelines.errors import DiskFull, is_disk_full
    from pipelines.run.crawl import CrawlOptions, run_crawl
    from pipelines.run.jobs import job_dir as job_folder
    from pipelines.run.jobs import legacy_job_dir
    from pipelines.run.lock import RunLock

    if not args.urls and not args.site:
        raise UserError("nothing to crawl: give start URLs or --site NAME (see `guidecrawl sites`)")
    for u in args.urls:
        _check_url(u)
    settings = parse_setting_args(args.set or [])
    profiles = [load_profile(args.site)] if args.site else [generic_profile(args.urls)]
    job = args.job or profiles[0]["name"]
    db = Path(args.db)
    # One folder per database file and origin set (scheme, host, port): see pipelines/run/jobs.py.
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
        from pipelines.run.health import check_run, record

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


def add_sites(sub: Subparsers) -> None:
    sp = sub.add_parser("sites", help="list the site profiles")
    sp.set_defaults(func=cmd_sites)


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
    from pipelines.demo.localsite import DEMO_ROOT, read_profile, site_folders

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
