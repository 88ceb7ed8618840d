#!/usr/bin/env python3
"""Time against length on one endless paragraph: the repair chain and the page cleaner stay linear.

    .venv/bin/python bench/long_paragraph.py [--shared ../shared] [--sizes 10000,100000,300000,1000000]

Real Chinese prose (the spun and clean paragraphs of ../shared/spin and the gold texts of
../shared/pages*, joined with no line break) cut to each size, then:

  repair 1 line   ``cleaners.repair.repair_text`` on the text as one paragraph
  repair lines    the same characters as one paragraph per source paragraph: the baseline, which
                  was always linear (the issue: 290k chars as one line 71 s, as 30,000 lines 6.4 s)
  clean 1 <p>     ``cleaners.page.clean_page`` on a page whose body is one <p> of the text (the
                  body is cut at ``MAX_BODY_CHARS``, 300k, so larger sizes clean 300k)

Every figure is CPU time (``time.process_time``), the memo of the chain cleared before each run.
chars/s per size, and the ratio one line / lines of the same size: a constant ratio across sizes
is linear time; before the fix it grew with the size (quadratic steps).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaners.page import MAX_BODY_CHARS, clean_page  # noqa: E402
from cleaners.repair import repair_text  # noqa: E402
from cleaners.spin import clear_memo  # noqa: E402


def source_paragraphs(shared: Path) -> list[str]:
    out: list[str] = []
    spin = shared / "spin"
    for name, key in (("clean_paragraphs", "text"), ("spun_pairs", "spun"), ("clean_control", "text")):
        for line in (spin / f"{name}.jsonl").open(encoding="utf-8"):
            out.append(json.loads(line)[key])
    for folder in ("pages", "pages-more"):
        for gold in sorted((shared / folder).rglob("*.gold.txt")):
            out.extend(gold.read_text(encoding="utf-8", errors="replace").split("\n"))
    return [p.strip().replace("\r", "") for p in out if p.strip() and not any(c in p for c in "<>&")]


def cut(paras: list[str], n: int) -> list[str]:
    """Paragraphs whose characters add up to ``n`` (the last one cut; repeated if too few)."""
    out: list[str] = []
    size = 0
    while size < n:
        for p in paras:
            p = p[: n - size]
            out.append(p)
            size += len(p)
            if size >= n:
                break
    return out


def cpu(fn) -> float:
    clear_memo()
    t = time.process_time()
    fn()
    return time.process_time() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"), help="the shared data folder")
    ap.add_argument("--sizes", default="10000,100000,300000,1000000", help="characters, comma-separated")
    args = ap.parse_args()
    paras = source_paragraphs(Path(args.shared))
    repair_text("预热一下模型，问题在于起因。")  # build the models before timing
    print(
        f"{'chars':>9} | {'repair 1 line':>14} | {'repair lines':>13} | {'1 line / lines':>14} | {'clean 1 <p>':>12}"
    )
    for n in (int(s) for s in args.sizes.split(",")):
        parts = cut(paras, n)
        one = "".join(parts)
        t_one = cpu(lambda one=one: repair_text(one))
        t_lines = cpu(lambda parts=parts: repair_text("\n".join(parts)))
        html = f"<html><head><title>长文</title></head><body><article><h1>长文</h1><p>{one}</p></article></body></html>"
        t_clean = cpu(lambda html=html: clean_page(html.encode("utf-8"), "http://bench.invalid/a.html"))
        cleaned = min(n, MAX_BODY_CHARS)
        print(
            f"{n:>9} | {n / t_one:>9.0f} c/s | {n / t_lines:>9.0f} c/s | {t_one / t_lines:>13.2f}x"
            f" | {cleaned / t_clean:>8.0f} c/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
