"""Traditional → Simplified (OpenCC) and half-width → full-width punctuation between Chinese text.

Both return edits in the paragraph's own coordinates: ``(offset, before, after, rule, confidence,
applied)``.  Rule ids and reasons: ``data/repair/settings.toml`` [t2s] and ``data/repair/punct.tsv``.
"""

from __future__ import annotations

import bisect
import difflib
import functools
import re
from collections import Counter
from pathlib import Path

from cleaners.data import read_tsv, repair_settings

Edit = tuple[int, str, str, str, float, bool]

# --------------------------------------------------------------------------- Traditional → Simplified


class _T2S:
    """The OpenCC converter and the set of characters that only Traditional text uses, built once.

    A paragraph with none of those characters is skipped without calling OpenCC (it converts
    ~0.8M chars/s in pure Python; most pages need nothing).  A character counts as Traditional-only
    when OpenCC's TSCharacters maps it to something else and it does not occur in Simplified text:
    著 (著名), 乾 (乾坤), 瞭 (瞭望) map but are also Simplified, so they do not trigger a conversion
    on their own (OpenCC's phrase tables keep them right when another character triggers one).
    """

    def __init__(self) -> None:
        import opencc

        cfg = repair_settings()["t2s"]
        self.rule = str(cfg["id"]).replace("-settings", "") + ":" + str(cfg["config"])
        self.opencc = opencc.OpenCC(str(cfg["config"]))
        self.converter: _OneGroup | opencc.OpenCC = _OneGroup.of(self.opencc) or self.opencc
        chars = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
        mapped: set[str] = set()
        with open(chars, encoding="utf-8") as f:
            for line in f:
                src, _, dst = line.rstrip("\n").partition("\t")
                if len(src) == 1 and dst.split(" ")[0] != src:
                    mapped.add(src)
        simplified_too = self._simplified_chars()
        self.trad_only = frozenset(mapped - simplified_too)
        self.pattern = re.compile("[" + "".join(sorted(self.trad_only)) + "]")

    @staticmethod
    def _simplified_chars() -> set[str]:
        # Characters that appear in OpenCC's Simplified→Traditional source side are by definition
        # valid Simplified characters.
        import opencc

        out: set[str] = set()
        with open(Path(opencc.__file__).parent / "dictionary" / "STCharacters.txt", encoding="utf-8") as f:
            for line in f:
                src = line.split("\t", 1)[0]
                if len(src) == 1:
                    out.add(src)
        return out


class _OneGroup:
    """OpenCC's conversion of a one-group chain (t2s: TSPhrases then TSCharacters), from the
    dictionaries the ``opencc`` package itself has loaded, in one pass per segment.

    Why by hand: the ``opencc`` package converts in pure Python, trying every substring of every
    segment against each dictionary (~0.3 ms a paragraph, a tenth of the repair chain's time on
    the pages that hold Traditional characters); no maintained binding is on our dependency list.
    What it computes, per segment between its separators (``split_chars_re``): the longest phrase
    key of the segment, leftmost among equals, replaced by its value's first reading; the same
    again left and right of it; what no phrase covers, character by character.  Picking the
    longest, leftmost occurrence again and again within the gaps left is picking, from all
    occurrences (one Aho-Corasick pass) ordered by length then start, each one that overlaps none
    picked before: the same phrases, and the same characters left to the character table, whose
    keys are single characters (``str.translate``).  ``of`` builds it only for a chain of that
    shape and answers None for any other (the caller keeps OpenCC); the tests compare it with
    OpenCC on every paragraph of ../shared."""

    def __init__(self, split, phrases: dict[str, str], chars: dict[str, str]) -> None:
        import ahocorasick

        self._split = split
        self._phrases = ahocorasick.Automaton()
        for key, value in phrases.items():
            self._phrases.add_word(key, (len(key), value))
        self._phrases.make_automaton()
        self._chars = str.maketrans(chars)

    @classmethod
    def of(cls, converter) -> _OneGroup | None:
        try:
            converter.convert("")  # loads its dictionaries
            chain = converter._dict_chain_data
            (group,) = chain
            (pmax, pmin, phrases), (cmax, cmin, chars) = group
        except (AttributeError, TypeError, ValueError):
            return None  # another OpenCC than the one this was written against
        if cmax != 1 or cmin != 1 or pmin < 2:
            return None

        def first(v: str) -> str:
            return v.split(" ")[0] if len(v.split(" ")) > 1 else v

        if not all(first(v) for d in (phrases, chars) for v in d.values()):
            return None  # OpenCC treats an empty value as no match: not modelled here
        return cls(
            converter.split_chars_re,
            {k: first(v) for k, v in phrases.items()},
            {k: first(v) for k, v in chars.items()},
        )

    def convert(self, text: str) -> str:
        parts = self._split.split(text)
        for n in range(0, len(parts), 2):  # the odd ones are the separators
            if parts[n]:
                parts[n] = self._segment(parts[n])
        return "".join(parts)

    def _segment(self, seg: str) -> str:
        found = [(-size, end - size + 1, value) for end, (size, value) in self._phrases.iter(seg)]
        if not found:
            return seg.translate(self._chars)
        found.sort(key=lambda f: (f[0], f[1]))
        taken: list[tuple[int, int, str]] = []  # (start, end, value), sorted by start
        for neg, start, value in found:
            end = start - neg
            k = bisect.bisect_left(taken, (start,))
            if k < len(taken) and taken[k][0] < end:
                continue  # overlaps the next phrase picked
            if k and taken[k - 1][1] > start:
                continue  # overlaps the previous one
            taken.insert(k, (start, end, value))
        out: list[str] = []
        pos = 0
        for start, end, value in taken:
            out.append(seg[pos:start].translate(self._chars))
            out.append(value)
            pos = end
        out.append(seg[pos:].translate(self._chars))
        return "".join(out)


