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

import math
import re
from collections.abc import Callable

from cleaners import chinese, garble, spin

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from cleaners._data import data_path
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
_MAX_ROUNDS = 4
_MAX_PASSES = 3
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


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


def _repair_paragraph(
    text: str, spun: bool, doc: str, proven: frozenset[str] = frozenset()
) -> tuple[str, list[Repair], list[Repair]]:
    """Run the chain on one paragraph to a fixed point: (text, applied repairs, notes), the notes
    being the flags and suspicions of the final text (their offsets are into that text)."""
    stages: list[Stage] = [
        (
            kind,
            (lambda t: spin.find_spin(t, spun=spun, doc=doc, proven=proven)) if kind == "spin" else find,
        )
        for kind, find in _STAGES
    ]
    repairs: list[Repair] = []
    notes: list[Repair] = []
    for _round in range(_MAX_ROUNDS + 1):
        changed = False
        notes = []
        for kind, find in stages:
            edits = find(text)
            if not edits:
                continue
            applied = [e for e in edits if e[5]]
            # the last round only collects notes: every round before it applied what it found,
            # so the notes of a round without changes are notes of the final text
            if applied and _round < _MAX_ROUNDS:
                new_text, rec = _replay(text, kind, applied)
                repairs.extend(rec)
                changed = changed or new_text != text
                text = new_text
            notes.extend(_notes(kind, edits))
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


def _passes(
    text: str,
    spun: bool,
    proven: _Proven = ({}, -1, -1),
    settled: list[list[Repair]] | None = None,
) -> tuple[str, list[Repair], list[Repair], list[list[Repair]]]:
    """Passes over all paragraphs until the page stops changing, at most ``_MAX_PASSES``:
    (text, applied repairs, notes of the final text).  ``proven``: the pairs the page's spinner
    is shown to use, where, and the paragraphs (first, last) the proof counts in (``_proven``).

    The spin stage searches the page as it stood at the start of the pass for unspun twins of a
    phrase; a restoration can create the twin another paragraph needs, hence more passes.  In
    later passes a paragraph is run again only if the spin stage, asked with the new page, now
    applies something: the other stages do not depend on the page."""
    paras = text.split("\n")
    notes: list[list[Repair]] = [[] for _ in paras]
    fresh = [True] * len(paras)  # never run through the whole chain yet
    if settled is not None and len(settled) == len(paras):
        # the text is already a fixed point of the whole chain (an earlier call): only the spin
        # stage's margins changed, so a paragraph goes through the chain again only if the spin
        # stage now applies something, and the other stages' notes carry over
        notes = [list(n) for n in settled]
        fresh = [False] * len(paras)
    applied: list[Repair] = []
    for _ in range(_MAX_PASSES):
        doc = "\n".join(paras)
        changed = False
        start = 0  # where paragraph k begins in the page as repaired so far
        for k, para in enumerate(paras):
            if k:
                start += 1  # the "\n" before it
            if not para.strip():
                start += len(para)  # a blank paragraph still takes its room in the page
                continue
            # a pair counts as proven for paragraph k only by a restoration in another paragraph:
            # k's own context was already weighed, and a single paragraph that fooled the model
            # once (一点都不廉价 in clean text) must not then vouch for itself
            rules = (
                frozenset(rule for rule, ks in proven[0].items() if ks - {k})
                if proven[1] <= k <= proven[2]
                else frozenset()
            )
            if not fresh[k]:
                quick = spin.find_spin(para, spun=spun, doc=doc, proven=rules)
                if not any(e[5] for e in quick):
                    notes[k] = [r for r in notes[k] if r.kind != "spin"] + _notes("spin", quick)
                    start += len(para)
                    continue
            fixed, rec, notes[k] = _repair_paragraph(para, spun, doc, rules)
            fresh[k] = False
            applied.extend(shift(rec, start))
            changed = changed or fixed != para
            paras[k] = fixed
            start += len(fixed)
        if not changed:
            break
    out: list[Repair] = []
    start = 0
    for k, para in enumerate(paras):
        if k:
            start += 1
        out.extend(shift(notes[k], start))
        start += len(para)
    return "\n".join(paras), applied, out, notes


def _looks_spun(text: str, repairs: list[Repair]) -> bool:
    """Page-level evidence of a spinner: several sure restorations, densely enough.  A spun page
    makes every spinner pair far more likely, so the spin stage then runs again with the lower
    ``spun`` margins (a prior, not a guess: clean text almost never shows two sure swaps)."""
    cfg = spin.table()
    sure = [r for r in repairs if r.kind == "spin" and r.applied and r.confidence >= cfg.sure]
    han = len(_HAN.findall(text))
    return len(sure) >= cfg.min_sure and han > 0 and 100.0 * len(sure) / han >= cfg.sure_per_100


def _proven(text: str, repairs: list[Repair]) -> _Proven:
    """The spinner pairs this page is shown to use (restored at confidence >= sure), the
    paragraphs holding those restorations, and the first and last of them: the spun body, outside
    which (comments, a copyright footer) the page was not spun and the proof says nothing.
    Sequential offsets are mapped to paragraphs on the text as it stood at each repair."""
    sure = spin.table().sure
    where: dict[str, set[int]] = {}
    cur = text
    for r in repairs:
        if r.kind == "spin" and r.applied and r.confidence >= sure:
            where.setdefault(r.rule, set()).add(cur.count("\n", 0, r.offset))
        if r.applied:
            cur = cur[: r.offset] + r.after + cur[r.offset + len(r.before) :]
    paras = set().union(*where.values())
    if len(paras) < 2:
        return {}, -1, -1  # one paragraph can prove nothing to another inside the span
    return {rule: frozenset(ks) for rule, ks in where.items()}, min(paras), max(paras)


def repair_text(text: str) -> tuple[str, list[Repair]]:
    """Repair ``text`` (paragraphs separated by "\\n"); returns the repaired text and the repairs,
    applied ones replayable with ``apply_repairs`` and suspicions/flags with ``applied=False``.

    Deterministic, idempotent on its own output, and the identity on clean Simplified text."""
    if not text:
        return text, []
    out, applied, notes, per_para = _passes(text, spun=False)
    if _looks_spun(text, applied):
        out, more, notes, per_para = _passes(out, spun=True, settled=per_para)
        applied += more
        # a third look with the pairs the spinner was shown to use (the proof may come from the
        # spun pass: 熟悉 ← 了解 at 了解如何 proves 熟悉具体原因)
        proven = _proven(text, applied)
        if proven[0]:
            out, more, notes, _ = _passes(out, spun=True, proven=proven, settled=per_para)
            applied += more
    return out, applied + notes


# --------------------------------------------------------------------------- spin score

_SCORE_SCALE: float | None = None


def _scale() -> float:
    global _SCORE_SCALE
    if _SCORE_SCALE is None:
        with open(data_path("repair", "settings.toml"), "rb") as f:
            _SCORE_SCALE = float(tomllib.load(f)["spin_score"]["scale_per_100"])
    return _SCORE_SCALE


def spin_score(text: str, repairs: list[Repair]) -> float:
    """How much of ``text`` looks spun, in [0, 1]: spin repairs (applied, and suspicions weighted
    by their confidence) per 100 Han characters, saturating as 1 - exp(-rate / scale).  Clean text
    scores ~0; a content-farm copy with a few swaps per 100 characters scores > 0.6."""
    han = len(_HAN.findall(text))
    if han == 0:
        return 0.0
    weight = sum(1.0 if r.applied else r.confidence for r in repairs if r.kind == "spin")
    rate = 100.0 * weight / han
    return round(1.0 - math.exp(-rate / _scale()), 4)
