"""The learned decision of the spin stage (issue 13): one logistic formula in place of the margins.

Each original of a spin candidate is described by the evidence the chain already has (the
character model's gain, the word trigram model's gain with its wordfreq prior, an unspun twin on
the page, the pair's class and origin, the page shown to be spun, the pair proven on the page, how
much better it fits than the candidate's other originals, lengths, how many candidates of the
paragraph lean towards their original) and restored when ``logistic(bias + Σ weight × feature)``
reaches ``learned_apply``.  The weights are data (``[spin_decision]`` in
``data/repair/settings.toml``), fitted by ``bench/spin_decision.py`` on the tune half of
../shared/spin; only the word-model path (``GUIDECRAWL_WORDLM=1``) can use it, and only when
``[spin_lm] learned`` is 1.  With ``learned_runtime_only`` (the default) it decides only the
candidates with a pair of a run-time spinner table; those of our own table keep the margins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# The features, in the order of ``features``' vectors.  The fitted weights name them.
NAMES = (
    "char",  # character model's evidence (trigram + jieba), clipped to ±30 nats
    "word",  # word trigram model's evidence with 0.3 × the wordfreq log-ratio, clipped
    "prior",  # the wordfreq prior's part of "word"
    "agree",  # min(char, word): both models lean towards the original
    "echo",  # the page holds the unspun twin of the phrase
    "cls_N",  # the spun form is no word
    "cls_R",  # the spun form is a rare word
    "runtime",  # the pair comes from a run-time spinner table
    "spun",  # the page shows a spinner at work
    "proven",  # this pair was restored for sure elsewhere on the page
    "spun_word",  # spun × word
    "char_gap",  # char minus the best other original's char (10 when there is none), ±10
    "word_gap",  # the same on the word model's scale
    "n_orig",  # other originals of the spun form
    "len_spun",  # characters of the spun form
    "len_diff",  # characters of the original less those of the spun form
    "density",  # candidates of the paragraph leaning towards an original, per 100 characters
    "others",  # other candidates of the paragraph the word model leans on (>= 4 nats), per 100 chars
    "runtime_word",  # runtime × word
    "runtime_char",  # runtime × char
)


@dataclass(frozen=True, slots=True)
class Learned:
    bias: float
    weights: tuple[float, ...]  # in the order of NAMES
    apply: float
    suspect: float
    floor: float  # character evidence (with a twin's bonus) under which a candidate is not weighed
    # only candidates with a pair of a run-time spinner table (``--spin-table``) are decided by the
    # formula; those of our own table keep the margins (``[spin_lm] learned_runtime_only``)
    runtime_only: bool = False

    def prob(self, x: list[float]) -> float:
        z = self.bias + sum(w * v for w, v in zip(self.weights, x, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def probs(
        self,
        gains: list,
        echo: list[bool],
        words: list[tuple[float, float]],
        spun: bool,
        proven: frozenset[str],
        density: float,
        len_spun: int,
        leaning: float,
    ) -> list[float]:
        """``[self.prob(x) for x in features(...)]`` without building the vectors: the same
        products, summed by ``sum`` in the same order, so the very same floats.  The chain weighs
        every run-time candidate of every pass, and the vectors and the generator over them were a
        quarter of its time there (profiled on ../shared/spin with the spinner's tables)."""
        (wc, ww, wp, wa, we, wn, wr, wrt, ws, wpr, wsw, wcg, wwg, wno, wls, wld, wde, wle, wrw, wrc) = (
            self.weights
        )
        bias = self.bias
        chars = [_clip(g, 30.0) for _, g in gains]
        wds = [_clip(w, 30.0) for w, _ in words]
        origs = [p.original for p, _ in gains]
        s = 1.0 if spun else 0.0
        t_spun, t_len, t_dens, t_lean = ws * s, wls * float(len_spun), wde * density, wle * leaning
        k = len(gains)
        out: list[float] = []
        for n, (p, _) in enumerate(gains):
            o = origs[n]
            c, w = chars[n], wds[n]
            if k == 1:  # (one original: no other to compare with)
                cgap = wgap = 10.0
                n_orig = 0.0
            else:
                others = [m for m in range(k) if origs[m] != o]
                cgap = _clip(c - max([chars[m] for m in others]), 10.0) if others else 10.0
                wgap = _clip(w - max([wds[m] for m in others]), 10.0) if others else 10.0
                n_orig = float(len({origs[m] for m in others}))
            rt = p.runtime
            z = bias + sum(
                (
                    wc * c,
                    ww * w,
                    wp * words[n][1],
                    wa * min(c, w),
                    we * (1.0 if echo[n] else 0.0),
                    wn * (1.0 if p.cls == "N" else 0.0),
                    wr * (1.0 if p.cls == "R" else 0.0),
                    wrt * (1.0 if rt else 0.0),
                    t_spun,
                    wpr * (1.0 if p.id in proven else 0.0),
                    wsw * (s * w),
                    wcg * cgap,
                    wwg * wgap,
                    wno * n_orig,
                    t_len,
                    wld * float(len(o) - len_spun),
                    t_dens,
                    t_lean,
                    wrw * (w if rt else 0.0),
                    wrc * (c if rt else 0.0),
                )
            )
            out.append(1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z)))))
        return out


