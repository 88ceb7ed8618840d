"""Fit the spin stage's learned decision (``cleaners/spin_decision.py``) on one half of a spin set.

    .venv/bin/python bench/spin_decision.py [SPIN_DIR] [--split tune] [--spin-table FILE ...]
        [--l2 NUMBER] [--save FILE.npz]

Runs the repair chain with the word model on every spun and clean paragraph of the chosen half
(``bench/repair.py``'s split: seed 13, by source paragraph), once with our pair table and once
more with the given run-time spinner tables, and records each candidate the learned decision
would weigh with its features (``spin.FEATURES``).  A candidate's original is labelled right when
putting it in brings the paragraph closer to its original (Levenshtein distance; every candidate
of a clean paragraph is wrong), the measure of ``bench/repair.py``'s per-repair precision.  Fits a
logistic regression (Newton's method with a small L2 penalty, numpy: the model is one formula,
stored as data) and prints the ``[spin_decision]`` table for ``data/repair/settings.toml`` and the
candidate-level precision/recall on the half it was fitted on.  Choose ``learned_apply`` with
``bench/repair.py --split tune --spin-lm learned=1 --spin-lm learned_apply=X``, check it with
``--split test``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from repair import override_spin_lm, read_jsonl, split  # noqa: E402


def levenshtein(a: str, b: str) -> int:
    """Edit distance, one numpy row at a time: insertions along a row are a running minimum."""
    if a == b:
        return 0
    if not a or not b:
        return max(len(a), len(b))
    bb = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    idx = np.arange(len(b) + 1)
    prev = idx.copy()
    for i, ca in enumerate(a, 1):
        cost = (bb != ord(ca)).astype(np.int64)
        cur = np.empty_like(prev)
        cur[0] = i
        cur[1:] = np.minimum(prev[1:] + 1, prev[:-1] + cost)
        # cur[j] = min_k<=j (cur[k] + j - k)
        cur = np.minimum.accumulate(cur - idx) + idx
        prev = cur
    return int(prev[-1])


def labelled(rows: list[tuple[str, str]], seen: set) -> Iterator[tuple[str, int, str, str, list[float], int]]:
    """Every candidate original the chain weighs on ``rows`` ((text, original)), once per
    (paragraph, position, form, original, features) not in ``seen`` (which it fills):
    (paragraph, position, spun form, original, features, label).  The label is 1 when putting
    the original in brings the paragraph closer to the row's original (Levenshtein)."""
    from cleaners import spin
    from cleaners.repair import repair_text

    for text, original in rows:
        spin.FEATURES = []
        try:
            repair_text(text)
            got = spin.FEATURES
        finally:
            spin.FEATURES = None
        base: dict[str, int] = {}
        for para, i, w, cands in got:
            j = i + len(w)
            for o, f in cands:
                key = (para, i, w, o, tuple(f))
                if key in seen:
                    continue
                seen.add(key)
                # a paragraph of the page as the chain saw it; in this set a page is one paragraph
                if para not in base:
                    base[para] = levenshtein(para, original)
                yield para, i, w, o, f, int(levenshtein(para[:i] + o + para[j:], original) < base[para])


def collect(rows: list[tuple[str, str]]) -> tuple[list[list[float]], list[int]]:
    """(features, labels) of every candidate the chain weighs on ``rows`` ((text, original))."""
    xs: list[list[float]] = []
    ys: list[int] = []
    for *_, f, y in labelled(rows, set()):
        xs.append(f)
        ys.append(y)
    return xs, ys


