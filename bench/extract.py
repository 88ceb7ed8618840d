#!/usr/bin/env python3
"""Body-extraction quality, comments, confidence and speed of cleaners.page.clean_page against
readability-lxml and trafilatura (favor_precision=True), on the same pages, in the same run.

Pages: ../shared/pages (73 Chinese pages) and ../shared/pages-more (662 pages of ~360 sites), split
BY HOST into a tuning part (~70 % of hosts) and a held-out part (~30 %) by the SHA-1 of a fixed
seed and the host, so every page of one site lands in the same part and the split never changes.
Tune on the tuning part; look at held-out only to accept or reject a change.

Our cleaner gets the raw bytes (decoding is part of its job and of its time); the baselines get
the text our decoder produced, untimed.

Body metric (the definition of ../shared/pages/README.md and ../shared/tools/common.py, written
here, not imported): normalise both texts (NFKC, lower-case, Traditional → Simplified character by
character with the first reading of OpenCC's TSCharacters table, drop every character whose Unicode
category starts with P, Z, C or S), take the multisets of character bigrams, F1 of their
intersection.  An empty or failed output scores 0.
Comments (pages with gold comments, the dragnet pages): a gold comment is found when an output
comment has the same normalised text or bigram F1 >= 0.8 with it; recall = found / gold, precision
= output comments matching some gold comment / output comments, author accuracy = found comments
whose author normalises to the gold author / found.
Confidence check: of our pages with body F1 < 0.5 (repair chain off), the share whose article
confidence is < 0.5 (the confidence means something), and the share of all pages flagged < 0.5;
per part and set, then over the whole of pages-more (both parts).

    .venv/bin/python bench/extract.py                       # everything (slow: ~735 pages × 4)
    .venv/bin/python bench/extract.py --part tuning --no-baselines --limit 200   # quick look
    .venv/bin/python bench/extract.py --json /tmp/run.json  # per-page records for study
    .venv/bin/python bench/extract.py --train-edge zh       # refit data/edge_model.toml (tuning part only)

Prints one markdown table per part, then the comment and confidence lines.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaners import repair as _repair  # noqa: E402
from cleaners.decode import decode_html  # noqa: E402
from cleaners.page import clean_page  # noqa: E402
from cleaners.spin import clear_memo  # noqa: E402

SPLIT_SEED = "guidecrawl-extract-split-1"
TUNING_SHARE = 70  # percent of hosts
SETS = ("pages", "pages-more")


# ------------------------------------------------------------------ metric


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    """Traditional → Simplified per character: OpenCC's TSCharacters, first reading."""
    import opencc

    table: dict[int, str] = {}
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        src, _, dst = line.partition("\t")
        if len(src) == 1 and dst:
            table[ord(src)] = dst.split(" ")[0]
    return table


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower().translate(_t2s_table())
    return "".join(c for c in text if unicodedata.category(c)[0] not in "PZCS")


def f1_norm(o: str, g: str) -> float:
    """Bigram F1 of two already normalised texts."""
    a = Counter(o[i : i + 2] for i in range(len(o) - 1))
    b = Counter(g[i : i + 2] for i in range(len(g) - 1))
    matched = sum((a & b).values())
    return 2 * matched / (sum(a.values()) + sum(b.values())) if matched else 0.0


def body_f1(out: str, gold: str) -> float:
    return f1_norm(norm(out), norm(gold))


def comment_counts(out: list[dict], gold: list[dict]) -> dict[str, int]:
    on = [(norm(c.get("text", "")), norm(c.get("author", ""))) for c in out]
    gn = [(norm(c["text"]), norm(c.get("author", ""))) for c in gold]
    gn = [g for g in gn if g[0]]

    def same(g: str, o: str) -> bool:
        return g == o or f1_norm(o, g) >= 0.8

    hits = [next((o for o in on if same(g[0], o[0])), None) for g in gn]
    return {
        "gold": len(gn),
        "found": sum(h is not None for h in hits),
        "author_ok": sum(1 for g, h in zip(gn, hits, strict=True) if h is not None and h[1] == g[1]),
        "out": len(on),
        "out_matched": sum(any(same(g[0], o[0]) for g in gn) for o in on),
    }


