"""The crawler's own error: a crawl asked for something that cannot be done as given.

Raised for a bad site profile, an unknown or mistyped crawl setting, a start URL that is not
http(s), a Redis URL that is wrong or unreachable.  The message says what is wrong and what to
do; the command line prints it as one line and exits with ``exit_code`` (2 for a usage error, 1
for a request that could not be met), exactly as its own ``pipelines.errors.UserError``.  The
crawler has its own class so that it never imports ``pipelines`` (imports run one way:
``cleaners`` <- ``crawler`` <- ``pipelines``).
"""


class CrawlConfigError(Exception):
    """A crawl's configuration is wrong (profile, setting, start URL, Redis URL ...)."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code
