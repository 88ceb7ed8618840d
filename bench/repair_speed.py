#!/usr/bin/env python3
"""Characters per second of CPU of the text repair chain on real page bodies (issue 14).

    .venv/bin/python bench/repair_speed.py [--set pages|more|all] [--warm] [--rounds 2]
                                           [--against OTHER_CHECKOUT]

The text timed is exactly what ``cleaners.repair.repair_text`` is given when
``cleaners.page.clean_page`` cleans the pages of ../shared/pages (``pages``, 73 pages),
../shared/pages-more (``more``) or both (``all``, 735 pages): each page's body is captured once,
from this checkout, and every timed run reads the same bodies.

Two ways to count:

``cold`` (default)  every page a first reading: the chain's memos are cleared before each page
                    (``cleaners.spin.clear_memo``), as ``bench/clean.py`` does;
``--warm``          a cleaning worker's life: the pages once each, in their order, never the same
                    page twice, memos kept from page to page (they are bounded).

Each run is a process of its own (model loading and one short warm-up text are not timed), and CPU
time is ``time.process_time`` around ``repair_text`` alone.  ``--against DIR`` runs the same
bench with the code of another checkout (e.g. a clone of the start commit) in turns with this one,
``--rounds`` times, and prints the ratio of the best runs: a loaded machine slows both alike.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
_SETS = {"pages": ("pages",), "more": ("pages-more",), "all": ("pages", "pages-more")}
_WARMUP = "这是一段用来预热的文字，里面有繁體字和一些问题。\n第二段：重要的是，我们需要了解具体原因。"


def capture(which: str) -> list[str]:
    """The bodies ``repair_text`` is given by ``clean_page`` on the pages of ``which``."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from extract import shared_pages  # bench/extract.py

    from cleaners import page
    from cleaners import repair as _repair

    seen: list[str] = []
    real = _repair.repair_text

    def spy(text: str):
        seen.append(text)
        return text, []  # the bodies only: the chain itself is timed later

    _repair.repair_text = spy  # type: ignore[assignment]
    try:
        texts: list[str] = []
        for base in _SETS[which]:
            for pg in shared_pages(SHARED / base):
                seen.clear()
                page.clean_page(pg["raw"], pg["url"])
                texts.append(seen[0] if seen else "")
    finally:
        _repair.repair_text = real  # type: ignore[assignment]
    return texts


def child(root: Path, texts_file: Path, warm: bool) -> dict:
    """Time the chain of checkout ``root`` on the bodies in ``texts_file`` (run in its own process)."""
    sys.path.insert(0, str(root))
    from cleaners.repair import repair_text
    from cleaners.spin import clear_memo

    texts = json.loads(texts_file.read_text("utf-8"))
    repair_text(_WARMUP)  # load the models and tables: not timed
    clear_memo()
    clock = time.process_time
    total = 0.0
    for text in texts:
        if not warm:
            clear_memo()
        t = clock()
        repair_text(text)
        total += clock() - t
    chars = sum(map(len, texts))
    return {
        "root": str(root),
        "pages": len(texts),
        "chars": chars,
        "cpu_s": total,
        "chars_per_s": chars / total,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", choices=sorted(_SETS), default="pages", help="which pages (default: pages)")
    ap.add_argument("--warm", action="store_true", help="keep memos from page to page (a worker's life)")
    ap.add_argument("--rounds", type=int, default=2, help="runs of each checkout, in turns (default 2)")
    ap.add_argument("--against", type=Path, help="another checkout to time in turns with this one")
    ap.add_argument("--child", nargs=2, metavar=("ROOT", "TEXTS"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(Path(a.child[0]), Path(a.child[1]), a.warm)))
        return 0
    if a.against is not None and not (a.against / "cleaners" / "repair.py").is_file():
        print(
            f"repair_speed: {a.against} is no guidecrawl checkout (no cleaners/repair.py); give its root",
            file=sys.stderr,
        )
        return 2
    texts = capture(a.set)
    roots = [ROOT] + ([a.against.resolve()] if a.against else [])
    best: dict[str, float] = {}
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as f:
        json.dump(texts, f, ensure_ascii=False)
    mode = "warm" if a.warm else "cold"
    print(f"{a.set}: {len(texts)} pages, {sum(map(len, texts)):,} characters, {mode}")
    try:
        for rnd in range(a.rounds):
            for root in roots if rnd % 2 == 0 else roots[::-1]:
                cmd = [sys.executable, __file__, "--child", str(root), f.name] + (
                    ["--warm"] if a.warm else []
                )
                r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
                best[str(root)] = max(best.get(str(root), 0.0), r["chars_per_s"])
                print(
                    f"  {root}: {r['cpu_s']:.3f} s CPU, {r['chars_per_s'] / 1000:,.0f}k chars/s", flush=True
                )
    finally:
        Path(f.name).unlink()
    for root in roots:
        print(f"best {root}: {best[str(root)] / 1000:,.0f}k chars/s")
    if a.against:
        print(f"ratio this / other: {best[str(ROOT)] / best[str(roots[1])]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
