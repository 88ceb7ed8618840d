#!/usr/bin/env python3
"""CPU time of the page cleaner per stage, against lxml and readability-lxml on the same pages.

    .venv/bin/python bench/clean.py [--pages ../shared/pages] [--site 500] [--repeat 3]

Two page sets: ``site`` = article pages of bench/crawl.py's generated content-farm site (the pages
the crawl benchmark cleans, about 7 KB each), ``shared`` = the 73 real pages of ../shared/pages.

``cleaners.page.clean_parts`` runs exactly as in production; only here, in this script, the
functions it calls are wrapped with a CPU timer (``time.process_time_ns``) so each stage's share
is measured inside the real call:

  decode       cleaners.decode.decode_html
  parse        cleaners.extract.parse_noted (text → lxml tree)
  extract      cleaners.extract.extract (pruning, comment blocks, scoring, text lines)
  boilerplate  cleaners.boilerplate.strip_boilerplate and the page's metadata lines
  structure    title, dates, outline sections, comment rows (cleaners/structure.py)
  repair       the text repair chain: repair_text, repair_comment, spin_score, to_simplified (cleaners/repair.py ...)
  other        the rest of clean_parts (the repair replay check, Article assembly)

Baselines measured in the same run on the same decoded text: ``lxml parse`` (lxml.etree.HTML
alone, the floor of any DOM extractor) and readability-lxml's ``Document(text).summary()``.
When the compiled walks of the extractor are built (cleaners/_fastwalk.pyx), each page is also
cleaned with them switched off (``extract._fast = None``, as GUIDECRAWL_PURE_PYTHON=1 does): the
row ``extract, pure-Python walks`` and the ratio of the two (same output, same run).
Each page's time is the fastest of ``--repeat`` runs (the runs take turns page by page, so a
change in machine load hits all of them alike).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from extract import shared_pages  # noqa: E402  (bench/extract.py)

import cleaners.page as page  # noqa: E402
from cleaners import extract as _extract  # noqa: E402
from cleaners import repair as _repair  # noqa: E402
from cleaners.decode import decode_html  # noqa: E402
from cleaners.extract import _repetitive  # noqa: E402
from cleaners.spin import clear_memo  # noqa: E402


def repetitive_cache_clear() -> None:
    """Forget what a first run of the same page memoised: the stuffing test's paragraph cache
    (cleaners/extract.py) and the repair chain's scores, so every timed run is a first reading."""
    _repetitive.cache_clear()
    clear_memo()


STAGES = ("decode", "parse", "extract", "boilerplate", "structure", "repair", "other")
# (module, attribute, stage): the names clean_parts looks up at call time
_WRAPPED = (
    (page, "decode_html", "decode"),
    (page, "parse_noted", "parse"),
    (page, "extract", "extract"),
    (page, "strip_boilerplate", "boilerplate"),
    (page, "meta_from_line", "boilerplate"),
    (page, "best_title", "structure"),
    (page, "parse_date", "structure"),
    (page, "outline", "structure"),
    (page, "comments_from_items", "structure"),
    (page, "comments_from_lines", "structure"),
    (page, "to_simplified", "repair"),
    (_repair, "repair_text", "repair"),
    (_repair, "repair_comment", "repair"),
    (_repair, "spin_score", "repair"),
)


class StageClock:
    """CPU nanoseconds per stage, filled by the wrappers around clean_parts' callees."""

    def __init__(self) -> None:
        self.ns = dict.fromkeys(STAGES, 0)
        self._saved: list[tuple[object, str, Callable]] = []

    def _wrap(self, fn: Callable, stage: str) -> Callable:
        ns = self.ns
        clock = time.process_time_ns

        def timed(*a, **k):
            t0 = clock()
            try:
                return fn(*a, **k)
            finally:
                ns[stage] += clock() - t0

        return timed

    def __enter__(self) -> StageClock:
        for mod, name, stage in _WRAPPED:
            fn = getattr(mod, name, None)
            if fn is None:  # renamed in cleaners/page.py: its time counts as "other"
                continue
            self._saved.append((mod, name, fn))
            setattr(mod, name, self._wrap(fn, stage))
        return self

    def __exit__(self, *exc: object) -> None:
        for mod, name, fn in reversed(self._saved):
            setattr(mod, name, fn)
        self._saved.clear()


