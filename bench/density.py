#!/usr/bin/env python3
"""Thread CPU of the spider's article-or-listing test per page: the compiled density walk against
the XPaths it replaced, in the same run.

    .venv/bin/python bench/density.py [--shared ../shared] [--repeat 5]

The pages of ../shared/pages and pages-more are parsed once (Scrapy's ``HtmlResponse``, as the
spider gets them); then ``GuideSpider.is_article`` of a generic profile runs on each, under an
article URL (the test's shortcut) and under a plain URL (the full test), with
``crawler.spiders.guide._density_counts`` set to the compiled walk and to the XPaths in turn, and
the five figures alone.  Each figure is the fastest of ``--repeat`` runs (``time.thread_time``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scrapy.http import HtmlResponse  # noqa: E402

from crawler.spiders import guide  # noqa: E402
from crawler.spiders.guide import GuideSpider  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--shared", type=Path, default=ROOT.parent / "shared", help="folder with pages/ and pages-more/"
    )
    ap.add_argument("--repeat", type=int, default=5, help="runs per figure; the fastest counts (default 5)")
    args = ap.parse_args()
    bodies = []
    for sub in ("pages", "pages-more"):
        manifest = args.shared / sub / "manifest.jsonl"
        if not manifest.is_file():
            print(f"no {manifest}: give --shared FOLDER holding pages/ and pages-more/", file=sys.stderr)
            return 2
        for line in manifest.read_text("utf-8").splitlines():
            if line.strip():
                bodies.append((args.shared / sub / json.loads(line)["html"]).read_bytes())
    fast = guide._density_counts
    if fast is guide._xpath_density:
        print("the compiled walk is not in use (not built, or GUIDECRAWL_PURE_PYTHON=1)", file=sys.stderr)
        return 1
    spider = GuideSpider(start_urls="http://farm.example/")
    rules = spider.rules[spider.profiles[0]["name"]]
    urls = {
        "article URL (shortcut)": "http://farm.example/a/1.html",
        "plain URL (full test)": "http://farm.example/about",
    }
    resps = {
        k: [HtmlResponse(u, body=b, headers={"Content-Type": "text/html"}) for b in bodies]
        for k, u in urls.items()
    }
    for rs in resps.values():
        for r in rs:
            r.selector.root  # parsed before timing  # noqa: B018

    def best(step) -> float:
        out = float("inf")
        for _ in range(args.repeat):
            t = time.thread_time()
            step()
            out = min(out, (time.thread_time() - t) / len(bodies) * 1000)
        return out

    figures: dict[str, dict[str, float]] = {}
    for label, fn in (("XPaths", guide._xpath_density), ("compiled", fast)):
        guide._density_counts = fn
        for k, rs in resps.items():
            figures.setdefault(f"is_article, {k}", {})[label] = best(
                lambda rs=rs: [spider.is_article(r, rules) for r in rs]
            )
        roots = [r.selector.root for r in resps["plain URL (full test)"]]
        figures.setdefault("the figures alone", {})[label] = best(
            lambda roots=roots, fn=fn: [fn(x) for x in roots]
        )
    guide._density_counts = fast
    print(f"{len(bodies)} pages, ms/page (thread CPU, fastest of {args.repeat})")
    for k, f in figures.items():
        print(
            f"  {k:34} XPaths {f['XPaths']:.3f}  compiled {f['compiled']:.3f}  {f['compiled'] / f['XPaths']:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
