"""The Scrapy item pipeline (``pipeline.StagePipeline``: items -> cleaning pool -> stage records),
the cleaning processes' side (``workers``: the worker functions, the fork server's warm-up) and the
time budget of one article in them (``budget``)."""
