"""Does a new evidence source separate right from wrong spin restorations better than today's?

    .venv/bin/python bench/spin_evidence.py collect --split tune|test [--spin-table FILE ...] --out FILE.pkl
    .venv/bin/python bench/spin_evidence.py measure TUNE.pkl TEST.pkl --source NAME[=PATH] [...]

``collect`` runs the repair chain with the word model on one half of ``../shared/spin`` (the split
of ``bench/repair.py --split``, seed 13, by source paragraph), once with our pair table and once
more with the run-time spinner tables, and keeps every candidate the learned decision weighs
(``spin.FEATURES``: paragraph, site, spun word, original, today's 20 features) with its label
(right when putting the original in brings the paragraph closer to its original; the labelling
of ``bench/spin_decision.py``).

``measure`` scores each candidate with a new source (the source's log-probability of the
paragraph window with the original in, minus with the spun word left as it is, in nats) and
reports the per-candidate recall of right restorations at >= 95 % precision: the new source
alone (threshold chosen on the tune half, then applied to the test half, and the best the test
half itself allows), and today's logistic combiner (``bench/spin_decision.fit``) refitted on the
tune half without and with the new feature, evaluated on the test half.  Also the cost per
candidate (one core, the source's own scoring only).

Sources (``--source``):
  kenlm=PATH   a KenLM binary/ARPA model over single characters (e.g. pycorrector 0.1.9's
               ``people_chars_lm.klm``, a character bigram of People's Daily text)
  libpinyin=DIR  the phrase bigram of Debian's ``libpinyin-data`` (GPL-3+; DIR holds its
               ``bigram.db`` and phrase indices; ``db5.3_dump`` of ``db5.3-util`` reads the Berkeley
               DB), interpolated with its unigram (the package's own lambda, 0.3127), best
               segmentation of the window by Viterbi over the phrase vocabulary
  essay=FILE   Rime's ``essay.txt`` (Debian ``rime-essay``, LGPL-3; traditional characters, turned
               simplified by OpenCC t2s): a unigram prior, log count ratio original / spun word
  wordlm       today's word trigram (``cleaners.wordlm``), as a check of the harness: it should
               add nothing, being already in the features
"""

from __future__ import annotations

import argparse
import math
import os
import pickle
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from repair import override_spin_lm, read_jsonl, split  # noqa: E402
from spin_decision import fit, labelled  # noqa: E402

WINDOW = 12  # characters of context either side of the site that a source sees
LN10 = math.log(10.0)


def collect(spindir: Path, half: str, tables: list[str]) -> list[dict]:
    from cleaners import spin, wordlm
    from cleaners.spintables import ENV

    os.environ[wordlm.SWITCH] = "1"
    override_spin_lm({"learned": 0.0})
    pairs = split(read_jsonl(spindir / "spun_pairs.jsonl"), half)
    control = split(
        read_jsonl(spindir / "clean_control.jsonl") + read_jsonl(spindir / "clean_paragraphs.jsonl"), half
    )
    rows = [(r["spun"], r["original"], 1) for r in pairs] + [(r["text"], r["text"], 0) for r in control]
    out: list[dict] = []
    for origin, tabs in enumerate(([], tables) if tables else ([],)):
        os.environ[ENV] = os.pathsep.join(str(Path(t).resolve()) for t in tabs)
        spin.reload()
        if wordlm.get_wordlm() is None:
            sys.exit("the word model is needed: make lm")
        seen: set = set()
        for text, original, spun in rows:
            for para, i, w, o, f, right in labelled([(text, original)], seen):
                out.append(
                    {
                        "tables": origin,
                        "spun": spun,
                        "para": para,
                        "i": i,
                        "w": w,
                        "o": o,
                        "f": list(f),
                        "y": right,
                    }
                )
        print(
            f"{half}, tables {[Path(t).name for t in tabs]}: {sum(c['tables'] == origin for c in out)} candidates"
        )
    return out


class KenlmChars:
    """A KenLM model over single characters: each character one token."""

    def __init__(self, path: str) -> None:
        import kenlm

        self.m = kenlm.Model(path)

    def delta(self, para: str, i: int, w: str, o: str) -> float:
        j = i + len(w)
        a, b = max(0, i - WINDOW), min(len(para), j + WINDOW)
        left, right = para[a:i], para[j:b]
        bos, eos = a == 0, b == len(para)

        def sc(mid: str) -> float:
            return self.m.score(" ".join(left + mid + right), bos=bos, eos=eos)

        return (sc(o) - sc(w)) * LN10


