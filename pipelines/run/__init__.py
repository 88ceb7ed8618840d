"""Running a crawl job: the crawl runner (``crawl``: Scrapy in-process, then the load), where a
job keeps its lock/state/stage (``jobs``), the run lock (``lock``) and the health checks of a run
(``health``)."""
