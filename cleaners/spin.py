"""Spun words (伪原创): find words a spinner swapped in and restore the original where sure.

A spinner replaces dictionary words left to right without regard to sense (问题→疑惑, 至关重要→
至关关键, 工作日→事情日).  The spinner pairs are data (``data/repair/spin_pairs.tsv``); whether a
spun form is really spun is decided by the character language model (``cleaners/lm.py``): the
original, put back into the sentence, must be much more probable than the spun form.  How much more
depends on the pair's class — a string that is no word (至关关键) needs no more than a tie, an
ordinary word (作用, 熟悉, 客户, 表现) needs strong evidence, because it is usually right.

Size: just over 500 lines, one repair stage: the pair table (ours and run-time ones), the
search for spun words and the evidence that decides each of them.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Container, Sequence
from dataclasses import dataclass
from typing import Any

import ahocorasick
import numpy as np

from cleaners import compiled
from cleaners import lm as _lm
from cleaners.data import read_tsv, repair_settings
from cleaners.lm import get_lm, get_words
from cleaners.spin_decision import Learned, features, load_decision
from cleaners.spintables import read_table, runtime_table_paths
from cleaners.wordlm import get_prior, get_wordlm, prior_logratio

# the compiled pass that rules out paragraphs without a form (cleaners/compiled.py); without it
# the automaton reads all
_fastscan: Any = compiled.load("_fastscan")

# An edit in one paragraph's coordinates: (offset, before, after, rule, confidence, applied)
Edit = tuple[int, str, str, str, float, bool]

_CTX = 2  # characters of context on each side (the model is a trigram model)
_WORD_CTX = 3  # context for the word model: a compound such as 负面影响 or 采取措施 must fit in


@dataclass(frozen=True, slots=True)
class Pair:
    id: str
    spun: str
    original: str
    cls: str  # N | R | C
    reason: str
    runtime: bool = False  # from a run-time table (GUIDECRAWL_SPIN_TABLES), not data/repair


@dataclass(frozen=True, slots=True)
class SpinTable:
    pairs: dict[str, list[Pair]]  # spun form → candidate originals
    automaton: ahocorasick.Automaton  # every spun form, for leftmost-longest matching
    margins: dict[str, float]
    spun_margins: dict[str, float]
    apply: float
    suspect: float
    sure: float
    ambiguity: float
    echo_bonus: float
    min_sure: int
    sure_per_100: float
    proven_margin: float
    runtime_extra: float
    prior_weight: float = 0.0
    evidence: str = "charlm"  # which models gave the evidence: kenlm (both, combined) or charlm
    # the word model's own gate (None without it): its evidence lives on another scale
    word: WordGate | None = None
    # the learned decision (``cleaners/spin_decision.py``) in place of the margins, or None
    learned: Learned | None = None


@dataclass(frozen=True, slots=True)
class WordGate:
    """Margins of the word trigram model's evidence (``[spin_lm]``) and the two floors that
    combine it with the character model's (``[spin]``): the word model is asked only where the
    character model's evidence for an original exceeds ``char_floor``; there a restoration is made
    when either model meets its margins and the other's evidence is above its floor."""

    margins: dict[str, float]
    spun_margins: dict[str, float]
    proven_margin: float
    runtime_extra: float
    char_floor: float  # the word model is asked (and may decide) only above this character evidence
    word_floor: float  # where asked, the character model's restoration needs word evidence above this


def _load() -> SpinTable:
    pairs: dict[str, list[Pair]] = {}
    for row in read_tsv("repair", "spin_pairs.tsv"):
        if row["class"] not in ("N", "R", "C"):
            raise ValueError(f"spin pair {row['id']}: class must be N, R or C")
        p = Pair(row["id"], row["spun"], row["original"], row["class"], row["reason"])
        pairs.setdefault(p.spun, []).append(p)
    settings = repair_settings()
    cfg = dict(settings["spin"])
    evidence = "charlm"
    word = None
    learned = None
    if get_wordlm() is not None:
        # the word model's evidence lives on another scale: its own margins
        wcfg = dict(cfg)
        wcfg.update({k: v for k, v in settings["spin_lm"].items() if k not in ("id", "reason")})
        word = WordGate(
            {c: float(wcfg[f"margin_{c}"]) for c in ("N", "R", "C")},
            {c: float(wcfg[f"spun_margin_{c}"]) for c in ("N", "R", "C")},
            float(wcfg["proven_margin"]),
            float(wcfg["runtime_extra_margin"]),
            float(wcfg["char_floor"]),
            float(wcfg["word_floor"]),
        )
        cfg["prior_weight"] = wcfg.get("prior_weight", 0.0)
        evidence = "kenlm"
        if float(wcfg.get("learned", 0)):
            learned = load_decision(wcfg, settings["spin_decision"])
    for path in runtime_table_paths():
        _add_external(pairs, path, cfg)
    automaton = ahocorasick.Automaton()
    for k in pairs:
        automaton.add_word(k, k)
    automaton.make_automaton()
    margins = {c: float(cfg[f"margin_{c}"]) for c in ("N", "R", "C")}
    spun_margins = {c: float(cfg[f"spun_margin_{c}"]) for c in ("N", "R", "C")}
    return SpinTable(
        pairs,
        automaton,
        margins,
        spun_margins,
        float(cfg["apply"]),
        float(cfg["suspect"]),
        float(cfg["sure"]),
        float(cfg["ambiguity"]),
        float(cfg["echo_bonus"]),
        int(cfg["min_sure"]),
        float(cfg["sure_per_100"]),
        float(cfg["proven_margin"]),
        float(cfg["runtime_extra_margin"]),
        float(cfg.get("prior_weight", 0.0)),
        evidence,
        word,
        learned,
    )


