"""The guide spider: fetch pages of one or more sites, tell listings from articles, follow links.

It only fetches and selects.  Every fetched URL becomes an item carrying the raw bytes (the item
pipeline decodes and cleans them in worker processes): a ``PageItem`` for listings, 404s and bad
responses, an ``ArticleItem`` for an article with all its pages in reading order.

Usage from the repo root::

    scrapy crawl guide -a site=NAME
    scrapy crawl guide -a start_urls=https://a.example/,https://a.example/sitemap.xml
    scrapy crawl guide -a profile_file=data/demo_site/x/site.toml -a base=http://127.0.0.1:8000

Size: over 500 lines because it is one Scrapy spider: its callbacks (``parse``,
``parse_part``, ``parse_sitemap``, ``parse_robots``, ``on_error``) share the crawl's state on the
spider (rules per site, URLs seen, claimed article parts, trap chains), and a split by callback
would pass that state around instead.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import scrapy
from lxml import etree
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip
from scrapy.utils.response import get_base_url
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from twisted.python.failure import Failure

from cleaners import compiled
from crawler.errors import CrawlConfigError
from crawler.items import ArticleItem, Fetched, PageItem
from crawler.middlewares import PageBudgetReached
from crawler.profiles import Rules, generic_profile, load_profile, normalize_profiles, profile_from_file
from crawler.state import CrawlState, utcnow
from crawler.traps import distance, simhash, url_template

HTML_TYPES = ("text/html", "application/xhtml+xml")
NEXT_TEXT = re.compile(r"^\s*(?:下一页|下页|next\s*page|next|›|»|>)\s*$", re.I)
PAGE_TEXT = re.compile(r"^\s*(?:第\s*)?(\d{1,3})\s*(?:页)?\s*$")
MAX_PARTS = 50  # a "next page" chain longer than this is a trap, not an article
# Request priorities: a capped crawl (--max-pages, the site's page budget) must reach articles, so
# the scheduler hands out article links before further listing pages (a listing only leads to
# articles, an article *is* one).  Later pages of an article jump ahead of both: the article's
# earlier pages wait in memory until its last one arrives.
PRIORITY = {"robots": 100, "article_part": 10, "article": 5, "sitemap": 2, "start": 1, "listing": 0}
# Visible text only: what a <script>, <style>, <noscript> or <template> holds is not read.  Link
# text must leave out the same, or it can exceed the page's text (a link holding a <noscript>
# image fallback or a <template>): real article pages were then taken for lists of links.
_VISIBLE = "[not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)]"
X_BODY_TEXT = etree.XPath("//body//text()" + _VISIBLE, smart_strings=False)
X_LINK_TEXT = etree.XPath("//body//a//text()" + _VISIBLE, smart_strings=False)
X_N_LINKS = etree.XPath("count(//body//a)")
# The same sums as above, cheaper: all text, less the text under a hidden element.  The ancestor
# test of ``_VISIBLE`` runs on every text node of the page, four ancestor walks each; here
# the hidden text is found from the few hidden elements down, by tag name (a union of node sets
# counts a text node once).  Same numbers on the 735 real pages of ../shared and on hostile
# nestings (tests/crawler/test_density.py); about 0.6x the time.
_HIDDEN = ("script", "style", "noscript", "template")
X_ALL_TEXT = etree.XPath("//body//text()", smart_strings=False)
X_HIDDEN_TEXT = etree.XPath(" | ".join(f"//body//{h}//text()" for h in _HIDDEN), smart_strings=False)
X_ALL_LINK_TEXT = etree.XPath("//body//a//text()", smart_strings=False)
# link text that is hidden: a hidden element inside the link, or the link inside a hidden element
X_HIDDEN_LINK_TEXT = etree.XPath(
    " | ".join(f"//body//a//{h}//text() | //body//{h}//a//text()" for h in _HIDDEN), smart_strings=False
)


def _xpath_density(root: Any) -> tuple[int, int, int, int]:
    """(visible body text, visible link text, hidden link text, links) from the XPaths above:
    the reference, and the fallback when the compiled walk is not there."""
    hidden_link = _stripped_len(X_HIDDEN_LINK_TEXT(root))
    return (
        _stripped_len(X_ALL_TEXT(root)) - _stripped_len(X_HIDDEN_TEXT(root)),
        _stripped_len(X_ALL_LINK_TEXT(root)) - hidden_link,
        hidden_link,
        int(X_N_LINKS(root)),
    )


# The same figures in one compiled walk of libxml2's tree (cleaners/_fastwalk.pyx,
# ``density_counts``): the XPaths build every text node as a Python string to measure it (~0.7 ms
# a real page, the crawler's biggest cost over a bare spider).  Used when built against the
# running lxml and GUIDECRAWL_PURE_PYTHON is unset; same numbers (tests/crawler/test_density.py).
_fastwalk = compiled.load("_fastwalk")
_density_counts = _fastwalk.density_counts if _fastwalk is not None else _xpath_density

BLOCK_TAGS = ("p", "div", "td", "article", "section")
INLINE_TAGS = {"span", "strong", "b", "em", "i", "font", "u", "br", "sup", "sub", "small", "big"}
SKIP_HREF = ("#", "javascript:", "mailto:", "tel:", "data:")
CHARSET_RE = re.compile(rb"charset\s*=\s*[\"']?([\w.:-]+)", re.I)


def _split_urls(value: str | Iterable[str] | None) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [u for u in re.split(r"[\s,]+", value) if u]
    return [u for u in value if u]


# Query parameters that only say where a visitor came from: content farms append them to the
# same article in feeds and share links (``?from=rss``, ``?spm=...``).  ``from`` is kept when it is
# a number, because some listings use it as an offset.
TRACKING_PARAMS = re.compile(r"^(?:utm_\w+|spm|from|fromuid|source|share_token|wfr|bd_source_light)$", re.I)


def canonical(url: str) -> str:
    """The URL without its fragment (``#comments`` is the same page) and tracking parameters."""
    if "#" not in url and "?" not in url and url.count("/") >= 3:
        return url  # the common case, without the cost of urlsplit/urlunsplit
    parts = urlsplit(url)
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [
            (k, v) for k, v in pairs if not (TRACKING_PARAMS.match(k) and not (k == "from" and v.isdigit()))
        ]
        if len(kept) != len(pairs):
            query = urlencode(kept)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))


