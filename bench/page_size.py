#!/usr/bin/env python3
"""CPU time against page size: the extraction side of the cleaner grows no faster than the page.

    .venv/bin/python bench/page_size.py [--shared ../shared] [--repeat 2]

Two shapes of page, built from real text (the gold texts of ../shared/pages*, the prose of
../shared/spin) inside a real page's chrome (a header, a nav bar, a sidebar of links, a footer):

  big page        paragraphs of real prose, one <p> each, up to a 2 MB page (2 MB of UTF-8)
  short paras     6,250 … 50,000 short <p> (real lines cut to 8-30 characters)

Each page is cleaned by ``cleaners.page.clean_page`` as in production, with bench/clean.py's
per-stage CPU clocks around the calls (``time.process_time_ns``; fastest of ``--repeat`` runs).
Printed per size: extraction-side CPU (decode, parse, extract, boilerplate, structure) in
µs per KB of HTML, and that figure as a ratio to the smallest size of the same shape.  A ratio
that stays near 1.0 as the page grows 8× is linear work; a quadratic step would double it with
every doubling.  (The repair chain is left out here: the body it gets is cut at
``MAX_BODY_CHARS``, and bench/long_paragraph.py measures its own growth.)
"""

from __future__ import annotations

import argparse
import html
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from clean import StageClock, repetitive_cache_clear  # noqa: E402  (bench/clean.py)
from long_paragraph import source_paragraphs  # noqa: E402  (bench/long_paragraph.py)

import cleaners.page as page  # noqa: E402
from cleaners import repair as _repair  # noqa: E402

EXTRACTION = ("decode", "parse", "extract", "boilerplate", "structure")

_HEAD = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}_攻略大全_示例网</title>
<meta name="description" content="{title}"></head><body>
<div class="header"><a href="/">首页</a> <a href="/gl/">攻略</a> <a href="/wd/">问答</a></div>
<div class="nav"><ul>{nav}</ul></div>
<div class="main"><div class="article"><h1>{title}</h1>
<div class="info">发布时间：2023-05-06 12:30 来源：示例网 编辑：小明</div>
<div class="content">
"""
_TAIL = """</div></div>
<div class="sidebar"><h3>热门推荐</h3><ul>{nav}</ul></div></div>
<div class="footer">版权所有 © 2023 示例网 京ICP备12345678号</div></body></html>"""


def _chrome(paras: list[str]) -> tuple[str, str]:
    nav = "".join(
        f'<li><a href="/gl/{k}.html">{html.escape(p[:14])}</a></li>' for k, p in enumerate(paras[:20])
    )
    title = html.escape(paras[0][:20])
    return _HEAD.format(title=title, nav=nav), _TAIL.format(nav=nav)


def big_page(paras: list[str], size: int) -> bytes:
    """A page of about ``size`` bytes: real paragraphs, one <p> each, cycled as needed."""
    head, tail = _chrome(paras)
    out = [head]
    n = len(head.encode()) + len(tail.encode())
    k = 0
    while n < size:
        p = f"<p>{html.escape(paras[k % len(paras)])}</p>\n"
        out.append(p)
        n += len(p.encode())
        k += 1
    out.append(tail)
    return "".join(out).encode("utf-8")


def short_paras_page(paras: list[str], count: int) -> bytes:
    """A page of ``count`` short <p>: real lines cut to 8-30 characters."""
    head, tail = _chrome(paras)
    shorts = [p[: 8 + k % 23] for k, p in enumerate(paras) if len(p) >= 8]
    body = "".join(f"<p>{html.escape(shorts[k % len(shorts)])}</p>\n" for k in range(count))
    return (head + body + tail).encode("utf-8")


def measure(raw: bytes, repeat: int) -> dict[str, float]:
    """Fastest-of-``repeat`` CPU ns per stage for one page (the run with the least total)."""
    best: dict[str, float] | None = None
    for _ in range(repeat):
        repetitive_cache_clear()
        with StageClock() as sc:
            t0 = time.process_time_ns()
            page.clean_page(raw, "http://bench.invalid/gl/1.html")
            total = time.process_time_ns() - t0
        if best is None or total < best["total"]:
            best = {**sc.ns, "total": total}
    assert best is not None
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"), help="the shared data folder")
    ap.add_argument("--repeat", type=int, default=2, help="runs per page; the fastest counts (default 2)")
    args = ap.parse_args()
    paras = source_paragraphs(Path(args.shared))
    # the repair chain is not what is measured here (see the docstring): a stand-in that
    # returns the text unchanged keeps its time out of the figures
    _repair.repair_text = lambda t: (t, [])
    _repair.repair_comment = lambda t: (t, [])
    page.clean_page(big_page(paras, 100_000), "http://bench.invalid/")  # load rule tables first
    shapes = (
        (
            "big page",
            [(f"{s // 1000} KB", big_page(paras, s)) for s in (250_000, 500_000, 1_000_000, 2_000_000)],
        ),
        (
            "short paras",
            [(f"{c:,} <p>", short_paras_page(paras, c)) for c in (6_250, 12_500, 25_000, 50_000)],
        ),
    )
    print(f"Extraction-side CPU per KB of HTML (fastest of {args.repeat} runs)\n")
    print("| page | size | " + " | ".join(EXTRACTION) + " | extraction µs/KB | vs smallest |")
    print("|---|---:|" + "---:|" * (len(EXTRACTION) + 2))
    for shape, pages in shapes:
        first = None
        for label, raw in pages:
            kb = len(raw) / 1000
            r = measure(raw, args.repeat)
            per_kb = sum(r[s] for s in EXTRACTION) / 1000 / kb
            first = first or per_kb
            stages = " | ".join(f"{r[s] / 1e6:.0f} ms" for s in EXTRACTION)
            print(f"| {shape} {label} | {kb:,.0f} KB | {stages} | {per_kb:.1f} | {per_kb / first:.2f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