def _add_external(pairs: dict[str, list[Pair]], path: str, cfg: dict) -> None:
    """Invert a run-time spinner table (``cleaners/spintables.py``) into ``pairs``.

    Its entries carry no class, so the class comes from jieba's dictionary: a spun form that is no
    word is N, a word rarer than ``rare_below`` is R, any other word C (the strongest evidence),
    exactly the scale our own table uses."""
    words = get_words()
    name = os.path.basename(path)
    known = {(spun, p.original) for spun, ps in pairs.items() for p in ps}
    rare = int(cfg["rare_below"])
    for n, (find, replace) in enumerate(read_table(path), 1):
        if (replace, find) in known:
            continue
        known.add((replace, find))
        f = words.get(replace)
        cls = "N" if f == 0 else "R" if f < rare else "C"
        pairs.setdefault(replace, []).append(
            Pair(
                f"{name}:{n}",
                replace,
                find,
                cls,
                f"run-time spinner table {name}: {find} → {replace}",
                runtime=True,
            )
        )


@functools.cache
def table() -> SpinTable:
    """The spinner table, compiled once per process."""
    return _load()


def reload() -> None:
    """Forget the compiled table and the memoised scores (after ``GUIDECRAWL_SPIN_TABLES`` or the
    data folder changed in this process)."""
    from cleaners import wordlm

    wordlm.reset()
    table.cache_clear()
    _forms.cache_clear()
    _has_runtime.cache_clear()
    _form_starts.cache_clear()
    _form_margins.cache_clear()
    _prior_part.cache_clear()
    clear_memo()


def clear_memo() -> None:
    """Forget the memoised scores only (the tables stay compiled): benchmarks that time the same
    page several times call it between runs, so that every run is a first reading."""
    _SCORED.clear()
    _PEAK.clear()
    _LIVE.clear()
    _CANDS.clear()
    _TWINS.clear()
    _word_scored.cache_clear()
    _run_scored.cache_clear()
    _WORD_CACHE.clear()
    get_lm().clear_cache()
    wlm = get_wordlm()
    if wlm is not None:
        wlm.clear_cache()


def matches(text: str, tab: SpinTable | None = None) -> list[tuple[int, str]]:
    """Spun forms in ``text`` as a strtr-style spinner would have left them: leftmost first, the
    longest form at a position (采纳措施 before 采纳), never overlapping.

    Aho-Corasick (pyahocorasick's ``iter_long``) rather than one regex alternation: with tens of
    thousands of forms (a run-time table) Python's ``re`` tries every alternative at every
    position; the automaton reads each character once whatever the table's size."""
    tab = tab or table()
    if not text:
        return []
    return [(end - len(w) + 1, w) for end, w in tab.automaton.iter_long(text)]


def _confidence(evidence: float, margin: float, apply: float) -> float:
    # logistic in the evidence, calibrated so that evidence == margin gives exactly ``apply``
    x = evidence - margin + math.log(apply / (1.0 - apply))
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))


_WORD_CACHE: dict[str, float] = {}
_WORD_CACHE_MAX = 50_000  # ~200 bytes an entry, as lm._CACHE_MAX


def _word_logprobs(windows: list[str]) -> list[float]:
    """Log-probability of each window under jieba's unigram word model (its best segmentation),
    from the memory-mapped copy of jieba's dictionary (``lm.WordFreq``).

    The character trigram model sees two characters of context; the word model knows compounds
    and idioms from jieba's dictionary (负面影响, 采取措施, 至关重要), which the 1998 corpus lacks.
    Memoised (bounded): the chain re-reads the same windows in its later rounds and passes."""
    cache = _WORD_CACHE
    todo = [w for w in dict.fromkeys(windows) if w not in cache]
    if todo:
        if len(cache) + len(todo) > _WORD_CACHE_MAX:
            cache.clear()  # bounded memory; a cleared cache only costs time
            todo = list(dict.fromkeys(windows))
        cache.update(zip(todo, get_words().logprobs(todo), strict=True))
    return [cache[w] for w in windows]


def _echo(doc: str, text: str, i: int, j: int, original: str) -> bool:
    """Does the page say the same thing elsewhere with ``original`` in place of text[i:j]?

    A spinner replaces each occurrence with a probability below one, and content-farm pages repeat
    their title and key phrases, so the unspun twin of a phrase is often on the same page
    (解决冻结起因及恢复 beside 解决冻结原因及恢复).  Five characters of identical context are
    required, so that common frames like 的……是 do not count."""
    left, right = text[max(0, i - 3) : i], text[j : j + 3]
    if len(left) < 2 or len(right) < 2:
        return False
    # both phrases (three characters left and two right, or two left and three right) hold this
    # core: one search of the page for it, then a look at the character either side of each hit
    # (usually there is none), where two searches of the page for the phrases were made before
    core = left[-2:] + original + right[:2]
    lc = left[0] if len(left) == 3 else ""
    rc = right[2] if len(right) == 3 else ""
    if _fastscan is not None:
        return _twin_index(doc).has(core, lc, rc)
    return _twin_reference(doc, core, lc, rc)


