"""Bytes → text for a fetched page, with the encoding used and a plain-words reason.

Why not ``chardet``/``charset_normalizer`` or Scrapy's ``TextResponse.text``: on the pages we crawl
the label is often wrong in one of a few known ways (GBK bytes declared as utf-8 or ISO-8859-1,
UTF-8 bytes declared as gb2312, a GB2312 page with a handful of corrupt bytes).  A general detector
guesses among dozens of encodings and can pick a Cyrillic or Korean code page for short Chinese text;
we only need to choose among the label and the two encodings Chinese sites really use, decide by
*strict* decoding first, and say why.  Order of trust:

1. a byte-order mark;
2. bytes that are valid UTF-8 with multi-byte sequences are UTF-8, whatever the label says (GBK text
   of any length is practically never valid UTF-8, while UTF-8 text often decodes "cleanly" as
   GB18030 into mojibake, so this test must come before trying a gb label);
3. the HTTP header charset (``declared``), then the dataset wrapper / ``<meta>`` charset, strictly;
   gb2312/gbk labels decode as GB18030 (its superset: pages labelled gb2312 use GBK characters);
   ISO-8859-1/windows-1252/ascii labels on bytes that decode strictly as GB18030 with Chinese in
   them are taken as mislabelled GBK;
4. GB18030 strictly;
5. last resort, ``errors="replace"`` with the candidate that loses the fewest characters; a page
   with a few corrupt bytes keeps its good text and the reason gives the count.  A page where too
   much is lost is reported undecodable.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

# Only the first bytes are searched for a charset: <meta> must be in the first 1024 bytes by the
# HTML spec; real pages put it later behind long comments, so we allow more but stay bounded.
_HEAD_BYTES = 8192
_META_CHARSET = re.compile(rb"""<meta[^>]{0,400}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.I)
# The CWCED dataset wraps each page in <text id=URL title=.. encoding=..>; "unset" means unknown.
_WRAPPER = re.compile(rb"""\A\s*<text\b[^>]{0,4000}?\bencoding\s*=\s*["']?([A-Za-z0-9_-]{2,40})""", re.I)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

_GB_LABELS = {
    "gb2312",
    "gbk",
    "gb18030",
    "x-gbk",
    "gb_2312-80",
    "csgb2312",
    "chinese",
    "euc-cn",
    "cp936",
    "ms936",
}
_LATIN_LABELS = {
    "iso-8859-1",
    "latin-1",
    "latin1",
    "l1",
    "windows-1252",
    "cp1252",
    "ascii",
    "us-ascii",
    "iso8859-1",
}
# More replaced characters than this share of the text means we did not find the encoding.
_MAX_LOSS = 0.05


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str  # the Python codec name actually used ("" when undecodable)
    reason: str  # plain words: which label was tried, what failed, what was used
    replaced: int = 0  # characters that could not be decoded (U+FFFD inserted)
    ok: bool = True  # False: no encoding gave usable text
    # ``text`` as UTF-8 when that is the page's own bytes (a valid UTF-8 or plain ASCII page), else
    # None: the parser is fed UTF-8, and encoding the text again would only rebuild these bytes
    utf8: bytes | None = field(default=None, repr=False, compare=False)


def _norm_label(label: str | bytes | None) -> str | None:
    """A charset label → a Python codec name we will use, or None when unknown/unusable."""
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "ignore")
    low = label.strip().strip("\"'").lower()
    if low in ("unset", "none", ""):
        return None
    if low in ("utf8", "utf-8", "unicode-1-1-utf-8", "x-unicode20utf8"):
        return "utf-8"
    if low in _GB_LABELS:
        return "gb18030"
    if low in _LATIN_LABELS:
        return "windows-1252"
    if low in ("big5", "big5-hkscs", "x-x-big5", "cn-big5"):
        return "big5hkscs"
    try:
        return codecs.lookup(low).name
    except LookupError:
        return None


def _strict(raw: bytes, enc: str) -> str | None:
    try:
        return raw.decode(enc)
    except (UnicodeDecodeError, LookupError):
        return None