class WordLM:
    """Today's word trigram (harness check)."""

    def __init__(self) -> None:
        from cleaners import wordlm

        os.environ[wordlm.SWITCH] = "1"
        self.lm = wordlm.get_wordlm()

    def delta(self, para: str, i: int, w: str, o: str) -> float:
        j = i + len(w)
        a, b = max(0, i - WINDOW), min(len(para), j + WINDOW)
        left, right = para[a:i], para[j:b]
        bos, eos = a == 0, b == len(para)
        return self.lm.window_score(left, o, right, bos, eos) - self.lm.window_score(left, w, right, bos, eos)


class Libpinyin:
    """libpinyin's interpolated phrase bigram, read from its binary files (formats of libpinyin's
    src/storage: a SubPhraseIndex chunk after an 8-byte header; bigram.db values a total count
    then (token, count) pairs), aggregated by phrase string over pronunciations."""

    LIBS = {1: "gb_char.bin", 2: "gbk_char.bin", 3: "opengram.bin", 4: "merged.bin"}
    LONGEST = 8
    UNK = math.log(1e-8)

    def __init__(self, datadir: str) -> None:
        import struct
        import subprocess

        d = Path(datadir)
        tok2s: dict[int, str] = {}
        uni: dict[str, int] = {}
        for lib, fn in self.LIBS.items():
            c = (d / fn).read_bytes()[8:]
            _total, i1, i2, i3 = struct.unpack_from("<4I", c, 0)
            n = (i2 - 1 - i1) // 4
            offs = struct.unpack_from(f"<{n}I", c, i1)
            content = c[i2 : i3 - 1]
            for t, off in enumerate(offs):
                if off:
                    ln, _npr, fq = struct.unpack_from("<BBI", content, off)
                    s = content[off + 6 : off + 6 + 4 * ln].decode("utf-32-le")
                    tok2s[(lib << 24) | t] = s
                    uni[s] = uni.get(s, 0) + fq
        dump = subprocess.run(
            ["db5.3_dump", str(d / "bigram.db")], capture_output=True, text=True, check=True
        )
        lines = dump.stdout.split("HEADER=END\n", 1)[1].split("\n")
        big: dict[str, tuple[int, dict[str, int]]] = {}
        for k in range(0, len(lines) - 1, 2):
            if lines[k].strip() == "DATA=END":
                break
            s1 = tok2s.get(struct.unpack("<I", bytes.fromhex(lines[k].strip()))[0])
            v = bytes.fromhex(lines[k + 1].strip())
            if s1 is None:
                continue
            c1, row = big.get(s1, (0, {}))
            c1 += struct.unpack_from("<I", v, 0)[0]
            for j in range(4, len(v), 8):
                t2, f = struct.unpack_from("<II", v, j)
                s2 = tok2s.get(t2)
                if s2 is not None:
                    row[s2] = row.get(s2, 0) + f
            big[s1] = (c1, row)
        self.total = float(sum(uni.values()))
        self.uni = {s: f / self.total for s, f in uni.items() if f > 0}
        self.big = big
        self.lam = 0.312699  # table.conf's "lambda parameter"

    def logp(self, w1: str | None, w2: str) -> float:
        pu = self.uni.get(w2)
        if pu is None:
            return self.UNK
        e = self.big.get(w1) if w1 is not None else None
        if e is None:
            return math.log(pu)
        c1, row = e
        return math.log(self.lam * row.get(w2, 0) / c1 + (1 - self.lam) * pu)

    def score(self, s: str) -> float:
        """Best segmentation's log-probability (Viterbi over (end, last word))."""
        best: list[dict] = [dict() for _ in range(len(s) + 1)]
        best[0][None] = 0.0
        for i in range(len(s)):
            if not best[i]:
                continue
            words = [s[i:j] for j in range(i + 1, min(len(s), i + self.LONGEST) + 1) if s[i:j] in self.uni]
            if not words:
                words = [s[i]]  # unknown character: its own token, context reset
            for w in words:
                j = i + len(w)
                for prev, sc in best[i].items():
                    v = sc + self.logp(prev, w)
                    key = w if w in self.uni else None
                    if v > best[j].get(key, -math.inf):
                        best[j][key] = v
        return max(best[len(s)].values())

    def delta(self, para: str, i: int, w: str, o: str) -> float:
        j = i + len(w)
        a, b = max(0, i - WINDOW), min(len(para), j + WINDOW)
        left, right = para[a:i], para[j:b]
        return self.score(left + o + right) - self.score(left + w + right)