def _twin_reference(doc: str, core: str, lc: str, rc: str) -> bool:
    """Does ``core`` occur in ``doc`` with ``lc`` right before it or ``rc`` right after it (an
    empty one: no such test)?  The reference of ``_fastscan.TwinIndex.has``, and the fallback."""
    end = len(doc)
    at = doc.find(core)
    while at >= 0:
        if (lc and at > 0 and doc[at - 1] == lc) or (
            rc and at + len(core) < end and doc[at + len(core)] == rc
        ):
            return True
        at = doc.find(core, at + 1)
    return False


# page → its ``_fastscan.TwinIndex`` (bounded: the docs of the pages being repaired)
_TWINS: dict[str, _fastscan.TwinIndex] = {}
_TWINS_MAX = 16


def _twin_index(doc: str) -> _fastscan.TwinIndex:
    """The index of ``doc``'s characters, built once per page (a pass of the chain asks about
    the same page for every candidate it weighs)."""
    got = _TWINS.get(doc)
    if got is None:
        if len(_TWINS) >= _TWINS_MAX:
            _TWINS.clear()  # bounded memory; a cleared memo only costs time
        got = _TWINS[doc] = _fastscan.TwinIndex(doc)
    return got


def find_spin(
    text: str,
    *,
    spun: bool = False,
    doc: str | None = None,
    proven: frozenset[str] = frozenset(),
) -> list[Edit]:
    """Restorations (applied) and suspicions (not applied) for one paragraph, in its coordinates.
    ``spun``: the page is known to be spun, so the lower ``spun_margin_*`` apply.  ``doc``: the
    whole page, searched for an unspun twin of each candidate's phrase (``_echo``).  ``proven``:
    ids of pairs this page's spinner is shown to use (a sure restoration elsewhere in the spun
    part of the page); for them the margin is at most ``proven_margin``.

    Candidates are scored together (one batched model query); edits never overlap because the
    spun forms are matched left to right without overlap.
    """
    tab = table()
    scored = _scored(text)
    if not scored:
        return []
    extra: list[Edit] = []  # the learned decision's edits where it decides some candidates only
    if tab.learned is not None and tab.learned.runtime_only:
        # the formula decides the candidates with a pair of a run-time spinner table, the margins
        # below the rest (our table's pairs: the pages' golden restorations are such); the formula
        # sees the whole paragraph (its density features), so it is asked only where it decides.
        # Without a run-time table no candidate is routed to it: nothing to sort out per call
        if _has_runtime() or FEATURES is not None:
            scored, extra = _route_learned(tab, text, scored, spun, doc, proven)
    elif tab.learned is not None or FEATURES is not None:
        learned = _find_learned(tab, text, scored, spun, doc, proven)
        if tab.learned is not None:
            return learned
    margins = tab.spun_margins if spun else tab.margins
    wg = tab.word
    bonus = max(0.0, tab.echo_bonus) if doc else 0.0
    floor = wg.char_floor if wg is not None else math.inf
    if _all_hopeless(tab, _PEAK[text], bonus, floor, margins, proven):
        return extra
    wmargins = (wg.spun_margins if spun else wg.margins) if wg is not None else margins

    def margin(p: Pair) -> float:
        # a pair the spinner demonstrably applied on this page is as likely spun as a non-word:
        # the spun form then has to be clearly better in context to stay (合理利用 ← 合理使用)
        m = margins[p.cls] + (tab.runtime_extra if p.runtime else 0.0)
        return min(m, tab.proven_margin) if p.id in proven else m

    def wmargin(p: Pair) -> float:
        assert wg is not None
        m = wmargins[p.cls] + (wg.runtime_extra if p.runtime else 0.0)
        return min(m, wg.proven_margin) if p.id in proven else m

    # each spun form's margins, in the order of its pairs, built once per table; a page's proven
    # pairs change them (``margin``), so with proof they are worked out per candidate
    form_margins = _form_margins(spun)
    if not proven:
        # which candidates are not ``_hopeless`` depends on the paragraph, the margins and
        # whether there is a page: the chain asks again in its later passes (memoised)
        key = (text, spun, bonus)
        got = _LIVE.get(key)
        if got is not None and got[0] is tab:
            live = got[1]
        else:
            live = [c for c in scored if not _hopeless(tab, c[2], bonus, floor, form_margins[c[1]])]
            if len(_LIVE) >= _SCORED_MAX:
                _LIVE.clear()  # bounded memory; a cleared memo only costs time
            _LIVE[key] = (tab, live)
    else:
        live = [c for c in scored if not _hopeless(tab, c[2], bonus, floor, [margin(p) for p, _ in c[2]])]
    edits: list[Edit] = []
    for i, w, gains in live:
        ms = form_margins[w] if not proven else [margin(p) for p, _ in gains]
        j = i + len(w)
        echo = [tab.echo_bonus if doc and _echo(doc, text, i, j, p.original) else 0.0 for p, _ in gains]
        # each pair: (evidence - margin of the path that decides it, pair, source, the evidence
        # itself on the scale of that path: "char" or "word")
        ranked: list[tuple[float, Pair, str, tuple[str, float]]] = []
        # the word model is asked only where the character model already leans towards an
        # original (see WordGate): most candidates in clean text are not such (重要 ← 主要 scores
        # -27), so the chain is no slower with the word model than without it
        words = (
            _word_scored(text, i, w)
            if wg is not None and any(g + e > wg.char_floor for (_, g), e in zip(gains, echo, strict=True))
            else None
        )
        if words is None and _under_suspect(tab, gains, echo, ms):
            continue  # (every pair's path is the character model's: ``ranked`` would be these)
        for n, (p, gain) in enumerate(gains):
            # (evidence - margin, source if the plain margin was met without the page's help)
            paths = []
            char_path = (gain + echo[n] - ms[n], _plain_source(tab, p, gain, 0.0, "charlm"))
            if words is None:
                paths.append(char_path)
            else:
                wgain, pri = words[n]
                if wgain + echo[n] > wg.word_floor:  # type: ignore[union-attr]
                    paths.append(char_path)
                if gain + echo[n] > wg.char_floor:  # type: ignore[union-attr]
                    paths.append((wgain + echo[n] - wmargin(p), _plain_source(tab, p, wgain, pri, "lm")))
            if paths:
                x, src = max(paths)
                on = ("char", gain + echo[n]) if (x, src) == char_path else ("word", words[n][0] + echo[n])  # type: ignore[index]
                ranked.append((x, p, src, on))
        if not ranked:
            continue
        ranked.sort(key=lambda r: r[0], reverse=True)
        x, best, src, (scale, raw) = ranked[0]
        conf = _confidence(x, 0.0, tab.apply)
        applied = conf >= tab.apply
        # The ambiguity test compares evidence itself, on the scale of the model that decided,
        # not the distances to two pairs' margins: two originals of different classes that fit
        # equally well stay undecided.  Every other original is compared, also one that no path
        # let through (操纵 ← 利用 (R) or 操作 (C): the word model's path for 操作 stays shut, and
        # its character evidence is the higher one).
        # Without the word model every original has its ranked entry and the runner-up by distance
        # is compared (the shipped default, unchanged).
        if words is None:
            rivals = [r[3][1] for r in ranked[1:2]]
        else:
            rivals = [
                (gain + echo[n]) if scale == "char" else (words[n][0] + echo[n])
                for n, (p, gain) in enumerate(gains)
                if p is not best and p.original != best.original
            ]
        if applied and rivals and raw - max(rivals) < tab.ambiguity:
            # two originals fit about equally well (固然 ← 虽然 or 当然): we know the word is
            # spun but not what it was, so it is recorded, not guessed
            applied = False
            conf = min(conf, tab.apply - 0.01)
        if conf >= tab.suspect:
            edits.append((i, w, best.original, best.id, round(conf, 4), applied))
        if applied and TRACE is not None:
            TRACE[(text, i, w, best.original)] = src
    return sorted(edits + extra) if extra else edits


