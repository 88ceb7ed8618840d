"""The demo: the embedded demo sites' local HTTP server (``localsite``, also used by tests and
benches) and ``guidecrawl demo`` (``run``: serve, crawl, load, query)."""
