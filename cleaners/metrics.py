"""How close a cleaned body is to a gold text: the character-bigram F1 of ../shared/pages.

1. normalise both: NFKC, lower-case, drop every character whose Unicode category starts with P
   (punctuation), Z (whitespace), C (control/format) or S (symbols);
2. take the multisets of character bigrams;
3. matched = size of their intersection; P = matched / bigrams out, R = matched / bigrams gold,
   F1 = 2PR / (P + R).  An empty output scores 0.

One definition for the extraction benchmark and the golden page tests.

>>> bigram_f1("京东逾期，解冻。", "京东逾期解冻")
1.0
"""

from __future__ import annotations

import unicodedata
from collections import Counter


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(c for c in text if unicodedata.category(c)[0] not in "PZCS")


def bigram_f1(out: str, gold: str) -> float:
    o, g = normalise(out), normalise(gold)
    a = Counter(o[i : i + 2] for i in range(len(o) - 1))
    b = Counter(g[i : i + 2] for i in range(len(g) - 1))
    matched = sum((a & b).values())
    if not matched:
        return 0.0
    # 2PR/(P+R) with P = m/|a| and R = m/|b| simplifies to 2m/(|a|+|b|)
    return 2 * matched / (sum(a.values()) + sum(b.values()))