def _route_learned(
    tab: SpinTable,
    text: str,
    scored: _Scored,
    spun: bool,
    doc: str | None,
    proven: frozenset[str],
) -> tuple[_Scored, list[Edit]]:
    """``find_spin``'s candidates left to the margins, and the learned decision's edits for the
    candidates with a run-time table's pair (``runtime_only``)."""
    assert tab.learned is not None
    extra: list[Edit] = []
    routed = {i: max(g for _, g in gains) for i, _, gains in scored if any(p.runtime for p, _ in gains)}
    top = max(routed.values(), default=-math.inf) + (max(0.0, tab.echo_bonus) if doc else 0.0)
    if top > tab.learned.floor or FEATURES is not None:  # else none of them is weighed
        extra = [e for e in _find_learned(tab, text, scored, spun, doc, proven, routed) if e[0] in routed]
    scored = [s for s in scored if s[0] not in routed]
    return scored, extra


# When a list (bench/spin_decision.py sets it), every candidate the learned decision would weigh
# is recorded here: (paragraph, offset, spun form, [(original, feature vector)]).
FEATURES: list[tuple[str, int, str, list[tuple[str, list[float]]]]] | None = None
_COLLECT_FLOOR = -6.0  # character evidence under which a candidate is not recorded
_LEANING = 4.0  # word-model evidence at which another candidate counts as leaning (``others``)


