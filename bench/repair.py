"""Benchmark of the text repair chain on a spin set (../shared/spin by default).

Prints one table: our repair chain against two baselines measured in the same run —
``identity`` (no change) and ``inverse-dict`` (every spinner pair in data/repair/spin_pairs.tsv
restored wherever jieba's unigram segmentation scores the original higher: the plain approach the
issue quotes) — with character error rate against the original, its reduction, precision of the
changed spans, GBK byte-loss sites restored, changed characters per 10,000 of clean text, and speed
(characters/s on one core) next to OpenCC's own t2s conversion rate on the same text.

    .venv/bin/python bench/repair.py [SPIN_DIR] [--limit N] [--dev] [--spin-table FILE ...]
        [--split tune|test] [--spin-lm KEY=NUMBER ...] [--oracle]

Metrics are implemented here with the standard library (Levenshtein by dynamic programming,
difflib alignment for the precision of changed spans), independent of ../shared/tools.
"""

from __future__ import annotations

import argparse
import difflib
import json
import logging
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaners.model import apply_repairs  # noqa: E402
from cleaners.repair import repair_text  # noqa: E402


def levenshtein(a: str, b: str) -> int:
    if a == b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _aligned(x: str, o: str) -> dict[int, int]:
    m = {-1: -1, len(x): len(o)}
    for blk in difflib.SequenceMatcher(None, x, o, autojunk=False).get_matching_blocks():
        for k in range(blk.size):
            m[blk.a + k] = blk.b + k
    return m