PART_SUFFIX = re.compile(r"_\d+(\.s?html?)$")


def article_stem(url: str) -> str:
    """The URL of a multi-page article's first page: ``x_3.html`` → ``x.html``, ``?page=3`` dropped."""
    if "?" not in url:
        return PART_SUFFIX.sub(r"\1", url)
    parts = urlsplit(url)
    path = PART_SUFFIX.sub(r"\1", parts.path)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"])
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def absolute(base: str, origin: str, href: str) -> str:
    """``urljoin(base, href)`` with fast paths for the forms hrefs nearly always take."""
    if href.startswith(("http://", "https://")):
        return href
    if href.startswith("//"):
        return origin.split(":", 1)[0] + ":" + href
    if href.startswith("/"):
        return origin + href
    return urljoin(base, href)


def _stripped_len(texts: list[str]) -> int:
    """Characters of the texts without their leading and trailing whitespace (in C: ``map``)."""
    return sum(map(len, map(str.strip, texts)))


def _header(response: Response, name: str) -> str:
    v = response.headers.get(name)
    return v.decode("latin-1") if v else ""


def header_charset(content_type: str) -> str | None:
    m = CHARSET_RE.search(content_type.encode("latin-1", "replace"))
    return m.group(1).decode("ascii").lower() if m else None