def _find_learned(
    tab: SpinTable,
    text: str,
    scored: _Scored,
    spun: bool,
    doc: str | None,
    proven: frozenset[str],
    only: Container[int] | None = None,
) -> list[Edit]:
    """``find_spin`` with the learned decision (``cleaners/spin_decision.py``): each original of
    a candidate whose character evidence (with an unspun twin's bonus) exceeds the decision's
    floor gets a probability from both models' evidence and the page's; the best original is
    restored at ``apply``, recorded as a suspicion at ``suspect``, and left undecided when another
    original is also at ``suspect``.  Records every candidate's features when ``FEATURES`` is set.
    ``only``: the starts of the candidates whose edits are wanted (``_route_learned``); the others
    are weighed by the word model all the same (the ``others`` feature counts them) but not decided."""
    lr = tab.learned
    floor = lr.floor if lr is not None else _COLLECT_FLOOR
    bonus = max(0.0, tab.echo_bonus) if doc else 0.0
    if _PEAK[text] + bonus <= floor:
        return []
    n_chars = max(1, len(text))
    tops = [max([g for _, g in gains]) for _, _, gains in scored]
    dens = 100.0 * sum(1 for t in tops if t > 0.0) / n_chars
    sites = []
    for (i, w, gains), top in zip(scored, tops, strict=True):
        if top + bonus <= floor:
            continue
        words = _word_scored(text, i, w) if tab.word is not None else [(0.0, 0.0)] * len(gains)
        sites.append((i, w, gains, words))
    # how many candidates of the paragraph the word model finds leaning towards an original
    leaning = [max(x for x, _ in words) >= _LEANING for _, _, _, words in sites]
    n_leaning = sum(leaning)
    edits: list[Edit] = []
    collect = FEATURES is not None
    for (i, w, gains, words), lean in zip(sites, leaning, strict=True):
        if only is not None and i not in only and not collect:
            continue  # its edit would be dropped (the margins decide it)
        j = i + len(w)
        echo = [bool(doc) and _echo(doc, text, i, j, p.original) for p, _ in gains]  # type: ignore[arg-type]
        others = 100.0 * (n_leaning - lean) / n_chars
        if FEATURES is not None:
            feats = features(gains, echo, words, spun, proven, dens, len(w), others)
            FEATURES.append((text, i, w, [(p.original, f) for (p, _), f in zip(gains, feats, strict=True)]))
        if lr is None:
            continue
        probs = lr.probs(gains, echo, words, spun, proven, dens, len(w), others)
        n = max(range(len(probs)), key=probs.__getitem__)
        best, conf = gains[n][0], probs[n]
        applied = conf >= lr.apply
        if applied and any(
            q >= lr.suspect and p.original != best.original for (p, _), q in zip(gains, probs, strict=True)
        ):
            applied = False  # two originals fit: spun, but not known what it was
            conf = min(conf, lr.apply - 0.01)
        if conf >= lr.suspect:
            edits.append((i, w, best.original, best.id, round(conf, 4), applied))
        if applied and TRACE is not None:
            TRACE[(text, i, w, best.original)] = "learned"
    return edits


def _hopeless(
    tab: SpinTable,
    gains: list[tuple[Pair, float]],
    bonus: float,
    floor: float,
    margins: Sequence[float],
) -> bool:
    """Can a candidate yield nothing whatever the page says?  ``bonus`` is the most an unspun twin
    on the page can add (``_echo``): a candidate whose character evidence stays under ``suspect``
    even with it, and under the word model's ``floor`` (so the word model is never asked), is
    dropped before the page is searched.  Most candidates in clean text are such (重要 ← 主要
    scores -27); the outcome is the same, only the searches of the page are saved."""
    best = -math.inf
    for (_, g), m in zip(gains, margins, strict=True):
        if g + bonus > floor:
            return False
        x = g + bonus - m
        if x > best:
            best = x
    # well under the evidence at which the confidence reaches ``suspect`` (the logistic of
    # ``_confidence`` solved for it, less a rounding allowance) no exp is needed; nearer, the
    # confidence itself decides, as in ``find_spin``
    if best < _suspect_evidence(tab.apply, tab.suspect) - 1e-6:
        return True
    return _confidence(best, 0.0, tab.apply) < tab.suspect


def _under_suspect(
    tab: SpinTable, gains: list[tuple[Pair, float]], echo: list[float], margins: Sequence[float]
) -> bool:
    """Is a candidate's best character evidence, its unspun twins counted, well under
    ``suspect``?  The same floats ``find_spin`` ranks (``gain + echo - margin``) and the same bound
    as ``_hopeless``, so such a candidate gives no edit: it is passed over before the ranking."""
    best = max(g + e - m for (_, g), e, m in zip(gains, echo, margins, strict=True))
    return best < _suspect_evidence(tab.apply, tab.suspect) - 1e-6


def _all_hopeless(
    tab: SpinTable,
    peak: float,
    bonus: float,
    floor: float,
    margins: dict[str, float],
    proven: frozenset[str],
) -> bool:
    """Is every candidate of a paragraph ``_hopeless``?  Decided from the paragraph's highest
    evidence (``peak``, see ``_PEAK``) and the lowest margin any pair can have, before any
    candidate is looked at: most paragraphs of clean text are such, and the chain asks about each
    of them in every pass.  Exact, not approximate: float addition and subtraction are monotonic,
    so ``peak + bonus - lowest`` bounds each candidate's ``g + bonus - margin(p)`` as computed in
    ``_hopeless``, and a paragraph this test lets through is decided candidate by candidate."""
    top = peak + bonus
    if top > floor:
        return False
    low = min(margins.values())
    if tab.runtime_extra < 0.0:
        low = min(low, min(m + tab.runtime_extra for m in margins.values()))
    if proven:
        low = min(low, tab.proven_margin)
    return top - low < _suspect_evidence(tab.apply, tab.suspect) - 1e-6


@functools.cache
def _suspect_evidence(apply: float, suspect: float) -> float:
    """The evidence (less the margin) at which ``_confidence`` reaches ``suspect``."""
    return math.log(suspect / (1.0 - suspect)) - math.log(apply / (1.0 - apply))


# When a dict (bench/repair.py sets it), every applied restoration is recorded here with the
# evidence that decided it: (paragraph, offset, spun, original) → source (see ``_plain_source``).
TRACE: dict[tuple[str, int, str, str], str] | None = None


