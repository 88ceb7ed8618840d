#!/usr/bin/env python3
"""Body-extraction quality and speed of cleaners.page.clean_page against readability-lxml and
trafilatura (favor_precision=True), on the same pages, in the same process, in the same run.

Our cleaner gets the raw bytes (decoding is part of its job and of its time); the baselines get
the text our decoder produced, untimed.

Metric (as ../shared/pages/README.md defines it, implemented here, not imported): normalise both
texts (NFKC, lower-case, drop every character whose Unicode category starts with P, Z, C or S),
take the multisets of character bigrams, F1 of their intersection.  An empty or failed output
scores 0.

    .venv/bin/python bench/extract.py [--pages ../shared/pages] [--repeat 3] [--worst 8]

Prints a markdown table: mean F1, pages under 0.5, pages/s and the speed ratio to readability.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaners import repair as _repair  # noqa: E402
from cleaners.decode import decode_html  # noqa: E402
from cleaners.metrics import bigram_f1  # noqa: E402
from cleaners.page import clean_page  # noqa: E402
from cleaners.spin import clear_memo  # noqa: E402


def ours(raw: bytes, url: str) -> str:
    return clean_page(raw, url).body


def ours_without_repairs(raw: bytes, url: str) -> str:
    """The same cleaner with the text repair chain (cleaners/repair.py, another module) switched off:
    extraction + boilerplate alone.  The repair chain converts Traditional to Simplified script,
    which lowers F1 on pages whose gold keeps Traditional script."""
    saved = _repair.repair_text
    _repair.repair_text = _identity
    try:
        return clean_page(raw, url).body
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
    """Run every extractor on every page: ``fn(page[key], url)``.

    The extractors take turns page by page (and run by run), so a change in machine load hits
    them all alike; the fastest of ``repeat`` runs of each page is its time.
    """
    res = [{"name": n, "secs": 0.0, "scores": [], "errors": 0} for n, _, _ in extractors]
    for pg in pages:
        best = [float("inf")] * len(extractors)
        outs = [""] * len(extractors)
        for _ in range(repeat):
            for k, (_, fn, key) in enumerate(extractors):
                clear_memo()  # a rerun of the same page must not find the first run's scores
                t0 = time.perf_counter()
                try:
                    outs[k] = fn(pg[key], pg["url"])
                except Exception:  # noqa: BLE001 - a baseline crashing on a page scores 0 there
                    outs[k] = ""
                    res[k]["errors"] += 1
                best[k] = min(best[k], time.perf_counter() - t0)
        for k in range(len(extractors)):
            res[k]["secs"] += best[k]
            res[k]["scores"].append((bigram_f1(outs[k], pg["gold"]), pg["id"]))
    for r in res:
        f1s = [s for s, _ in r["scores"]]
        r["mean"] = sum(f1s) / len(f1s)
        r["under"] = sum(1 for s in f1s if s < 0.5)
        r["pps"] = len(pages) / r["secs"] if r["secs"] else float("inf")
    return res


def shared_pages(base: Path) -> list[dict]:
    """The pages of ``base/manifest.jsonl``: ``id, url, raw`` (bytes) and ``gold`` (text)."""
    pages = []
    for line in (base / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            pages.append(
                {
                    "id": d["id"],
                    "url": d.get("url") or "",
                    "raw": (base / d["html"]).read_bytes(),
                    "gold": (base / d["gold"]).read_text(encoding="utf-8"),
                }
            )
    return pages


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--pages", default=str(ROOT.parent / "shared" / "pages"), help="folder with manifest.jsonl"
    )
    ap.add_argument("--repeat", type=int, default=3, help="runs per page; the fastest counts (default 3)")
    ap.add_argument("--worst", type=int, default=8, help="list our N lowest-scoring pages")
    args = ap.parse_args()
    base = Path(args.pages)
    manifest = base / "manifest.jsonl"
    if not manifest.exists():
        print(f"no manifest.jsonl in {base}; pass --pages PATH", file=sys.stderr)
        return 2
    pages = shared_pages(base)
    for pg in pages:
        # The baselines get the page already decoded (by our decoder, not timed for them): their
        # own charset sniffing mis-decodes several GB2312 pages, and we compare extraction here.
        pg["text"] = decode_html(pg["raw"]).text
    clean_page(pages[0]["raw"], pages[0]["url"])  # warm-up: rule tables compile on first use
    results = run(
        [
            ("guidecrawl clean_page (repair chain on)", ours, "raw"),
            ("guidecrawl clean_page (repair chain off)", ours_without_repairs, "raw"),
            ("readability-lxml", readability_body, "text"),
            ("trafilatura favor_precision=True", trafilatura_body, "text"),
        ],
        pages,
        args.repeat,
    )
    ref = results[2]["pps"]
    print(
        f"Body extraction on {len(pages)} pages of {base} (bigram F1 vs gold; best of {args.repeat} runs)\n"
    )
    print("| extractor | mean body F1 | pages < 0.5 | pages/s | speed vs readability |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['name']} | {r['mean']:.3f} | {r['under']} | {r['pps']:.1f} | {r['pps'] / ref:.2f}× |")
    ours_r = results[0]
    print(
        "\nguidecrawl lowest pages: "
        + ", ".join(f"{i} {s:.3f}" for s, i in sorted(ours_r["scores"])[: args.worst])
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
