"""One endless paragraph (issue 12 item 5): a single <p> of 288k characters took ``clean`` 79 s,
because some steps of the repair chain cost more than linear time in the text they were given
(OpenCC's edits aligned with difflib over the whole paragraph, the spin stage's search of the
whole page for every candidate).  The chain now repairs a paragraph longer than the ``[window]``
setting in windows cut after sentence ends, and searches a long page only around the paragraph;
these tests check *what each step is given* (no timing here: bench/long_paragraph.py measures
time against length), that the audit contract holds, and that ordinary text is repaired exactly
as before."""

from __future__ import annotations

import json
from pathlib import Path

import opencc
import pytest

import cleaners.page as page
from cleaners import repair
from cleaners.model import apply_repairs
from cleaners.repair import _window, _windows, repair_text


def real_text(shared: Path, n: int) -> str:
    """``n`` characters of real spun and clean Chinese prose, with no line breaks."""
    texts = [
        json.loads(line)["spun"] for line in (shared / "spin" / "spun_pairs.jsonl").open(encoding="utf-8")
    ]
    s = "".join(t.replace("\n", "") for t in texts)
    while len(s) < n:
        s += s
    return s[:n]


@pytest.fixture
def seen(monkeypatch):
    """The longest text and page each stage of the chain is handed during a repair."""
    got = {"text": 0, "doc": 0}

    def watch(find):
        def wrapped(text, *a, **kw):
            got["text"] = max(got["text"], len(text))
            if kw.get("doc") is not None:
                got["doc"] = max(got["doc"], len(kw["doc"]))
            return find(text, *a, **kw)

        return wrapped

    monkeypatch.setattr(repair, "_STAGES", [(k, watch(f)) for k, f in repair._STAGES])
    monkeypatch.setattr(repair.spin, "find_spin", watch(repair.spin.find_spin))
    return got


def test_a_long_paragraph_reaches_no_stage_whole(shared: Path, seen) -> None:
    cfg = _window()
    text = real_text(shared, 4 * cfg.echo_page)  # one paragraph, no line break
    out, repairs = repair_text(text)
    assert apply_repairs(text, repairs) == out  # the audit contract across the windows
    assert sum(r.kind == "spin" and r.applied for r in repairs) > 50  # the windows were repaired
    # (a window grows by what its repairs add, such as the comma a GBK-loss repair restores)
    assert 0 < seen["text"] <= 1.05 * cfg.max_chars
    # the spin stage searched the unit's neighbourhood and the page's head, never the whole page
    assert 0 < seen["doc"] <= cfg.echo_head + 1 + 3 * cfg.echo_block
    # notes (flags, suspicions) point into the repaired text
    for r in repairs:
        if not r.applied and r.kind == "spin":
            assert out[r.offset : r.offset + len(r.before)] == r.before


def test_traditional_long_paragraph_is_converted_in_windows(shared: Path, seen) -> None:
    simplified = real_text(shared, 3 * _window().max_chars)
    trad = opencc.OpenCC("s2t").convert(simplified)
    out, repairs = repair_text(trad)
    assert apply_repairs(trad, repairs) == out
    assert sum(r.kind == "t2s" for r in repairs) > 100
    assert seen["text"] <= 1.05 * _window().max_chars


def test_windows_end_after_sentence_ends_or_at_the_size() -> None:
    para = "第一句话说完了。" * 30 + "没有句号的长句" * 40
    pieces = _windows(para, 100)
    assert "".join(pieces) == para
    assert all(len(p) <= 100 for p in pieces)
    assert pieces[0].endswith("。") and pieces[1].endswith("。")  # cut after a sentence end in reach
    assert len(pieces[-2]) == 100  # no sentence end in the second half of the window: a hard cut
    assert _windows("短段落。", 100) == ["短段落。"]


def test_ordinary_pages_are_repaired_exactly_as_without_windows(shared: Path, monkeypatch) -> None:
    # the real seed page, repaired with the shipped window and with none: the same text, the same record
    text = (shared / "seed" / "guide-article.txt").read_text(encoding="utf-8")
    assert max(len(p) for p in text.split("\n")) < _window().max_chars
    shipped = repair_text(text)
    cfg = _window()
    import dataclasses

    monkeypatch.setattr(repair, "_window", lambda: dataclasses.replace(cfg, max_chars=10**9, echo_page=10**9))
    assert repair_text(text) == shipped


def test_a_single_paragraph_over_the_body_limit_keeps_its_head(shared: Path, monkeypatch) -> None:
    monkeypatch.setattr(page, "MAX_BODY_CHARS", 200)
    para = real_text(shared, 2000)
    art = page.clean_page(f"<html><body><article><p>{para}</p></article></body></html>".encode())
    assert art.status == "ok" and "cut at 200 characters" in art.reason
    assert 100 < len(art.extracted_text) <= 200 and para.startswith(art.extracted_text)
    assert apply_repairs(art.extracted_text, art.repairs) == art.body
