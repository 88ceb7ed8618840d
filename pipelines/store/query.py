"""The analysts' query runner (``guidecrawl sql``): read-only, sandboxed SQL rendered as an aligned
text table, CSV or JSON; the table formatting (CJK-wide aware) is shared with ``stats``."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence
from typing import Any

import duckdb

from pipelines.errors import UserError
from pipelines.store.db import connect_readonly, sql_error


def _jsonable(v: Any) -> Any:
    import base64
    import datetime as dt
    import decimal
    import uuid

    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (bytes, bytearray, memoryview)):
        return f"<{len(bytes(v))} bytes>"
    v = _jsonable(v)
    if isinstance(v, (dict, list)):
        import json

        return json.dumps(v, ensure_ascii=False)
    return str(v)


def display_width(s: str) -> int:
    """Terminal columns of ``s``: CJK wide and fullwidth characters take two."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s
    )


def _fit(s: str, width: int) -> str:
    """``s`` cut to ``width`` columns (with …) and padded to exactly ``width`` columns."""
    if display_width(s) > width:
        out, w = [], 0
        for ch in s:
            cw = display_width(ch)
            if w + cw > width - 1:
                break
            out.append(ch)
            w += cw
        s = "".join(out) + "…"
    return s + " " * (width - display_width(s))


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], max_width: int = 60) -> str:
    """A plain aligned text table; cells cut at ``max_width`` columns, newlines shown as ⏎.

    Hand-written rather than rich's Table: rich wraps to the terminal width (80 in a pipe) and
    re-flows long Chinese cells over many lines, which makes ``guidecrawl sql | less`` unreadable.
    """
    cells = [[_cell(v).replace("\r\n", "⏎").replace("\n", "⏎") for v in r] for r in rows]
    widths = [
        min(max_width, max([display_width(c)] + [display_width(r[i]) for r in cells]))
        for i, c in enumerate(columns)
    ]
    lines = [
        " | ".join(_fit(c, w) for c, w in zip(columns, widths, strict=True)).rstrip(),
        "-+-".join("-" * w for w in widths),
    ]
    for r in cells:
        lines.append(" | ".join(_fit(c, w) for c, w in zip(r, widths, strict=True)).rstrip())
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def run_sql(
    db_path: str | os.PathLike, query: str, fmt: str = "table", *, wait: float = 30, allow_files: bool = False
) -> str:
    """Run ``query`` read-only and render the result as table, csv or json (an array of objects).

    The connection is sandboxed (see ``connect_readonly``) unless ``allow_files``."""
    import csv
    import io
    import json

    if fmt not in ("table", "csv", "json"):
        raise UserError(f"unknown format {fmt!r}; use table, csv or json")
    empty = UserError(
        'no SQL statement given; e.g. guidecrawl sql "SELECT site, count(*) FROM articles GROUP BY 1"'
    )
    if not query.strip():
        raise empty
    con = connect_readonly(db_path, wait=wait, allow_files=allow_files)
    try:
        try:
            cur = con.execute(query)
            if cur is None:  # only comments or semicolons
                raise empty
            columns = [d[0] for d in cur.description] if cur.description else []
            rows = cur.fetchall() if columns else []
        except duckdb.Error as e:
            raise sql_error(e) from None
    finally:
        con.close()
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        w.writerows([[_cell(v) for v in r] for r in rows])
        return buf.getvalue().rstrip("\n")
    if fmt == "json":
        objs = [
            json.dumps(dict(zip(columns, _jsonable(list(r)), strict=True)), ensure_ascii=False) for r in rows
        ]
        return "[" + ",\n".join(objs) + "]" if objs else "[]"
    return format_table(columns, rows)
