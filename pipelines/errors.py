"""Errors that are the user's to fix: the CLI prints one line and exits non-zero, no traceback."""

from crawler.errors import CrawlConfigError


class UserError(Exception):
    """A mistake in what the user asked for (bad path, bad SQL, unknown site ...).

    ``exit_code`` is 2 for usage errors (cron convention), 1 for a request that could not be met.
    The message should say what is wrong and what to do next.
    """

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


# Every error that is the user's to fix: ours and the crawler's own (a bad profile, setting, start
# or Redis URL), which the CLI prints the same way, one line and its ``exit_code``.
USER_ERRORS: tuple[type[UserError], type[CrawlConfigError]] = (UserError, CrawlConfigError)


# ENOSPC: the file system is full; EDQUOT: the user's quota is; EFBIG: the file may grow no more
# (a file-size limit such as RLIMIT_FSIZE).  To a crawl they all mean the same: nothing more can be
# written, so stop and say where.
def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (an OSError, or DuckDB's error about one) means the disk is full."""
    import errno

    codes = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", 122)}
    if isinstance(exc, OSError) and exc.errno in codes:
        return True
    text = str(exc).lower()
    return "no space left on device" in text or "file too large" in text or "disk quota exceeded" in text


class DiskFull(UserError):
    """Writing ``path`` failed because the disk (or a file-size limit) is full: exit 1."""

    def __init__(self, path: object):
        super().__init__(f"disk full writing {path}; free space and run --resume", exit_code=1)
        self.path = path
