"""The cleaning processes' side of the item pipeline: what runs in a worker (``clean_batch`` ->
``clean_article`` -> ``article_result``), how a worker starts (niced, warmed, dying with the
crawl) and the fork server they are forked from (``_mp_context``; it preloads this module and
builds the cleaner's tables once, shared copy-on-write by every worker).

Kept apart from ``pipeline.py`` (the Scrapy side, on the reactor thread) because this module is
what the fork server imports: it must not pull in Scrapy or Twisted (~35 MB in the fork server and
in every worker).
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from crawler.stage import pack_raw
from crawler.state import tally
from pipelines.item.budget import clean_within, timeout_article

if TYPE_CHECKING:
    from cleaners.model import Article

logger = logging.getLogger(__name__)


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


WARM_PAGE = (
    "<html><head><meta charset='utf-8'><title>预热</title></head><body><div class='content'>"
    "<h1>预热页面</h1><p>一、概述</p><p>这是一段用来预热清洗进程的文字，没有别的用途。</p></div></body></html>"
).encode()


def _warm_worker() -> None:
    # The cleaner builds its tables on first use (seconds); pay that when the pool starts, while
    # the spider is still fetching its first listings, not on the first article.
    try:
        from cleaners.page import clean_parts

        clean_parts([(WARM_PAGE, "http://warm.invalid/1.html", "utf-8")])
    except Exception:  # a broken cleaner shows up, per article, in clean_article
        pass
    # The cleaner's modules and tables live as long as the process: out of the cyclic GC's
    # generations, a collection while cleaning walks only the articles' own objects (on the 735
    # real pages, GC fell from ~0.15 to ~0.07 ms per article), and a process forked from the fork
    # server leaves the shared pages of those objects unwritten by the collector.
    gc.collect()
    gc.freeze()
    _return_free_memory()


def _libc(name: str) -> Callable[..., int] | None:
    """The C library's function ``name`` (glibc's malloc_trim, mallopt), or None elsewhere."""
    try:
        import ctypes

        return getattr(ctypes.CDLL(None), name, None)
    except (OSError, AttributeError):
        return None


_TRIM = _libc("malloc_trim")


def _return_free_memory() -> None:
    """Hand the C heap's free pages back to the system.  glibc keeps freed memory in the process
    until ``malloc_trim`` asks for it, and the heap is fragmented: after the warm-up (whose
    temporaries include the word model's vocabulary, read as ~160k strings to compute its keys,
    then dropped: cleaners/wordlm.py) ~10 MB in the fork server and so in every worker's PSS; in a
    cleaning process, what the pages' trees and texts left.  A cleaning process calls it after each
    batch (~0.1 ms a page, ~1% of the cleaning: peak private memory ~5 MB lower per process over
    400 bench pages).  glibc only; elsewhere nothing happens."""
    if _TRIM is not None:
        _TRIM(0)


# glibc's M_MMAP_THRESHOLD (mallopt's parameter -3): blocks from this size up get their own
# mapping, returned to the system when freed.
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 128 * 1024


def _fixed_mmap_threshold() -> None:
    """Keep glibc's threshold for mapping a block of its own at 128 KB (its default) in the fork
    server and so in the cleaning processes.  Left alone, glibc raises it to the size of each
    mapped block that is freed (up to 32 MB), and from then on a page's large strings and
    buffers come from the heap, whose free holes stay counted in the process (~5 MB per cleaning
    process after the 735 bench pages).  Setting it switches that raising off.  glibc only."""
    mallopt = _libc("mallopt")
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)


# Cleaning processes run at a lower priority than the crawler: the reactor must get a core the
# moment it has a response to parse (else downloads stall), and the cleaners take every cycle it
# leaves.  That is what lets one cleaning process per core overlap with the
# crawl on a small machine without slowing the fetching down.
CLEAN_NICE = 5


def die_with_parent() -> None:
    """Make this process die when its parent does (Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``).

    A ``kill -9`` of the crawl must not leave its cleaning processes behind.  They would live on:
    each blocks on the pool's task queue, whose write end every worker holds too, and the fork
    server waits for its clients -- the workers -- to close their end of its "alive" pipe.  The
    kernel's parent-death signal cuts that circle: the fork server gets it when the crawler dies
    (it is started from the crawler's main thread, see ``StagePipeline._start_pool``: the signal
    follows the *thread* that forked), each worker when the fork server dies.  Elsewhere a
    no-op; ``watch_parent`` is the portable second line.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl here: watch_parent still ends the worker
        pass


def watch_parent() -> None:
    """End this worker when the crawling process ends, however it ends.

    multiprocessing gives every child a *sentinel*: the read end of a pipe whose write end only
    the parent holds, so it reads EOF the moment the parent is gone (SIGKILL included).  A daemon
    thread waits on it and kills the worker -- even one busy in a long page, between two bytecodes.
    """
    parent = multiprocessing.parent_process()
    sentinel = getattr(parent, "sentinel", None)
    if sentinel is None:
        return

    def wait() -> None:
        from multiprocessing.connection import wait as wait_for

        wait_for([sentinel])
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=wait, name="watch-parent", daemon=True).start()


def _init_worker() -> None:
    die_with_parent()
    watch_parent()
    try:
        os.nice(CLEAN_NICE)
    except OSError:  # not allowed here (some containers): same priority, still correct
        pass
    _warm_worker()