def fit(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[float, np.ndarray]:
    """Logistic regression by Newton's method on standardised features; (bias, weights) on the
    features' own scale."""
    mu, sd = x.mean(0), x.std(0)
    sd[sd == 0] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mu) / sd])
    w = np.zeros(z.shape[1])
    pen = np.full(z.shape[1], l2 * len(x))
    pen[0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -50, 50)))
        g = z.T @ (p - y) + pen * w
        h = (z * (p * (1 - p))[:, None]).T @ z + np.diag(pen) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(h, g)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = w[1:] / sd
    return float(w[0] - (weights * mu).sum()), weights


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("spindir", nargs="?", default=str(ROOT.parent / "shared" / "spin"))
    ap.add_argument("--split", choices=("tune", "test"), default="tune")
    ap.add_argument("--spin-table", action="append", default=[], metavar="FILE")
    ap.add_argument("--l2", type=float, default=1e-3, help="L2 penalty per example (standardised features)")
    ap.add_argument("--save", metavar="FILE.npz", help="also keep the features and labels")
    ap.add_argument("--load", metavar="FILE.npz", help="fit on saved features instead of running the chain")
    ap.add_argument(
        "--on-policy",
        type=float,
        metavar="APPLY",
        help="collect with the learned decision already on at this learned_apply (the fitted weights "
        "in the settings file), so that the pages' contexts are those it makes",
    )
    ap.add_argument(
        "--write", action="store_true", help="write bias and weights into data/repair/settings.toml"
    )
    a = ap.parse_args()
    from cleaners import spin, wordlm
    from cleaners.spin_decision import NAMES
    from cleaners.spintables import ENV

    if a.load:
        d = np.load(a.load)
        x, y = d["x"], d["y"]
    else:
        os.environ[wordlm.SWITCH] = "1"
        # off-policy: collected under the margins alone; on-policy: under the decision deciding
        # every candidate (as fitted; the shipped setting decides run-time tables' pairs only)
        if a.on_policy is not None:
            override_spin_lm({"learned": 1.0, "learned_runtime_only": 0.0, "learned_apply": a.on_policy})
        else:
            override_spin_lm({"learned": 0.0})
        d = Path(a.spindir)
        pairs = split(read_jsonl(d / "spun_pairs.jsonl"), a.split)
        control = split(
            read_jsonl(d / "clean_control.jsonl") + read_jsonl(d / "clean_paragraphs.jsonl"), a.split
        )
        rows = [(r["spun"], r["original"]) for r in pairs] + [(r["text"], r["text"]) for r in control]
        xs: list[list[float]] = []
        ys: list[int] = []
        for tables in ([], a.spin_table) if a.spin_table else ([],):
            os.environ[ENV] = os.pathsep.join(str(Path(t).resolve()) for t in tables)
            spin.reload()
            if wordlm.get_wordlm() is None:
                sys.exit("the word model is needed: make lm")
            got = collect(rows)
            print(f"tables {[Path(t).name for t in tables]}: {len(got[0])} candidates, {sum(got[1])} right")
            xs += got[0]
            ys += got[1]
        x, y = np.array(xs, dtype=float), np.array(ys, dtype=float)
        if a.save:
            np.savez(a.save, x=x, y=y)
    bias, weights = fit(x, y, a.l2)
    p = 1.0 / (1.0 + np.exp(-np.clip(bias + x @ weights, -50, 50)))
    print(f"{len(y)} candidates, {int(y.sum())} right; in-sample, per candidate:")
    for t in (0.5, 0.7, 0.8, 0.9, 0.95, 0.97):
        sel = p >= t
        prec = y[sel].mean() if sel.any() else float("nan")
        print(
            f"  p >= {t:.2f}: {int(sel.sum())} chosen, precision {100 * prec:.1f}%, recall {100 * y[sel].sum() / y.sum():.1f}%"
        )
    lines = [
        f"bias = {bias:.4f}",
        "weights = { " + ", ".join(f"{n} = {w:.4f}" for n, w in zip(NAMES, weights, strict=True)) + " }",
    ]
    print("[spin_decision]", *lines, sep="\n")
    if a.write:
        write(lines)


def write(lines: list[str]) -> None:
    """Put ``bias = …`` and ``weights = …`` in place in ``[spin_decision]`` of the settings file."""
    import re

    path = ROOT / "data" / "repair" / "settings.toml"
    text = path.read_text(encoding="utf-8")
    head, sep, rest = text.partition("[spin_decision]\n")
    if not sep:
        sys.exit(f"{path}: no [spin_decision] table")
    for line in lines:
        key = line.split(" = ")[0]
        rest, n = re.subn(rf"(?m)^{key} = .*$", lambda _m, line=line: line, rest, count=1)
        if not n:
            sys.exit(f"{path}: [spin_decision] has no {key}")
    path.write_text(head + sep + rest, encoding="utf-8")


if __name__ == "__main__":
    main()
