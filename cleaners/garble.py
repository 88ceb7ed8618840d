"""Encoding damage: GBK byte loss, mojibake (UTF-8 read as GBK, GBK read as Latin-1), and
unrepairable replacement runs.  Rule ids and reasons live in ``data/repair/garble_rules.tsv``.

Why by hand: ftfy knows none of the GBK cases (it says so itself), and its width fixing would turn
Chinese punctuation into ASCII.
"""

from __future__ import annotations

import codecs
import functools
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from cleaners.data import read_tsv, repair_settings
from cleaners.lm import get_lm, get_words
from cleaners.wordlm import WordLM, get_wordlm

Edit = tuple[int, str, str, str, float, bool]  # (offset, before, after, rule, confidence, applied)

# The two full-width marks whose loss we can see: GBK ， = A3 AC, 。 = A1 A3.  Losing the middle two
# bytes of "X + mark" leaves (lead byte of X, trail byte of the mark).
_MARKS = {0xAC: ("，", "gbk-loss-comma"), 0xA3: ("。", "gbk-loss-period")}
_PUNCT_AFTER = set("，。、；：？！,.;:?!）)」』”’…—·\n")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_RULES = (
    "gbk-loss-comma",
    "gbk-loss-period",
    "mojibake-utf8-as-gbk",
    "mojibake-gbk-as-latin1",
    "unrepairable-replacement",
)


class _Twins(Mapping[str, list[tuple[str, str, str]]]):
    """Garbled character → candidate originals: (X, the lost mark, rule id) for every Chinese
    character X with its lead byte that the model knows well enough, in GBK order.

    Derived on first sight and memoised: a page shows a handful of distinct suspects, while
    building all ~190 x 190 lists up front costs every process time and memory for nothing."""

    def __init__(self, suspects: list[str], min_count: int) -> None:
        self._suspects = suspects
        self._known = frozenset(suspects)
        self._min_count = min_count
        self._memo: dict[str, list[tuple[str, str, str]]] = {}
        self._leads: dict[int, list[str]] = {}  # the suspects "X，" and "X。" of a lead share it

    def __getitem__(self, g: str) -> list[tuple[str, str, str]]:
        found = self._memo.get(g)
        if found is None:
            if g not in self._known:
                raise KeyError(g)
            lead, mark_trail = g.encode("gbk")
            mark, rule = _MARKS[mark_trail]
            same = self._leads.get(lead)
            if same is None:
                same = self._leads[lead] = _same_lead(lead, self._min_count)
            found = [(x, mark, rule) for x in same if x != g]
            self._memo[g] = found
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._suspects)

    def __len__(self) -> int:
        return len(self._suspects)


@dataclass(frozen=True, slots=True)
class GarbleTables:
    # every character that "X，"/"X。" can leave behind (a CJK character whose GBK trail byte is
    # that of the lost mark) → its candidate originals
    twins: Mapping[str, list[tuple[str, str, str]]]
    pattern: re.Pattern[str]
    margin: float
    gap: float
    word_bonus: float
    min_word: int
    lm_margin: float = 5.0
    lm_gap: float = 2.0


_TRAILS = [t for t in range(0x40, 0xFF) if t != 0x7F]


def _same_lead(lead: int, min_count: int) -> list[str]:
    """The Chinese characters with GBK lead byte ``lead`` that the model has seen ``min_count``
    times, in GBK order.  The ~190 pairs are decoded in one call, each followed by a line feed
    (no GBK trail byte, so an invalid pair cannot swallow it): a pair that decodes gives one
    character, one that does not gives a replacement character, as a failed strict decoding of
    the pair alone would (``_same_lead_reference``, in the tests)."""
    lm = get_lm()
    raw = b"".join(bytes((lead, t, 0x0A)) for t in _TRAILS)
    out = []
    for ch in raw.decode("gbk", "replace").split("\n")[: len(_TRAILS)]:
        if len(ch) == 1 and _CJK.match(ch) and lm.unigram(ch) >= min_count:
            out.append(ch)
    return out


def _check_rules() -> None:
    ids = {row["id"] for row in read_tsv("repair", "garble_rules.tsv")}
    missing = [r for r in _RULES if r not in ids]
    if missing:
        raise ValueError(f"data/repair/garble_rules.tsv lacks rules {missing}")


