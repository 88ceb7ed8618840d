"""A time budget for cleaning one article, enforced inside the process that cleans it.

The cleaners are linear in the page, but a page is input from a hostile site: a step that is slow
on some input nobody foresaw must cost the crawl one article, not a worker.  Used by the crawl's
cleaning processes (``pipelines/item/pipeline.py``, ``GUIDECRAWL_CLEAN_TIMEOUT``) and by
``guidecrawl reclean``.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

DEFAULT_CLEAN_TIMEOUT = 30.0  # seconds per article (GUIDECRAWL_CLEAN_TIMEOUT)


class CleanTimeout(BaseException):
    """Raised by the alarm inside a cleaning process when an article is over its time budget.

    A BaseException, not an Exception: the cleaners catch ``Exception`` to turn a bad page into a
    status, and the alarm must get through them to the one place that handles it
    (``clean_within``)."""


def _on_alarm(signum: int, frame: object) -> None:
    raise CleanTimeout


# The budget is CPU time of the cleaning process (ITIMER_PROF: user + system time; SIGPROF), not
# wall time.  A cleaning process is niced below the crawler and shares the machine with whatever
# else runs: under load it can wait for a core longer than a page takes to clean.  A wall-clock
# budget then stored ordinary pages as ``timeout`` -- no text, no rel=canonical, so a mobile copy
# became an article of its own -- depending on the machine's load, not on the page.  A page that
# really keeps the cleaner busy burns CPU, which this timer counts wherever the process runs.
_TIMER = getattr(signal, "ITIMER_PROF", None)
_SIGNAL = getattr(signal, "SIGPROF", None)


def clean_within(budget: float, clean: Callable[[], T]) -> T | None:
    """``clean()``, interrupted after ``budget`` seconds of CPU time: None when it was.

    The cleaners are pure Python, so a worker stuck in one page can only be stopped from inside
    its own process: ``signal.setitimer(ITIMER_PROF)`` arms SIGPROF, whose handler raises
    ``CleanTimeout`` in the cleaning code between two bytecodes.  A page over the budget costs at
    most the budget, never the worker; time spent waiting for a core is not counted.  Without a
    budget, off the main thread or where the CPU timer does not exist, the page is cleaned
    without one."""
    if (
        budget <= 0
        or _TIMER is None
        or _SIGNAL is None
        or not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        return clean()
    previous = signal.signal(_SIGNAL, _on_alarm)
    try:
        try:
            signal.setitimer(_TIMER, budget)
            return clean()
        finally:
            signal.setitimer(_TIMER, 0)
    except CleanTimeout:  # also when the alarm fired just as the page was done: it was at the budget
        return None
    finally:
        signal.signal(_SIGNAL, previous)


def timeout_article(url: str, budget: float):
    """The article stored for a page over its budget: no text, the reason, status ``timeout``."""
    from cleaners.model import Article

    return Article(
        url=url,
        status="timeout",
        reason=f"cleaning took longer than {budget:g} s (GUIDECRAWL_CLEAN_TIMEOUT): "
        "stored uncleaned, its raw pages kept for reclean",
    )
