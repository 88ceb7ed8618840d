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


class StrtrKeys:
    """The find keys of spinner tables that work like PHP ``strtr`` (left to right; at each
    position the longest key that matches is taken, replaced or kept, and the scan goes on after
    it: replaced text is never read again), for ``strtr_allows``."""

    __slots__ = ("keys", "longest", "chars")

    def __init__(self, keys: set[str] | frozenset[str]) -> None:
        self.keys = frozenset(keys)
        self.longest = max(map(len, self.keys), default=0)
        self.chars = frozenset("".join(self.keys))  # a character of no key: the scan is in step after it

    def longest_at(self, text: str, at: int) -> int:
        """Length of the longest key that matches ``text`` at ``at``; 0 for none."""
        for n in range(min(self.longest, len(text) - at), 0, -1):
            if text[at : at + n] in self.keys:
                return n
        return 0


def strtr_allows(
    text: str,
    i: int,
    spun: str,
    original: str,
    keys: StrtrKeys,
    others: tuple[tuple[int, int], ...] = (),
) -> bool:
    """Could a ``strtr`` spinner over ``keys`` have turned ``original`` into the ``spun`` form
    found at text[i:]?  With ``original`` put back, its scan must (1) arrive at ``i``: no key it
    takes on the way runs across ``i``; and (2) take ``original`` itself there: no longer key
    matches at ``i``.  The scan is followed from where it is known to be in step: after the last
    character before ``i`` that is in no key, or the paragraph's start.  ``others``: the (start,
    end) spans of other spun forms found in the paragraph, where the spinner's own input is
    unknown: the scan may have stood at the end of each (so (1) holds when it arrives at ``i``
    from any of them), and a longer key that reaches into one does not count against (2).  The
    text is otherwise read as it is, so the answer is about the text as found, not proof.
    Written by hand: no library models a strtr scan."""
    if original not in keys.keys:
        return True  # not a key of these tables: they say nothing about it
    restored = text[:i] + original + text[i + len(spun) :]
    shift = len(original) - len(spun)
    # (2) counts a longer key only up to the next spun form (in the restored text's coordinates)
    stop = min((a + shift for a, _ in others if a >= i + len(spun)), default=len(restored))
    n = keys.longest_at(restored, i)
    if n > len(original) and i + n <= stop:
        return False  # (2) a longer key would have been taken at i
    start = i
    while start > 0 and restored[start - 1] in keys.chars:
        start -= 1
    for at in (start, *(b for _, b in others if start < b <= i)):
        while at < i:
            at += keys.longest_at(restored, at) or 1
        if at == i:
            return True
    return False  # (1) from wherever it stood, a key taken before i runs across it
