"""Spun words (伪原创): find words a spinner swapped in and restore the original where sure.

A spinner replaces dictionary words left to right without regard to sense (问题→疑惑, 至关重要→
至关关键, 工作日→事情日).  The spinner pairs are data (``data/repair/spin_pairs.tsv``); whether a
spun form is really spun is decided by the character language model (``cleaners/lm.py``): the
original, put back into the sentence, must be much more probable than the spun form.  How much more
depends on the pair's class — a string that is no word (至关关键) needs no more than a tie, an
ordinary word (作用, 熟悉, 客户, 表现) needs strong evidence, because it is usually right.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass

import tomllib

from cleaners._data import data_path
from cleaners.lm import get_lm

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


@dataclass(frozen=True, slots=True)
class SpinTable:
    pairs: dict[str, list[Pair]]  # spun form → candidate originals
    pattern: re.Pattern[str]
    margins: dict[str, float]
    spun_margins: dict[str, float]
    apply: float
    suspect: float
    sure: float
    min_sure: int
    sure_per_100: float


def _load() -> SpinTable:
    pairs: dict[str, list[Pair]] = {}
    with open(data_path("repair", "spin_pairs.tsv"), encoding="utf-8") as f:
        header = None
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            if header is None:
                header = cols
                continue
            row = dict(zip(header, cols, strict=True))
            if row["class"] not in ("N", "R", "C"):
                raise ValueError(f"spin pair {row['id']}: class must be N, R or C")
            p = Pair(row["id"], row["spun"], row["original"], row["class"], row["reason"])
            pairs.setdefault(p.spun, []).append(p)
    with open(data_path("repair", "settings.toml"), "rb") as f:
        cfg = tomllib.load(f)["spin"]
    # longest spun form first so 采纳措施 wins over 采纳 at the same position (strtr order)
    keys = sorted(pairs, key=lambda k: (-len(k), k))
    pattern = re.compile("|".join(map(re.escape, keys)))
    margins = {c: float(cfg[f"margin_{c}"]) for c in ("N", "R", "C")}
    spun_margins = {c: float(cfg[f"spun_margin_{c}"]) for c in ("N", "R", "C")}
    return SpinTable(
        pairs,
        pattern,
        margins,
        spun_margins,
        float(cfg["apply"]),
        float(cfg["suspect"]),
        float(cfg["sure"]),
        int(cfg["min_sure"]),
        float(cfg["sure_per_100"]),
    )


_TABLE: SpinTable | None = None
_LOCK = threading.Lock()


def table() -> SpinTable:
    global _TABLE
    if _TABLE is None:
        with _LOCK:
            if _TABLE is None:
                _TABLE = _load()
    return _TABLE


def _confidence(evidence: float, margin: float, apply: float) -> float:
    # logistic in the evidence, calibrated so that evidence == margin gives exactly ``apply``
    x = evidence - margin + math.log(apply / (1.0 - apply))
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))


_JIEBA = None


def _word_logprob(window: str) -> float:
    """Log-probability of ``window`` under jieba's unigram word model (its best segmentation).

    The character trigram model sees two characters of context; the word model knows compounds
    and idioms from jieba's dictionary (负面影响, 采取措施, 至关重要), which the 1998 corpus lacks."""
    global _JIEBA
    if _JIEBA is None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.dt.check_initialized()
        _JIEBA = jieba.dt
    dag = _JIEBA.get_DAG(window)
    route: dict[int, tuple[float, int]] = {}
    _JIEBA.calc(window, dag, route)
    return route[0][0]


def find_spin(text: str, *, spun: bool = False) -> list[Edit]:
    """Restorations (applied) and suspicions (not applied) for one paragraph, in its coordinates.
    ``spun``: the page is known to be spun, so the lower ``spun_margin_*`` apply.

    Candidates are scored together (one batched model query); edits never overlap because the
    spun forms are matched left to right without overlap.
    """
    tab = table()
    hits = list(tab.pattern.finditer(text))
    if not hits:
        return []
    lm = get_lm()
    windows: list[str] = []
    starts: list[int] = []
    plan: list[tuple[int, int, Pair]] = []  # (hit index, window index of the original, pair)
    for h_i, m in enumerate(hits):
        i, j = m.start(), m.end()
        left = text[max(0, i - _CTX) : i]
        right = text[j : j + _CTX]
        windows.append(left + m.group() + right)
        starts.append(len(left))
        for p in tab.pairs[m.group()]:
            plan.append((h_i, len(windows), p))
            windows.append(left + p.original + right)
            starts.append(len(left))
    scores = lm.score_many(windows, starts)
    # evidence = character-model gain + word-model gain (equal weights: tuned on a held-out,
    # self-spun development set, see bench/repair.py --dev)
    word_scores: list[float] = []
    for m in hits:
        i, j = m.start(), m.end()
        left, right = text[max(0, i - _WORD_CTX) : i], text[j : j + _WORD_CTX]
        word_scores.append(_word_logprob(left + m.group() + right))
        for p in tab.pairs[m.group()]:
            word_scores.append(_word_logprob(left + p.original + right))
    scores = [a + b for a, b in zip(scores, word_scores, strict=True)]
    best: dict[int, tuple[float, Pair, float]] = {}
    spun_score = {}
    w = 0
    for h_i in range(len(hits)):
        spun_score[h_i] = scores[w]
        w += 1 + len(tab.pairs[hits[h_i].group()])
    for h_i, w_i, p in plan:
        evidence = scores[w_i] - spun_score[h_i]
        margin = (tab.spun_margins if spun else tab.margins)[p.cls]
        conf = _confidence(evidence, margin, tab.apply)
        if h_i not in best or conf > best[h_i][0]:
            best[h_i] = (conf, p, evidence)
    edits: list[Edit] = []
    for h_i, (conf, p, _ev) in sorted(best.items()):
        if conf < tab.suspect:
            continue
        m = hits[h_i]
        edits.append((m.start(), m.group(), p.original, p.id, round(conf, 4), conf >= tab.apply))
    return edits