def load_decision(cfg: dict[str, Any], table: dict[str, Any]) -> Learned:
    """The decision from ``[spin_lm]`` (``cfg``: thresholds) and ``[spin_decision]`` (``table``:
    bias and one weight per feature of ``NAMES``; a missing or unknown one is an error)."""
    weights = dict(table["weights"])
    if set(weights) != set(NAMES):
        raise ValueError(f"[spin_decision] weights must name exactly: {', '.join(NAMES)}")
    return Learned(
        float(table["bias"]),
        tuple(float(weights[n]) for n in NAMES),
        float(cfg["learned_apply"]),
        float(cfg["learned_suspect"]),
        float(cfg["learned_floor"]),
        bool(float(cfg.get("learned_runtime_only", 0))),
    )


def _clip(x: float, lim: float) -> float:
    return -lim if x < -lim else lim if x > lim else x


def features(
    gains: list,
    echo: list[bool],
    words: list[tuple[float, float]],
    spun: bool,
    proven: frozenset[str],
    density: float,
    len_spun: int,
    leaning: float,
) -> list[list[float]]:
    """One vector per original of a candidate (``gains``: (pair, character evidence) as
    ``spin._Scored`` holds them; ``words``: (word evidence, its prior part) per original, zeros
    without the word model)."""
    chars = [_clip(g, 30.0) for _, g in gains]
    wds = [_clip(w, 30.0) for w, _ in words]
    out: list[list[float]] = []
    for n, (p, _) in enumerate(gains):
        others = [m for m, (q, _) in enumerate(gains) if q.original != p.original]
        c, w = chars[n], wds[n]
        cgap = _clip(c - max(chars[m] for m in others), 10.0) if others else 10.0
        wgap = _clip(w - max(wds[m] for m in others), 10.0) if others else 10.0
        s = 1.0 if spun else 0.0
        out.append(
            [
                c,
                w,
                words[n][1],
                min(c, w),
                1.0 if echo[n] else 0.0,
                1.0 if p.cls == "N" else 0.0,
                1.0 if p.cls == "R" else 0.0,
                1.0 if p.runtime else 0.0,
                s,
                1.0 if p.id in proven else 0.0,
                s * w,
                cgap,
                wgap,
                float(len({gains[m][0].original for m in others})),
                float(len_spun),
                float(len(p.original) - len_spun),
                density,
                leaning,
                w if p.runtime else 0.0,
                c if p.runtime else 0.0,
            ]
        )
    return out