def site_pages(n: int) -> list[dict]:
    """Article pages of the crawl benchmark's site (bench/crawl.py's generator, same template)."""
    import crawl

    rng = random.Random(7)
    out = []
    for k in range(1, n + 1):
        html = crawl.article_html(k, rng, max(n, 50)).encode("utf-8")
        out.append({"id": f"site/{k}", "url": f"http://127.0.0.1/consult/{k % 7}/{k}.html", "raw": html})
    return out


def _readability(text: str) -> None:
    from readability import Document

    Document(text).summary(html_partial=True)


def _lxml_parse(text: str) -> None:
    from lxml import etree

    etree.HTML(text)


def measure(pages: list[dict], repeat: int) -> dict[str, float]:
    """Per-page fastest-of-repeat CPU ms, summed over pages, per stage and per baseline."""
    totals = dict.fromkeys((*STAGES, "total", "lxml parse", "readability", PURE), 0.0)
    clock = time.process_time_ns
    compiled = _extract._fast
    for pg in pages:
        text = decode_html(pg["raw"]).text
        best: dict[str, float] | None = None
        best_lxml = best_read = best_pure = float("inf")
        for _ in range(repeat):
            if compiled is not None:
                # the same page with the extractor's pure-Python walks (the compiled ones' reference)
                _extract._fast = None
                try:
                    repetitive_cache_clear()
                    with StageClock() as sc:
                        page.clean_page(pg["raw"], pg["url"])
                finally:
                    _extract._fast = compiled
                best_pure = min(best_pure, sc.ns["extract"])
            # the paragraph cache serves a page's second look at the same paragraph; a rerun of
            # the same page must not find the first run's answers there
            repetitive_cache_clear()
            with StageClock() as sc:
                t0 = clock()
                page.clean_page(pg["raw"], pg["url"])
                total = clock() - t0
            if best is None or total < best["total"]:
                best = dict(sc.ns)
                best["total"] = total
            t0 = clock()
            _lxml_parse(text)
            best_lxml = min(best_lxml, clock() - t0)
            t0 = clock()
            _readability(text)
            best_read = min(best_read, clock() - t0)
        assert best is not None
        best["other"] = best["total"] - sum(best[s] for s in STAGES if s != "other")
        for k, v in best.items():
            totals[k] += v / 1e6
        totals["lxml parse"] += best_lxml / 1e6
        totals["readability"] += best_read / 1e6
        totals[PURE] += best_pure / 1e6 if compiled is not None else float("nan")
    return {k: v / len(pages) for k, v in totals.items()}


PURE = "extract, pure-Python walks"


def wordlm_modes() -> list[tuple[str, Callable[[], None]]]:
    """The repair chain with the word trigram model (GUIDECRAWL_WORDLM=1) and without it (the character
    model only, as before issue 13): both spin tables compiled once, switched per run, so that the
    two take turns page by page."""
    import os

    from cleaners import spin, wordlm

    def compiled(on: str):
        os.environ[wordlm.SWITCH] = on
        spin.reload()
        tab = spin.table()
        return tab

    off_tab, on_tab = compiled("0"), compiled("1")
    os.environ[wordlm.SWITCH] = "1"

    def use(on: str, tab) -> Callable[[], None]:
        def enter() -> None:
            os.environ[wordlm.SWITCH] = on
            spin.table = lambda: tab  # type: ignore[assignment]
            clear_memo()

        return enter

    return [
        ("character model only", use("0", off_tab)),
        ("+ word model (GUIDECRAWL_WORDLM=1)", use("1", on_tab)),
    ]