class Essay:
    """Rime's word counts as a unigram prior (add-one), by simplified form."""

    def __init__(self, path: str) -> None:
        import opencc

        cc = opencc.OpenCC("t2s")
        self.n: dict[str, int] = {}
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            w, _, c = line.partition("\t")
            if c.strip().isdigit():
                s = cc.convert(w)
                self.n[s] = self.n.get(s, 0) + int(c)

    def delta(self, para: str, i: int, w: str, o: str) -> float:
        return math.log(self.n.get(o, 0) + 1) - math.log(self.n.get(w, 0) + 1)


def make_source(spec: str):
    name, _, arg = spec.partition("=")
    if name == "kenlm":
        return KenlmChars(arg)
    if name == "wordlm":
        return WordLM()
    if name == "essay":
        return Essay(arg)
    if name == "libpinyin":
        return Libpinyin(arg)
    sys.exit(f"unknown source {name!r}: kenlm=PATH or wordlm")


def recall_at(p: np.ndarray, y: np.ndarray, prec: float = 0.95) -> tuple[float, float]:
    """Highest recall over thresholds on ``p`` with precision >= ``prec``; (recall, threshold)."""
    order = np.argsort(-p, kind="stable")
    ys = y[order]
    tp = np.cumsum(ys)
    n = np.arange(1, len(ys) + 1)
    ok = tp / n >= prec
    # a threshold must take all candidates of equal score: only cut where the score changes
    ps = p[order]
    cut = np.append(ps[1:] != ps[:-1], True)
    ok &= cut
    if not ok.any():
        return 0.0, float("inf")
    k = int(np.flatnonzero(ok)[np.argmax(tp[ok])])
    return float(tp[k] / y.sum()), float(ps[k])


def apply(p: np.ndarray, y: np.ndarray, thr: float) -> tuple[float, float]:
    sel = p >= thr
    return (float(y[sel].mean()) if sel.any() else float("nan")), float(y[sel].sum() / y.sum())


def measure(tune: list[dict], test: list[dict], sources: list[str], l2: float) -> None:
    for spec in sources:
        src = make_source(spec)
        for rows in (tune, test):
            t0 = time.process_time()
            for c in rows:
                c[spec] = src.delta(c["para"], c["i"], c["w"], c["o"])
            dt = time.process_time() - t0
        print(f"source {spec}: {1000 * dt / max(1, len(test)):.3f} ms CPU per candidate (test half)")
    for subset, keep in (
        ("all candidates", lambda c: True),
        ("our table", lambda c: c["tables"] == 0),
        ("run-time tables", lambda c: c["tables"] == 1),
    ):
        tu = [c for c in tune if keep(c)]
        te = [c for c in test if keep(c)]
        ytu = np.array([c["y"] for c in tu], float)
        yte = np.array([c["y"] for c in te], float)
        print(
            f"\n== {subset}: tune {len(tu)} ({int(ytu.sum())} right), test {len(te)} ({int(yte.sum())} right)"
        )
        print(
            "  recall of right candidates at >= 95% precision: tune (fit and threshold) -> test at tune's "
            "threshold [test precision] | test, best threshold | test: recall at >= 90% | average precision"
        )
        xtu = np.array([c["f"] for c in tu], float)
        xte = np.array([c["f"] for c in te], float)
        cols = {"char gain (f0)": 0, "word gain (f1)": 1}
        for name, k in cols.items():
            report(name, xtu[:, k], ytu, xte[:, k], yte)
        for spec in sources:
            report(
                f"new: {spec} alone",
                np.array([c[spec] for c in tu]),
                ytu,
                np.array([c[spec] for c in te]),
                yte,
            )
        variants = [("today's 20 features", [])] + [(f"+ {s}", [s]) for s in sources]
        if len(sources) > 1:
            variants.append(("+ all new", sources))
        scores = []
        for name, extra in variants:
            ftu = np.hstack([xtu] + [np.array([[c[s]] for c in tu]) for s in extra])
            fte = np.hstack([xte] + [np.array([[c[s]] for c in te]) for s in extra])
            bias, wts = fit(ftu, ytu, l2)
            ptu = bias + ftu @ wts
            pte = bias + fte @ wts
            report(f"logistic {name}", ptu, ytu, pte, yte)
            scores.append(pte)
        if len(scores) > 1:
            bootstrap([v[0] for v in variants], scores, yte, [c["para"] for c in te])


