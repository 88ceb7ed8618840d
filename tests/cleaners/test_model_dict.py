"""``to_dict`` of the cleaners' values (issue 14: built directly, not by ``dataclasses.asdict``)
gives what ``asdict`` gives: equal values of the same types, on real articles and made ones."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from cleaners.model import Article, Comment, Repair, Section


def _same(a: object, b: object) -> bool:
    """Equal, with the same types all the way down (a tuple stays a tuple, a float a float)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)  # type: ignore[index]
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[arg-type]
    return a == b


def test_made_values_as_asdict() -> None:
    reps = [Repair("spin", "p1", "用户", "使用者", 3, 0.97, True), Repair("punct", "r", ",", "，", 0)]
    com = Comment("网友", "", None, "好文", "好文", [reps[1]])
    art = Article(
        url="http://x/1.html",
        published_at=None,
        body="正文",
        sections=[Section(1, "一", "标题", "内容")],
        comments=[com, Comment("a", "b", "2025-01-01T00:00:00+08:00", "t")],
        repairs=reps,
        spin_score=0.25,
        confidence=1,
    )
    for v in (art, com, reps[0], art.sections[0], Article(url="")):
        d = v.to_dict()
        assert _same(d, asdict(v))
        assert d is not asdict(v)
    d = art.to_dict()
    d["repairs"][0]["after"] = "changed"  # a copy: the value itself is untouched
    assert art.repairs[0].after == "使用者"


def test_real_articles_as_asdict(shared: Path) -> None:
    from cleaners.page import clean_page

    rows = [json.loads(x) for x in (shared / "pages" / "manifest.jsonl").read_text("utf-8").splitlines() if x]
    n_rep = 0
    for r in rows[:25]:
        art = clean_page((shared / "pages" / r["html"]).read_bytes(), r.get("url") or "")
        assert _same(art.to_dict(), asdict(art))
        assert json.dumps(art.to_dict(), ensure_ascii=False) == json.dumps(asdict(art), ensure_ascii=False)
        n_rep += len(art.repairs) + sum(len(c.repairs) for c in art.comments)
    assert n_rep > 100