def compare_wordlm(
    pages: list[dict], repeat: int, modes: list[tuple[str, Callable[[], None]]]
) -> dict[str, tuple[float, float]]:
    """CPU ms/page of the repair stage and of the whole cleaner per mode, the fastest of
    ``repeat`` runs per page, modes taking turns within each page."""
    out = {name: [0.0, 0.0] for name, _ in modes}
    clock = time.process_time_ns
    for pg in pages:
        best = {name: [float("inf"), float("inf")] for name, _ in modes}
        for _ in range(repeat):
            for name, enter in modes:
                enter()
                _repetitive.cache_clear()
                with StageClock() as sc:
                    t0 = clock()
                    page.clean_page(pg["raw"], pg["url"])
                    total = clock() - t0
                b = best[name]
                b[0], b[1] = min(b[0], sc.ns["repair"]), min(b[1], total)
        for name in out:
            out[name][0] += best[name][0] / 1e6
            out[name][1] += best[name][1] / 1e6
    return {k: (v[0] / len(pages), v[1] / len(pages)) for k, v in out.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--pages", default=str(ROOT.parent / "shared" / "pages"), help="folder with manifest.jsonl"
    )
    ap.add_argument("--site", type=int, default=500, help="generated site article pages (default 500)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per page; the fastest counts (default 3)")
    ap.add_argument(
        "--wordlm",
        action="store_true",
        help="only compare the repair chain with and without the word trigram model (issue 13), same run",
    )
    args = ap.parse_args()
    base = Path(args.pages)
    sets = [("site", site_pages(args.site))]
    if (base / "manifest.jsonl").exists():
        sets.append(("shared", shared_pages(base)))
    else:
        print(f"no manifest.jsonl in {base}: shared pages left out (pass --pages PATH)", file=sys.stderr)
    # warm-up: rule tables, dictionaries and language models load on first use (some only for
    # some pages, e.g. Traditional script), not per page
    for _, pgs in sets:
        for pg in pgs[:100]:
            page.clean_page(pg["raw"], pg["url"])
    _readability(decode_html(sets[0][1][0]["raw"]).text)
    if args.wordlm:
        print(f"Repair chain with and without the word model, CPU ms/page (fastest of {args.repeat} runs)\n")
        print("| pages | mode | repair | total |\n|---|---|---:|---:|")
        modes = wordlm_modes()
        for name, pgs in sets:
            r = compare_wordlm(pgs, args.repeat, modes)
            (n0, (r0, t0)), (n1, (r1, t1)) = r.items()
            print(f"| {name} ({len(pgs)}) | {n0} | {r0:.2f} | {t0:.2f} |")
            print(f"| {name} ({len(pgs)}) | {n1} | {r1:.2f} ({r1 / r0:.2f}×) | {t1:.2f} ({t1 / t0:.2f}×) |")
        return 0
    results = [(name, len(pgs), measure(pgs, args.repeat)) for name, pgs in sets]

    print(f"Page cleaner CPU ms/page by stage (fastest of {args.repeat} runs per page)\n")
    head = "| stage | " + " | ".join(f"{n} ({k} pages)" for n, k, _ in results) + " |"
    print(head)
    print("|---|" + "---:|" * len(results))
    for row in (*STAGES, "total", "lxml parse", "readability", PURE):
        label = f"**{row}**" if row == "total" else row
        if row in ("lxml parse", "readability"):
            label = f"baseline: {row}"
        print(f"| {label} | " + " | ".join(f"{r[row]:.2f}" for _, _, r in results) + " |")
    ext = ("decode", "parse", "extract", "boilerplate", "structure")
    print(
        "| extraction side (decode…structure) | "
        + " | ".join(f"{sum(r[s] for s in ext):.2f}" for _, _, r in results)
        + " |"
    )
    print("\nRatios (same run):\n")
    print("| ratio | " + " | ".join(n for n, _, _ in results) + " |")
    print("|---|" + "---:|" * len(results))
    for label, num, den in (
        ("total / lxml parse", "total", "lxml parse"),
        ("total / readability", "total", "readability"),
        ("extract / extract with the pure-Python walks", "extract", PURE),
    ):
        print(f"| {label} | " + " | ".join(f"{r[num] / r[den]:.2f}×" for _, _, r in results) + " |")
    print(
        "| extraction side / readability | "
        + " | ".join(f"{sum(r[s] for s in ext) / r['readability']:.2f}×" for _, _, r in results)
        + " |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
