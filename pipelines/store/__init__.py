"""The DuckDB store: one file, one writer at a time, analysts read while a crawl loads.

- ``schema``  tables, views, migrations, comments; the article id
- ``db``      connections (the writer's, sandboxed read-only ones) with retry; ``transaction()``
- ``load``    stage files into the store (idempotent bulk loads); the prior page state
- ``query``   ``guidecrawl sql``: read-only SQL rendered as a table, CSV or JSON

The names below are the store's public API (``from pipelines.store import load_stage``).
"""

from pipelines.store.db import (
    SANDBOX_HINT,
    connect_readonly,
    connect_rw,
    has_table,
    parse_since,
    sql_error,
    transaction,
)
from pipelines.store.load import load_stage, read_page_state, stage_select_sql
from pipelines.store.query import display_width, format_table, run_sql
from pipelines.store.schema import (
    COLUMN_COMMENTS,
    SCHEMA_VERSION,
    TABLE_COMMENTS,
    article_id,
    ensure_schema,
    sql_str,
)

__all__ = [
    "COLUMN_COMMENTS",
    "SANDBOX_HINT",
    "SCHEMA_VERSION",
    "TABLE_COMMENTS",
    "article_id",
    "connect_readonly",
    "connect_rw",
    "display_width",
    "ensure_schema",
    "format_table",
    "has_table",
    "load_stage",
    "parse_since",
    "read_page_state",
    "run_sql",
    "sql_error",
    "sql_str",
    "stage_select_sql",
    "transaction",
]