def bootstrap(
    names: list[str], scores: list[np.ndarray], y: np.ndarray, groups: list[str], n: int = 200
) -> None:
    """Paired bootstrap over test paragraphs (a paragraph's candidates stay together): the lift of
    each variant over the first in recall at >= 95% and >= 90% precision (best threshold on the
    resample), median and 5-95% range."""
    rng = np.random.default_rng(13)
    keys = sorted(set(groups))
    index = {k: at for at, k in enumerate(keys)}
    g = np.array([index[k] for k in groups])
    members = [np.flatnonzero(g == k) for k in range(len(keys))]
    lifts = np.zeros((n, len(scores) - 1, 2))
    for b in range(n):
        pick = np.concatenate([members[k] for k in rng.integers(0, len(keys), len(keys))])
        yb = y[pick]
        base = [recall_at(scores[0][pick], yb, q)[0] for q in (0.95, 0.90)]
        for v in range(1, len(scores)):
            for qi, q in enumerate((0.95, 0.90)):
                lifts[b, v - 1, qi] = recall_at(scores[v][pick], yb, q)[0] - base[qi]
    print(f"  paired bootstrap over {len(keys)} test paragraphs ({n} resamples), lift over {names[0]!r}:")
    for v in range(1, len(scores)):
        lo95, md95, hi95 = np.percentile(lifts[:, v - 1, 0], [5, 50, 95]) * 100
        lo90, md90, hi90 = np.percentile(lifts[:, v - 1, 1], [5, 50, 95]) * 100
        label = names[v].replace("=", " ").split(" /")[0]
        print(
            f"    {label:32s} at 95%: {md95:+5.1f} [{lo95:+5.1f}, {hi95:+5.1f}]   at 90%: {md90:+5.1f} [{lo90:+5.1f}, {hi90:+5.1f}]"
        )


def average_precision(p: np.ndarray, y: np.ndarray) -> float:
    order = np.argsort(-p, kind="stable")
    ys = y[order]
    tp = np.cumsum(ys)
    return float((tp / np.arange(1, len(ys) + 1))[ys == 1].sum() / max(1.0, y.sum()))


def report(name: str, ptu: np.ndarray, ytu: np.ndarray, pte: np.ndarray, yte: np.ndarray) -> None:
    r_tu, thr = recall_at(ptu, ytu)
    prec_te, r_te = apply(pte, yte, thr)
    best_te, _ = recall_at(pte, yte)
    r90, _ = recall_at(pte, yte, 0.90)
    name = name.replace("=", " ").split(" /")[0]
    print(
        f"  {name:34s} {100 * r_tu:5.1f}% -> {100 * r_te:5.1f}% [{100 * prec_te:5.1f}%] | {100 * best_te:5.1f}% "
        f"| {100 * r90:5.1f}% | {100 * average_precision(pte, yte):5.1f}%"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("spindir", nargs="?", default=str(ROOT.parent / "shared" / "spin"))
    c.add_argument("--split", choices=("tune", "test"), required=True)
    c.add_argument("--spin-table", action="append", default=[], metavar="FILE")
    c.add_argument("--out", required=True)
    m = sub.add_parser("measure")
    m.add_argument("tune")
    m.add_argument("test")
    m.add_argument("--source", action="append", default=[], metavar="NAME[=PATH]")
    m.add_argument("--l2", type=float, default=1e-3)
    a = ap.parse_args()
    if a.cmd == "collect":
        rows = collect(Path(a.spindir), a.split, a.spin_table)
        with open(a.out, "wb") as f:
            pickle.dump(rows, f)
        return
    with open(a.tune, "rb") as f:
        tune = pickle.load(f)
    with open(a.test, "rb") as f:
        test = pickle.load(f)
    measure(tune, test, a.source, a.l2)


if __name__ == "__main__":
    main()