def _build() -> GarbleTables:
    _check_rules()
    cfg = repair_settings()["garble"]
    suspects = []
    for lead in range(0x81, 0xFF):
        for mark_trail in _MARKS:
            try:
                g = bytes([lead, mark_trail]).decode("gbk")
            except UnicodeDecodeError:
                continue
            if _CJK.match(g):  # lead bytes A1-A9 give symbols; a symbol there is not our damage
                suspects.append(g)
    pattern = re.compile("[" + "".join(sorted(suspects)) + "]")
    return GarbleTables(
        _Twins(suspects, int(cfg["min_count"])),
        pattern,
        float(cfg["margin"]),
        float(cfg["gap"]),
        float(cfg["word_bonus"]),
        int(cfg["min_word"]),
        float(cfg["lm_margin"]),
        float(cfg["lm_gap"]),
    )


_TABLES: GarbleTables | None = None
_LOCK = threading.Lock()


def tables() -> GarbleTables:
    global _TABLES
    if _TABLES is None:
        with _LOCK:
            if _TABLES is None:
                _TABLES = _build()
    return _TABLES


def _word_fits(freq: Callable[[str], int], text: str, i: int, ch: str, min_freq: int) -> bool:
    """Does ``ch`` at ``i`` complete a dictionary word with the one or two characters before it?"""
    return i > 0 and (freq(text[i - 1] + ch) >= min_freq or freq(text[max(0, i - 2) : i] + ch) >= min_freq)


def _suspects(text: str, tab: GarbleTables) -> tuple[list[re.Match[str]], list[str]]:
    """The characters of ``text`` that byte loss can leave behind (not before punctuation), and
    the two-character sequences with their left, then their right neighbours."""
    found = [
        m for m in tab.pattern.finditer(text) if not (m.end() < len(text) and text[m.end()] in _PUNCT_AFTER)
    ]
    pairs = [text[m.start() - 1 : m.end()] if m.start() > 0 else "\x00\x00" for m in found] + [
        text[m.start() : m.end() + 1] if m.end() < len(text) else "\x00\x00" for m in found
    ]
    return found, pairs


# per window of a paragraph's hits: (hit, window, twin or None for the hit as it stands)
_Index = list[tuple[int, int, "tuple[str, str, str] | None"]]

# The paragraphs of the last ``prefetch`` batch that hold no byte-loss hit (every suspect seen
# next to a neighbour, or no suspect at all): ``find_gbk_loss`` answers them without a second scan.
# Replaced at each batch, so it holds one page's paragraphs at most; the answer depends only on the
# text and the character model's counts, which do not change in a process.
_NO_HITS: frozenset[str] = frozenset()
# the dictionary counts the batch's paragraphs with hits ask for (replaced at each batch)
_WORDS: dict[str, int] = {}
# per paragraph of the batch with hits: what ``find_gbk_loss`` works out before it scores them
# (hits, windows, where each window's scoring starts, index, words), replaced at each batch
_PLANS: dict[str, tuple[list[re.Match[str]], list[str], list[int], _Index, set[str]]] = {}


def prefetch(texts: list[str]) -> None:
    """Look up the neighbour counts ``find_gbk_loss`` needs for many paragraphs in one batch
    (``CharLM.bigrams`` memoises them): a model query costs a fixed set-up whatever its size, and
    the chain would otherwise pay it once per paragraph.  The paragraphs the counts clear of every
    suspect are noted (``_NO_HITS``), so the stage's first look at them is a set lookup; for the
    others, the windows their hits are judged on are scored and their words looked up here, in
    one batch for the page, instead of two model queries per paragraph."""
    global _NO_HITS, _WORDS, _PLANS
    if len(texts) < 2:
        return  # nothing to share: the stage asks for one paragraph's counts itself
    tab = tables()
    lm = get_lm()
    per_text = [_suspects(t, tab) for t in texts]
    counts = lm.bigrams([p for _, pairs in per_text for p in pairs])
    clean: set[str] = set()
    windows: list[str] = []
    starts: list[int] = []
    asked: set[str] = set()
    plans: dict[str, tuple[list[re.Match[str]], list[str], list[int], _Index, set[str]]] = {}
    k = 0
    for t, (found, pairs) in zip(texts, per_text, strict=True):
        hits = _hits(found, counts[k : k + len(pairs)])
        k += len(pairs)
        if not hits:
            clean.add(t)
            continue
        # a paragraph with hits: its windows scored and its words looked up with the page's
        # others (``CharLM.score_many`` memoises the scores, ``_WORDS`` keeps the counts)
        w, st, index = _hit_windows(t, hits, tab)
        windows += w
        starts += st
        words_t = _asked_words(t, hits, index)
        asked |= words_t
        plans[t] = (hits, w, st, index, words_t)
    _NO_HITS = frozenset(clean)
    _PLANS = plans
    if windows:
        lm.score_many(windows, starts)
    words = list(asked)
    _WORDS = dict(zip(words, get_words().get_many(words), strict=True)) if words else {}