def span_precision(s: str, x: str, o: str) -> tuple[int, int]:
    """(changed spans s→x, of which the new text sits exactly where the original has it)."""
    xo = _aligned(x, o)
    spans = good = 0
    for tag, _i1, _i2, j1, j2 in difflib.SequenceMatcher(None, s, x, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        spans += 1
        if j1 == j2:
            good += (j1 - 1 in xo) and (j1 in xo) and xo[j1] == xo[j1 - 1] + 1
            continue
        inside = all(k in xo for k in range(j1, j2)) and all(
            xo[k + 1] == xo[k] + 1 for k in range(j1, j2 - 1)
        )
        left_ok = (j1 - 1 not in xo) or xo[j1 - 1] == xo[j1] - 1 if inside else False
        right_ok = (j2 not in xo) or xo[j2] == xo[j2 - 1] + 1 if inside else False
        good += bool(inside and left_ok and right_ok)
    return spans, good


# ------------------------------------------------------------------ the inverse-dictionary baseline
def make_inverse_dict() -> Callable[[str], str]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.dt.check_initialized()
    from cleaners.spin import table

    # the same candidates as ours: data/repair/spin_pairs.tsv plus any run-time tables
    pairs = {spun: [p.original for p in ps] for spun, ps in table().pairs.items()}
    keys = sorted(pairs, key=len, reverse=True)

    def seg_score(s: str) -> float:
        dag = jieba.dt.get_DAG(s)
        route: dict[int, tuple[float, int]] = {}
        jieba.dt.calc(s, dag, route)
        return route[0][0]

    def run(text: str) -> str:
        out, i = [], 0
        while i < len(text):
            for k in keys:
                if text.startswith(k, i):
                    ctx_l, ctx_r = text[max(0, i - 3) : i], text[i + len(k) : i + len(k) + 3]
                    best = max(pairs[k], key=lambda o: seg_score(ctx_l + o + ctx_r))
                    if seg_score(ctx_l + best + ctx_r) > seg_score(ctx_l + k + ctx_r):
                        out.append(best)
                    else:
                        out.append(k)
                    i += len(k)
                    break
            else:
                out.append(text[i])
                i += 1
        return "".join(out)

    return run


def ours(text: str) -> str:
    return repair_text(text)[0]


def repair_precision(pairs: list[dict]) -> tuple[int, int]:
    """(applied repairs, of which each one alone brings the text closer to the original): a
    per-repair view of precision that multi-character restorations (缘故原由 → 原因) do not blur."""
    n = good = 0
    for r in pairs:
        text, repairs = r["spun"], repair_text(r["spun"])[1]
        before = levenshtein(text, r["original"])
        for rep in repairs:
            if not rep.applied:
                continue
            text = apply_repairs(text, [rep])
            after = levenshtein(text, r["original"])
            n += 1
            good += after < before
            before = after
    return n, good


def gbk_site_restored(s: str, x: str, o: str, g: dict) -> bool:
    """Does the GBK byte-loss site ``g`` of the spun text ``s`` read as before the loss again in
    the repaired ``x``?  The garbled character must be gone from its neighbourhood, and there either
    the lost text (``g["orig"]``, as the spinner left it) or the original's own text.  The latter
    counts as well: the loss can fall into a spun word, and once the GBK stage has put the
    character back the spin stage may restore that word too (传出音熏 → 音讯， → 消息，)."""
    lo = max(0, g["pos"] - 3)
    if g["new"] in x[lo : g["pos"] + 4]:
        return False
    if g["orig"] in x:
        return True
    # the original's three characters before the site and the five after it (found by those
    # five, which follow the garbled character in the spun text)
    after = s[g["pos"] + 1 : g["pos"] + 6]
    k = o.find(after) if len(after) == 5 else -1
    return k >= 3 and o[k - 3 : k + 5] in x


def evaluate(name: str, fn: Callable[[str], str], pairs: list[dict], control: list[dict]) -> dict:
    L = ds = dx = spans = good = gsites = gfixed = 0
    t0 = time.process_time()
    outs = [fn(r["spun"]) for r in pairs]
    couts = [fn(r["text"]) for r in control]
    secs = time.process_time() - t0
    for r, x in zip(pairs, outs, strict=True):
        o, s = r["original"], r["spun"]
        L += len(o)
        ds += levenshtein(s, o)
        dx += levenshtein(x, o)
        a, b = span_precision(s, x, o)
        spans, good = spans + a, good + b
        g = r.get("garble")
        if g:
            gsites += 1
            gfixed += gbk_site_restored(s, x, o, g)
    CL = sum(len(r["text"]) for r in control)
    cd = sum(levenshtein(x, r["text"]) for r, x in zip(control, couts, strict=True))
    chars = sum(len(r["spun"]) for r in pairs) + CL
    return {
        "name": name,
        "CER_spun": ds / L,
        "CER_rep": dx / L,
        "reduction": 1 - dx / ds if ds else math.nan,
        "precision": good / spans if spans else math.nan,
        "spans": spans,
        "garble": f"{gfixed}/{gsites}",
        "clean_per_10k": cd / CL * 1e4,
        "clean_changed": sum(x != r["text"] for r, x in zip(control, couts, strict=True)) / len(control),
        "chars_per_s": chars / secs if secs else math.nan,
    }


def dev_set(n: int = 1200, seed: int = 5) -> tuple[list[dict], list[dict]]:
    """Held-out corpus lines (never seen by the model) spun by a strtr-style spinner that uses our
    own table (longest key first, left to right, p = 0.6): what the method does when the table
    covers the spinner.  The clean half is the same lines unspun."""
    import random

    from cleaners.chinese import find_punct, find_t2s
    from cleaners.lm import heldout_lines
    from cleaners.model import Repair
    from cleaners.spin import table

    def normalized(line: str) -> str:
        # the review corpus writes half-width , ! ? and some Traditional characters: normalise
        # them first, so that the set measures spin restoration only
        for find in (find_t2s, find_punct):
            edits = find(line)
            delta = 0
            for off, before, after, rule, conf, _ok in edits:
                line = apply_repairs(line, [Repair("x", rule, before, after, off + delta, conf)])
                delta += len(after) - len(before)
        return line

    fwd: dict[str, list[str]] = {}
    for spun, pairs in table().pairs.items():
        for p in pairs:
            fwd.setdefault(p.original, []).append(spun)
    keys = sorted(fwd, key=lambda k: (-len(k), k))
    rng = random.Random(seed)
    lines = [normalized(ln) for ln in heldout_lines() if 30 < len(ln) < 400]
    rng.shuffle(lines)
    pairs, clean = [], []
    for k, line in enumerate(lines[:n]):
        out, i = [], 0
        while i < len(line):
            for key in keys:
                if line.startswith(key, i):
                    out.append(rng.choice(sorted(fwd[key])) if rng.random() < 0.6 else key)
                    i += len(key)
                    break
            else:
                out.append(line[i])
                i += 1
        pairs.append({"id": f"dev{k}", "original": line, "spun": "".join(out), "garble": None})
        clean.append({"id": f"dev{k}", "text": line})
    return pairs, clean


def with_wordlm(run: Callable[[], list], on: bool = True) -> list:
    """``run()`` with the word trigram model (cleaners/wordlm.py) switched on (the default since
    issue 13: combined with the character model) or off (the character model alone, as before),
    then back as it was; [] where the model cannot be had.  Also prints which evidence decided the
    restorations (charlm, lm, prior, page: ``spin.TRACE``)."""
    import os
    from collections import Counter

    from cleaners import spin, wordlm

    old = os.environ.get(wordlm.SWITCH)
    os.environ[wordlm.SWITCH] = "1" if on else "0"
    spin.reload()
    try:
        if on and wordlm.get_wordlm() is None:
            return []
        repair_text("预热：加载模型，至关关键")
        spin.TRACE = {}
        out = run()
        shares = Counter(spin.TRACE.values())
        n = sum(shares.values()) or 1
        print(
            f"  spin restorations {'with' if on else 'without'} the word model, decided by: "
            + ", ".join(f"{k} {100 * v / n:.0f}%" for k, v in sorted(shares.items()))
            + f" (of {n})"
        )
        return out
    finally:
        spin.TRACE = None
        if old is None:
            os.environ.pop(wordlm.SWITCH, None)
        else:
            os.environ[wordlm.SWITCH] = old
        spin.reload()


GBK_SEED = 7


def gbk_loss_set(pages_dir: Path, n: int = 200, seed: int = GBK_SEED) -> list[dict]:
    """Paragraphs of the gold texts of ../shared/pages (text the chain was never tuned on), each
    with one simulated GBK byte loss: a Han character X and the ，/。 after it lose their middle
    two bytes, leaving the character (lead byte of X, trail byte of the mark), as 工具， → 工粳.
    Fixed seed; only sites where that leftover is a Han character (as in the real damage)."""
    import random
    import re

    han = re.compile(r"[\u4e00-\u9fff]")
    paras: list[str] = []
    for gold in sorted(pages_dir.glob("*/*.gold.txt")):
        for line in gold.read_text(encoding="utf-8", errors="replace").split("\n"):
            line = line.strip()
            if 40 <= len(line) <= 400 and len(han.findall(line)) > 0.6 * len(line):
                paras.append(line)
    rng = random.Random(seed)
    rng.shuffle(paras)
    out: list[dict] = []
    for text in paras:
        sites = []
        for k in range(len(text) - 2):  # never the paragraph's last mark: there is nothing after it
            x, mark = text[k], text[k + 1]
            if mark not in "，。" or not han.match(x) or text[k + 2] in "，。、；：？！”’）":
                continue
            try:
                g = bytes([x.encode("gbk")[0], mark.encode("gbk")[1]]).decode("gbk")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            if han.match(g) and g != x:
                sites.append((k, x + mark, g))
        if not sites:
            continue
        k, orig, g = rng.choice(sites)
        out.append({"text": text, "damaged": text[:k] + g + text[k + 2 :], "pos": k, "orig": orig, "new": g})
        if len(out) >= n:
            break
    return out


def gbk_loss_score(cases: list[dict]) -> tuple[int, int, int]:
    """(losses restored exactly, wrong garble edits, cases) with the whole chain on each paragraph."""
    fixed = wrong = 0
    for c in cases:
        _, reps = repair_text(c["damaged"])
        for r in reps:
            if r.kind != "garble" or not r.applied:
                continue
            if r.offset == c["pos"] and r.before == c["new"] and r.after == c["orig"]:
                fixed += 1
            else:
                wrong += 1
    return fixed, wrong, len(cases)


# ------------------------------------------------------------------ the oracle's ceiling
def truth_sites(r: dict) -> dict[tuple[int, str], str]:
    """The spinner's substitutions of one spun pair in the coordinates of its ``spun`` text:
    (start, spun form) → the original it replaced.  ``replacements`` are [pos, orig, new] in the
    original's coordinates: each earlier substitution shifts the later ones by its change of
    length, and a GBK byte loss (two characters → one at ``garble.pos``) the ones after it; a
    substitution the loss fell into is no longer in the text and has no site."""
    out: dict[tuple[int, str], str] = {}
    g = r.get("garble")
    shift = 0
    for pos, orig, new in r["replacements"]:
        at = pos + shift
        shift += len(new) - len(orig)
        if g:
            if at + len(new) > g["pos"] and at < g["pos"] + len(g["orig"]):
                continue  # the loss fell into the spun word
            if at >= g["pos"] + len(g["orig"]):
                at -= len(g["orig"]) - len(g["new"])
        out[(at, new)] = orig
    return out


def oracle_repair(r: dict) -> tuple[str, int, int]:
    """The chain's own spin candidates of ``r["spun"]`` (``cleaners.spin.matches``: leftmost-longest
    over the tables in use), restored by an oracle: a candidate is restored exactly when it is a
    substitution of the spinner and the original it replaced is among the candidate's originals,
    and left alone otherwise (so precision is 100% and clean text is never changed).  Returns
    (the restored text, substitutions restorable so, substitutions at a candidate's site)."""
    from cleaners.spin import matches, table

    pairs = table().pairs
    truth = truth_sites(r)
    text = r["spun"]
    out: list[str] = []
    last = restored = at_site = 0
    for i, w in matches(text):
        orig = truth.get((i, w))
        if orig is None:
            continue
        at_site += 1
        if orig in {p.original for p in pairs[w]}:
            restored += 1
            out += [text[last:i], orig]
            last = i + len(w)
    out.append(text[last:])
    return "".join(out), restored, at_site


def oracle_report(pairs: list[dict]) -> None:
    """What a perfect decision over the chain's candidates would reach with the tables in use:
    the CER cut on all pairs and on each half of ``split``, and the coverage (substitutions of the
    spinner with a candidate holding the right original; at a candidate's site at all)."""
    print(
        f"{'pairs':6s} {'subst':>5s} {'CERspun':>7s} {'CERorac':>7s} {'cut':>6s} {'coverage':>8s} {'at site':>7s}"
    )
    for half in ("all", "tune", "test"):
        rows = pairs if half == "all" else split(pairs, half)
        L = ds = dx = n = good = site = 0
        for r in rows:
            x, k, s = oracle_repair(r)
            L += len(r["original"])
            ds += levenshtein(r["spun"], r["original"])
            dx += levenshtein(x, r["original"])
            n += len(r["replacements"])
            good, site = good + k, site + s
        print(
            f"{half:6s} {n:5d} {ds / L:7.4f} {dx / L:7.4f} {100 * (1 - dx / ds):5.1f}% "
            f"{100 * good / n:7.1f}% {100 * site / n:6.1f}%"
        )


SPLIT_SEED = 13


def split(rows: list[dict], half: str) -> list[dict]:
    """One half of ``rows`` by source paragraph (the id before its "-" suffix), fixed seed."""
    import random

    sources = sorted({str(r["id"]).split("-")[0] for r in rows})
    random.Random(SPLIT_SEED).shuffle(sources)
    tune = set(sources[: len(sources) // 2])
    return [r for r in rows if (str(r["id"]).split("-")[0] in tune) == (half == "tune")]


def print_row(r: dict, opencc_rate: float | None = None) -> None:
    """One line of the table; speed columns only when the run was timed against OpenCC."""
    line = (
        f"{r['name']:20s} {r['CER_spun']:7.4f} {r['CER_rep']:7.4f} {100 * r['reduction']:6.1f}% "
        f"{100 * r['precision']:5.1f}% {r['spans']:5d} {r['garble'] if opencc_rate else '-':>6s} "
        f"{r['clean_per_10k']:9.1f} {100 * r['clean_changed']:5.1f}%"
    )
    if opencc_rate:
        line += f" {r['chars_per_s']:9.0f} {r['chars_per_s'] / opencc_rate:8.2f}x"
    print(line)


def read_jsonl(p: Path) -> list[dict]:
    with open(p, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("spindir", nargs="?", default=str(ROOT.parent / "shared" / "spin"))
    ap.add_argument("--limit", type=int, default=0, help="use only the first N paragraphs of each file")
    ap.add_argument("--dev", action="store_true", help="also run on the self-spun held-out development set")
    ap.add_argument(
        "--spin-table",
        action="append",
        default=[],
        metavar="FILE",
        help="then run again with this spinner table supplied at run time (repeatable), e.g. the "
        "evaluation spinner's own tables in ../shared/spin/dicts (test data, never shipped)",
    )
    ap.add_argument(
        "--split",
        choices=("all", "tune", "test"),
        default="all",
        help="only one half of the spin set's source paragraphs (fixed seed; clean paragraphs split "
        "the same way): tune margins on 'tune', check them on 'test'",
    )
    ap.add_argument(
        "--pages",
        default=str(ROOT.parent / "shared" / "pages"),
        help="real pages whose gold texts get simulated GBK byte losses (text not tuned on)",
    )
    ap.add_argument(
        "--spin-lm",
        action="append",
        default=[],
        metavar="KEY=NUMBER",
        help="for this run only, a [spin_lm] setting of data/repair/settings.toml (the word model's "
        "margins and floors; repeatable, -inf allowed), e.g. --spin-lm char_floor=2.0: tune on "
        "--split tune, check on --split test, then edit the file",
    )
    ap.add_argument(
        "--oracle",
        action="store_true",
        help="only the ceiling of the chain's candidates: restore exactly the spinner's substitutions "
        "among them (the truth of spun_pairs.jsonl), with our table and then with --spin-table's; "
        "CER cut on all pairs and on the tune/test halves, and coverage; with --spin-table also what "
        "the tables' strtr check (cleaners.spintables.strtr_allows) would rule out per table, right and wrong",
    )
    ap.add_argument("--no-baselines", action="store_true", help="run only guidecrawl repair (quicker)")
    ap.add_argument(
        "--sweep",
        action="store_true",
        help="also show the precision/recall trade-off: every spin margin shifted by -12..0 nats",
    )
    a = ap.parse_args()
    override_spin_lm(spin_lm_overrides(a.spin_lm, ap))
    d = Path(a.spindir)
    pairs = read_jsonl(d / "spun_pairs.jsonl")
    control = read_jsonl(d / "clean_control.jsonl") + read_jsonl(d / "clean_paragraphs.jsonl")
    if a.limit:
        pairs, control = pairs[: a.limit], control[: a.limit]
    if a.oracle:
        run_oracle(pairs, control, a.spin_table)
        return
    if a.split != "all":
        pairs, control = split(pairs, a.split), split(control, a.split)
    # load the model, tables, jieba and OpenCC outside the timed runs
    repair_text("预热：加载模型，這是至关关键的身份片,采纳措施。工粳为客户")

    import opencc

    cc = opencc.OpenCC("t2s")
    text = "\n".join([r["spun"] for r in pairs] + [r["text"] for r in control])
    t0 = time.process_time()
    cc.convert(text)
    opencc_rate = len(text) / (time.process_time() - t0)

    rows = [
        evaluate("identity", lambda t: t, pairs, control),
        *([] if a.no_baselines else [evaluate("inverse-dict+jieba", make_inverse_dict(), pairs, control)]),
        *with_wordlm(lambda: [evaluate("guidecrawl charlm", ours, pairs, control)], on=False),
        *with_wordlm(lambda: [evaluate("guidecrawl +kenlm", ours, pairs, control)]),
    ]
    print(f"spin set: {d} ({len(pairs)} spun pairs, {len(control)} clean paragraphs)")
    print(
        f"{'repairer':20s} {'CERspun':>7s} {'CERrep':>7s} {'reduct':>7s} {'prec':>6s} {'spans':>5s} "
        f"{'garble':>6s} {'clean/10k':>9s} {'clean%':>6s} {'chars/s':>9s} {'vs OpenCC':>9s}"
    )
    for r in rows:
        print_row(r, opencc_rate)
    print(f"OpenCC t2s on the same text: {opencc_rate:.0f} chars/s (one core)")
    if a.dev:
        dpairs, dclean = dev_set()
        print(f"development set: {len(dpairs)} held-out corpus lines spun with data/repair/spin_pairs.tsv")
        for r in (
            evaluate("inverse-dict+jieba", make_inverse_dict(), dpairs, dclean),
            evaluate("guidecrawl repair", ours, dpairs, dclean),
        ):
            print_row(r)
    n, good = repair_precision(pairs)
    print(
        f"guidecrawl repairs applied on the spun pairs: {n}, each closer to the original: {good} ({100 * good / max(1, n):.1f}%)"
    )
    pages_dir = Path(a.pages)
    if (pages_dir / "manifest.jsonl").exists():
        cases = gbk_loss_set(pages_dir)
        print(f"GBK byte losses simulated in paragraphs of {pages_dir} gold texts (seed {GBK_SEED}):")
        for on, label in ((False, "guidecrawl charlm"), (True, "guidecrawl +kenlm")):
            for fw, ww, nw in with_wordlm(lambda: [gbk_loss_score(cases)], on=on):
                print(f"  {label}: {fw}/{nw} restored, {ww} wrong garble edits")
    if a.spin_table:
        import os

        from cleaners import spin
        from cleaners.spintables import ENV

        os.environ[ENV] = os.pathsep.join(str(Path(t).resolve()) for t in a.spin_table)
        spin.reload()
        print(
            f"with run-time spinner tables ({len(spin.table().pairs)} spun forms): "
            + ", ".join(Path(t).name for t in a.spin_table)
        )
        for r in (
            *(
                []
                if a.no_baselines
                else [evaluate("inverse-dict+jieba", make_inverse_dict(), pairs, control)]
            ),
            *with_wordlm(lambda: [evaluate("guidecrawl charlm", ours, pairs, control)], on=False),
            *with_wordlm(lambda: [evaluate("guidecrawl +kenlm", ours, pairs, control)]),
        ):
            print_row(r, opencc_rate)
        n, good = repair_precision(pairs)
        print(f"repairs applied: {n}, each closer to the original: {good} ({100 * good / max(1, n):.1f}%)")
    if a.sweep:
        print("sweep, as shipped (word model and character model combined):")
        sweep(pairs, control)
        with_wordlm(lambda: [print("sweep, character model only:"), sweep(pairs, control)], on=False)


def run_oracle(pairs: list[dict], control: list[dict], spin_tables: list[str]) -> None:
    """``--oracle``: ``oracle_report`` with our table, then with ours + ``spin_tables`` and what
    their strtr check rules out (``strtr_counts``)."""
    import os

    from cleaners import spin
    from cleaners.spintables import ENV

    print(f"oracle ceiling on {len(pairs)} spun pairs (split seed {SPLIT_SEED}), our table only:")
    oracle_report(pairs)
    if spin_tables:
        os.environ[ENV] = os.pathsep.join(str(Path(t).resolve()) for t in spin_tables)
        spin.reload()
        print("with run-time spinner tables: " + ", ".join(Path(t).name for t in spin_tables))
        oracle_report(pairs)
        for half in ("tune", "test"):
            strtr_counts(split(pairs, half), split(control, half), half)


def strtr_counts(pairs: list[dict], control: list[dict], half: str) -> None:
    """What the strtr check of the run-time tables (``cleaners.spintables.strtr_allows``, over the
    find keys of all of them; measured as a veto in the chain and not kept, docs/benchmarks.md) rules out among the chain's
    candidates, per table of the candidate's pair (ours: our table's pairs, checked against the run-time tables'
    keys too): right originals (the spinner's substitution) and wrong ones, on the spun pairs and
    on the clean paragraphs (all wrong)."""
    from collections import Counter

    from cleaners.spin import matches, table
    from cleaners.spintables import StrtrKeys, read_table, runtime_table_paths, strtr_allows

    keys = StrtrKeys({k for t in runtime_table_paths() for k, _ in read_table(t)})
    tab = table()
    count: Counter = Counter()
    for texts, truths in (
        ([r["spun"] for r in pairs], [truth_sites(r) for r in pairs]),
        ([r["text"] for r in control], [{}] * len(control)),
    ):
        for text, truth in zip(texts, truths, strict=True):
            found = matches(text)
            spans = [(i, i + len(w)) for i, w in found]
            for n, (i, w) in enumerate(found):
                others = (*spans[:n], *spans[n + 1 :])
                for p in tab.pairs[w]:
                    name = p.id.rsplit(":", 1)[0] if p.runtime else "ours"
                    label = "right" if truth.get((i, w)) == p.original else "wrong"
                    ok = strtr_allows(text, i, w, p.original, keys, others)
                    count[name, label, "n"] += 1
                    count[name, label, "out"] += not ok
    print(f"strtr check on the {half} half (candidate originals ruled out / all; clean text's all wrong):")
    for name in sorted({k[0] for k in count}):
        print(
            f"  {name:20s} wrong {count[name, 'wrong', 'out']:4d} / {count[name, 'wrong', 'n']:5d}   "
            f"right {count[name, 'right', 'out']:3d} / {count[name, 'right', 'n']:4d}"
        )


def spin_lm_overrides(items: list[str], ap: argparse.ArgumentParser) -> dict[str, float]:
    """``--spin-lm KEY=NUMBER`` items as a dict; a key that [spin_lm] (or [spin], which it
    falls back on) does not hold as a number, or a value that is no number, is a usage error."""
    from cleaners.data import repair_settings

    settings = repair_settings()
    known = {
        k
        for table in ("spin", "spin_lm")
        for k, v in settings[table].items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
    out: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            if not sep or key.strip() not in known:
                raise ValueError(item)
            out[key.strip()] = float(value)
        except ValueError:
            ap.error(f"--spin-lm {item!r}: give KEY=NUMBER, KEY one of {', '.join(sorted(known))}")
    return out


def override_spin_lm(over: dict[str, float]) -> None:
    """Run the spin stage with ``over`` in place of those [spin_lm] settings (this process only;
    the file is not touched).  The word-model rows use them; the character-model rows do not
    read [spin_lm]."""
    if not over:
        return
    import copy

    from cleaners import spin
    from cleaners.data import repair_settings

    merged = copy.deepcopy(repair_settings())
    merged["spin_lm"].update(over)
    spin.repair_settings = lambda: merged
    spin.reload()
    print("[spin_lm] for this run: " + ", ".join(f"{k} = {v}" for k, v in over.items()))


def sweep(pairs: list[dict], control: list[dict]) -> None:
    """What lower margins buy: the evidence gate's whole trade-off curve on this set, with the
    tables in use.  Shows where the language models' evidence runs out (recall that no margin
    reaches without giving up precision)."""
    import dataclasses

    from cleaners import spin

    original = spin.table
    base = original()
    print("margin shift (nats)  CER cut  precision  clean chars/10k")
    try:
        for delta in (-12.0, -8.0, -4.0, -2.0, 0.0):
            shifted = dataclasses.replace(
                base,
                margins={c: m + delta for c, m in base.margins.items()},
                spun_margins={c: m + delta for c, m in base.spun_margins.items()},
                proven_margin=base.proven_margin + delta,
                word=base.word
                and dataclasses.replace(
                    base.word,
                    margins={c: m + delta for c, m in base.word.margins.items()},
                    spun_margins={c: m + delta for c, m in base.word.spun_margins.items()},
                    proven_margin=base.word.proven_margin + delta,
                ),
            )
            spin.table = lambda t=shifted: t  # type: ignore[assignment]
            r = evaluate(f"{delta:+.0f}", ours, pairs, control)
            print(
                f"{delta:+19.0f} {100 * r['reduction']:7.1f}% {100 * r['precision']:9.1f}% {r['clean_per_10k']:15.1f}"
            )
    finally:
        spin.table = original  # type: ignore[assignment]


if __name__ == "__main__":
    main()
