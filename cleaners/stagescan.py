"""Which stages of the repair chain can find anything in a paragraph: one scan for all of them.

Each stage of ``cleaners/repair.py`` but the spin stage (whose candidates come from its own
automaton) first looks for what it needs and answers [] without it: a Traditional-only character
(t2s), a half-width mark (punctuation), a run of 40 Han characters (missing breaks), the start of
a run whose first two characters' GBK bytes begin UTF-8 or two characters of GBK read as Latin-1
(mojibake), a character that
GBK byte loss leaves behind, not before punctuation (byte loss); and the flag of unrepairable runs
after them needs a replacement character or 锟.  Most paragraphs of real pages
hold none of these, and each stage's own look costs a call and a scan of the paragraph;
``scan`` finds them all in one pass, so that the chain calls only the stages it can reach.

The bits are exactly those preconditions (``scan_reference`` writes each one as its stage's own
test), so skipping a stage whose bit is clear changes nothing; ``tests/cleaners/test_fastpaths.py``
compares the compiled scan with the reference on every paragraph of the bench pages.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from cleaners import chinese, compiled, garble

T2S = 1
PUNCT = 2
BREAKS = 4
MOJIBAKE = 8
GBK = 16
UNREPAIRABLE = 32  # a replacement character or 锟 (garble.find_unrepairable)
ALL = T2S | PUNCT | BREAKS | MOJIBAKE | GBK  # the stages of the chain's rounds

# the character classes of the compiled scan's table (one byte per BMP code point)
_C_T2S, _C_HALF, _C_HAN, _C_START = 1, 2, 4, 8
_C_LATIN, _C_SUSPECT, _C_PUNCT_AFTER, _C_BAD = 16, 32, 64, 128
_HALF_MARKS = ",:;?!("  # chinese._HALF_MARK
_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))  # chinese._HAN

# the one-pass scan as a compiled loop (cleaners/compiled.py); without it the reference runs
_fast: Any = compiled.load("_fastscan")


@functools.cache
def _table() -> tuple[bytes, frozenset[str]]:
    """The class bits of every BMP character, and the Traditional-only characters beyond it."""
    t = bytearray(0x10000)
    astral: set[str] = set()
    for c in chinese._t2s().trad_only:
        if ord(c) > 0xFFFF:
            astral.add(c)
        else:
            t[ord(c)] |= _C_T2S
    for c in _HALF_MARKS:
        t[ord(c)] |= _C_HALF
    for lo, hi in _HAN_RANGES:
        for k in range(lo, hi + 1):
            t[k] |= _C_HAN
    for c in garble._utf8_start_chars():
        t[ord(c)] |= _C_START
    latin = re.compile(garble._LATIN_CLASS)
    for k in range(0x80, 0x2200):  # the class lies in this block
        if latin.match(chr(k)):
            t[k] |= _C_LATIN
    for c in garble.tables().twins:
        t[ord(c)] |= _C_SUSPECT
    for c in garble._PUNCT_AFTER:
        t[ord(c)] |= _C_PUNCT_AFTER
    for c in "\ufffd锟":
        t[ord(c)] |= _C_BAD
    return bytes(t), frozenset(astral)


def scan(text: str) -> int:
    """The stages (bits) that can find anything in ``text``: the compiled pass, or the reference."""
    if _fast is not None:
        return _fast.scan(text, *_scan_args())
    return scan_reference(text)


@functools.cache
def _scan_args() -> tuple[bytes, frozenset[str], Callable[[str], bool]]:
    table, astral = _table()
    return table, astral, garble._utf8_prefix


def scan_reference(text: str) -> int:
    """``scan`` as each stage's own first test (the reference, and the fallback)."""
    mask = 0
    if chinese.has_traditional(text):
        mask |= T2S
    if chinese._HALF_MARK.search(text):
        mask |= PUNCT
    if chinese._LONG_RUN.search(text):
        mask |= BREAKS
    # a run that may be UTF-8 read as GBK, its first two characters' bytes a UTF-8 start (the
    # start pattern's look-ahead holds the run's second character), or two Latin-1 characters
    if garble._LATIN_RUN.search(text) or any(
        garble._utf8_prefix(text[m.start() : m.start() + 2]) for m in garble._utf8_starts().finditer(text)
    ):
        mask |= MOJIBAKE
    if garble._suspects(text, garble.tables())[0]:
        mask |= GBK
    if "\ufffd" in text or "锟" in text:
        mask |= UNREPAIRABLE
    return mask
