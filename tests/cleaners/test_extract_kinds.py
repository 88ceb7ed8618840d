"""Modelled pages for the failure kinds of issue 11 (tests/cleaners/cases/extract_kinds/).

Each page is written by us to show one way a page from an untuned site goes wrong: another
article-like block beside the story, a small block beside a short story, an article the scorer
could not see, a video player's interface or a poem's notes, comment threads with their chrome
and empty comment widgets.  They go through the real cleaner (``clean_page``) and must give the
story under the page's own headline, with the comment rows split into their fields.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cleaners.metrics import bigram_f1
from cleaners.model import apply_repairs
from cleaners.page import clean_page

HERE = Path(__file__).parent / "cases" / "extract_kinds"
CASES = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))["pages"]


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_modelled_page(case):
    art = clean_page((HERE / case["file"]).read_bytes(), "http://news.example.cn/" + case["file"])
    assert art.status == "ok", art.reason
    assert apply_repairs(art.extracted_text, art.repairs) == art.body
    assert bigram_f1(art.body, case["gold"]) >= 0.9, art.body
    for phrase in case.get("contain", []):
        assert phrase in art.body, phrase
    for phrase in case["not_contain"]:
        assert phrase not in art.body, phrase
    got = [
        {"author": c.author, "role": c.role, "published_at": c.published_at, "text": c.text}
        for c in art.comments
    ]
    assert got == case["comments"]
    assert 0.0 <= art.confidence <= 1.0


def test_every_failure_kind_has_a_modelled_page():
    kinds = {c["kind"].split(" ")[0] for c in CASES}
    assert {"1", "2", "3", "4", "comments:"} <= kinds
    assert sum(c["kind"].startswith("1 ") for c in CASES) >= 4  # feed, related, teaser, sidebar
