"""Crawler-trap detection: an ever-growing number in the URL leading to page after near-identical page.

A calendar (``/2031/12/``, ``/2032/01/`` ...), an endless "next" link (``/page/1`` → ``/page/2``
→ …) or a session id in the path gives a crawl an unbounded supply of new URLs whose pages all
say the same thing.  Scrapy's ``DEPTH_LIMIT`` ends such a chain eventually; this ends it after a
few pages, without cutting legitimate deep pagination, whose pages differ.

The test is a chain, not a count: a link is a trap candidate when it has the same *URL template*
(the URL with every run of digits replaced) as the page it was found on, and that page was
*near-identical* to the page before it in the chain (a 64-bit SimHash of its visible text nodes,
digits removed, within ``GUIDECRAWL_TRAP_DISTANCE`` bits) *and led nowhere new* (no new link
outside the template).  Once a chain holds ``GUIDECRAWL_TRAP_PAGES`` such pages, its links of
that template are no longer followed.  Listing pages chained by 下一页 are not cut: each leads to
new articles, which starts its chain again; article pages sharing a template (``/a/123.html``)
differ in text; and a chain of soft-404 pages only stops the links found *on* those pages.

SimHash is written here (a dozen lines over numpy) because the only hashing library the project
has, datasketch, offers MinHash, whose estimates need many permutations per page -- far more CPU
per page than the crawler's reactor can spare -- where one 64-bit fingerprint per page suffices.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

DIGITS = re.compile(r"\d+")
_MASK = (1 << 64) - 1


def url_template(url: str) -> str:
    """``url`` with every run of digits replaced by ``N`` (``/page/12?d=3`` → ``/page/N?d=N``)."""
    return DIGITS.sub("N", url)


def simhash(texts: Iterable[str]) -> int:
    """A 64-bit SimHash of a page's text nodes, digits removed, each node one feature.

    Python's ``hash`` of a string is salted per process, which is fine: fingerprints are only
    compared within one crawling process.
    """
    feats = {DIGITS.sub("", t).strip() for t in texts}
    feats.discard("")
    if not feats:
        return 0
    # Imported here, on the first page a trap chain goes on from, not with the spider: numpy is
    # the crawling process's heaviest import (~0.2-0.3 s of CPU and ~15 MB at start-up) and most
    # crawls never fingerprint a page.
    import numpy as np

    hashes = np.fromiter((hash(f) & _MASK for f in feats), dtype=np.uint64, count=len(feats))
    bits = np.unpackbits(hashes.view(np.uint8).reshape(-1, 8), axis=1)  # (features, 64)
    votes = bits.sum(axis=0, dtype=np.int64) * 2 > len(feats)
    return int.from_bytes(np.packbits(votes).tobytes(), "big")


def distance(a: int, b: int) -> int:
    """Hamming distance of two fingerprints."""
    return (a ^ b).bit_count()