# ------------------------------------------------------------------ pages and the split


def _host(d: dict, raw: bytes) -> str:
    host = d.get("host") or urlsplit(d.get("url") or "").hostname or ""
    if host and host != "unknown.invalid":
        return host.lower()
    # CWCED wrapper line: <text id=URL ...>; else the page is its own "site"
    head = raw[:400].decode("latin-1")
    if head.lstrip().startswith("<text"):
        i = head.find("id=")
        if i >= 0:
            h = urlsplit(head[i + 3 :].split()[0].strip("\"'")).hostname
            if h:
                return h.lower()
    return f"{d.get('source', '')}:{d.get('name', d['id'])}"


def part_of(host: str) -> str:
    """'tuning' or 'held-out', fixed by the seed and the host alone."""
    h = int(hashlib.sha1(f"{SPLIT_SEED}:{host}".encode()).hexdigest()[:8], 16)
    return "tuning" if h % 100 < TUNING_SHARE else "held-out"


def shared_pages(base: Path) -> list[dict]:
    """The pages of ``base/manifest.jsonl``: ``id, url, raw`` (bytes), ``gold`` (text), ``host``,
    ``part``, ``lang``, ``set`` and ``gold_comments`` (list or None)."""
    pages = []
    for line in (base / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        raw = (base / d["html"]).read_bytes()
        host = _host(d, raw)
        comments = d.get("comments")
        pages.append(
            {
                "id": f"{base.name}/{d['id']}",
                "set": base.name,
                "source": d.get("source", ""),
                "url": d.get("url") or "",
                "raw": raw,
                "gold": (base / d["gold"]).read_text(encoding="utf-8"),
                "gold_comments": (
                    json.loads((base / comments).read_text(encoding="utf-8")) if comments else None
                ),
                "lang": d.get("lang") or "zh",  # ../shared/pages is all Chinese
                "host": host,
                "part": part_of(host),
            }
        )
    return pages


# ------------------------------------------------------------------ extractors


def ours(raw: bytes, url: str):
    return clean_page(raw, url)


def ours_without_repairs(raw: bytes, url: str):
    """The same cleaner with the text repair chain (cleaners/repair.py) switched off: extraction +
    boilerplate alone."""
    saved = _repair.repair_text
    _repair.repair_text = _identity
    try:
        return clean_page(raw, url)
    finally:
        _repair.repair_text = saved


def _identity(text: str) -> tuple[str, list]:
    return text, []


def readability_body(text: str, url: str) -> str:
    import lxml.html
    from readability import Document

    html = Document(text, url=url or None).summary(html_partial=True)
    return lxml.html.fromstring(html).text_content() if html.strip() else ""


def trafilatura_body(text: str, url: str) -> str:
    import trafilatura

    return trafilatura.extract(text, url=url or None, favor_precision=True) or ""


def run(extractors: list[tuple[str, Callable, str]], pages: list[dict], repeat: int) -> list[dict]:
    """Run every extractor on every page: ``fn(page[key], url)``; per page and extractor a record
    ``{f1, secs, conf, comments}``.  The extractors take turns page by page, so a change in machine
    load hits them all alike; the fastest of ``repeat`` runs is the page's time."""
    recs: list[list[dict]] = [[] for _ in extractors]
    for pg in pages:
        for k, (_, fn, key) in enumerate(extractors):
            best, out, err = float("inf"), None, ""
            for _ in range(repeat):
                clear_memo()  # a rerun of the same page must not find the first run's scores
                t0 = time.perf_counter()
                try:
                    out = fn(pg[key], pg["url"])
                except Exception as e:  # noqa: BLE001 - a baseline crashing on a page scores 0 there
                    out, err = None, repr(e)[:100]
                best = min(best, time.perf_counter() - t0)
            body = out if isinstance(out, str) else (out.body if out is not None else "")
            rec = {"id": pg["id"], "f1": body_f1(body, pg["gold"]), "secs": best, "error": err}
            if out is not None and not isinstance(out, str):
                rec["conf"] = getattr(out, "confidence", None)
                rec["status"] = out.status
                rec["comments"] = [{"author": c.author, "text": c.text} for c in out.comments]
            recs[k].append(rec)
    return recs


# ------------------------------------------------------------------ report


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


def summary(recs: list[dict], pages: list[dict]) -> dict:
    f1 = [r["f1"] for r in recs]
    zh = [r["f1"] for r, p in zip(recs, pages, strict=True) if p["lang"].startswith("zh")]
    secs = sum(r["secs"] for r in recs)
    return {
        "n": len(recs),
        "mean": _mean(f1),
        "under": sum(v < 0.5 for v in f1),
        "zh": _mean(zh),
        "n_zh": len(zh),
        "pps": len(recs) / secs if secs else float("inf"),
    }


def comment_summary(recs: list[dict], pages: list[dict]) -> dict | None:
    tot: Counter = Counter()
    stray = 0
    for r, p in zip(recs, pages, strict=True):
        if p["gold_comments"] is None:
            continue
        tot.update(comment_counts(r.get("comments") or [], p["gold_comments"]))
    if not tot["gold"]:
        return None
    return {
        "recall": tot["found"] / tot["gold"],
        "precision": tot["out_matched"] / tot["out"] if tot["out"] else 0.0,
        "author": tot["author_ok"] / tot["found"] if tot["found"] else 0.0,
        "gold": tot["gold"],
        "out": tot["out"],
        "stray": stray,
    }


def confidence_summary(recs: list[dict]) -> dict | None:
    have = [r for r in recs if r.get("conf") is not None]
    if not have:
        return None
    bad = [r for r in have if r["f1"] < 0.5]
    low = [r for r in have if r["conf"] < 0.5]
    return {
        "bad": len(bad),
        "bad_low": sum(r["conf"] < 0.5 for r in bad),
        "low": len(low),
        "low_good": sum(r["f1"] >= 0.8 for r in low),
        "n": len(have),
    }


def _print_confidence(label: str, recs: list[dict]) -> None:
    k = confidence_summary(recs)
    if k:
        share = f"{k['bad_low'] / k['bad']:.0%}" if k["bad"] else "—"
        print(
            f"confidence ({label}): {k['bad_low']}/{k['bad']} pages with F1 < 0.5 have confidence"
            f" < 0.5 ({share}); {k['low']}/{k['n']} pages flagged, {k['low_good']} of them F1 ≥ 0.8"
        )


# ------------------------------------------------------------------ the edge-line model (training)

EDGE_MODEL_PATH = ROOT / "data" / "edge_model.toml"
EDGE_HEAD, EDGE_TAIL = 5, 8  # lines looked at from the top and from the bottom of a body
EDGE_MAX_LEN = 300
EDGE_L2, EDGE_STEPS = 1e-3, 3000


def _edge_label(line: str, gold_norm: str, gold_grams: Counter) -> int | None:
    """1: the gold text does not hold this line (not the article), 0: it does, None: too short."""
    n = norm(line)
    if len(n) < 2:
        return None
    if n in gold_norm:
        return 0
    grams = Counter(n[i : i + 2] for i in range(len(n) - 1))
    held = sum((grams & gold_grams).values()) / max(1, sum(grams.values()))
    return 0 if held >= 0.5 else 1


def _edge_rows(pages: list[dict]) -> list[dict]:
    """Per tuning page whose block is right (body F1 >= 0.5): the body lines the rules leave (edge
    model off), its gold and, per side, the features and labels of the lines in from that end."""
    from cleaners import boilerplate as bp

    saved, bp.EDGE_ON = bp.EDGE_ON, False
    classify = bp.classify
    seen: list = []  # the last call's lines, where they sat (EDGE_WHERE) and labels

    def spy(lines, title="", where=None):
        out = classify(lines, title, where)
        seen[:] = [lines, where, out]
        return out

    bp.classify = spy
    rows = []
    try:
        for pg in pages:
            art = ours_without_repairs(pg["raw"], pg["url"])
            if body_f1(art.body, pg["gold"]) < 0.5:
                continue  # the wrong block: its ends say nothing about where an article ends
            all_lines, all_where, labels = seen
            keep = [i for i, lab in enumerate(labels) if lab is None and all_lines[i].strip()]
            lines = [all_lines[i] for i in keep]
            assert lines == [x for x in art.body.split("\n") if x.strip()]
            where = [all_where[i] if all_where is not None else None for i in keep]
            gn = norm(pg["gold"])
            gg = Counter(gn[i : i + 2] for i in range(len(gn) - 1))
            row = {"lines": lines, "where": where, "gold": pg["gold"], "lang": pg["lang"], "host": pg["host"]}
            for side, order, wh, limit in (
                ("tail", lines[::-1], where[::-1], EDGE_TAIL),
                ("head", lines, where, EDGE_HEAD),
            ):
                row[side] = [
                    (bp.edge_features(x, w), _edge_label(x, gn, gg), len("".join(x.split())))
                    for x, w in zip(order[:limit], wh[:limit], strict=True)
                ]
            rows.append(row)
    finally:
        bp.EDGE_ON = saved
        bp.classify = classify
    return rows


def _fit_logistic(x, y, w):
    """L2-regularised logistic regression by full-batch gradient descent (numpy, build time only)."""
    import numpy as np

    theta = np.zeros(x.shape[1])
    w = w / w.mean()
    for step in range(EDGE_STEPS):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ theta, -30, 30)))
        grad = x.T @ (w * (p - y)) / len(y) + EDGE_L2 * np.r_[0.0, theta[1:]]
        theta -= (0.5 if step < 1000 else 0.2) * grad
    return theta