def _bom(raw: bytes) -> tuple[str, int] | None:
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if raw.startswith(codecs.BOM_UTF32_LE) or raw.startswith(codecs.BOM_UTF32_BE):
        return ("utf-32-le" if raw.startswith(codecs.BOM_UTF32_LE) else "utf-32-be"), 4
    if raw.startswith(codecs.BOM_UTF16_LE) or raw.startswith(codecs.BOM_UTF16_BE):
        return ("utf-16-le" if raw.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"), 2
    return None


def _fail_places(raw: bytes, enc: str, limit: int = 1000) -> int:
    """How many places a decoder could not decode (bounded count: we only need 'a few' vs 'many')."""
    return min(raw.decode(enc, "replace").count("\ufffd"), limit) if enc else 0


def sniff_labels(raw: bytes) -> tuple[str | None, str | None]:
    """The (wrapper, meta) charset labels found in the page's first bytes, as written."""
    head = raw[:_HEAD_BYTES]
    w = _WRAPPER.match(head)
    m = _META_CHARSET.search(head)
    return (w.group(1).decode("ascii") if w else None, m.group(1).decode("ascii") if m else None)


def decode_html(raw: bytes, declared: str | None = None) -> Decoded:
    """Decode a page's raw bytes; never raises.  See the module docstring for the order of trust."""
    if not raw:
        return Decoded("", "", "empty page", 0, False)
    bom = _bom(raw)
    if bom:
        whole = raw[bom[1] :].decode(bom[0], "replace")
        n = whole.count("\ufffd")
        return Decoded(whole, bom[0], f"byte-order mark {bom[0]}" + (f"; {n} bad places" if n else ""), n)

    wrapper, meta = sniff_labels(raw)
    labels: list[tuple[str, str]] = []  # (where, codec)
    written: list[str] = []
    for where, label in (("header", declared), ("wrapper", wrapper), ("meta", meta)):
        enc = _norm_label(label)
        if enc and label:
            written.append(f"{where} {label.strip().lower()}")
            if enc not in [e for _, e in labels]:
                labels.append((where, enc))
    said = ", ".join(written) or "no charset label"

    if raw.isascii():
        enc = labels[0][1] if labels and labels[0][1] in ("utf-8", "gb18030", "windows-1252") else "utf-8"
        return Decoded(
            raw.decode("ascii"), enc, f"{said}; plain ASCII", utf8=raw if isinstance(raw, bytes) else None
        )

    notes: list[str] = []
    # 2. valid UTF-8 wins over any label: the test is strict, and GBK text is not valid UTF-8.
    text = _strict(raw, "utf-8")
    if text is not None:
        first = labels[0][1] if labels else None
        why = (
            "valid UTF-8"
            if first in (None, "utf-8")
            else f"{labels[0][0]} says {first} but bytes are valid UTF-8"
        )
        return Decoded(text, "utf-8", f"{said}; {why}", utf8=raw if isinstance(raw, bytes) else None)

    # 3. the labels in order of trust, strictly
    for where, enc in labels:
        if enc == "utf-8":
            notes.append(f"{where} utf-8 failed at {_fail_places(raw, 'utf-8')} places")
            continue
        text = _strict(raw, enc)
        if text is None:
            notes.append(f"{where} {enc} failed at {_fail_places(raw, enc)} places")
            continue
        if enc == "windows-1252":
            # Latin labels decode any byte string; Chinese sites that say so mean GBK.
            gb = _strict(raw, "gb18030")
            if gb is not None and len(_CJK.findall(gb)) >= 2:
                notes.append(f"{where} {enc} is a mislabel (bytes decode as Chinese)")
                return Decoded(gb, "gb18030", f"{said}; " + "; ".join(notes) + "; gb18030 clean")
        return Decoded(text, enc, f"{said}; " + "; ".join(notes + [f"{where} {enc} clean"]))

    # 4. GB18030 strictly (unlabelled or mislabelled Chinese pages)
    if "gb18030" not in [e for _, e in labels]:
        text = _strict(raw, "gb18030")
        if text is not None and _CJK.search(text):
            return Decoded(text, "gb18030", f"{said}; " + "; ".join(notes + ["gb18030 clean"]))

    # 5. keep the good text: the candidate losing the fewest characters
    # A Latin code page decodes almost any bytes "cleanly"; it is only a last choice.
    cands = [e for _, e in labels if e != "windows-1252"]
    cands += [e for e in ("gb18030", "utf-8", "big5hkscs", "windows-1252") if e not in cands]
    best: tuple[int, str, str] | None = None
    for enc in cands:
        t = raw.decode(enc, "replace")
        n = t.count("\ufffd")
        if best is None or n < best[0]:
            best = (n, enc, t)
        if n <= max(8, _MAX_LOSS * len(t)) and enc != "windows-1252":
            break  # candidates are in order of trust: the first usable one wins
    assert best is not None
    n, enc, text = best
    if n > max(8, _MAX_LOSS * len(text)) or "\x00" in text[:2000]:
        return Decoded(
            "", "", f"{said}; " + "; ".join(notes + [f"best guess {enc} loses {n} characters"]), n, False
        )
    return Decoded(text, enc, f"{said}; " + "; ".join(notes + [f"{enc} with {n} bad bytes replaced"]), n)
