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

SimHash is written here (a dozen lines over Python's big integers) because the only hashing
library the project has, datasketch, offers MinHash, whose estimates need many permutations per page -- far more CPU
per page than the crawler's reactor can spare -- where one 64-bit fingerprint per page suffices.
"""

from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Iterable

DIGITS = re.compile(r"\d+")
_MASK = (1 << 64) - 1


def url_template(url: str) -> str:
    """``url`` with every run of digits replaced by ``N`` (``/page/12?d=3`` → ``/page/N?d=N``)."""
    return DIGITS.sub("N", url)


# _BIT[b] maps a byte to 1 when its bit b is set, else 0 (a ``bytes.translate`` table)
_BIT = [bytes((x >> b) & 1 for x in range(256)) for b in range(8)]


def simhash(texts: Iterable[str]) -> int:
    """A 64-bit SimHash of a page's text nodes, digits removed, each node one feature: bit ``k``
    is set when more than half of the features' 64-bit hashes have bit ``k`` set.

    Python's ``hash`` of a string is salted per process, which is fine: fingerprints are only
    compared within one crawling process.  The votes are counted per byte column of the packed
    hashes (``translate`` to 0/1, then ``count``: C loops over ``n`` bytes, 64 of them), not
    in a Python loop over features times bits, and without numpy, the crawling process's
    heaviest import, that this alone needed.
    """
    feats = {DIGITS.sub("", t).strip() for t in texts}
    feats.discard("")
    n = len(feats)
    if not n:
        return 0
    hashes = array("Q", (hash(f) & _MASK for f in feats))
    if sys.byteorder == "big":
        hashes.byteswap()
    packed = hashes.tobytes()  # little-endian: byte j of hash i at 8 * i + j
    out = 0
    for j in range(8):
        column = packed[j::8]
        for b in range(8):
            if column.translate(_BIT[b]).count(1) * 2 > n:
                out |= 1 << (8 * j + b)
    return out


def distance(a: int, b: int) -> int:
    """Hamming distance of two fingerprints."""
    return (a ^ b).bit_count()