def _hits(found: list[re.Match[str]], counts: list[int]) -> list[re.Match[str]]:
    """The suspects unseen next to both neighbours (``counts``: left pairs, then right pairs)."""
    n = len(found)
    return [m for k, m in enumerate(found) if not (counts[k] or counts[n + k])]


def _hit_windows(
    text: str, hits: list[re.Match[str]], tab: GarbleTables
) -> tuple[list[str], list[int], _Index]:
    """The character model's windows for each hit as it stands and for each of its twins (with
    the lost mark), where each window's scoring starts, and (hit, window, twin) per window."""
    windows: list[str] = []
    starts: list[int] = []
    index: _Index = []
    for h_i, m in enumerate(hits):
        i = m.start()
        left, right = text[max(0, i - 2) : i], text[i + 1 : i + 3]
        index.append((h_i, len(windows), None))
        windows.append(left + m.group() + right)
        starts.append(len(left))
        for twin in tab.twins[m.group()]:
            index.append((h_i, len(windows), twin))
            windows.append(left + twin[0] + twin[1] + right)
            starts.append(len(left))
    return windows, starts, index


def _asked_words(text: str, hits: list[re.Match[str]], index: _Index) -> set[str]:
    """The dictionary look-ups the word bonuses of the hits need."""
    asked: set[str] = set()
    for h_i, _, cand in index:
        i = hits[h_i].start()
        ch = hits[h_i].group() if cand is None else cand[0]
        asked.update((text[i - 1 : i] + ch, text[max(0, i - 2) : i] + ch))
        if cand is None:
            asked.update((ch + text[i + 1 : i + 2], ch + text[i + 1 : i + 3]))
    return asked


def find_gbk_loss(text: str) -> list[Edit]:
    """Characters that are the remains of "X，"/"X。" after GBK byte loss, restored where the model
    is sure.  Three tests, all needed: the character is unseen next to both neighbours (a garbled
    character is a random one); the best lead-byte twin X followed by the lost mark beats the
    character by the margin; and X beats the runner-up twin by ``gap`` (else we cannot tell which).
    Completing a dictionary word with the characters around it earns either side a bonus."""
    if text in _NO_HITS:
        return []  # the page's batch already found every suspect seen beside a neighbour
    tab = tables()
    lm = get_lm()
    plan = _PLANS.get(text)
    if plan is not None:  # the page's batch worked out the hits, their windows and words
        hits, windows, starts, index, asked = plan
    else:
        found, pairs = _suspects(text, tab)
        # a character seen next to either neighbour is no garble (one batched count lookup)
        hits = _hits(found, lm.bigrams(pairs))
        if not hits:
            return []
        windows, starts, index = _hit_windows(text, hits, tab)
        # every dictionary lookup of the word bonuses in one batch (the page's may hold them)
        asked = _asked_words(text, hits, index)
    scores = lm.score_many(windows, starts)
    known = {w: _WORDS[w] for w in asked if w in _WORDS}
    todo = [w for w in asked if w not in known]
    if todo:
        known.update(zip(todo, get_words().get_many(todo), strict=True))
    freq = known.__getitem__
    base: dict[int, float] = {}
    ranked: dict[int, list[tuple[float, tuple[str, str, str]]]] = {}
    for h_i, w_i, cand in index:
        m = hits[h_i]
        i, g = m.start(), m.group()
        if cand is None:
            right = text[i + 1 : i + 3]
            fits = _word_fits(freq, text, i, g, tab.min_word) or freq(g + right[:1]) >= tab.min_word
            fits = fits or freq(g + right) >= tab.min_word
            base[h_i] = scores[w_i] + (tab.word_bonus if fits else 0.0)
        else:
            bonus = tab.word_bonus if _word_fits(freq, text, i, cand[0], tab.min_word) else 0.0
            ranked.setdefault(h_i, []).append((scores[w_i] + bonus, cand))
    wlm = get_wordlm()
    margin, gap = (tab.margin, tab.gap) if wlm is None else (tab.lm_margin, tab.lm_gap)
    edits: list[Edit] = []
    for h_i, cands in ranked.items():
        if wlm is not None:
            cands, base[h_i] = _add_wordlm(text, hits[h_i], cands, base[h_i], wlm)
        cands.sort(key=lambda c: -c[0])
        score, (x, mark, rule) = cands[0]
        evidence = score - base[h_i]
        runner_up = cands[1][0] if len(cands) > 1 else float("-inf")
        if evidence >= margin and score - runner_up >= gap:
            conf = 1.0 - 0.1 * 2.0 ** (-(evidence - margin))
            m = hits[h_i]
            edits.append((m.start(), m.group(), x + mark, rule, round(conf, 4), True))
    return sorted(edits)