def _plain_source(tab: SpinTable, p: Pair, gain: float, prior: float, model: str) -> str:
    """Which evidence decides a restoration: a model alone at its plain margin (``charlm`` for
    the character model, ``lm`` for the word model); the word model only with the wordfreq
    prior's part (``prior``); or neither without the page (``page``: an unspun twin, a pair
    proven elsewhere on the page, or the lower margins of a page that shows a spinner at work)."""
    gate = tab.word if model == "lm" else None
    plain = (gate.margins if gate else tab.margins)[p.cls] + (
        (gate.runtime_extra if gate else tab.runtime_extra) if p.runtime else 0.0
    )
    if gain - prior >= plain:
        return model
    if gain >= plain:
        return "prior"
    return "page"


# (start, spun form, [(pair, the character models' evidence that its original beats the spun
# form)]) per candidate
_Scored = list[tuple[int, str, list[tuple[Pair, float]]]]


_SCORED: dict[str, _Scored] = {}
# (paragraph, spun, echo bonus) → the table asked and the paragraph's candidates that are not
# ``_hopeless`` under it without proven pairs
_LIVE: dict[tuple[str, bool, float], tuple[SpinTable, _Scored]] = {}
# per paragraph of ``_SCORED``: the highest evidence of any of its candidates (``_peak``)
_PEAK: dict[str, float] = {}
_SCORED_MAX = 8192  # paragraphs (a few KB each at most): bounded like the models' memos
_BATCH = 8192  # windows per model query


def _scored(text: str) -> _Scored:
    """The spin candidates of one paragraph with the language models' evidence for each original.

    This depends on the paragraph alone, while the decision (margins, page-level proof, echoes on
    the page) changes from pass to pass of the chain: the chain asks about the same paragraph up
    to a dozen times, so the scores are memoised (bounded; ``prefetch`` fills the memo for a whole
    page at once)."""
    got = _SCORED.get(text)
    if got is None:
        prefetch([text])
        got = _SCORED.get(text)
        if got is None:  # the memo was full and cleared by this very call: score it alone
            got = _score_paragraphs([text])[0]
            _PEAK[text] = _peak(got)
    return got


def has_candidates(text: str) -> bool:
    """Does ``text`` hold a spun form (memoised with its scores)?  ``find_spin`` answers [] for
    a paragraph without one, whatever the page and its margins."""
    return bool(_scored(text))


def _peak(scored: _Scored) -> float:
    """The highest evidence for any original of any candidate of a paragraph (``_all_hopeless``)."""
    if not scored:
        return -math.inf  # (most paragraphs: no generator made for them)
    return max(g for _, _, gains in scored for _, g in gains)


def prefetch(texts: list[str]) -> None:
    """Score the spin candidates of many paragraphs in one batch (``_score_paragraphs``) and
    memoise them for ``_scored``.  The chain calls it once per pass with the page's paragraphs:
    each model query has a fixed cost (tenths of a ms of numpy set-up) whatever its size, which
    dominated when every paragraph asked on its own (~85 paragraphs a page); the scores are the
    same, window for window, as the models' memos already guarantee."""
    todo = [t for t in dict.fromkeys(texts) if t not in _SCORED]
    if not todo:
        return
    if len(_SCORED) + len(todo) > _SCORED_MAX:
        _SCORED.clear()
        _PEAK.clear()  # bounded memory; a cleared memo only costs time
        todo = todo[:_SCORED_MAX]
    for t, got in zip(todo, _score_paragraphs(todo), strict=True):
        _SCORED[t] = got
        _PEAK[t] = _peak(got)


@functools.cache
def _form_starts() -> tuple[bytes, np.ndarray, bool, int] | None:
    """What ``_fastscan.form_spans`` needs to find where the automaton has to read: the BMP
    characters that begin a spun form (bit 1) or are the second character of one (bit 2), the
    first two characters of every form as sorted keys, whether a form begins beyond the BMP, and
    the longest form's length.  None (the automaton
    reads every paragraph whole) without the compiled module or with a one-character form.

    pyahocorasick reads ~200 ns a character on Chinese text (a trie node with hundreds of
    children); most of a page holds no form's first two characters (two thirds of its paragraphs
    none at all), and nothing starts there."""
    forms = table().pairs
    if _fastscan is None or any(len(w) < 2 for w in forms):
        return None
    first = bytearray(0x10000)
    keys: set[int] = set()
    astral = False
    for w in forms:
        if ord(w[0]) > 0xFFFF:
            astral = True
            continue
        first[ord(w[0])] |= 1
        if ord(w[1]) <= 0xFFFF:
            first[ord(w[1])] |= 2  # (a character no form has second: no key to search for)
        keys.add(ord(w[0]) << 21 | ord(w[1]))
    return bytes(first), np.array(sorted(keys), dtype=np.int64), astral, max(map(len, forms))


def _form_matches(
    text: str, tab: SpinTable, starts_of: tuple[bytes, np.ndarray, bool, int] | None
) -> list[tuple[int, str]]:
    """``list(tab.automaton.iter_long(text))``, read only where a form can start
    (``_form_starts``)."""
    if starts_of is None:
        return list(tab.automaton.iter_long(text))
    spans = _fastscan.form_spans(text, *starts_of)
    if not spans:
        return []
    if len(spans) == 1:
        return list(tab.automaton.iter_long(text, *spans[0]))
    return [m for a, b in spans for m in tab.automaton.iter_long(text, a, b)]


