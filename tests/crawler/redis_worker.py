"""A minimal crawl worker on the Redis frontier, for tests/crawler/test_redis_scale.py.

It is deliberately not guidecrawl's spider: it checks crawler.redis against Scrapy 2.19 and
scrapy-redis on their own (shared start URLs, fetched-once, dead-worker reconcile), with one stage
``page`` record per fetched URL written by the callback itself.

    python -m tests.crawler.redis_worker REDIS_URL STAGE_DIR CRAWL IDLE_TIMEOUT WORKER_TTL START_URL...
"""

from __future__ import annotations

import sys

import scrapy
from scrapy.crawler import CrawlerProcess

from crawler.redis import configure
from crawler.stage import StageWriter


class SiteSpider(scrapy.Spider):
    name = "scale"

    def __init__(self, start_urls: list[str], stage: str, **kw):
        super().__init__(**kw)
        self.start_urls = start_urls
        self.stage = stage
        self.writer: StageWriter | None = None

    async def start(self):
        for u in self.start_urls:  # dont_filter=True, like Scrapy's default start()
            yield scrapy.Request(u, dont_filter=True)

    def parse(self, response):
        if self.writer is None:  # named like guidecrawl's workers: crawler.redis prunes claims by it
            self.writer = StageWriter(self.stage, self.settings["GUIDECRAWL_WORKER"], max_records=50)
        self.writer.write({"type": "page", "url": response.url, "status": response.status})
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href)

    def closed(self, reason):
        if self.writer is not None:
            self.writer.close()


def main() -> None:
    redis_url, stage, crawl, idle, ttl = sys.argv[1:6]
    settings = {
        "ROBOTSTXT_OBEY": False,
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
        "CONCURRENT_REQUESTS": 4,
        "RETRY_ENABLED": False,
        "GUIDECRAWL_REDIS_WORKER_TTL": float(ttl),
    }
    configure(settings, redis_url, idle_timeout=float(idle), crawl=crawl, stage_dir=stage)
    proc = CrawlerProcess(settings)
    proc.crawl(SiteSpider, start_urls=sys.argv[6:], stage=stage)
    proc.start()


if __name__ == "__main__":
    main()