@functools.cache
def _t2s() -> _T2S:
    """Built once per process on first use (most pages never need it)."""
    return _T2S()


def has_traditional(text: str) -> bool:
    # a set test in C is ~10x faster than a 4,000-character regex class
    return not _t2s().trad_only.isdisjoint(text)


def _looks_garbled(text: str) -> bool:
    """Mojibake (鎴戜滑鏄�) is made of rare characters, some of which OpenCC would "convert";
    converting garbage destroys what a later decoding fix could still recover, so such a
    paragraph is left to the mojibake rules and the unrepairable flag."""
    from cleaners.lm import get_lm

    if "\ufffd" in text:
        return True
    lm = get_lm()
    trad = _t2s().trad_only
    han = _HAN_RE.findall(text)  # (the Han characters in order, one scan in C)
    if len(han) < 4:
        return False
    # Traditional characters are rare in the (Simplified) model's corpora but are not garbage;
    # each distinct character asked once, counted as often as it occurs, and remembered: the
    # answer depends on the character alone, and a page's paragraphs share most characters
    counts = Counter(han)
    memo = _RARE
    # (the new characters by a look-up each: ``counts.keys() - memo.keys()`` walked the whole
    # memo, thousands of characters, on every call)
    for c in counts:
        if c not in memo:
            memo[c] = c not in trad and lm.unigram(c) < 20
    rare = sum(n for c, n in counts.items() if memo[c])
    return rare / len(han) > 0.25


# character → rare in the model and not Traditional (``_looks_garbled``); at most one entry per
# Han character (~28,000 code points)
_RARE: dict[str, bool] = {}


def to_simplified(text: str) -> str:
    """``text`` in Simplified characters (OpenCC, same configuration as the repair chain); for short
    fields outside the audited body, such as a title.  Simplified text comes back as it is."""
    t = _t2s()
    return text if t.trad_only.isdisjoint(text) else t.converter.convert(text)