def _score_paragraphs(texts: list[str]) -> list[_Scored]:
    tab = table()
    lm = get_lm()
    forms = _forms()
    starts_of = _form_starts()
    memo = _CANDS
    compiled = _lm._fast is not None  # the windows weighed in cleaners/_fastlm.pyx, not built here
    windows: list[str] = []
    starts: list[int] = []
    word_windows: list[str] = []
    # (compiled) per new candidate: its paragraph, start, length and forms
    c_texts: list[str] = []
    c_at: list[int] = []
    c_lens: list[int] = []
    c_forms: list[tuple[str, ...]] = []
    n_windows = 0
    outs: list[_Scored] = []
    # candidates not in ``_CANDS``: (paragraph's list, its index there, key, first window)
    todo: list[tuple[_Scored, int, tuple[str, str, str], int]] = []
    pending: dict[tuple[str, str, str], int] = {}  # key → its first window in this batch
    for text in texts:
        out: _Scored = []
        for end, w in _form_matches(text, tab, starts_of):  # ``matches``
            i = end - len(w) + 1
            # the evidence depends on the candidate's word-model window alone (the character
            # model's is inside it): the same candidate in a paragraph changed elsewhere, or in
            # another paragraph, is weighed once
            wleft, wright = text[max(0, i - _WORD_CTX) : i], text[end + 1 : end + 1 + _WORD_CTX]
            key = (wleft, w, wright)
            got = memo.get(key)
            if got is not None:
                out.append((i, w, got))
                continue
            k = pending.get(key)
            if k is None:
                k = pending[key] = n_windows
                fs = forms[w]
                n_windows += len(fs)
                if compiled:
                    c_texts.append(text)
                    c_at.append(i)
                    c_lens.append(len(w))
                    c_forms.append(fs)
                else:
                    left, right = wleft[-_CTX:], wright[:_CTX]
                    for f in fs:  # (a loop: a comprehension per candidate costs a frame each)
                        windows.append(left + f + right)
                        word_windows.append(wleft + f + wright)
                    starts += [len(left)] * len(fs)
            todo.append((out, len(out), key, k))
            out.append((i, w, []))  # its evidence is filled in below
        outs.append(out)
    if not n_windows:
        return outs
    # evidence = character-model gain + word-model gain (equal weights: chosen on a held-out,
    # self-spun development set, see bench/repair.py); asked in slices, so that a huge page's
    # batch stays within the models' memo bounds and a few MB of numpy work arrays
    scores: list[float] = []
    if compiled:
        # the same windows, read from the paragraphs (``_fastlm.candidate_p3``), numpy's log of
        # the character model's probabilities, and the sum of both models' values per window:
        # the floats of the loop below (tests/cleaners/test_fastpaths.py)
        fast = _lm._fast
        assert fast is not None
        p3, counts = fast.candidate_p3(lm.compiled(), c_texts, c_at, c_lens, c_forms)
        scores = fast.candidate_scores(
            get_words().compiled(), np.log(p3), counts, c_texts, c_at, c_lens, c_forms
        )
    for a in range(0, len(windows), _BATCH):
        b = a + _BATCH
        char_scores = lm.score_many(windows[a:b], starts[a:b])
        word_scores = _word_logprobs(word_windows[a:b])
        scores.extend(c + w for c, w in zip(char_scores, word_scores, strict=True))
    if len(memo) + len(pending) > _CANDS_MAX:
        memo.clear()  # bounded memory; a cleared memo only costs time
    for out, n, key, k in todo:
        got = memo.get(key)
        if got is None:
            ps = tab.pairs[key[1]]
            base = scores[k]
            got = memo[key] = [(p, scores[k + m] - base) for m, p in enumerate(ps, 1)]
        i, w, _ = out[n]
        out[n] = (i, w, got)
    return outs


# (three characters left, spun form, three right) → the evidence for each of its originals, as
# ``_Scored`` holds it: memoised across paragraphs and passes (bounded)
_CANDS: dict[tuple[str, str, str], list[tuple[Pair, float]]] = {}
_CANDS_MAX = 50_000


@functools.cache
def _form_margins(spun: bool) -> dict[str, tuple[float, ...]]:
    """Per spun form of ``table()``: the character model's margin of each of its pairs (in the
    order of its pairs) on a page not known to be spun or known to be, without proven pairs: what
    ``find_spin``'s ``margin`` gives, worked out once per table (``reload`` forgets it)."""
    tab = table()
    margins = tab.spun_margins if spun else tab.margins
    return {
        w: tuple(margins[p.cls] + (tab.runtime_extra if p.runtime else 0.0) for p in ps)
        for w, ps in tab.pairs.items()
    }


@functools.cache
def _has_runtime() -> bool:
    """Does ``table()`` hold a pair of a run-time spinner table (the learned decision's
    candidates when ``runtime_only``)?  Without one ``find_spin`` routes no candidate to it."""
    return any(p.runtime for ps in table().pairs.values() for p in ps)


@functools.cache
def _forms() -> dict[str, tuple[str, ...]]:
    """Per spun form of ``table()``: itself and its originals, in the order of its pairs (the
    windows a candidate is weighed in), built once per table (``reload`` forgets it)."""
    return {w: (w, *(p.original for p in ps)) for w, ps in table().pairs.items()}


_LM_WIN = 8  # Han characters of context each side of a candidate for the word model
# where a sentence (or clause) ends: the model's <s> / </s> stand there
_BREAK = set("，。、；：？！,.;:?!…—（）()“”‘’《》「」『』【】\n")