_LM_CTX = 8  # Han characters each side of a garbled character for the word model


def _han_run(text: str, i: int, step: int) -> tuple[str, bool]:
    """Up to ``_LM_CTX`` Han characters from i going left (step -1, text before i) or right
    (step 1, from i on), and whether the run ends at punctuation or the paragraph's edge."""
    k = i
    if step < 0:
        while k > 0 and i - k < _LM_CTX and _CJK.match(text[k - 1]):
            k -= 1
        return text[k:i], k == 0 or text[k - 1] in _PUNCT_AFTER
    while k < len(text) and k - i < _LM_CTX and _CJK.match(text[k]):
        k += 1
    return text[i:k], k == len(text) or text[k] in _PUNCT_AFTER


def _add_wordlm(
    text: str, m: re.Match[str], cands: list[tuple[float, tuple[str, str, str]]], base: float, wlm: WordLM
) -> tuple[list[tuple[float, tuple[str, str, str]]], float]:
    """The word trigram model's view added to the character model's: the window as it stands
    against the window with X ending a clause and the rest starting the next one.  The word
    model ranks the twins well (工具 against 工粳's other twins), the character model knows
    that the garbled character is unseen beside its neighbours: the sum keeps both."""
    i, g = m.start(), m.group()
    left, bos = _han_run(text, i, -1)
    right, eos = _han_run(text, i + 1, 1)
    tail = wlm.window_score("", right, "", True, eos) if right else 0.0
    new_base = base + wlm.window_score(left, g, right, bos, eos)
    # every twin in the same window: its context segmented and walked once (``window_scores``)
    twins = wlm.window_scores(left, [c[0] for _, c in cands], "", bos, True)
    return [(sc + w + tail, c) for (sc, c), w in zip(cands, twins, strict=True)], new_base


# --------------------------------------------------------------------------- mojibake
# A run of CJK-ish characters that could be UTF-8 decoded as GBK: GBK mojibake of UTF-8 consists of
# characters from the GBK repertoire, including its symbols (鎴戜滑, 锛�).
_RUN = re.compile(r"[^\x00-\x7f\s\ufffd]{2,}")  # a U+FFFD splits runs: its bytes are gone
_RUN_CHAR = re.compile(r"[^\x00-\x7f\s\ufffd]")
# the characters GBK text read as Latin-1 (or cp1252) is made of
_LATIN_CLASS = r"[\x80-\xff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u2026\u2030\u2039\u203a\u20ac\u2122]"
_LATIN_RUN = re.compile(_LATIN_CLASS + "{2,}")


def _readable(s: str) -> bool:
    """Decoded text that is real Chinese: every character is a CJK character the model has seen, or
    common punctuation/letters."""
    lm = get_lm()
    for ch in s:
        if _CJK.match(ch):
            if lm.unigram(ch) < 5:
                return False
        elif unicodedata.category(ch)[0] not in "PLNZ":
            return False
    return any(_CJK.match(ch) for ch in s)


