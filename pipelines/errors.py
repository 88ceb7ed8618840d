"""Errors that are the user's to fix: the CLI prints one line and exits non-zero, no traceback."""


class UserError(Exception):
    """A mistake in what the user asked for (bad path, bad SQL, unknown site ...).

    ``exit_code`` is 2 for usage errors (cron convention), 1 for a request that could not be met.
    The message should say what is wrong and what to do next.
    """

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code
