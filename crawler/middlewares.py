"""Downloader middlewares: replay for resumed runs, conditional GET, retries with backoff.

Each is built in ``from_crawler``, reads its settings there and raises ``NotConfigured`` to switch
itself off; each counts into the crawl stats under ``guidecrawl/...``.
"""

from __future__ import annotations

import logging
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

from crawler.state import CrawlState
from pipelines.stage import unpack_raw

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


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry middleware, plus an exponential pause before each retry.

    Scrapy retries at once; a server answering 503 because it is overloaded gets hit again
    immediately.  Scrapy has no way to schedule a request for later, so the pause is taken here,
    inside the download (the request keeps its concurrency slot while it waits -- which is the
    point: fewer requests reach a struggling server).  ``RETRY_BACKOFF_BASE`` seconds, doubled
    per retry, capped at ``RETRY_BACKOFF_MAX``.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 0.5)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 30.0)

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
        out = RetryMiddleware.process_response(self, request, response)
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
        if 300 <= response.status < 400 and b"Location" in response.headers:
            target = safe_url_string(urljoin(request.url, response.headers["Location"].decode("latin-1")))
            chain = [*request.meta.get("redirect_urls", []), request.url]
            if target in chain:
                self.crawler.stats.inc_value("guidecrawl/redirect/loops")
                raise IgnoreRequest(f"redirect loop: {' -> '.join([*chain, target])}")
        return super().process_response(request, response)
