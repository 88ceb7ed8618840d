"""Spinner tables supplied at run time: the find → replace tables that 伪原创 tools ship.

Analysts often know, or can obtain, the table of the spinner a farm used (CMS replace tables,
PHP spinner arrays, plain synonym lists).  Such tables usually carry no licence, so guidecrawl does
not ship them; it reads them at run time instead (``GUIDECRAWL_SPIN_TABLES`` or
``guidecrawl repair --spin-table``) and inverts them: the table's replacement is the spun form,
its key the original.  The evidence gate of ``cleaners/spin.py`` decides every restoration as for
our own pairs, so a large table widens the candidates without lowering the bar.

Formats, detected from the content (one file may mix lines of several):

* our own TSV (``id  spun  original  class  reason`` with a header; see data/repair/spin_pairs.tsv)
* SQL dumps of a replace table: ``INSERT INTO t (id, find, replace) VALUES (1,'a','b'), ...``
  (the last two quoted strings of each tuple are find and replace)
* PHP arrays: ``'find' => 'replace',``
* word lists: ``find,replace`` or ``find=replace`` or ``find→replace`` tokens separated by
  whitespace, or two tab-separated columns ``find<TAB>replace``

Written by hand because no library reads these ad-hoc dumps; the formats are small and regular.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

# a single-quoted SQL/PHP string with backslash or doubled-quote escapes
_Q = r"'((?:[^'\\]|\\.|'')*)'"
_SQL_TUPLE = re.compile(r"\(\s*(?:[^()']*?,\s*)?" + _Q + r"\s*,\s*" + _Q + r"\s*\)")
_PHP = re.compile(_Q + r"\s*=>\s*" + _Q)
_WORD_PAIR = re.compile(r"^([^\s,=→]+)\s*(?:,|=|→|->)\s*([^\s,=→]+)$")
_HAN = re.compile(r"[\u3400-\u9fff]")


ENV = "GUIDECRAWL_SPIN_TABLES"


def runtime_table_paths() -> list[str]:
    """The run-time spinner tables in use: ``GUIDECRAWL_SPIN_TABLES``, paths separated by
    ``os.pathsep``."""
    return [p for p in os.environ.get(ENV, "").split(os.pathsep) if p.strip()]


class SpinTableError(ValueError):
    """A spinner table that cannot be read (missing file, no pairs found)."""


def _unquote(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s.replace("''", "'"))


def _plausible(find: str, replace: str) -> bool:
    # a spinner pair swaps Chinese words: both sides hold Han characters, differ, and are short
    # (a "pair" of whole sentences is a comment or a broken line, not a swap)
    return (
        find != replace
        and 0 < len(find) <= 12
        and 0 < len(replace) <= 12
        and bool(_HAN.search(find))
        and bool(_HAN.search(replace))
    )


def _pairs_in_text(text: str) -> Iterator[tuple[str, str]]:
    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    if lines and lines[0].split("\t")[:3] == ["id", "spun", "original"]:
        # our own format: spun form first, so swap back to find → replace
        for line in lines[1:]:
            cols = line.split("\t")
            if len(cols) >= 3:
                yield cols[2], cols[1]
        return
    for line in lines:
        s = line.strip()
        if not s or s.startswith(("#", "--", "//", "/*")):
            continue
        found = False
        if "'" in s:
            for m in _PHP.finditer(s):
                found = True
                yield _unquote(m.group(1)), _unquote(m.group(2))
            if not found:
                for m in _SQL_TUPLE.finditer(s):
                    found = True
                    yield _unquote(m.group(1)), _unquote(m.group(2))
        if found:
            continue
        if "\t" in s:
            cols = [c.strip() for c in s.split("\t")]
            if len(cols) == 2:
                yield cols[0], cols[1]
                continue
        for tok in s.split():
            pair = _WORD_PAIR.match(tok)
            if pair:
                yield pair.group(1), pair.group(2)


def read_table(path: str | Path) -> list[tuple[str, str]]:
    """The (find, replace) pairs of one spinner table, in file order, duplicates removed.

    Raises ``SpinTableError`` when the file is missing or holds no pair."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise SpinTableError(f"cannot read spinner table {p}: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="replace")  # old Chinese CMS dumps are often GBK
    pairs = [(f, r) for f, r in _pairs_in_text(text) if _plausible(f, r)]
    if not pairs:
        raise SpinTableError(
            f"no spinner pairs found in {p}: expected find,replace words, 'find' => 'replace' "
            "(PHP), an SQL INSERT dump or our TSV"
        )
    return list(dict.fromkeys(pairs))
