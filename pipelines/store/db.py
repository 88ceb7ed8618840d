"""Connections to the DuckDB file: the single writer's, read-only ones for analysts (sandboxed),
both retrying while someone else holds the file; transactions; SQL helpers.

DuckDB lets one process open a file read-write and then refuses every other process, read-only
ones included.  So nothing holds the file for long: the loader opens it for one batch of stage
files, and ``connect_readonly`` retries with backoff while a load holds it (and the other way
round), so an analyst waits at most one batch.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from pipelines.errors import UserError
from pipelines.store.schema import ensure_schema, sql_str


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """``BEGIN`` ... ``COMMIT``; ``ROLLBACK`` and re-raise on any exception (KeyboardInterrupt too)."""
    con.execute("BEGIN")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


SANDBOX_HINT = (
    "SQL here reads only the corpus database (no other files, no network, no extensions, no SET); "
    "pass --allow-files to join your own files (see README, 'SQL access')"
)


def sql_error(e: Exception) -> UserError:
    """DuckDB's message about a user's SQL, on one line (exit 1); a sandbox refusal says why."""
    msg = " ".join(str(e).split())
    if isinstance(e, duckdb.PermissionException) or "configuration has been locked" in msg:
        cut = msg.find(" LINE 1:")
        return UserError(f"refused: {msg[:cut] if cut > 0 else msg}. {SANDBOX_HINT}", exit_code=1)
    return UserError(f"SQL error: {msg}", exit_code=1)


def parse_since(since: str) -> str:
    """``--since`` as an ISO date (a day in China time, the connections' zone)."""
    import datetime as dt

    try:
        return dt.date.fromisoformat(since).isoformat()
    except ValueError:
        raise UserError(f"--since wants a date like 2025-03-01, got {since!r}") from None


def _is_lock_error(e: Exception) -> bool:
    msg = str(e)
    return isinstance(e, duckdb.IOException) and ("lock" in msg.lower() or "Conflicting" in msg)


def _holder(e: Exception) -> str:
    """'PID 123' from DuckDB's lock message, for a message a person can act on."""
    msg = str(e)
    i = msg.find("(PID ")
    return msg[i + 1 : msg.find(")", i)] if i >= 0 else "another process"


ROW_GROUP_SIZE = 2048


def _open_writer(db_path: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection whose appends go into row groups of ``ROW_GROUP_SIZE`` rows.

    Every load batch closes its connection, and closing checkpoints: DuckDB rewrites the table's
    last, partly filled row group together with the rows appended to it.  With the default
    122,880-row groups that rewrote up to ~120k articles (bodies included) at every batch, and
    checkpoints took 70% of a 100k-article load (41 s); with 2,048-row groups a batch fills whole
    row groups, which DuckDB writes once, and the same load took 18-23 s.  Queries on 100k
    articles stay under 20 ms.  The size is a per-attach option (not stored in the file), so
    every writer attaches the file this way; readers need nothing special.
    """
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {sql_str(str(db_path))} AS gc (ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
        con.execute("USE gc")
    except BaseException:
        con.close()
        raise
    return con


# Extensions are never fetched or loaded behind the analyst's back (``INSTALL httpfs`` would reach
# for the network); the extensions the store uses (json, parquet) are built into the wheel.
_NO_EXTENSION_AUTOLOAD: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


def _connect(
    db_path: Path,
    *,
    read_only: bool,
    wait: float,
    on_wait: Callable[[str], None] | None,
    sandbox: bool = False,
) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + max(wait, 0.0)
    delay = 0.05
    told = False
    while True:
        try:
            con = (
                duckdb.connect(str(db_path), read_only=True, config=_NO_EXTENSION_AUTOLOAD if sandbox else {})
                if read_only
                else _open_writer(db_path)
            )
        except duckdb.Error as e:
            if not _is_lock_error(e):
                raise UserError(f"cannot open database {db_path}: {e}", exit_code=1) from None
            now = time.monotonic()
            if now >= deadline:
                what = "read" if read_only else "write to"
                raise UserError(
                    f"database {db_path} is busy (held by {_holder(e)}); gave up after {wait:g} s; "
                    f"try again when the load/analysis ends, or wait longer (--wait) to {what} it",
                    exit_code=1,
                ) from None
            if not told and on_wait is not None:
                on_wait(f"database {db_path} is busy (held by {_holder(e)}); waiting up to {wait:g} s ...")
                told = True
            # Backoff with a cap: a loader's batch takes about a second, so polling faster than
            # every half second only burns CPU, slower makes analysts wait for nothing.
            time.sleep(min(delay, deadline - now))
            delay = min(delay * 2, 0.5)
            continue
        # The corpus is Chinese: a time without a zone means China time (the cleaners' contract)
        # and analysts read dates in China time.  Stored values are instants either way.
        con.execute("SET TimeZone = 'Asia/Shanghai'")
        return con


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def connect_readonly(
    db_path: str | os.PathLike,
    wait: float = 30,
    *,
    allow_files: bool = False,
    write_paths: Sequence[str | os.PathLike] = (),
    settings: dict[str, Any] | None = None,
) -> duckdb.DuckDBPyConnection:
    """A read-only connection; waits (saying so on stderr) while a writer holds the file.

    Read-only to the database file is not read-only to the machine: DuckDB's SQL can ``COPY ... TO``
    any path, ``EXPORT DATABASE``, ``ATTACH`` another database read-write, read any file
    (``read_text``, ``read_csv``, ``glob``) and ``INSTALL`` extensions from the network.  So by
    default the connection is sandboxed with DuckDB's own switches: external access off (no file
    but the database itself, no network), no extension auto-install/auto-load, and the
    configuration locked so SQL cannot ``SET`` any of it back.  ``write_paths`` are the only files
    a ``COPY`` may write (``guidecrawl export``'s temporary file).  ``settings`` are applied before
    the lock (nothing can be ``SET`` after it).  ``allow_files=True`` (``--allow-files``) opens the
    connection unrestricted, for analysts who join their own files.
    """
    p = Path(db_path)
    if not p.exists():
        raise UserError(f"no database at {p}; run `guidecrawl crawl` or `guidecrawl demo` first")
    sandbox = not allow_files
    con = _connect(p, read_only=True, wait=wait, on_wait=_stderr, sandbox=sandbox)
    try:
        for name, value in (settings or {}).items():
            con.execute(f"SET {name} = {value!r}" if isinstance(value, str) else f"SET {name} = {value}")
        if sandbox:
            if write_paths:
                paths = ", ".join(sql_str(os.path.abspath(w)) for w in write_paths)
                con.execute(f"SET allowed_paths = [{paths}]")
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def connect_rw(
    db_path: str | os.PathLike, wait: float = 600, on_wait: Callable[[str], None] | None = _stderr
) -> duckdb.DuckDBPyConnection:
    """The writer's connection (schema ensured); retries while readers or another writer hold it.

    Hold it briefly: while it is open, every analyst is locked out.
    """
    p = Path(db_path)
    if p.parent and not p.parent.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
    con = _connect(p, read_only=False, wait=wait, on_wait=on_wait)
    try:
        ensure_schema(con)
    except BaseException:
        con.close()
        raise
    return con


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchall()[
            0
        ][0]
    )