def find_t2s(text: str) -> list[Edit]:
    """OpenCC's conversion of a paragraph that holds a Traditional-only character, as edits."""
    t = _t2s()
    if t.trad_only.isdisjoint(text) or _looks_garbled(text):
        return []
    out = t.converter.convert(text)
    if out == text:
        return []
    edits: list[Edit] = []
    if len(out) == len(text):
        # t2s maps character for character almost always: the runs of changed characters are the
        # edits, found in linear time (difflib's alignment is quadratic in the paragraph; on the
        # 7,425 converted paragraphs of ../shared both give the same edits)
        i, n = 0, len(text)
        while i < n:
            if text[i] == out[i]:
                i += 1
                continue
            j = i
            while j < n and text[j] != out[j]:
                j += 1
            edits.append((i, text[i:j], out[i:j], t.rule, 1.0, True))
            i = j
        return edits
    sm = difflib.SequenceMatcher(None, text, out, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag != "equal":
            edits.append((i1, text[i1:i2], out[j1:j2], t.rule, 1.0, True))
    return edits


# --------------------------------------------------------------------------- punctuation

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# what may stand right after a converted mark besides a Han character: CJK punctuation and quotes
_CJK_OPEN = "“‘《「『（【"
_CJK_CLOSE = "”’》」』）】"


_MISSING_BREAK = 40  # see punct-missing-break in data/repair/punct.tsv
# (only from the start of a run of Han characters: a match can start nowhere else, and a run
# shorter than 40 is then tried once, not from each of its characters)
_LONG_RUN = re.compile(rf"(?<![{_HAN}])[{_HAN}]{{{_MISSING_BREAK},}}")


def find_missing_breaks(text: str) -> list[Edit]:
    """Flags (never applied) for runs of Han characters too long to be one clause: 40 in a row
    with no punctuation does not occur in edited Chinese prose (none in 600 clean paragraphs),
    but does where a pipeline dropped the commas (…消费信贷产品它为客户提供了…)."""
    rule = _missing_break_rule()
    return [(m.start(), m.group(), m.group(), rule, 0.6, False) for m in _LONG_RUN.finditer(text)]


@functools.cache
def _missing_break_rule() -> str:
    """The rule id of the missing-break flag, checked against data/repair/punct.tsv once."""
    rule = "punct-missing-break"
    if rule not in {r for _f, r in _punct().values()}:
        raise ValueError(f"data/repair/punct.tsv lacks {rule}")
    return rule


def _load_punct() -> dict[str, tuple[str, str]]:
    return {row["half"] or row["id"]: (row["full"], row["id"]) for row in read_tsv("repair", "punct.tsv")}


_PUNCT: dict[str, tuple[str, str]] | None = None


def _punct() -> dict[str, tuple[str, str]]:
    global _PUNCT
    if _PUNCT is None:
        _PUNCT = _load_punct()
    return _PUNCT


# Spans that are never touched: URLs, e-mail addresses, inline code.
_PROTECT = re.compile(
    r"(?:https?|ftp)://[^\s，。；！？）」』”]+|www\.[^\s，。；！？）」』”]+|`[^`\n]*`|[\w.+-]+@[\w-]+\.[\w.]+"
)
# , : ; between two Han characters; ? ! after a Han character before a Han character, a CJK
# opening mark or the end of the paragraph
_MARK = re.compile(
    rf"(?<=[{_HAN}{_CJK_CLOSE}])([,:;])(?=[{_HAN}{_CJK_OPEN}])|(?<=[{_HAN}{_CJK_CLOSE}])([?!])(?=[{_HAN}{_CJK_OPEN}]|\s*$)"
)
# a bracket pair with Han inside, no Latin letters or code symbols, touching no Latin word outside
_PAREN = re.compile(r"(?<![A-Za-z0-9_\]\)])\(([^()\n]{1,40})\)(?![A-Za-z0-9_(\[])")
_PAREN_INNER_BAD = re.compile(r"[A-Za-z=\"'{}\[\];<>\\/`$]")
_HAN_RE = re.compile(rf"[{_HAN}]")
_HALF_MARK = re.compile(r"[,:;?!(]")  # a mark find_punct could convert: one scan, not six
# every conversion needs a Han character (inside the brackets, or before the mark) or a CJK closing
# mark before the mark: text with neither (English, code, numbers) has nothing to convert
_MARK_CONTEXT = re.compile(rf"[{_HAN}{_CJK_CLOSE}]")
# A paragraph that reads as code (a call like print(, an operator, braces, a keyword at the start)
# keeps its ASCII punctuation even inside string literals: "你好,世界" in code is data, not prose.
_CODE = re.compile(
    r"[A-Za-z_][A-Za-z0-9_.]*\(|==|=>|->|::|[{}]|;\s*$|^\s*(?:def|class|import|from|return|if|for|while|var|let|const|function|#include)\b"
)


def _may_protect(text: str) -> bool:
    """Does ``text`` hold the literal each of ``_PROTECT``'s branches needs (://, www., a
    backtick, an @)?  Without one it has no protected span; the pattern's e-mail branch tries
    every run of word characters (every run of Han characters) from each of its characters."""
    return "://" in text or "www." in text or "`" in text or "@" in text


def find_punct(text: str) -> list[Edit]:
    """Half-width , : ; ? ! ( ) in Chinese text → full-width, outside URLs, numbers, code, Latin."""
    if not _HALF_MARK.search(text) or not _MARK_CONTEXT.search(text) or _CODE.search(text):
        return []
    table = _punct()
    # the protected spans do not overlap and come in order: a binary search per mark keeps a
    # paragraph full of URLs linear (a scan of every span per mark was quadratic)
    protected = [(m.start(), m.end()) for m in _PROTECT.finditer(text)] if _may_protect(text) else []
    starts = [a for a, _b in protected]

    def free(i: int) -> bool:
        n = bisect.bisect_right(starts, i) - 1
        return n < 0 or i >= protected[n][1]

    edits: list[Edit] = []
    full_paren, paren_rule = table["()"]
    for m in _PAREN.finditer(text):
        inner = m.group(1)
        if not _HAN_RE.search(inner) or _PAREN_INNER_BAD.search(inner):
            continue
        if not (free(m.start()) and free(m.end() - 1)):
            continue
        # the pair must sit in Chinese text: a Han character, CJK mark or line edge on one side
        before = text[m.start() - 1] if m.start() > 0 else ""
        after = text[m.end()] if m.end() < len(text) else ""
        if not (
            before in ("", " ")
            or _HAN_RE.match(before)
            or not before.isascii()
            or after == ""
            or _HAN_RE.match(after)
        ):
            continue
        edits.append((m.start(), "(", full_paren[0], paren_rule, 0.99, True))
        edits.append((m.end() - 1, ")", full_paren[1], paren_rule, 0.99, True))
    # marks are judged on the text with its brackets already converted (same length), so that
    # "所在地)," gives "所在地），" in one pass and the repair stays idempotent
    view = list(text)
    for off, _b, after, *_ in edits:
        view[off] = after
    seen = "".join(view)
    for m in _MARK.finditer(seen):
        if free(m.start()):
            half = m.group()
            full, rule = table[half]
            edits.append((m.start(), half, full, rule, 0.99, True))
    return sorted(edits)
