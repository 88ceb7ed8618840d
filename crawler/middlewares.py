"""Downloader middlewares: replay for resumed runs, page budgets, conditional GET, retries with
backoff and ``Retry-After``.

Each is built in ``from_crawler``, reads its settings there and raises ``NotConfigured`` to switch
itself off; each counts into the crawl stats under ``guidecrawl/...``.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater
from w3lib.url import safe_url_string

from crawler.stage import unpack_raw
from crawler.state import CrawlState

logger = logging.getLogger(__name__)


class ResumeReplayMiddleware:
    """On a resumed run, answer requests for pages this run already stored from the stage.

    The spider then parses the stored page exactly as it parsed the fetched one and finds the same
    links, so the frontier the killed run had is rebuilt without fetching anything twice.  The
    response carries the flag ``replayed``; the item pipeline writes nothing for it.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.state = CrawlState.from_crawler(crawler)
        if not self.state.resume:
            raise NotConfigured

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ResumeReplayMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> Response | None:
        rec = self.state.replay(request.url)
        if rec is None:
            return None
        headers = Headers()
        if rec.get("content_type"):
            headers["Content-Type"] = rec["content_type"]
        for key, name in (("etag", "ETag"), ("last_modified", "Last-Modified")):
            if rec.get(key):
                headers[name] = rec[key]
        body = unpack_raw(rec.get("raw"))
        url = rec.get("final_url") or request.url
        cls = responsetypes.from_args(headers=headers, url=url, body=body)
        self.crawler.stats.inc_value("guidecrawl/resume/replayed")
        return cls(
            url=url,
            status=int(rec.get("status") or 200),
            headers=headers,
            body=body,
            request=request,
            flags=["replayed"],
        )


class PageBudgetReached(IgnoreRequest):
    """A request not sent because ``--max-pages`` or the site's page budget is spent.  The spider
    writes no page record for it: it was never fetched."""