def _simulate(
    rows: list[dict], weights: dict, threshold: float, removed: Counter | None = None, where_on: bool = True
) -> list[float]:
    """Body F1 per row after the run-time walk (cleaners.boilerplate.edge_walk) with these
    weights (over the text and where features, or the text alone: ``where_on``); ``removed``
    counts the characters removed rightly ("right": the gold does not hold the line) and wrongly
    ("wrong")."""
    from cleaners.boilerplate import edge_walk

    out = []
    for row in rows:
        lines = row["lines"]
        where = row["where"] if where_on else [None] * len(lines)
        tail = edge_walk(
            lines[::-1], tuple(weights["tail"]), threshold, EDGE_TAIL, EDGE_MAX_LEN, where=where[::-1]
        )
        rest = lines[: len(lines) - tail]
        head = edge_walk(
            rest, tuple(weights["head"]), threshold, EDGE_HEAD, EDGE_MAX_LEN, where=where[: len(rest)]
        )
        if removed is not None:
            for side, k in (("tail", tail), ("head", head)):
                for _, lab, size in row[side][:k]:
                    if lab is not None:
                        removed["right" if lab else "wrong"] += size
        out.append(body_f1("\n".join(rest[head:]), row["gold"]))
    return out


def _fit_sides(rows: list[dict], where_on: bool = True) -> tuple[dict, dict]:
    """Weights per side, fitted on every labelled line within reach of the ends; a line weighs its
    visible characters (capped at 200) + 5.  ``where_on``: over the where features too."""
    import numpy as np

    from cleaners.boilerplate import EDGE_FEATURES

    n = None if where_on else len(EDGE_FEATURES)
    weights, counts = {}, {}
    for side in ("tail", "head"):
        data = [
            (f[:n], lab, min(size, 200) + 5.0)
            for row in rows
            for f, lab, size in row[side]
            if lab is not None
        ]
        x = np.array([f for f, _, _ in data], dtype=float)
        y = np.array([lab for _, lab, _ in data], dtype=float)
        w = np.array([v for _, _, v in data], dtype=float)
        weights[side] = [round(float(v), 4) for v in _fit_logistic(x, y, w)]
        counts[side] = (len(data), int(y.sum()))
    return weights, counts


