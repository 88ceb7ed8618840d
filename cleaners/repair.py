"""The text repair chain: every change is an audited ``Repair``.

Per paragraph (text split on "\\n"), in this order, because each step needs the one before it:

1. ``unrepairable``  锟斤拷 / U+FFFD runs: flagged, never guessed (``garble.find_unrepairable``)
2. ``mojibake``      UTF-8 read as GBK, GBK read as Latin-1 (``garble.find_mojibake``): the
                     characters must be right before anything reads them
3. ``t2s``           Traditional → Simplified (``chinese.find_t2s``): the model and the spinner
                     tables are Simplified
4. ``punct``         half-width , : ; ? ! ( ) between Chinese → full-width (``chinese.find_punct``);
                     lost sentence breaks are flagged, not invented (``find_missing_breaks``)
5. ``garble``        GBK byte loss 工粳 → 工具， (``garble.find_gbk_loss``)
6. ``spin``          spun words restored or suspected (``spin.find_spin``)

The chain runs again on its own output until nothing changes (at most ``_MAX_ROUNDS`` per
paragraph, ``_MAX_PASSES`` over the page), so that a restoration that gives its neighbour new
context is followed up, and so that ``repair_text`` is idempotent: its output is a fixed point of
the chain.  A page that shows a spinner at work (``_looks_spun``) is repaired again with the lower
``spun`` margins of the spin stage, and then once more with the pairs its spinner was shown to
use (``_proven``: a sure restoration in another paragraph of the spun body lowers the pair's
margin to ``proven_margin``).  Offsets are sequential (see
``cleaners/model.py``): ``apply_repairs(text, repairs) == repaired``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from cleaners import chinese, garble, spin, stagescan
from cleaners.data import repair_settings
from cleaners.model import Repair, shift

Edit = tuple[int, str, str, str, float, bool]
# pair id → paragraphs holding a sure restoration by it; first and last such paragraph
_Proven = tuple[dict[str, frozenset[int]], int, int]
Stage = tuple[str, Callable[[str], list[Edit]]]

_STAGES: list[Stage] = [
    ("mojibake", garble.find_mojibake),
    ("t2s", chinese.find_t2s),
    ("punct", chinese.find_punct),
    ("punct", chinese.find_missing_breaks),
    ("garble", garble.find_gbk_loss),
    ("spin", spin.find_spin),
]
# the stage functions ``stagescan.scan`` answers for (a stage not listed here always runs)
_REACH: dict[Callable[[str], list[Edit]], int] = {
    garble.find_mojibake: stagescan.MOJIBAKE,
    chinese.find_t2s: stagescan.T2S,
    chinese.find_punct: stagescan.PUNCT,
    chinese.find_missing_breaks: stagescan.BREAKS,
    garble.find_gbk_loss: stagescan.GBK,
}
_NO_RULES: frozenset[str] = frozenset()
_MAX_ROUNDS = 4
_MAX_PASSES = 3
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def _han_count(text: str) -> int:
    """Han characters in ``text``: the lengths of its Han runs summed (a page's runs are a few
    hundred strings, where ``len(_HAN.findall(text))`` made one string per character)."""
    return sum(map(len, _HAN_RUN.findall(text)))


def _replay(text: str, kind: str, edits: list[Edit]) -> tuple[str, list[Repair]]:
    """Apply non-overlapping edits (given in ``text``'s coordinates) and return the sequential
    repairs; suspicions are recorded at their offset in the text as it stands at that point."""
    repairs: list[Repair] = []
    parts: list[str] = []
    delta = 0
    pos = 0
    for off, before, after, rule, conf, applied in sorted(edits, key=lambda e: e[0]):
        if off < pos:
            continue  # overlaps an earlier edit of the same stage: keep the first (left to right)
        repairs.append(Repair(kind, rule, before, after, off + delta, conf, applied))
        if applied:
            parts.append(text[pos:off])
            parts.append(after)
            pos = off + len(before)
            delta += len(after) - len(before)
    parts.append(text[pos:])
    return "".join(parts), repairs


# The state of a paragraph's first round after some of its stages (``_run_stages``): how many
# stages ran, the text, the applied repairs, the notes, whether the text changed
_Head = tuple[int, str, list[Repair], list[Repair], bool]


def _run_stages(
    text: str,
    stages: list[Stage],
    apply: bool,
    spun: bool,
    doc: str,
    proven: frozenset[str],
    reach: int = -1,
) -> tuple[str, list[Repair], list[Repair], bool]:
    """One round of the chain over ``stages``: (text, applied repairs, notes, changed).  ``apply``:
    apply what the stages find (every round but the last, which only collects notes).  ``reach``:
    ``stagescan.scan(text)`` when the caller has it (-1: worked out when a stage needs it)."""
    repairs: list[Repair] = []
    notes: list[Repair] = []
    changed = False
    for kind, find in stages:
        bit = _REACH.get(find)
        if bit is not None:
            if reach < 0:
                reach = stagescan.scan(text)
            if not reach & bit:
                continue  # the stage's own first test would answer [] (cleaners/stagescan.py)
        # the spin stage takes the page and its margins too (no closure made per paragraph)
        edits = spin.find_spin(text, spun=spun, doc=doc, proven=proven) if kind == "spin" else find(text)
        if not edits:
            continue
        applied = [e for e in edits if e[5]]
        if applied and apply:
            new_text, rec = _replay(text, kind, applied)
            repairs.extend(rec)
            if new_text != text:
                changed = True
                reach = -1
            text = new_text
        notes.extend(_notes(kind, edits))
    return text, repairs, notes, changed


def _head(text: str, reach: int) -> _Head:
    """The first round of the chain on ``text`` up to the spin stage (which is last): the other
    stages do not depend on the page, so ``_passes`` runs this for every paragraph of a pass first
    and asks the models about all the texts the spin stage will then be given in one batch.
    ``reach``: ``stagescan.scan(text)``."""
    n = len(_STAGES) - 1
    assert _STAGES[n][0] == "spin"
    if not reach & stagescan.ALL:
        return (n, text, [], [], False)  # no stage before the spin stage can find anything
    return (n, *_run_stages(text, _STAGES[:n], True, False, "", frozenset(), reach))


def _repair_paragraph(
    text: str,
    spun: bool,
    doc: str,
    proven: frozenset[str] = frozenset(),
    stages: list[Stage] | None = None,
    head: _Head | None = None,
) -> tuple[str, list[Repair], list[Repair]]:
    """Run the chain (``stages``, default all of ``_STAGES``) on one paragraph to a fixed point:
    (text, applied repairs, notes), the notes being the flags and suspicions of the final text
    (their offsets are into that text).  ``head``: the first round's stages before the spin
    stage, already run on ``text`` (``_head``)."""
    stages = _STAGES if stages is None else stages
    repairs: list[Repair] = []
    notes: list[Repair] = []
    for _round in range(_MAX_ROUNDS + 1):
        # the last round only collects notes: every round before it applied what it found, so the
        # notes of a round without changes are notes of the final text
        if _round == 0 and head is not None:
            done, text, rec, notes, changed = head
            repairs.extend(rec)
            notes = list(notes)
            text, rec, more, changed_more = _run_stages(text, stages[done:], True, spun, doc, proven)
            changed = changed or changed_more
            notes.extend(more)
        else:
            text, rec, notes, changed = _run_stages(text, stages, _round < _MAX_ROUNDS, spun, doc, proven)
        repairs.extend(rec)
        if not changed:
            break
    flags = garble.find_unrepairable(text)
    if flags:
        notes.extend(_replay(text, "unrepairable", flags)[1])
    return text, repairs, notes


def _notes(kind: str, edits: list[Edit]) -> list[Repair]:
    return [
        Repair(kind, rule, before, after, off, conf, False)
        for off, before, after, rule, conf, ok in edits
        if not ok
    ]


# The units a page is repaired in: paragraphs, a long paragraph cut into windows (``_windows``),
# the separator before each unit ("\n" between paragraphs, "" between windows of one paragraph),
# and the notes of each unit's final text (its own coordinates)
_Units = tuple[list[str], list[str], list[list[Repair]]]


@dataclass(frozen=True, slots=True)
class _Window:
    max_chars: int
    echo_page: int
    echo_block: int
    echo_head: int


@functools.cache
def _window() -> _Window:
    cfg = repair_settings()["window"]
    return _Window(
        int(cfg["max_chars"]),
        int(cfg["echo_page_chars"]),
        int(cfg["echo_block_chars"]),
        int(cfg["echo_head_chars"]),
    )


_SENTENCE_END = "。！？；"


def _windows(para: str, size: int) -> list[str]:
    """``para`` cut into pieces of at most ``size`` characters, each ending after a sentence end
    (。！？；) when the second half of the window holds one, else cut hard at ``size``.

    Every stage of the chain looks at most a few characters around what it changes (a trigram or
    word window, a punctuation mark's neighbours), so a cut after a sentence end costs little: a
    spun word right before the cut is weighed without the next sentence's first characters.  What
    it buys is a bound on the work any step is given, whatever it costs in the length of its text.
    The price: on such a paragraph the chain is not always idempotent (a second run cuts the
    repaired text at other places and can see a candidate with its full context: 2 of 550 repairs
    on a 160,000-character paragraph).  Paragraphs up to ``max_chars`` are repaired whole, as
    before."""
    if len(para) <= size:
        return [para]
    out: list[str] = []
    start = 0
    while len(para) - start > size:
        lo, hi = start + size // 2, start + size
        cut = max(para.rfind(c, lo, hi) for c in _SENTENCE_END) + 1
        if cut <= lo:
            cut = hi  # no sentence end in reach (a hostile page): a hard cut
        out.append(para[start:cut])
        start = cut
    out.append(para[start:])
    return out


def _units(text: str) -> tuple[list[str], list[str]]:
    size = _window().max_chars
    units: list[str] = []
    seps: list[str] = []
    for k, para in enumerate(text.split("\n")):
        for n, piece in enumerate(_windows(para, size)):
            units.append(piece)
            seps.append("" if k == 0 and n == 0 else "\n" if n == 0 else "")
    return units, seps


def _echo_docs(units: list[str], seps: list[str]) -> tuple[str, list[str]]:
    """The page as it stands, and per unit the text the spin stage searches for unspun twins
    (``spin._echo``): the whole page, or on a page longer than ``echo_page_chars`` the unit's
    neighbourhood (whole blocks of ``echo_block_chars`` either side) and the page's head.  Units in
    one block share one string, so the cost stays linear in the page."""
    cfg = _window()
    doc = "".join(s + u for s, u in zip(seps, units, strict=True))
    if len(doc) <= cfg.echo_page:
        return doc, [doc] * len(units)
    size, head = cfg.echo_block, doc[: cfg.echo_head]
    blocks: dict[int, str] = {}
    out: list[str] = []
    pos = 0
    for s, u in zip(seps, units, strict=True):
        pos += len(s)
        b = pos // size
        if b not in blocks:
            blocks[b] = head + "\n" + doc[max(cfg.echo_head, (b - 1) * size) : (b + 2) * size]
        out.append(blocks[b])
        pos += len(u)
    return doc, out


def _passes(
    text: str,
    spun: bool,
    proven: _Proven = ({}, -1, -1),
    settled: _Units | None = None,
) -> tuple[str, list[Repair], list[int], list[Repair], _Units]:
    """Passes over all paragraphs until the page stops changing, at most ``_MAX_PASSES``:
    (text, applied repairs, the paragraph of each applied repair, notes of the final text, the
    units as they ended).  ``proven``: the pairs the page's spinner is shown to use, where, and
    the paragraphs (first, last) the proof counts in (``_proven``).  A paragraph longer than the
    ``[window]`` setting is repaired in windows (``_windows``), each a unit of its own.

    The spin stage searches the page as it stood at the start of the pass for unspun twins of a
    phrase; a restoration can create the twin another paragraph needs, hence more passes.  In
    later passes a paragraph is run again only if the spin stage, asked with the new page, now
    applies something: the other stages do not depend on the page."""
    if settled is not None and "".join(s + u for s, u in zip(settled[1], settled[0], strict=True)) == text:
        # the text is already a fixed point of the whole chain (an earlier call): only the spin
        # stage's margins changed, so a paragraph goes through the chain again only if the spin
        # stage now applies something, and the other stages' notes carry over
        paras, seps = list(settled[0]), list(settled[1])
        notes = [list(n) for n in settled[2]]
        fresh = [False] * len(paras)
    else:
        paras, seps = _units(text)
        notes = [[] for _ in paras]
        fresh = [True] * len(paras)  # never run through the whole chain yet
    para_of: list[int] = []  # the paragraph (of the page) each unit belongs to
    for s in seps:
        para_of.append((para_of[-1] if para_of else 0) + (s == "\n"))
    applied: list[Repair] = []
    where: list[int] = []
    for _ in range(_MAX_PASSES):
        _doc, docs = _echo_docs(paras, seps)
        # the model look-ups of every paragraph made in one batch (see spin.prefetch); the
        # byte-loss stage's only for paragraphs that go through the whole chain for certain and
        # hold a character byte loss leaves behind (the stage is not called on the others)
        reach = {k: stagescan.scan(p) for k, p in enumerate(paras) if fresh[k] and p.strip()}
        garble.prefetch([paras[k] for k, r in reach.items() if r & stagescan.GBK])
        # a fresh paragraph's first round up to the spin stage: the spin stage is then asked
        # about the text as those stages leave it, in the same batch as the others
        heads = {k: _head(paras[k], r) for k, r in reach.items()}
        spin.prefetch([heads[k][1] if k in heads else p for k, p in enumerate(paras) if p.strip()])
        changed = False
        start = 0  # where unit k begins in the page as repaired so far
        for k, para in enumerate(paras):
            start += len(seps[k])
            if not para.strip():
                start += len(para)  # a blank paragraph still takes its room in the page
                continue
            head = heads.get(k)
            if (
                head is not None
                and not (head[2] or head[3] or head[4])
                and not reach[k] & stagescan.UNREPAIRABLE
                and not spin.has_candidates(para)
            ):
                # nothing for any stage, no spun form and nothing to flag: what
                # ``_repair_paragraph`` would find, (para, [], []), at once
                notes[k] = []
                fresh[k] = False
                start += len(para)
                continue
            doc, p = docs[k], para_of[k]
            # a pair counts as proven for paragraph p only by a restoration in another paragraph:
            # p's own context was already weighed, and a single paragraph that fooled the model
            # once (一点都不廉价 in clean text) must not then vouch for itself
            rules = (
                frozenset(rule for rule, ks in proven[0].items() if ks - {p})
                if proven[1] <= p <= proven[2]
                else _NO_RULES
            )
            if not fresh[k]:
                quick = (
                    spin.find_spin(para, spun=spun, doc=doc, proven=rules)
                    if spin.has_candidates(para)
                    else []
                )
                if not any(e[5] for e in quick):
                    if notes[k] or quick:
                        notes[k] = [r for r in notes[k] if r.kind != "spin"] + _notes("spin", quick)
                    start += len(para)
                    continue
            fixed, rec, notes[k] = _repair_paragraph(para, spun, doc, rules, head=head)
            fresh[k] = False
            applied.extend(shift(rec, start))
            where.extend([p] * len(rec))
            changed = changed or fixed != para
            paras[k] = fixed
            start += len(fixed)
        if not changed:
            break
    out: list[Repair] = []
    start = 0
    for k, para in enumerate(paras):
        start += len(seps[k])
        out.extend(shift(notes[k], start))
        start += len(para)
    return "".join(s + u for s, u in zip(seps, paras, strict=True)), applied, where, out, (paras, seps, notes)


def _looks_spun(text: str, repairs: list[Repair]) -> bool:
    """Page-level evidence of a spinner: several sure restorations, densely enough.  A spun page
    makes every spinner pair far more likely, so the spin stage then runs again with the lower
    ``spun`` margins (a prior, not a guess: clean text almost never shows two sure swaps)."""
    cfg = spin.table()
    sure = [r for r in repairs if r.kind == "spin" and r.applied and r.confidence >= cfg.sure]
    if len(sure) < cfg.min_sure:
        return False  # (most pages: the page's Han characters need not be counted)
    han = _han_count(text)
    return han > 0 and 100.0 * len(sure) / han >= cfg.sure_per_100


def _proven(repairs: list[Repair], paras: list[int]) -> _Proven:
    """The spinner pairs this page is shown to use (restored at confidence >= sure), the
    paragraphs holding those restorations, and the first and last of them: the spun body, outside
    which (comments, a copyright footer) the page was not spun and the proof says nothing.
    ``paras``: the paragraph of each repair, as ``_passes`` reports it."""
    sure = spin.table().sure
    where: dict[str, set[int]] = {}
    for r, k in zip(repairs, paras, strict=True):
        if r.kind == "spin" and r.applied and r.confidence >= sure:
            where.setdefault(r.rule, set()).add(k)
    found = set().union(*where.values())
    if len(found) < 2:
        return {}, -1, -1  # one paragraph can prove nothing to another inside the span
    return {rule: frozenset(ks) for rule, ks in where.items()}, min(found), max(found)


def repair_text(text: str) -> tuple[str, list[Repair]]:
    """Repair ``text`` (paragraphs separated by "\\n"); returns the repaired text and the repairs,
    applied ones replayable with ``apply_repairs`` and suspicions/flags with ``applied=False``.

    Deterministic, idempotent on its own output, and the identity on clean Simplified text."""
    if not text:
        return text, []
    out, applied, where, notes, units = _passes(text, spun=False)
    if _looks_spun(text, applied):
        out, more, more_where, notes, units = _passes(out, spun=True, settled=units)
        applied += more
        where += more_where
        # a third look with the pairs the spinner was shown to use (the proof may come from the
        # spun pass: 熟悉 ← 了解 at 了解如何 proves 熟悉具体原因)
        proven = _proven(applied, where)
        if proven[0]:
            out, more, _, notes, _ = _passes(out, spun=True, proven=proven, settled=units)
            applied += more
    return out, applied + notes


# --------------------------------------------------------------------------- comments

# Comments get the repairs that fix how the text was encoded and typed, not what it says: broken
# encodings (mojibake), Traditional characters, half-width punctuation.  Left out: spin restoration
# (readers' comments are not spun: a spinner rewrites the article it copies, and the proof of a
# spinner at work stops at the end of the spun body, see ``_proven``), GBK byte loss (its evidence
# is tuned on edited prose; on the 551 comments of ../shared/pages* its one change was wrong:
# 说个老梗 → 说个老公。, slang the model does not know) and the missing-break flags (a comment
# without punctuation is how people write comments).
_COMMENT_KINDS = frozenset({"mojibake", "t2s", "punct"})
_COMMENT_STAGES: list[Stage] = [
    (kind, find)
    for kind, find in _STAGES
    if kind in _COMMENT_KINDS and find is not chinese.find_missing_breaks
]


def repair_comment(text: str) -> tuple[str, list[Repair]]:
    """Repair a reader's comment (``_COMMENT_STAGES``): the repaired text and the repairs, in the
    comment's own coordinates (``apply_repairs(text, repairs) == repaired``); the identity on
    clean Simplified text."""
    if not text:
        return text, []
    out: list[str] = []
    applied: list[Repair] = []
    notes: list[Repair] = []
    start = 0
    for k, para in enumerate(text.split("\n")):
        if k:
            start += 1
        if para.strip():
            fixed, rec, flags = _repair_paragraph(para, False, "", stages=_COMMENT_STAGES)
            applied.extend(shift(rec, start))
            notes.extend(shift(flags, start))
            para = fixed
        out.append(para)
        start += len(para)
    # notes point into the final text: they follow the applied repairs, as in ``repair_text``
    return "\n".join(out), applied + notes


# --------------------------------------------------------------------------- spin score

_SCORE_SCALE: float | None = None


def _scale() -> float:
    global _SCORE_SCALE
    if _SCORE_SCALE is None:
        _SCORE_SCALE = float(repair_settings()["spin_score"]["scale_per_100"])
    return _SCORE_SCALE


def spin_score(text: str, repairs: list[Repair]) -> float:
    """How much of ``text`` looks spun, in [0, 1]: spin repairs (applied, and suspicions weighted
    by their confidence) per 100 Han characters, saturating as 1 - exp(-rate / scale).  Clean text
    scores ~0; a content-farm copy with a few swaps per 100 characters scores > 0.6."""
    han = _han_count(text)
    if han == 0:
        return 0.0
    weight = sum(1.0 if r.applied else r.confidence for r in repairs if r.kind == "spin")
    rate = 100.0 * weight / han
    return round(1.0 - math.exp(-rate / _scale()), 4)