def usable_cpus() -> int:
    """CPUs this process may run on (a container's or taskset's limit, not the machine's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def stop_fork_server() -> None:
    """Stop multiprocessing's fork server once the pool is gone: it holds the warmed cleaner
    (~80 MB PSS with the word model) and would otherwise live until the crawling process exits,
    through the DuckDB load at the end of a crawl.  ``_stop`` is private (CPython's own tests use it), hence the
    guard: without it the server simply lives on."""
    try:
        from multiprocessing import forkserver

        stop = getattr(getattr(forkserver, "_forkserver", None), "_stop", None)
        if stop is not None:
            stop()
    except Exception:  # memory only: never fail a crawl over it
        logger.debug("could not stop the fork server", exc_info=True)


def _noop() -> None:
    return None


def _in_forkserver() -> bool:
    # multiprocessing starts its fork server as ``python -c "from multiprocessing.forkserver import
    # main; main(...)"`` and imports the preload modules there.
    return sys.argv == ["-c"] and "multiprocessing.forkserver" in sys.modules


if _in_forkserver():
    # The fork server dies with the crawler (see die_with_parent).
    die_with_parent()
    _fixed_mmap_threshold()
    # Build the cleaner's tables once in the fork server: every cleaning process forked from it
    # shares them copy-on-write (hundreds of MB) instead of building its own copy.
    _warm_worker()


def clean_one(
    parts: Sequence[tuple[bytes, str, str | None]], profile: dict | None, timeout: float
) -> tuple[Article, str]:
    """Clean one article (its pages' ``(raw, url, declared_encoding)`` in order) in this process,
    within ``timeout`` seconds (0: no limit); return it with the cleaner version that made it.

    The one article-cleaning step of both the crawl (``clean_article``) and ``guidecrawl reclean``.
    Never raises: a cleaner failure becomes an article with ``status="error"``, an article over
    its time budget one with ``status="timeout"`` (see ``budget.py``).
    """
    from cleaners.model import Article

    url = parts[0][1] if parts else ""
    version = ""
    try:
        # Imported here, not at module level: a cleaner that fails even to import must become a
        # recorded error for this article, not a dead worker.
        from cleaners import cleaner_version
        from cleaners.page import clean_parts

        version = cleaner_version(profile)

        art = clean_within(timeout, lambda: clean_parts(list(parts), profile=profile))
        if art is None:
            art = timeout_article(url, timeout)
            art.canonical_url = raw_canonical(parts)
    except Exception as exc:  # the contract says clean_parts never raises; guard it anyway
        art = Article(url=url, status="error", reason=f"cleaner failed: {type(exc).__name__}: {exc}"[:500])
        art.canonical_url = raw_canonical(parts)
    return art, version


def raw_canonical(parts: Sequence[tuple[bytes, str, str | None]]) -> str:
    """The rel=canonical of an article stored uncleaned (over its budget, cleaner failed, cleaning
    process died), read from its first page's raw bytes: a mobile copy still folds into its
    article when cleaning did not succeed.  Never raises ("" when the reader cannot be had)."""
    try:
        from cleaners.page import canonical_from_raw

        return canonical_from_raw(*parts[0]) if parts else ""
    except Exception:  # noqa: BLE001 - even a cleaner package that fails to import
        return ""


def clean_article(
    parts: Sequence[tuple[bytes, str, str | None]], profile: dict | None, fields: dict | None = None
) -> dict:
    """Runs in a worker process: clean one article and pack its raw pages for the stage.

    With ``fields`` (the stage record's ``run_id``, ``site``, ``page_urls``, ``content_hash`` and
    the spider's ``reason``) the worker also builds the article's stage record and serializes it
    (see ``article_result``): JSON-encoding a cleaned article is the most expensive thing the
    crawling process did per article, and it is pure work a worker can do.

    Never raises: a cleaner failure becomes an article with ``status="error"`` so one bad page
    cannot stop a crawl.
    """
    art, version = clean_one(parts, profile, float((fields or {}).get("clean_timeout") or 0.0))
    d = art.to_dict()
    raws = [pack_raw(raw) for raw, _, _ in parts]
    if fields is None:
        return {"article": d, "cleaner_version": version, "raws": raws}
    return article_result(d, version, raws, fields)


def article_result(article: dict, version: str, raws: list[str], fields: dict) -> dict:
    """The stage record of a cleaned article, as a JSON line, and what the crawl needs of it.

    ``counts``/``drops`` are the record's share of the run record (``crawler.state.tally``), so
    the crawling process never decodes the line again.
    """
    reason = fields.get("reason") or ""
    article.update(
        type="article",
        run_id=fields["run_id"],
        site=fields["site"],
        cleaner_version=version,
        page_urls=fields["page_urls"],
        content_hash=fields["content_hash"],
    )
    if reason and not article.get("reason"):
        article["reason"] = reason
    counts: Counter = Counter()
    drops: Counter = Counter()
    tally(counts, drops, article)
    return {
        "line": json.dumps(article, ensure_ascii=False, separators=(",", ":")) + "\n",
        "counts": dict(counts),
        "drops": dict(drops),
        "encoding": article.get("encoding") or "",
        "encoding_reason": article.get("encoding_reason") or "",
        "raws": raws,
    }


def clean_batch(
    jobs: Sequence[tuple[Sequence[tuple[bytes, str, str | None]], dict | None, dict]],
) -> list[dict]:
    """Runs in a worker process: ``clean_article`` for each ``(parts, profile, fields)``.

    Several articles per task: each task costs the crawling process a submit, a pickle handed to
    a feeder thread, an unpickle on the pool's manager thread and a hop back to the reactor, all
    competing with the reactor for the GIL.
    """
    out = [clean_article(parts, profile, fields) for parts, profile, fields in jobs]
    _return_free_memory()
    return out


def _mp_context() -> multiprocessing.context.BaseContext:
    # Not "fork": forking a process that runs the Twisted reactor and its thread pool can copy a
    # held lock into the child.  forkserver forks from a clean helper process instead.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