class PageBudgetMiddleware:
    """``--max-pages`` (``GUIDECRAWL_MAX_PAGES``, whole crawl) and ``GUIDECRAWL_SITE_PAGE_BUDGET``
    (per site), counted in pages *sent*, in the order the scheduler hands them out.

    Counting where links are found instead would spend a small budget on whatever the first pages
    link to -- on a farm, the navigation's listing pages -- and store no article; here the budget
    goes to what the scheduler picks first, and the spider gives article links priority.  As the
    downloader takes several requests at once (a burst of listings before any article link is
    known), listing and sitemap pages may use at most half of ``--max-pages``.  Start
    URLs and later pages of an article already begun are counted but never refused.  Retries and
    redirects of a counted request are not counted again (their meta carries the mark).  Placed
    before ``ResumeReplayMiddleware``: a resumed run's replayed pages use up the budget as the
    killed run's fetches did.
    """

    def __init__(self, crawler: Crawler):
        s = crawler.settings
        self.crawler = crawler
        self.max_pages = s.getint("GUIDECRAWL_MAX_PAGES")
        self.site_budget = s.getint("GUIDECRAWL_SITE_PAGE_BUDGET")
        self.total = 0
        self.listings = 0  # start, listing and sitemap pages counted
        self.per_site: Counter = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageBudgetMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        meta = request.meta
        if (
            "guidecrawl_kind" not in meta
            or meta.get("guidecrawl_counted")
            or meta["guidecrawl_kind"] == "robots"
        ):
            return None
        site = meta.get("guidecrawl_site") or ""
        if meta.get("guidecrawl_budget"):
            cap = self.max_pages or getattr(self.crawler.spider, "max_pages", 0)
            listing = meta["guidecrawl_kind"] in ("listing", "sitemap")
            if cap and (self.total >= cap or (listing and self.listings >= max(1, cap // 2))):
                self.crawler.stats.inc_value("guidecrawl/skipped/max_pages")
                raise PageBudgetReached(f"--max-pages {cap} reached")
            if self.site_budget and self.per_site[site] >= self.site_budget:
                self.crawler.stats.inc_value("guidecrawl/skipped/site_budget")
                raise PageBudgetReached(f"page budget of {site} ({self.site_budget}) reached")
        meta["guidecrawl_counted"] = True
        if meta["guidecrawl_kind"] in ("start", "listing", "sitemap"):
            self.listings += 1
        self.total += 1
        self.per_site[site] += 1
        return None


class ConditionalGetMiddleware:
    """Send ``If-None-Match`` / ``If-Modified-Since`` for article pages stored by earlier runs.

    Only for requests the spider marked as article pages (``meta["guidecrawl_kind"] == "article"``):
    a listing page must be fetched in full every time, or the crawl would not see new articles;
    later parts of a multi-page article are not asked conditionally either, because a changed
    first page needs every part's bytes to be cleaned again.
    """

    def __init__(self, crawler: Crawler):
        if not crawler.settings.getbool("GUIDECRAWL_CONDITIONAL_GET", True):
            raise NotConfigured
        self.crawler = crawler
        self.state = CrawlState.from_crawler(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if request.meta.get("guidecrawl_kind") != "article":
            return None
        prior = self.state.prior.get(request.url)
        if not prior:
            return None
        sent = False
        if prior.get("etag"):
            request.headers.setdefault("If-None-Match", prior["etag"])
            sent = True
        if prior.get("last_modified"):
            request.headers.setdefault("If-Modified-Since", prior["last_modified"])
            sent = True
        if sent:
            self.crawler.stats.inc_value("guidecrawl/conditional/sent")
        return None


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for: a number of seconds or an HTTP date; None when
    absent or unreadable (a date in the past is 0)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry middleware, plus a pause before each retry: the server's ``Retry-After``,
    or an exponential backoff.

    Scrapy retries at once; a server answering 503 because it is overloaded gets hit again
    immediately.  Without ``Retry-After`` the pause is taken here, inside the download (the
    request keeps its concurrency slot while it waits -- which is the point: fewer requests
    reach a struggling server): ``RETRY_BACKOFF_BASE`` seconds, doubled per retry, capped at
    ``RETRY_BACKOFF_MAX``.

    A 429 or 503 with ``Retry-After`` (seconds or an HTTP date, capped at
    ``GUIDECRAWL_RETRY_AFTER_MAX``) is about the whole site, not the one URL: the site's download
    slot is held that long (no request of that slot leaves before), and with AutoThrottle its
    delay is raised to it, from where AutoThrottle lowers it again as the site answers well.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 0.5)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 30.0)
        self.retry_after_max = settings.getfloat("GUIDECRAWL_RETRY_AFTER_MAX", 120.0)
        self.autothrottle = settings.getbool("AUTOTHROTTLE_ENABLED")
        self._held: dict[str, float] = {}  # slot key -> monotonic time its hold ends

    def hold_site(self, request: Request, seconds: float) -> None:
        """Let no request of ``request``'s download slot leave for ``seconds``.

        Scrapy's downloader keeps a slot's queue closed while ``slot.latercall`` is pending (that
        is how it spaces requests by ``DOWNLOAD_DELAY``); a hold is one such call, as long as the
        server asked.  ``Downloader._latercall`` is Scrapy's own reopening step.
        """
        from scrapy.utils.asyncio import call_later

        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:
            return
        until = time.monotonic() + seconds
        if self._held.get(key, 0) >= until:
            return
        self._held[key] = until
        if slot.latercall:
            slot.latercall.cancel()
        slot.latercall = call_later(seconds, downloader._latercall, slot)
        if self.autothrottle:
            slot.delay = max(slot.delay, seconds)
        self.crawler.stats.inc_value("guidecrawl/retry/retry_after")
        logger.info("%s asked to wait %.1f s (Retry-After): holding every request to it", key, seconds)

    async def _pause(self, new: Request | Response | None) -> None:
        if not isinstance(new, Request) or self.backoff_base <= 0:
            return
        tries = int(new.meta.get("retry_times", 1))
        delay = min(self.backoff_max, self.backoff_base * 2 ** (tries - 1))
        self.crawler.stats.inc_value("guidecrawl/retry/backoff_count")
        # Imported here: importing the reactor at module level would install the default one
        # before Scrapy installs the asyncio reactor it is configured for.
        from twisted.internet import reactor

        await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        wait = None
        if response.status in (429, 503):
            wait = retry_after_seconds(response.headers.get("Retry-After"))
        out = RetryMiddleware.process_response(self, request, response)
        if wait is not None:
            # The retry (if any) queues behind the hold like every other request of the site.
            self.hold_site(request, min(wait, self.retry_after_max))
        else:
            await self._pause(out)
        return out

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        out = RetryMiddleware.process_exception(self, request, exception)
        await self._pause(out)
        return out


class LoopAwareRedirectMiddleware(RedirectMiddleware):
    """Scrapy's redirect middleware, stopping at once when a redirect goes back to a URL of its chain.

    Scrapy only notices a loop when ``REDIRECT_MAX_TIMES`` runs out -- or never, when the
    dupefilter silently drops the repeated URL, so the page would vanish without a record.
    """

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        location = response.headers.get(b"Location") if 300 <= response.status < 400 else None
        if location is not None:
            target = safe_url_string(urljoin(request.url, location.decode("latin-1")))
            chain = [*request.meta.get("redirect_urls", []), request.url]
            if target in chain:
                self.crawler.stats.inc_value("guidecrawl/redirect/loops")
                raise IgnoreRequest(f"redirect loop: {' -> '.join([*chain, target])}")
        return super().process_response(request, response)
