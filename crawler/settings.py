"""Scrapy settings for guidecrawl (``scrapy.cfg`` points here; ``run_crawl`` loads them too).

Polite by default: robots.txt obeyed, AutoThrottle on, a per-domain concurrency limit, retries
with backoff, a User-Agent that says who we are; and every crawl ends (a depth limit, a page
budget per site, crawler-trap detection).  Override per site in a profile's ``[settings]`` table
and per run with ``guidecrawl crawl -s NAME=VALUE`` (which wins); the names they may set are
``crawler.profiles.CRAWL_SETTINGS``.  ``CrawlOptions.settings`` (Python callers) sets any.
"""

from scrapy.settings import default_settings as _scrapy_defaults

BOT_NAME = "guidecrawl"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "guidecrawl/0.1 (+https://github.com/guidecrawl/guidecrawl; guide-article research crawler)"
ROBOTSTXT_OBEY = True

# Politeness.  AutoThrottle adapts the delay to the server's latency; the per-domain limit caps
# what it may reach.  A local bench overrides these (see bench/crawl.py).
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_DELAY = 0.25
DOWNLOAD_DELAY_JITTER = 0.5  # +-50%: a fixed rhythm is easy to spot and to block
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

# Bad responses: counted by the spider, never fatal.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024  # also applies to the decompressed size (gzip bombs)
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
# 404/410 reach the spider and are stored as "gone"; 304 answers our conditional GETs.
HTTPERROR_ALLOWED_CODES = [304, 404, 410]

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 0.5  # seconds before the first retry, doubled for each further one
RETRY_BACKOFF_MAX = 30.0
# A page that still fails after its retries is counted in the run record, not a crawl error.
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"

# Every crawl ends, whatever the site does (see README "Running unattended"):
DEPTH_LIMIT = 100  # links followed from a start URL; Scrapy's DepthMiddleware drops deeper ones
GUIDECRAWL_SITE_PAGE_BUDGET = 50_000  # pages fetched per site and run (0 = no limit)
GUIDECRAWL_TRAP_PAGES = 10  # near-identical pages in a row under one URL template = a trap (0 = off)
GUIDECRAWL_TRAP_DISTANCE = 3  # "near-identical": SimHash bits that may differ (crawler/traps.py)
GUIDECRAWL_RETRY_AFTER_MAX = 120.0  # longest Retry-After honoured, in seconds

DOWNLOADER_MIDDLEWARES = {
    # the page budgets count every page, replayed ones included
    "crawler.middlewares.PageBudgetMiddleware": 45,
    # before robots.txt and everything else: a replayed page needs no network at all
    "crawler.middlewares.ResumeReplayMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.middlewares.ConditionalGetMiddleware": 560,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.LoopAwareRedirectMiddleware": 600,
}

ITEM_PIPELINES = {"pipelines.item.pipeline.StagePipeline": 300}

# Resume is built on our stage (see crawler/state.py), not on JOBDIR; cookies are not needed to
# read public articles and make replays differ from fetches.
# Scrapy starts this many tasks for the output of *every* response; ours yields one item and a
# few dozen requests, and cleaning is bounded by GUIDECRAWL_MAX_IN_FLIGHT anyway.  The default
# (100) costs more CPU than the rest of the spider on link-heavy pages.
CONCURRENT_ITEMS = 8
# Responses whose items wait for the item pipeline (articles waiting for a cleaning slot) stay in
# the scraper until their item is stored; Scrapy stops downloading while their bodies add up to
# more than this.  Its default (5 MB) is ~700 waiting farm pages with their decoded text, tens of
# MB for no gain: when cleaning is the bottleneck a deeper queue does not clean any faster, and
# GUIDECRAWL_MAX_IN_FLIGHT already keeps every cleaning process fed.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1_000_000
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19's remote control, on by default: an HTTP server on 127.0.0.1 that runs Python code
# sent to it (for Scrapy's MCP server), started with every crawl, its token in a job file in the
# user's profile folder.  An unattended crawl has no use for a code-execution port.  This setting
# keeps the server from starting; leaving the extension out of Scrapy's base list spares its
# import too (Scrapy imports every listed component to order them, one set to None in EXTENSIONS
# included: the module pulls in aiohttp, ~0.17 s of the crawler's start-up).
REMOTE_CONTROL_ENABLED = False
EXTENSIONS_BASE = {
    path: order
    for path, order in _scrapy_defaults.EXTENSIONS_BASE.items()
    if path != "scrapy.extensions.remote_control.RemoteControl"
}
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

# guidecrawl's own settings
GUIDECRAWL_STAGE = "data/stage"  # stage folder (crawler/stage.py)
GUIDECRAWL_DB = ""  # DuckDB file with prior page state for incremental crawls ("" = none)
# The function that reads that prior state, ``f(db_path) -> {url: {etag, last_modified,
# content_hash}}`` (an object or its import path): the store's reader.  Named here, as
# ITEM_PIPELINES names the item pipeline, so the crawler never imports the store.
GUIDECRAWL_PRIOR_STATE = "pipelines.store.read_page_state"
GUIDECRAWL_JOB_DIR = ""  # folder of this job's job.json (resume)
GUIDECRAWL_RESUME = False
GUIDECRAWL_RUN_ID = ""  # "" = new, or the job's own when resuming
GUIDECRAWL_WORKER = ""  # stage writer id; "" = crawl-<run id>
GUIDECRAWL_CLEAN_WORKERS = 0  # cleaning processes (niced below the crawler); 0 = one per usable CPU
GUIDECRAWL_CLEAN_BATCH = 4  # articles per cleaning task (fewer hand-offs between processes)
# CPU seconds one article may take in a cleaning process; over it the article is stored with status
# "timeout" and its raw pages kept (0 = no limit).  A backstop: the cleaners are linear in the page
GUIDECRAWL_CLEAN_TIMEOUT = 30.0
GUIDECRAWL_MAX_IN_FLIGHT = 0  # articles handed to the cleaners at once; 0 = batch * (2 * workers + 1)
GUIDECRAWL_MAX_PAGES = 0  # stop scheduling new pages after this many; 0 = no limit
GUIDECRAWL_CONDITIONAL_GET = True