class GuideSpider(scrapy.Spider):
    name = "guide"

    def __init__(
        self,
        start_urls: str | list[str] | None = None,
        site: str | None = None,
        profile_file: str | None = None,
        base: str | None = None,
        profiles: list[dict] | Mapping[str, dict] | None = None,
        max_pages: int | str | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        urls = _split_urls(start_urls)
        if profiles:
            profs = normalize_profiles(profiles)
        elif site:
            profs = [load_profile(site)]
        elif profile_file:
            profs = [profile_from_file(profile_file, base)]
        elif urls:
            profs = [generic_profile(urls)]
        else:
            raise CrawlConfigError("nothing to crawl: give -a start_urls=URL,... or -a site=NAME")
        self.profiles = profs
        self.rules = {p["name"]: Rules(p) for p in profs}
        self.explicit_start = urls
        self.max_pages = int(max_pages or 0)
        self._seen: set[str] = set()  # canonical URLs requested (the dupefilter drops repeats too)
        self.trap_pages = 0  # GUIDECRAWL_TRAP_PAGES, set in from_crawler (0: no trap detection)
        self.trap_distance = 3
        self._traps: set[str] = set()  # URL templates found to be traps (logged once each)
        self._claimed_parts: set[str] = set()  # later pages of multi-page articles
        self.robots_by_middleware = False  # set from ROBOTSTXT_OBEY in from_crawler
        self._owner_cache: dict[tuple[str, str | None], str | None] = {}
        self.download_maxsize = 0  # DOWNLOAD_MAXSIZE, set in from_crawler
        # The crawl's one state (crawler/state.py), built in from_crawler.  Not ``state``: Scrapy's
        # SpiderState extension owns that name and replaces it when JOBDIR is set.
        self.crawl_state: CrawlState | None = None

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.crawl_state = CrawlState.from_settings(crawler.settings)
        spider.robots_by_middleware = crawler.settings.getbool("ROBOTSTXT_OBEY")
        if spider.robots_by_middleware:
            # Scrapy's robots middleware fetches robots.txt anyway; read its Sitemap: lines from
            # the parsed file instead of fetching it a second time.
            crawler.signals.connect(spider.robots_parsed, signal=signals.robots_parsed)
        if not spider.max_pages:
            spider.max_pages = crawler.settings.getint("GUIDECRAWL_MAX_PAGES")
        spider.download_maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        if spider.download_maxsize:
            crawler.signals.connect(spider.count_body_bytes, signal=signals.bytes_received)
        spider.trap_pages = crawler.settings.getint("GUIDECRAWL_TRAP_PAGES")
        spider.trap_distance = crawler.settings.getint("GUIDECRAWL_TRAP_DISTANCE", 3)
        return spider

    def count_body_bytes(self, data: bytes, request: scrapy.Request, spider: Any) -> None:
        """Count a response's body bytes, so a chunked body cut at ``DOWNLOAD_MAXSIZE`` is known.

        Scrapy cancels such a download (no Content-Length to refuse up front) with an empty
        ``DownloadCancelledError``; without the count the page would be recorded under that
        name instead of ``too_large``.
        """
        n = request.meta.get("guidecrawl_body_bytes", 0) + len(data)
        request.meta["guidecrawl_body_bytes"] = n
        if n > request.meta.get("download_maxsize", self.download_maxsize):
            request.meta["guidecrawl_too_large"] = True

    # ------------------------------------------------------------------ site of a URL
    def site_of(self, url: str, hint: str | None = None) -> str | None:
        """The name of the profile a URL belongs to (None: off the crawl's sites)."""
        key = (url[: url.find("/", url.find("//") + 2)] if url.count("/") >= 3 else url, hint)
        if key in self._owner_cache:  # ownership depends on the scheme, host and port only
            return self._owner_cache[key]
        best, score = None, 0
        for name, rules in self.rules.items():
            s = rules.owns(url)
            if s > score or (s == score and s and name == hint):
                best, score = name, s
        self._owner_cache[key] = best
        return best

    # ------------------------------------------------------------------ start
    async def start(self) -> AsyncIterator[Any]:
        for req in self.start_requests_list():
            yield req

    def start_requests_list(self) -> list[scrapy.Request]:
        out: list[scrapy.Request] = []
        origins: dict[str, str] = {}
        urls: list[tuple[str, str]] = []
        if self.explicit_start:
            for u in self.explicit_start:
                site = self.site_of(u)
                if site is None:  # a start URL is on the crawl's sites by definition
                    site = self.profiles[0]["name"]
                urls.append((u, site))
        else:
            for p in self.profiles:
                urls.extend((u, p["name"]) for u in p["start_urls"])
        if not urls:
            raise CrawlConfigError("no start URLs: the site profile has no start_urls and none were given")
        for u, site in urls:
            parts = urlsplit(u)
            origins.setdefault(f"{parts.scheme}://{parts.netloc}", site)
        # robots.txt ``Sitemap:`` lines lead to article lists the pages may not link to.  With
        # ROBOTSTXT_OBEY the middleware's copy is used (see robots_parsed).
        for origin, site in ({} if self.robots_by_middleware else origins).items():
            out.append(
                scrapy.Request(
                    origin + "/robots.txt",
                    callback=self.parse_robots,
                    errback=self.ignore_failure,
                    meta={"guidecrawl_site": site, "guidecrawl_kind": "robots", "dont_retry": True},
                    priority=100,
                    dont_filter=True,
                )
            )
        for u, site in urls:
            req = self.follow_url(u, site, kind="sitemap" if self._is_sitemap(u) else "start", force=True)
            if req is not None:
                out.append(req)
        return out

    @staticmethod
    def _is_sitemap(url: str) -> bool:
        path = urlsplit(url).path.lower()
        return path.endswith((".xml", ".xml.gz")) or "sitemap" in path

    def follow_url(
        self,
        url: str,
        site: str,
        kind: str,
        *,
        force: bool = False,
    ) -> scrapy.Request | None:
        """A request for ``url`` unless it was requested already.

        ``force`` (start URLs, robots.txt sitemaps): outside the page budgets of
        ``PageBudgetMiddleware``, which count pages as they are fetched -- not here, where links
        are found: the budget must go to the articles the scheduler hands out first.
        """
        url = canonical(url)
        if url in self._seen:
            return None
        self._seen.add(url)
        if kind == "sitemap":
            callback = self.parse_sitemap
        else:
            callback = self.parse
        meta: dict[str, Any] = {
            "guidecrawl_site": site,
            "guidecrawl_kind": kind,
            "guidecrawl_budget": not force,
        }
        if force:
            meta["guidecrawl_start"] = True
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_error,
            meta=meta,
            priority=PRIORITY.get(kind, 0),
        )

    # ------------------------------------------------------------------ fetched pages
    def fetched(self, response: Response) -> Fetched:
        req = response.request
        first = (req.meta.get("redirect_urls") or [req.url])[0] if req is not None else response.url
        ctype = _header(response, "Content-Type")
        return Fetched(
            url=canonical(first),
            final_url=response.url,
            status=response.status,
            fetched_at=utcnow(),
            content_type=ctype,
            header_charset=header_charset(ctype),
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            body=response.body,
            replayed="replayed" in response.flags,
        )

    def _bad_response(self, response: Response, site: str) -> PageItem | None:
        """A PageItem for a response that is not an HTML page to read, else None."""
        status = response.status
        if status in (404, 410):
            return PageItem(site, self.fetched(response), "gone", f"http_{status}")
        if status == 304:
            return PageItem(site, self.fetched(response), "unchanged", "not_modified")
        if status != 200:
            return PageItem(site, self.fetched(response), "dropped", f"http_{status}")
        if "dataloss" in response.flags:
            return PageItem(site, self.fetched(response), "dropped", "truncated")
        ctype = _header(response, "Content-Type").split(";")[0].strip().lower()
        if (ctype and ctype not in HTML_TYPES) or (not ctype and not isinstance(response, HtmlResponse)):
            return PageItem(site, self.fetched(response), "dropped", "non_html")
        if not isinstance(response, TextResponse):  # an HTML type Scrapy did not decode: no text to read
            return PageItem(site, self.fetched(response), "dropped", "non_html")
        return None

    @staticmethod
    def readable(response: Response) -> TextResponse:
        """The response, re-decoded as GB18030 when its declared charset produced garbage.

        Only for finding link texts like 下一页 here; the cleaners decode the bytes properly.
        Called only on what ``_bad_response`` let through, which is always a ``TextResponse``.
        """
        if not isinstance(response, TextResponse):
            raise TypeError(f"not a text response: {response.url} (_bad_response drops these)")
        text = response.text
        if text.count("\ufffd") > 3 and response.encoding.lower() not in ("gb18030", "gbk", "gb2312"):
            try:
                response.body.decode("gb18030")
            except UnicodeDecodeError:
                return response
            return response.replace(encoding="gb18030")
        return response

    @staticmethod
    def release(response: Response) -> None:
        """Drop the parsed tree of ``response`` now that its links and kind are known.

        A ``TextResponse`` caches its ``Selector`` and the selector points back at the response:
        a reference cycle that only Python's cyclic GC frees, and it rarely runs a full
        collection in a process with as many long-lived objects as a crawler.  Meanwhile the
        item waits in the pipeline for a cleaning slot with the callback suspended, so every
        waiting page kept its whole lxml tree (measured: ~1,000 trees, ~100 MB, on the 5,000-page
        bench).  Only ``Fetched`` (the raw bytes) has to outlive the parse.
        """
        if isinstance(response, TextResponse) and response._cached_selector is not None:
            response._cached_selector = None

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        site = response.meta.get("guidecrawl_site") or self.site_of(response.url) or self.profiles[0]["name"]
        bad = self._bad_response(response, site)
        if bad is not None:
            if bad.reason == "not_modified":
                bad.page.body = b""
            yield bad
            return
        response = self.readable(response)
        rules = self.rules[site]
        if response.meta.get("guidecrawl_start") and response.meta.get("redirect_urls"):
            self.own_origin(site, response.url)  # a start URL moved (http -> https, www.)
        page = self.fetched(response)
        try:
            anchors = self.anchors(response)
            links = self.links(response, site, anchors)
            article = self.is_article(response, rules)
            nxt = self.next_part(response, rules, [page.url], anchors) if article else None
            trap = self.trap_chain(response, links)
        finally:
            anchors = []  # its lxml elements would keep the tree alive
            self.release(response)
        if article:
            parts = [page]
            if nxt:
                self._claimed_parts.add(nxt)
                yield self.part_request(nxt, site, parts)
                yield from self.follow_links(links, site, rules, trap)
            else:
                # Links first, the page's item last: a page in the stage then always has its links
                # in the frontier (a worker killed in between loses nothing; see crawler/redis.py).
                yield from self.follow_links(links, site, rules, trap)
                yield ArticleItem(site, parts)
        else:
            yield from self.follow_links(links, site, rules, trap)
            yield PageItem(site, page, "listing")

    def own_origin(self, site: str, url: str) -> None:
        self.rules[site].add_origin(url)
        self._owner_cache.clear()

    def trap_chain(self, response: TextResponse, links: list[tuple[str, str]]) -> tuple[str, int, int] | None:
        """``(URL template, near-identical pages in a row, text fingerprint)`` of this page, or
        None when trap detection is off or no link of the page shares its URL template (then no
        chain goes on from here, and the fingerprint -- ~1 ms on a heavy page -- is not needed)."""
        if not self.trap_pages:
            return None
        template = url_template(response.url)
        if not any(url_template(u) == template for u, _ in links):
            return None
        root = response.selector.root
        sig = simhash(X_BODY_TEXT(root) if hasattr(root, "xpath") else [])
        chain = 1
        prev = response.meta.get("guidecrawl_trap")
        if prev and prev[0] == template and distance(prev[2], sig) <= self.trap_distance:
            chain = prev[1] + 1
        return template, chain, sig

    def parse_part(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        site = response.meta["guidecrawl_site"]
        parts: list[Fetched] = response.meta["guidecrawl_parts"]
        bad = self._bad_response(response, site)
        if bad is not None:
            yield bad
            yield ArticleItem(site, parts, reason=f"incomplete: page {len(parts) + 1} {bad.reason}")
            return
        response = self.readable(response)
        rules = self.rules[site]
        part = self.fetched(response)
        parts = [*parts, part]
        try:
            anchors = self.anchors(response)
            nxt = self.next_part(response, rules, [p.url for p in parts], anchors)
            links = self.links(response, site, anchors)
        finally:
            anchors = []
            self.release(response)
        if nxt and len(parts) < MAX_PARTS:
            self._claimed_parts.add(nxt)
            yield self.part_request(nxt, site, parts)
            yield from self.follow_links(links, site, rules)
        else:
            yield from self.follow_links(links, site, rules)
            yield ArticleItem(site, parts)

    def part_request(self, url: str, site: str, parts: list[Fetched]) -> scrapy.Request:
        self._seen.add(url)
        # Parts jump the queue: an article's earlier pages are held in memory until the last one.
        return scrapy.Request(
            url,
            callback=self.parse_part,
            errback=self.on_error,
            meta={"guidecrawl_site": site, "guidecrawl_kind": "article_part", "guidecrawl_parts": parts},
            priority=10,
        )

    # ------------------------------------------------------------------ article or listing
    def is_article(self, response: TextResponse, rules: Rules) -> bool:
        url = response.url
        if not rules.generic:
            return rules.is_article(url)
        by_url = rules.is_article(url)
        listing_url = rules.is_listing(url)
        if by_url and not listing_url and self.text_outside_links_at_least(response, 150):
            return True  # the test below, answered by its cheaper half (most article pages)
        text, link_text, n_links = self.density(response)
        link_density = link_text / max(1, text)
        if listing_url:
            # list_2.html, /tag/, ?page=3: a listing unless it holds one long text block.  Checked
            # first: "/consult/list_1.html" matches an article pattern too.
            return link_density < 0.25 and self.longest_block(response) >= 300
        if by_url:
            # An article URL holds an article unless the page is nothing but links.
            return not (text - link_text < 150 and n_links > 20)
        return text - link_text >= 300 and link_density < 0.4

    @staticmethod
    def density(response: TextResponse) -> tuple[int, int, int]:
        """(visible text length, text length inside links, number of links) of the body.

        One compiled walk (``_density_counts``), or compiled XPath (C) over text nodes: walking
        every element from Python costs more than the rest of the spider on a farm page.
        """
        root = response.selector.root
        if not hasattr(root, "xpath"):
            return 0, 0, 0
        text, link_text, _, n_links = _density_counts(root)
        return text, link_text, n_links

    @staticmethod
    def text_outside_links_at_least(response: TextResponse, n: int) -> bool:
        """Whether the body's visible text outside links (``text - link_text`` of ``density``)
        is at least ``n`` characters, from three of ``density``'s five XPaths.

        All text less hidden text less *all* link text is never more than ``text - link_text``
        (that subtracts only the visible link text), so when it reaches ``n`` the answer is yes
        without the hidden-link-text union and the link count, ~40% of ``density``'s time; on
        nearly every article page it does.  Else ``density`` decides.
        """
        root = response.selector.root
        if not hasattr(root, "xpath"):
            return n <= 0
        if _density_counts is not _xpath_density:  # the compiled walk has them all at once
            text, link_text, hidden_link, _ = _density_counts(root)
            return text - link_text - hidden_link >= n
        lower = _stripped_len(X_ALL_TEXT(root)) - _stripped_len(X_HIDDEN_TEXT(root))
        return lower - _stripped_len(X_ALL_LINK_TEXT(root)) >= n

    @staticmethod
    def longest_block(response: TextResponse) -> int:
        """The longest text a ``<p>``/``<div>``/``<td>`` holds itself (inline children included,
        nested blocks and links not): a wrapper ``<div>`` around a listing is not a paragraph."""
        root = response.selector.root
        body = root.find(".//body") if hasattr(root, "find") else None
        if body is None:
            return 0
        longest = 0
        for block in body.iter(*BLOCK_TAGS):
            n = len((block.text or "").strip())
            for child in block:
                if isinstance(child.tag, str) and child.tag in INLINE_TAGS:
                    n += len(child.text_content().strip())
                n += len((child.tail or "").strip())
            longest = max(longest, n)
        return longest

    @staticmethod
    def anchors(response: TextResponse) -> list[tuple[str, Any]]:
        """``(absolute canonical URL, element)`` of every ``<a href>``/``<area href>`` (lxml, once).

        Read straight from the lxml tree: parsel selectors per link cost more than the rest of the
        spider together on a link-heavy farm page.
        """
        base = get_base_url(response)
        parts = urlsplit(base)
        origin = f"{parts.scheme}://{parts.netloc}"
        out = []
        for el in response.selector.root.iter("a", "area"):
            href = el.get("href")
            if not href:
                continue
            href = href.strip()
            if not href or href.startswith(SKIP_HREF):
                continue
            url = canonical(absolute(base, origin, href))
            if url.startswith(("http://", "https://")):
                out.append((url, el))
        return out

    def next_part(
        self,
        response: TextResponse,
        rules: Rules,
        have: list[str],
        anchors: list[tuple[str, Any]] | None = None,
    ) -> str | None:
        """The URL of the article's next page, or None: by link text (下一页, 第N页) or URL shape."""
        stem = article_stem(have[0])
        current = len(have)
        by_number: dict[int, str] = {}
        next_by_text = None
        for url, el in self.anchors(response) if anchors is None else anchors:
            if url in have:
                continue
            same = article_stem(url) == stem
            n = rules.part_number(url)
            if not same and not n:
                continue  # neither this article's page nor a page URL: the text does not matter
            text = el.text_content().strip()
            if NEXT_TEXT.match(text):
                next_by_text = next_by_text or url
            if same and n:
                by_number.setdefault(n, url)
            m = PAGE_TEXT.match(text)
            if same and m and not n:
                by_number.setdefault(int(m.group(1)), url)
        if current + 1 in by_number:
            return by_number[current + 1]
        if next_by_text and article_stem(next_by_text) == stem:
            return next_by_text
        return None

    # ------------------------------------------------------------------ links
    def links(
        self, response: TextResponse, site: str, anchors: list[tuple[str, Any]] | None = None
    ) -> list[tuple[str, str]]:
        """``(URL, site)`` of the page's links that lead to one of the crawl's sites."""
        out = []
        for url, _ in self.anchors(response) if anchors is None else anchors:
            owner = self.site_of(url, hint=site)
            if owner is not None:
                out.append((url, owner))
        return out

    def follow_links(
        self,
        links: list[tuple[str, str]],
        site: str,
        rules: Rules,
        trap: tuple[str, int, int] | None = None,
    ) -> Iterator[scrapy.Request]:
        reqs: list[scrapy.Request] = []
        for url, owner in links:
            if url in self._seen or url in self._claimed_parts:
                continue
            r = self.rules[owner]
            if r.denied(url):
                continue
            art, lst = r.is_article(url), r.is_listing(url)
            n = r.part_number(url)
            if n and n > 1 and not lst and r.is_article(article_stem(url)):
                continue  # a later page of an article: fetched in order from its first page
            # Generic patterns overlap (/consult/list_2.html is both): a listing wins, so it is
            # never asked conditionally (a 304 would hide the new articles it links to).
            if art and not (r.generic and lst):
                kind = "article"
            elif lst or r.generic:
                kind = "listing"
            else:
                continue
            req = self.follow_url(url, owner, kind)
            if req is not None:
                reqs.append(req)
        if trap is not None and reqs:
            reqs = self._trap_filter(reqs, trap)
        yield from reqs

    def _trap_filter(self, reqs: list[scrapy.Request], trap: tuple[str, int, int]) -> list[scrapy.Request]:
        """Pass the page's trap chain on to its links of the same URL template, or drop those
        links when the chain is long enough (see crawler/traps.py).  A page that also led to new
        pages elsewhere is productive, whatever it looks like: its chain starts again at 1."""
        template, chain, sig = trap
        same = [r for r in reqs if url_template(r.url) == template]
        if not same:
            return reqs
        if len(same) < len(reqs):
            chain = 1
        if chain >= self.trap_pages:
            self._trap_hit(trap, same[0].url, len(same))
            return [r for r in reqs if url_template(r.url) != template]
        for r in same:
            r.meta["guidecrawl_trap"] = (template, chain, sig)
        return reqs

    def _trap_hit(self, trap: tuple[str, int, int], url: str, n: int = 1) -> None:
        self.crawler.stats.inc_value("guidecrawl/skipped/trap", n)
        if trap[0] not in self._traps:
            self._traps.add(trap[0])
            self.logger.warning(
                "crawler trap: %d near-identical pages in a row under %s; not following %s or "
                "further links like it (GUIDECRAWL_TRAP_PAGES=%d)",
                trap[1],
                trap[0],
                url,
                self.trap_pages,
            )

    # ------------------------------------------------------------------ sitemaps, robots
    def parse_sitemap(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        site = response.meta["guidecrawl_site"]
        if response.status != 200:
            bad = self._bad_response(response, site)
            if bad is not None:
                yield bad
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body, max_size=self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            except (OSError, ValueError):
                yield PageItem(site, self.fetched(response), "dropped", "bad_sitemap")
                return
        try:
            sm = Sitemap(body)
        except Exception:  # lxml raises several types on garbage; a bad sitemap is a drop
            sm = None
        if sm is None or sm.type not in ("urlset", "sitemapindex"):
            # Not a sitemap after all: a start URL with "sitemap" in it may be an HTML page.
            if isinstance(response, HtmlResponse):
                yield from self.parse(response)
            else:
                yield PageItem(site, self.fetched(response), "dropped", "bad_sitemap")
            return
        rules = self.rules[site]
        for entry in sm:
            loc = entry.get("loc")
            if not loc:
                continue
            loc = urljoin(response.url, loc.strip())
            owner = self.site_of(loc, hint=site)
            if owner is None or self.rules[owner].denied(loc):
                continue
            if sm.type == "sitemapindex":
                req = self.follow_url(loc, owner, "sitemap")
                if req is not None:
                    yield req
            else:
                yield from self.follow_links([(canonical(loc), owner)], site, rules)
        yield PageItem(site, self.fetched(response), "listing", "sitemap")

    def parse_robots(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        if response.status != 200:
            return
        site = response.meta["guidecrawl_site"]
        for url in sitemap_urls_from_robots(
            response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace"),
            base_url=response.url,
        ):
            owner = self.site_of(url, hint=site)
            if owner is not None:
                req = self.follow_url(url, owner, "sitemap", force=True)
                if req is not None:
                    yield req

    def robots_parsed(self, robotparser: Any, request: scrapy.Request) -> None:
        """Follow the ``Sitemap:`` lines of a robots.txt that Scrapy's middleware parsed."""
        # Protego (Scrapy's default robots parser) keeps them; other parsers do not expose them.
        sitemaps = getattr(getattr(robotparser, "rp", None), "sitemaps", None) or []
        site = request.meta.get("guidecrawl_site")
        for url in sitemaps:
            url = urljoin(request.url, url)  # the standard wants absolute URLs; some sites differ
            owner = self.site_of(url, hint=site)
            if owner is None:
                continue
            req = self.follow_url(url, owner, "sitemap", force=True)
            if req is not None:
                self.crawler.engine.crawl(req)

    def ignore_failure(self, failure: Failure) -> None:
        self.crawler.stats.inc_value("guidecrawl/robots_txt/failed")

    # ------------------------------------------------------------------ failures
    def on_error(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        if isinstance(failure.value, PageBudgetReached):
            return  # never fetched: counted by the middleware, no page record
        site = request.meta.get("guidecrawl_site") or self.profiles[0]["name"]
        outcome, reason = self.classify_failure(failure)
        if reason == "robots_disallowed":
            self.crawler.stats.inc_value("guidecrawl/skipped/robots_disallowed")
            parts = request.meta.get("guidecrawl_parts")
            if parts:
                yield ArticleItem(site, parts, reason="incomplete: next page disallowed by robots.txt")
            return
        if isinstance(failure.value, HttpError):
            page = self.fetched(failure.value.response)
        else:
            first = (request.meta.get("redirect_urls") or [request.url])[0]
            page = Fetched(url=canonical(first), final_url=request.url, status=0, fetched_at=utcnow())
        yield PageItem(site, page, outcome, reason)
        parts = request.meta.get("guidecrawl_parts")
        if parts:
            yield ArticleItem(site, parts, reason=f"incomplete: page {len(parts) + 1} {reason}")

    @staticmethod
    def classify_failure(failure: Failure) -> tuple[str, str]:
        """(outcome, reason) for a request that produced no usable response."""
        exc = failure.value
        name = type(exc).__name__
        msg = str(exc)
        request = getattr(failure, "request", None)
        if request is not None and request.meta.get("guidecrawl_too_large"):
            return "dropped", "too_large"  # a chunked body past DOWNLOAD_MAXSIZE (count_body_bytes)
        if isinstance(exc, HttpError):
            status = exc.response.status
            return ("error" if status >= 500 or status in (408, 429) else "dropped"), f"http_{status}"
        if isinstance(exc, IgnoreRequest):
            low = msg.lower()
            if "robots.txt" in low:
                return "dropped", "robots_disallowed"
            if "redirect" in low:
                return "dropped", "redirect_loop"
            if "download_maxsize" in low or "maxsize" in low or "size" in low:
                return "dropped", "decompressed_too_large"
            return "dropped", "ignored"
        if "DataLoss" in repr(exc) or "PotentialDataLoss" in repr(exc):
            return "dropped", "truncated"
        if "maxsize" in msg.lower() or "DOWNLOAD_MAXSIZE" in msg or "larger than" in msg.lower():
            return "dropped", "too_large"
        if "Timeout" in name or "timed out" in msg.lower() or "took longer than" in msg.lower():
            return "error", "timeout"
        if "DNS" in name:
            return "error", "dns"
        if "ConnectionRefused" in name:
            return "error", "connection_refused"
        if "ConnectionLost" in name or "ConnectionDone" in name:
            return "error", "connection"
        if name == "ResponseNeverReceived" or name == "ResponseFailed":
            return "error", "connection"
        return "error", name.lower() or "unknown"