def _han_run(text: str, i: int, j: int) -> tuple[int, int, bool, bool]:
    """``(a, b, bos, eos)``: the run of Han characters around text[i:j] is text[a:b], at most
    ``_LM_WIN`` each side; a sentence marker stands only where it meets punctuation or the edge."""
    a = i
    while a > 0 and i - a < _LM_WIN and _is_han(text[a - 1]):
        a -= 1
    b = j
    while b < len(text) and b - j < _LM_WIN and _is_han(text[b]):
        b += 1
    return a, b, a == 0 or text[a - 1] in _BREAK, b == len(text) or text[b] in _BREAK


def lm_window(text: str, i: int, j: int) -> tuple[str, str, bool, bool]:
    """The run of Han characters around text[i:j], at most ``_LM_WIN`` each side: (left, right,
    sentence start before it, sentence end after it).  A marker stands only where the run meets
    punctuation or the paragraph's edge, none where the window is cut or meets a digit or Latin."""
    a, b, bos, eos = _han_run(text, i, j)
    left, right = text[a:i], text[j:b]
    wlm = get_wordlm()
    if wlm is not None:
        # a window cut inside a run may cut a word (产生 → 生): start and end it at word boundaries
        if a > 0 and _is_han(text[a - 1]) and len(seg := wlm.segment(left)) > 1:
            left = left[len(seg[0]) :]
        if b < len(text) and _is_han(text[b]) and len(seg := wlm.segment(right)) > 1:
            right = right[: len(right) - len(seg[-1])]
    return left, right, bos, eos


def _is_han(c: str) -> bool:
    return "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff"


@functools.lru_cache(maxsize=16384)
def _word_scored(text: str, i: int, w: str) -> list[tuple[float, float]]:
    """The word trigram model's evidence (``cleaners/wordlm.py``) for each original of the spun
    form ``w`` at text[i:], plus ``prior_weight`` times the wordfreq prior's log-ratio (what the
    issue's measurement found best on ../shared/spin), as (evidence, the prior's part of it).
    Asked per candidate, only where the character model leaves the question open (``find_spin``),
    and memoised: the chain asks again in its later passes.  The evidence depends on the Han run
    around the candidate alone (``_han_run``), so it is memoised by that run too
    (``_run_scored``): a paragraph changed elsewhere by an earlier pass or stage asks again about
    the same windows (a third of the questions on ../shared/spin with the spinner's tables)."""
    j = i + len(w)
    a, b, bos, eos = _han_run(text, i, j)
    cut_l = a > 0 and _is_han(text[a - 1])
    cut_r = b < len(text) and _is_han(text[b])
    return _run_scored(text[a:b], i - a, w, cut_l, cut_r, bos, eos)


@functools.lru_cache(maxsize=16384)
def _run_scored(
    run: str, k: int, w: str, cut_l: bool, cut_r: bool, bos: bool, eos: bool
) -> list[tuple[float, float]]:
    """``_word_scored`` of ``w`` at run[k:] in a Han run (``_han_run``; ``cut_l``/``cut_r``: the
    run was cut short inside more Han text on that side)."""
    wlm = get_wordlm()
    assert wlm is not None
    originals, pri = _prior_part(w)
    lt, rt = _run_tokens(wlm, run, k, k + len(w), cut_l, cut_r)
    # only the n-grams that differ between the forms are scored (the same differences as
    # ``WordLM.gains`` over the whole window, a fraction of the look-ups)
    scores = wlm.form_scores_tokens(lt, [w, *originals], rt, bos, eos)
    return [(scores[n + 1] - scores[0] + pri[n], pri[n]) for n in range(len(originals))]


def _lm_tokens(wlm, text: str, i: int, j: int) -> tuple[tuple[str, ...], tuple[str, ...], bool, bool]:
    """``lm_window`` as the model's words: each side segmented once.  The words of the trimmed
    context are those of the whole run less the cut word (the best split of a string holds the
    best split of each of its parts), so nothing is segmented twice."""
    a, b, bos, eos = _han_run(text, i, j)
    cut_l = a > 0 and _is_han(text[a - 1])
    cut_r = b < len(text) and _is_han(text[b])
    lt, rt = _run_tokens(wlm, text[a:b], i - a, j - a, cut_l, cut_r)
    return lt, rt, bos, eos


def _run_tokens(
    wlm, run: str, i: int, j: int, cut_l: bool, cut_r: bool
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The context of run[i:j] as the model's words (``_lm_tokens`` within the run)."""
    lt = wlm.segment(run[:i]) if i > 0 else ()
    rt = wlm.segment(run[j:]) if j < len(run) else ()
    if cut_l and len(lt) > 1:
        lt = lt[1:]
    if cut_r and len(rt) > 1:
        rt = rt[:-1]
    return lt, rt


@functools.lru_cache(maxsize=65536)
def _prior_part(w: str) -> tuple[list[str], list[float]]:
    """The originals of spun form ``w`` and ``prior_weight`` times the prior's log-ratio of each
    (depends on the form alone: memoised)."""
    tab = table()
    originals = [p.original for p in tab.pairs[w]]
    prior = get_prior()
    pri = prior_logratio(prior, originals, w) if prior is not None else [0.0] * len(originals)
    return originals, [tab.prior_weight * x for x in pri]
