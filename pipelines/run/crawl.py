"""Run a crawl from Python or the CLI: Scrapy in-process, stage records out, then one load.

``run_crawl(CrawlOptions(...))`` starts the guide spider with the given site profiles under a
``CrawlerProcess``, shows live progress on stderr (unless ``quiet``), and when a database is given
(and the crawl is not a Redis scale-out worker) loads the stage into it at the end with
``pipelines.store.load_stage``.  It returns the run summary: the stage's ``run`` record plus
pages/s, elapsed time, the stage files and the load result.

Twisted's reactor cannot be started twice in one process, so ``run_crawl`` works once per
process; ``run_crawl_subprocess`` runs it in a fresh Python process for callers (tests, schedulers)
that crawl more than once.

Cleaning runs in processes started through multiprocessing's fork server, which imports the
calling script's main module: a script that calls ``run_crawl`` must do so under
``if __name__ == "__main__":`` (the usual multiprocessing rule), or its cleaning processes die and
every article is recorded with ``status="error"``.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.live import Live
    from twisted.internet.task import LoopingCall

from pipelines.errors import USER_ERRORS, DiskFull, UserError, is_disk_full


@dataclass
class CrawlOptions:
    start_urls: list[str] = field(default_factory=list)
    profiles: list[dict] | Mapping[str, dict] = field(default_factory=list)  # one crawl, several sites
    db: Path | None = None  # load the stage into this DuckDB file at the end (and read prior state)
    stage_dir: Path = Path("data/stage")
    job_dir: Path | None = None  # holds job.json: the run id a --resume continues
    resume: bool = False
    max_pages: int | None = None
    quiet: bool = False
    log_file: Path | None = None
    redis_url: str | None = None
    run_id: str | None = None
    settings: dict = field(default_factory=dict)  # Scrapy setting overrides (over profiles' [settings])
    clean_workers: int = 0  # 0: one per usable CPU (they run niced below the crawler)
    job: str | None = None  # job name stored in the run record

    def to_json(self) -> str:
        d = dataclasses.asdict(self)
        if isinstance(self.profiles, Mapping):
            d["profiles"] = list(self.profiles.values())
        return json.dumps(d, default=str)

    @classmethod
    def from_json(cls, text: str) -> CrawlOptions:
        d = json.loads(text)
        for key in ("db", "stage_dir", "job_dir", "log_file"):
            if d.get(key) is not None:
                d[key] = Path(d[key])
        return cls(**d)


class CrawlProgress:
    """Live progress on stderr: pages/s, articles, errors, queue, cleaning in flight (rich)."""

    def __init__(self, crawler: Any):
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        if not crawler.settings.getbool("GUIDECRAWL_PROGRESS"):
            raise NotConfigured
        self.crawler = crawler
        self.live: Live | None = None
        self.loop: LoopingCall | None = None
        self.t0 = time.monotonic()
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlProgress:
        return cls(crawler)

    def render(self) -> Any:
        from rich.text import Text

        st = self.crawler.stats
        pages = st.get_value("guidecrawl/pages", 0)
        elapsed = max(1e-6, time.monotonic() - self.t0)
        errors = st.get_value("guidecrawl/pages/error", 0) + st.get_value("guidecrawl/pages/dropped", 0)
        engine = self.crawler.engine
        queue = 0
        try:
            queue = len(engine._slot.scheduler) + len(engine.downloader.active)
        except (AttributeError, TypeError):  # engine internals; progress is best effort
            pass
        return Text.assemble(
            ("guidecrawl ", "bold"),
            f"{pages} pages  {pages / elapsed:6.1f} pages/s  ",
            (f"{st.get_value('guidecrawl/articles', 0)} articles  ", "green"),
            (f"{st.get_value('guidecrawl/pages/unchanged', 0)} unchanged  ", "cyan"),
            (f"{errors} errors/drops  ", "red" if errors else ""),
            f"queue {queue}  {elapsed:5.0f} s",
        )

    def opened(self, spider: Any) -> None:
        from rich.console import Console
        from rich.live import Live
        from twisted.internet import task

        self.t0 = time.monotonic()
        self.console = Console(stderr=True)
        if self.console.is_terminal:
            self.live = live = Live(
                self.render(), console=self.console, refresh_per_second=4, transient=False
            )
            live.start()
            self.loop = loop = task.LoopingCall(lambda: live.update(self.render()))
            loop.start(0.5, now=False)
        else:  # a log file or a pipe (cron, scrapyd): a plain line every 10 s, no cursor tricks
            console = self.console
            self.loop = loop = task.LoopingCall(lambda: console.print(self.render(), soft_wrap=True))
            loop.start(10, now=False)

    def closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.live is not None:
            self.live.update(self.render())
            self.live.stop()
        elif getattr(self, "console", None) is not None:
            self.console.print(self.render(), soft_wrap=True)


def _profiles(opts: CrawlOptions) -> list[dict]:
    from crawler.profiles import generic_profile, normalize_profiles

    profiles = normalize_profiles(opts.profiles) if opts.profiles else []
    if not profiles:
        if not opts.start_urls:
            raise UserError("nothing to crawl: give start URLs or a site profile (see guidecrawl sites)")
        profiles = [generic_profile(opts.start_urls)]
    for u in opts.start_urls:
        if not u.startswith(("http://", "https://")):
            raise UserError(f"not an http(s) URL: {u!r}")
    if not opts.start_urls and not any(p["start_urls"] for p in profiles):
        raise UserError("no start URLs: the site profile has none; give start URLs")
    return profiles


def profile_settings(profiles: list[dict]) -> dict:
    """The ``[settings]`` of the crawl's site profiles (validated when each profile loaded).

    Scrapy settings are per crawl, so profiles crawled together must agree on a name they both set.
    """
    out: dict[str, Any] = {}
    owner: dict[str, str] = {}
    for p in profiles:
        for key, value in (p.get("settings") or {}).items():
            if key in out and out[key] != value:
                raise UserError(
                    f"site profiles {owner[key]!r} and {p['name']!r} set {key} differently "
                    f"({out[key]!r}, {value!r}); crawl them separately"
                )
            out[key], owner[key] = value, p["name"]
    return out


def read_prior_state(db_path: str | os.PathLike) -> dict[str, dict]:
    """The store's ``read_page_state``, imported only when there is a database to read.

    Importing the store imports DuckDB: ~13 MB of PSS and ~0.06 s in the crawling process, held
    through the whole crawl.  A first crawl into a new database has nothing to read, and its
    DuckDB is imported by the load at the end instead.
    """
    if not Path(db_path).exists():
        return {}
    from pipelines.store import read_page_state

    return read_page_state(db_path)


def build_settings(opts: CrawlOptions, profiles: list[dict]) -> Any:
    """The Scrapy settings of one crawl: crawler/settings.py, then the site profiles' ``[settings]``,
    then the options and ``opts.settings`` (``guidecrawl crawl -s``), each over the one before."""
    from scrapy.settings import Settings

    s = Settings()
    s.setmodule("crawler.settings", priority="project")
    from_profiles = profile_settings(profiles)
    for key, value in from_profiles.items():
        s.set(key, value, priority="spider")
    s.set("GUIDECRAWL_STAGE", str(opts.stage_dir), priority="cmdline")
    if opts.db:
        s.set("GUIDECRAWL_DB", str(opts.db), priority="cmdline")
        s.set("GUIDECRAWL_PRIOR_STATE", read_prior_state, priority="cmdline")
    if opts.job_dir:
        s.set("GUIDECRAWL_JOB_DIR", str(opts.job_dir), priority="cmdline")
    s.set("GUIDECRAWL_RESUME", bool(opts.resume), priority="cmdline")
    if opts.run_id:
        s.set("GUIDECRAWL_RUN_ID", opts.run_id, priority="cmdline")
    if opts.job:
        s.set("GUIDECRAWL_JOB", opts.job, priority="cmdline")
    if opts.clean_workers:
        s.set("GUIDECRAWL_CLEAN_WORKERS", int(opts.clean_workers), priority="cmdline")
    if opts.max_pages:
        s.set("GUIDECRAWL_MAX_PAGES", int(opts.max_pages), priority="cmdline")
    args = {
        "start_urls": list(opts.start_urls),
        "sites": [p["name"] for p in profiles],
        "max_pages": opts.max_pages,
        "resume": opts.resume,
        "clean_workers": opts.clean_workers or None,  # None: one per usable CPU
        "redis": bool(opts.redis_url),  # a worker's share of a crawl: health history leaves it out
        "settings": dict(opts.settings or {}),  # -s NAME=VALUE (wins over the profiles')
        "profile_settings": from_profiles,
    }
    s.set("GUIDECRAWL_ARGS", json.dumps(args, ensure_ascii=False, default=str), priority="cmdline")
    if opts.log_file:
        s.set("LOG_FILE", str(opts.log_file), priority="cmdline")
        s.set("LOG_LEVEL", "INFO", priority="cmdline")
    else:
        s.set("LOG_LEVEL", "ERROR" if opts.quiet else "WARNING", priority="cmdline")
    s.set("GUIDECRAWL_PROGRESS", not opts.quiet, priority="cmdline")
    s.set(
        "EXTENSIONS",
        {**s.getdict("EXTENSIONS"), "pipelines.run.crawl.CrawlProgress": 900},
        priority="cmdline",
    )
    for key, value in (opts.settings or {}).items():
        s.set(key, value, priority="cmdline")
    if opts.redis_url:
        # Scale-out: the Redis scheduler and shared dupefilter are the scale-out module's.
        from crawler.redis import configure

        configure(s, opts.redis_url)
    return s


def _one_line(record: logging.LogRecord) -> bool:
    """On the terminal a failed fetch is one line, not a Twisted traceback: the run summary counts
    it by reason, and --log-file (or GUIDECRAWL_DEBUG=1) keeps the full story."""
    if record.exc_info:
        exc = record.exc_info[1]
        msg = record.getMessage()
        record.msg = (
            f"{msg} ({type(exc).__name__}: {exc})" if exc is not None and str(exc) not in msg else msg
        )
        record.args = None
        record.exc_info = None
        record.exc_text = None
    return True


def release_memory() -> None:
    """Give the crawl's freed memory back to the OS before the DuckDB load at the end.

    The load runs in this process on top of everything the crawl left resident: Scrapy's
    requests, responses and parsed trees are garbage by now but partly held in reference cycles
    (freed only by a full collection) and in glibc's heap, which keeps freed chunks unless told to
    trim.  Both are cheap here (tens of ms) and the load's peak sits on a smaller base.
    """
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim  # glibc only; elsewhere the memory is simply reused by the load
    except (OSError, AttributeError):
        return
    trim(0)


def _stage_pipeline(crawler: Any) -> Any:
    """The crawl's item pipeline (its run record, stage files, disk-full path), or None when the
    crawl failed before its engine was built."""
    from pipelines.item.pipeline import StagePipeline

    try:
        return crawler.get_item_pipeline(StagePipeline)
    except RuntimeError:  # no engine: the spider could not even be created
        return None


def _cpu_s() -> float:
    """CPU seconds this process has used so far (user + system, all threads)."""
    t = os.times()
    return t.user + t.system


def run_crawl(opts: CrawlOptions) -> dict:
    """Crawl, write the stage, load it into ``opts.db`` (unless Redis); return the run summary."""
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.guide import GuideSpider

    if opts.resume and not opts.job_dir:
        raise UserError("--resume needs a job folder (the job whose crawl to continue)")
    profiles = _profiles(opts)
    Path(opts.stage_dir).mkdir(parents=True, exist_ok=True)
    settings = build_settings(opts, profiles)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(GuideSpider)
    failures: list[Any] = []
    d = process.crawl(crawler, profiles=profiles, start_urls=list(opts.start_urls), max_pages=opts.max_pages)
    d.addErrback(failures.append)
    if not opts.log_file and not os.environ.get("GUIDECRAWL_DEBUG"):
        # after crawl(): Scrapy reinstalls its root handler when it applies the crawler's settings
        for handler in logging.root.handlers:
            handler.addFilter(_one_line)
    # What exists by now (modules, settings, Scrapy's components, the profiles) lives as long as
    # the crawl: out of the cyclic GC's generations, a full collection during the crawl walks
    # only the crawl's own objects (the crawling process ran ~0.3 s of GC per 750 real pages,
    # half of it in full collections over the imported modules).  The reactor runs once per
    # process, so this happens once.
    gc.freeze()
    cpu0 = _cpu_s()
    t0 = time.monotonic()
    process.start()
    elapsed = time.monotonic() - t0
    cpu1 = _cpu_s()
    pipeline = _stage_pipeline(crawler)
    if pipeline is not None and pipeline.disk_full:
        raise DiskFull(pipeline.disk_full)
    if failures:
        exc = failures[0].value
        if isinstance(exc, USER_ERRORS):
            raise exc
        if is_disk_full(exc):  # e.g. job.json could not be written when the crawl started
            raise DiskFull(getattr(exc, "filename", None) or opts.job_dir or opts.stage_dir) from None
        raise RuntimeError(f"the crawl failed: {type(exc).__name__}: {exc}") from exc
    run = pipeline.final_run if pipeline is not None else None
    if run is None:
        raise RuntimeError("the crawl stopped before writing its run record; see the log")
    fetched_now = crawler.stats.get_value("guidecrawl/pages", 0)
    summary = {k: v for k, v in run.items() if k != "type"}
    summary.update(
        elapsed=round(elapsed, 3),
        pages_fetched=fetched_now,
        pages_per_s=round(fetched_now / elapsed, 2) if elapsed > 0 else 0.0,
        stage_dir=str(opts.stage_dir),
        stage_files=pipeline.stage_files(),
        resumed=pipeline.state.resume,
        clean_workers=pipeline.workers,
        # this process's own CPU (all its threads, not the cleaning processes) by phase
        cpu_s={"start-up": round(cpu0, 3), "crawl": round(cpu1 - cpu0, 3)},
    )
    if opts.db and not opts.redis_url:
        from pipelines.store import load_stage

        release_memory()
        t1 = time.monotonic()
        try:
            summary["load"] = load_stage(opts.stage_dir, opts.db, low_memory=True)
        except Exception as exc:
            if is_disk_full(exc):  # the stage is complete: a --resume (or load) stores it later
                raise DiskFull(opts.db) from None
            raise
        summary["load_s"] = round(time.monotonic() - t1, 3)
        summary["cpu_s"]["load"] = round(_cpu_s() - cpu1, 3)
    return summary


def run_crawl_subprocess(
    opts: CrawlOptions, *, timeout: float | None = None, env: dict | None = None
) -> dict:
    """``run_crawl`` in a fresh Python process (the reactor runs once per process)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.run.crawl"],
        input=opts.to_json(),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(Path(__file__).resolve().parents[2]),
        env={**os.environ, **(env or {})},
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    out = json.loads(lines[-1]) if lines else {}
    if "error" in out:
        raise UserError(out["error"])
    if proc.returncode != 0 or not out:
        raise RuntimeError(f"crawl subprocess failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    return out


def main() -> int:
    """``python -m pipelines.run.crawl``: CrawlOptions as JSON on stdin, the summary as JSON on stdout."""
    opts = CrawlOptions.from_json(sys.stdin.read())
    try:
        summary = run_crawl(opts)
    except USER_ERRORS as exc:
        print(json.dumps({"error": str(exc)}))
        return 2
    print(json.dumps(summary, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