EDGE_FOLDS = 5
EDGE_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
EDGE_PRECISION = 0.8  # share of the removed characters that must be right (cross-validated)


def _site(host: str) -> str:
    """The registrable part of a host, roughly: folds by site, so news.sina.com.hk and
    digital.sina.com.hk (one template) never sit on both sides of a fold."""
    p = host.split(".")
    return (
        ".".join(p[-3:])
        if len(p) >= 3 and p[-2] in ("com", "net", "org", "gov", "edu", "co")
        else ".".join(p[-2:])
    )


def train_edge(pages: list[dict], langs: str) -> int:
    """Fit the edge-line model on the tuning part only and write data/edge_model.toml.  The
    threshold is chosen by cross-validation inside the tuning part (folds by the SHA-1 of the site),
    then the weights are fitted on all of it."""
    from cleaners.boilerplate import EDGE_FEATURES, EDGE_FLOOR_DEFAULT, EDGE_SPAN_DEFAULT, EDGE_WHERE

    tuning = [p for p in pages if p["part"] == "tuning"]
    if langs == "zh":
        tuning = [p for p in tuning if p["lang"].startswith("zh")]
    rows = _edge_rows(tuning)

    def fold(host: str) -> int:
        return int(hashlib.sha1(host.encode()).hexdigest()[:6], 16) % EDGE_FOLDS

    def choose(where_on: bool) -> float:
        """The threshold of the text weights or of the where weights, by cross-validation."""
        cv: dict[float, list[float]] = {t: [] for t in (2.0, *EDGE_THRESHOLDS)}  # 2.0: the model off
        removed: dict[float, Counter] = {t: Counter() for t in cv}
        for k in range(EDGE_FOLDS):
            fitted, _ = _fit_sides([r for r in rows if fold(_site(r["host"])) != k], where_on)
            test = [r for r in rows if fold(_site(r["host"])) == k and r["lang"].startswith("zh")]
            for t in cv:
                cv[t] += _simulate(test, fitted, t, removed[t], where_on)

        def precision(t: float) -> float:
            r = removed[t]
            return r["right"] / (r["right"] + r["wrong"]) if r["right"] + r["wrong"] else 1.0

        # a line of the article removed is worse than a sign-off kept: only thresholds whose
        # removals are right on EDGE_PRECISION of the characters compete on F1
        sure = [t for t in EDGE_THRESHOLDS if precision(t) >= EDGE_PRECISION] or [max(EDGE_THRESHOLDS)]
        threshold = max(sure, key=lambda t: _mean(cv[t]))
        print(
            f"edge model ({'text + where' if where_on else 'text alone'}): {EDGE_FOLDS}-fold "
            f"cross-validation over tuning sites, Chinese F1 of the rows: off {_mean(cv[2.0]):.4f}, "
            + ", ".join(
                f"{t}: {_mean(cv[t]):.4f} (removed right {precision(t):.0%})" for t in EDGE_THRESHOLDS
            )
            + f"; threshold {threshold}"
        )
        return threshold

    threshold = choose(False)
    where_threshold = choose(True)
    weights, counts = _fit_sides(rows, False)
    where_weights, _ = _fit_sides(rows, True)
    print(
        f"edge model: {len(rows)} tuning pages, lines tail {counts['tail']} head {counts['head']} "
        "(samples, not the article)"
    )
    feats = ", ".join(f'"{f}"' for f in EDGE_FEATURES)
    where_feats = ", ".join(f'"{f}"' for f in EDGE_WHERE)
    EDGE_MODEL_PATH.write_text(
        f"""# The edge-line model of cleaners/boilerplate.py (_edge_pass): logistic regression over the
# features EDGE_FEATURES of a body line near either end; the walk in from each end cuts the run of
# lines (up to one scored below floor) where the sum of (probability - threshold) is highest.
# GENERATED by `.venv/bin/python bench/extract.py --train-edge` — do not edit by hand; retrain.
id = "edge-model"
reason = "a site's sign-off, promotion, disclaimer or poll at the ends of the body, worded its own way on every site: judged by generic features of the line, not by one rule per wording"
features = [{feats}]
threshold = {threshold}
max_len = {EDGE_MAX_LEN}
floor = {EDGE_FLOOR_DEFAULT}
span = {EDGE_SPAN_DEFAULT}

[provenance]
trained_on = "the tuning part of bench/extract.py's host split only ({langs} pages whose body F1 >= 0.5 with the model off)"
split_seed = "{SPLIT_SEED}"
tuning_share = {TUNING_SHARE}
pages = {len(rows)}
labels = "a line is 'not the article' when the gold text holds neither it nor half of its character bigrams"
sample_weight = "visible characters of the line (capped at 200) + 5"
samples = "every labelled line among the first {EDGE_HEAD} and the last {EDGE_TAIL} lines of the body"
threshold_choice = "{EDGE_FOLDS}-fold cross-validation over tuning sites (SHA-1 of the registrable domain): the best mean Chinese body F1 among thresholds whose removed characters are right on >= {EDGE_PRECISION:.0%}"
fit = "full-batch gradient descent, L2 {EDGE_L2}, {EDGE_STEPS} steps"

[tail]
lines = {EDGE_TAIL}
samples = {counts["tail"][0]}
positives = {counts["tail"][1]}
weights = {weights["tail"]}

[head]
lines = {EDGE_HEAD}
samples = {counts["head"][0]}
positives = {counts["head"][1]}
weights = {weights["head"]}

# the same fit over EDGE_FEATURES followed by these: where the line sat in the page (its link
# share, another kind of child of the article block than its prose's, in <p>, in a list item, in
# a heading; cleaners.extract._facts_features), for the lines of a page being cleaned
[where]
features = [{where_feats}]
threshold = {where_threshold}
tail_weights = {where_weights["tail"]}
head_weights = {where_weights["head"]}
""",
        encoding="utf-8",
    )
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--shared", default=str(ROOT.parent / "shared"), help="folder holding pages/ and pages-more/"
    )
    ap.add_argument("--sets", default=",".join(SETS), help="page sets to read (default: pages,pages-more)")
    ap.add_argument("--part", choices=("tuning", "held-out", "both"), default="both")
    ap.add_argument("--no-baselines", action="store_true", help="run our cleaner only (fast)")
    ap.add_argument("--no-repair-on", action="store_true", help="skip the run with the repair chain on")
    ap.add_argument("--limit", type=int, default=0, help="first N pages of each part only")
    ap.add_argument("--repeat", type=int, default=1, help="runs per page; the fastest counts (default 1)")
    ap.add_argument("--worst", type=int, default=10, help="list our N lowest tuning pages")
    ap.add_argument("--json", help="write per-page records here")
    ap.add_argument(
        "--train-edge",
        choices=("zh", "all"),
        help="fit the edge-line model on the tuning part (zh: Chinese pages only) and write data/edge_model.toml",
    )
    args = ap.parse_args()
    shared = Path(args.shared)
    pages: list[dict] = []
    for name in args.sets.split(","):
        base = shared / name.strip()
        if not (base / "manifest.jsonl").exists():
            print(
                f"no manifest.jsonl in {base}; pass --shared PATH (the folder with pages/)", file=sys.stderr
            )
            return 2
        pages.extend(shared_pages(base))
    if args.train_edge:
        return train_edge(pages, args.train_edge)
    parts = ("tuning", "held-out") if args.part == "both" else (args.part,)
    by_part = {p: [pg for pg in pages if pg["part"] == p] for p in parts}
    if args.limit:
        by_part = {p: v[: args.limit] for p, v in by_part.items()}
    for pgs in by_part.values():
        for pg in pgs:
            # The baselines get the page already decoded (by our decoder, not timed for them): their
            # own charset sniffing mis-decodes several GB2312 pages, and we compare extraction here.
            pg["text"] = decode_html(pg["raw"]).text
    clean_page(pages[0]["raw"], pages[0]["url"])  # warm-up: rule tables compile on first use
    extractors = [("guidecrawl clean_page (repair chain off)", ours_without_repairs, "raw")]
    if not args.no_repair_on:
        extractors.append(("guidecrawl clean_page (repair chain on)", ours, "raw"))
    if not args.no_baselines:
        extractors += [
            ("readability-lxml", readability_body, "text"),
            ("trafilatura favor_precision=True", trafilatura_body, "text"),
        ]
    dump: dict = {}
    conf_all: list[dict] = []  # pages-more records of every part: the confidence check over the whole set
    for part, pgs in by_part.items():
        recs = run(extractors, pgs, args.repeat)
        sums = [summary(r, pgs) for r in recs]
        ref = next(
            (s["pps"] for (n, _, _), s in zip(extractors, sums, strict=True) if n == "readability-lxml"), None
        )
        hosts = len({p["host"] for p in pgs})
        print(
            f"\n### {part}: {len(pgs)} pages of {hosts} hosts ({sums[0]['n_zh']} Chinese), "
            f"split seed {SPLIT_SEED!r}\n"
        )
        print("| extractor | mean body F1 | pages < 0.5 | Chinese F1 | pages/s | speed vs readability |")
        print("|---|---:|---:|---:|---:|---:|")
        for (name, _, _), s in zip(extractors, sums, strict=True):
            ratio = f"{s['pps'] / ref:.2f}×" if ref else "—"
            print(
                f"| {name} | {s['mean']:.3f} | {s['under']} ({100 * s['under'] / s['n']:.1f}%) | "
                f"{s['zh']:.3f} | {s['pps']:.1f} | {ratio} |"
            )
        c = comment_summary(recs[0], pgs)
        if c:
            print(
                f"\ncomments ({c['gold']} gold on the pages with gold comments): recall {c['recall']:.2f}, "
                f"precision {c['precision']:.2f} ({c['out']} rows), author right {c['author']:.2f}"
            )
        for sub in ("pages", "pages-more"):
            _print_confidence(sub, [r for r, p in zip(recs[0], pgs, strict=True) if p["set"] == sub])
        conf_all.extend(r for r, p in zip(recs[0], pgs, strict=True) if p["set"] == "pages-more")
        if part == "tuning" and args.worst:
            worst = sorted(zip(recs[0], pgs, strict=True), key=lambda x: x[0]["f1"])[: args.worst]
            print(
                "\nlowest tuning pages (repair off): "
                + ", ".join(f"{p['id']} {r['f1']:.3f} c={r.get('conf')}" for r, p in worst)
            )
        dump[part] = {
            name: [dict(r, host=p["host"], lang=p["lang"]) for r, p in zip(rs, pgs, strict=True)]
            for (name, _, _), rs in zip(extractors, recs, strict=True)
        }
    if len(by_part) > 1:
        print()
        _print_confidence("pages-more, all parts", conf_all)
    if args.json:
        Path(args.json).write_text(json.dumps(dump, ensure_ascii=False, indent=0), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
