#!/usr/bin/env python3
"""Dump the repair chain's full output, to check that a faster chain gives byte-identical answers.

    .venv/bin/python bench/repair_dump.py OUT.jsonl [--wordlm | --no-wordlm] [--spin-tables] [--limit N]

One JSON line per item: every spun and clean paragraph of ../shared/spin (``repair_text``), and
every page of ../shared/pages and ../shared/pages-more through ``cleaners.page.clean_page`` with
the repair chain on (body, every repair of the body and of each comment, spin score).  Every
repair is written whole (kind, rule, before, after, offset, confidence, applied).  Run it before
and after a change, in the same configuration, and compare the files (``cmp`` or ``diff``).

``--wordlm`` switches on the word trigram model (``GUIDECRAWL_WORDLM=1``), ``--no-wordlm`` off
(``GUIDECRAWL_WORDLM=0``: the character model only); with neither the settings file decides (on by
default since issue 13; ``GUIDECRAWL_WORDLM`` is cleared from the environment).  ``--spin-tables`` adds
the spinner's own tables of ../shared/spin/dicts/itechbear_Corpus (``GUIDECRAWL_SPIN_TABLES``).
The switches are set before the cleaners are imported, as a user would set them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
TABLES = SHARED / "spin" / "dicts" / "itechbear_Corpus"


def _rep(r) -> list:
    return [r.kind, r.rule, r.before, r.after, r.offset, r.confidence, r.applied]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="the JSONL file to write")
    lm = ap.add_mutually_exclusive_group()
    lm.add_argument("--wordlm", action="store_true", help="GUIDECRAWL_WORDLM=1")
    lm.add_argument("--no-wordlm", action="store_true", help="GUIDECRAWL_WORDLM=0 (character model only)")
    ap.add_argument("--spin-tables", action="store_true", help="the spinner's own tables at run time")
    ap.add_argument("--limit", type=int, default=0, help="only the first N items of each set")
    a = ap.parse_args()
    if a.wordlm or a.no_wordlm:
        os.environ["GUIDECRAWL_WORDLM"] = "1" if a.wordlm else "0"
    else:
        os.environ.pop("GUIDECRAWL_WORDLM", None)  # data/repair/settings.toml decides
    if a.spin_tables:
        os.environ["GUIDECRAWL_SPIN_TABLES"] = os.pathsep.join(str(p) for p in sorted(TABLES.iterdir()))
    else:
        os.environ.pop("GUIDECRAWL_SPIN_TABLES", None)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from extract import shared_pages  # bench/extract.py

    from cleaners import page
    from cleaners.repair import repair_text

    t0 = time.process_time()
    n = 0
    with open(a.out, "w", encoding="utf-8") as out:
        for name in ("spun_pairs", "clean_control", "clean_paragraphs"):
            rows = [
                json.loads(ln)
                for ln in (SHARED / "spin" / f"{name}.jsonl").read_text("utf-8").splitlines()
                if ln.strip()
            ]
            for r in rows[: a.limit or None]:
                text = r.get("spun") or r.get("text")
                fixed, reps = repair_text(text)
                out.write(
                    json.dumps(
                        {"id": f"{name}/{r['id']}", "text": fixed, "repairs": [_rep(x) for x in reps]},
                        ensure_ascii=False,
                    )
                    + "\n"
                )
                n += 1
        for base in (SHARED / "pages", SHARED / "pages-more"):
            for pg in shared_pages(base)[: a.limit or None]:
                art = page.clean_page(pg["raw"], pg["url"])
                out.write(
                    json.dumps(
                        {
                            "id": pg["id"],
                            "body": art.body,
                            "repairs": [_rep(x) for x in art.repairs],
                            "reason": art.reason,
                            "spin_score": art.spin_score,
                            "comments": [[c.text, [_rep(x) for x in c.repairs]] for c in art.comments],
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
                n += 1
    print(f"{n} items in {time.process_time() - t0:.1f} s CPU → {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