def _per_char(s: str) -> float:
    return get_lm().score_many([s], [0])[0] / max(1, len(s))


@functools.cache
def _utf8_start_chars() -> frozenset[str]:
    """The characters whose own two GBK bytes can begin UTF-8 (see ``_utf8_starts``)."""
    starts = []
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            raw = bytes([lead, trail])
            try:
                ch = raw.decode("gbk")
                codecs.getincrementaldecoder("utf-8")().decode(raw, final=False)
            except UnicodeDecodeError:
                continue
            if _RUN_CHAR.match(ch):
                starts.append(ch)
    return frozenset(starts)


@functools.cache
def _utf8_starts() -> re.Pattern[str]:
    """The start of every ``_RUN`` whose first character's GBK bytes can begin UTF-8.

    A run can only be UTF-8 read as GBK if its bytes decode as UTF-8 from the start; a character
    whose own two GBK bytes are already no UTF-8 prefix rules the run out (a longer byte string
    with an invalid prefix stays invalid).  Those characters are 3,168 of GBK's ~21,000, so most
    runs of genuine Chinese start with another one: this pattern (one scan in C) finds only the
    runs worth the byte round trip, instead of a Python loop over every run of the text."""
    cls = "".join(re.escape(c) for c in sorted(_utf8_start_chars()))
    # a character from the set, not preceded by a run character (the run's first: the two
    # characters before the match's end are not "run character, anything"), with a second run
    # character after it.  The set comes first so that re's search skips to its characters in C
    # (a pattern that opens with the look-behind tries it at every position: 1.7x slower)
    return re.compile(rf"[{cls}](?<![^\x00-\x7f\s\ufffd].)(?=[^\x00-\x7f\s\ufffd])")


@functools.lru_cache(maxsize=65536)
def _utf8_prefix(head: str) -> bool:
    """Whether the GBK bytes of a run's first two characters are the start of valid UTF-8
    (memoised: a page's runs start with a few hundred distinct pairs at most)."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head.encode("gbk"), final=False)
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return True


def find_mojibake(text: str) -> list[Edit]:
    """Runs that re-encode to bytes which decode, strictly, to much more probable Chinese."""
    edits: list[Edit] = []
    for start in _utf8_starts().finditer(text):
        m = _RUN.match(text, start.start())
        assert m is not None  # (the start pattern's lookahead holds a second run character)
        # every candidate below starts with the run's first two characters: if their bytes are
        # not the start of valid UTF-8, no cut can decode (a genuine Chinese run, nearly always),
        # so the run is dismissed after four bytes instead of three full round trips
        if not _utf8_prefix(m.group()[:2]):
            continue
        # UTF-8's three bytes per character rarely fill whole GBK pairs: the last character of a
        # run may hold a byte of the next one, so the run is also tried one or two shorter
        for cut in (0, 1, 2):
            run = m.group()[: len(m.group()) - cut]
            if len(run) < 2:
                break
            try:
                fixed = run.encode("gbk").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            # a genuine Chinese run almost never survives the round trip; when it does, demand
            # that the result reads far better per character than the run did
            if fixed != run and _readable(fixed) and _per_char(fixed) > _per_char(run) + 2.0:
                edits.append((m.start(), run, fixed, "mojibake-utf8-as-gbk", 0.99, True))
            break
    for m in _LATIN_RUN.finditer(text):
        run = m.group()
        for codec in ("latin-1", "cp1252"):
            try:
                fixed = run.encode(codec).decode("gbk")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            if _readable(fixed):
                edits.append((m.start(), run, fixed, "mojibake-gbk-as-latin1", 0.98, True))
                break
    return sorted(edits)


_BAD = re.compile(r"(?:锟斤拷)+锟?|\ufffd+")


def find_unrepairable(text: str) -> list[Edit]:
    """锟斤拷 and U+FFFD runs: flagged (applied=False), never guessed."""
    if "\ufffd" not in text and "锟" not in text:
        return []  # (every match holds one of the two; two scans in C, most text has neither)
    return [(m.start(), m.group(), "", "unrepairable-replacement", 1.0, False) for m in _BAD.finditer(text)]
