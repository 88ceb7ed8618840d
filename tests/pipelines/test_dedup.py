"""guidecrawl dedup: spun and re-punctuated copies cluster, different articles do not."""

from __future__ import annotations

import json

import pytest

from pipelines import store
from pipelines.commands.dedup import cluster, normalize, shingle_hashes
from pipelines.errors import UserError
from tests.pipelines.warehouse_data import article, q, stage


def seed_body(shared) -> str:
    lines = [
        ln.strip() for ln in (shared / "seed" / "guide-article.txt").read_text(encoding="utf-8").splitlines()
    ]
    return "\n".join(ln for ln in lines if len(ln) > 20)[:1500]


def other_bodies(shared, n: int) -> list[str]:
    paras = [
        json.loads(ln)["text"]
        for ln in (shared / "spin" / "clean_paragraphs.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    return ["\n".join(paras[i * 4 : i * 4 + 4]) for i in range(n)]


def residual_spin(text: str, every: int = 60) -> str:
    """Two characters changed every ``every`` characters: spun words the repairer did not undo."""
    chars = list(text)
    for i in range(30, len(chars) - 2, every):
        chars[i], chars[i + 1] = "某", "些"
    return "".join(chars)


@pytest.fixture
def db(tmp_path, shared):
    base = seed_body(shared)
    o1, o2, o3 = other_bodies(shared, 3)
    recs = [
        article("http://a/orig", body=base, spin_score=0.0),
        article(
            "http://b/punct",
            body=base.replace("，", ",").replace("。", ". ").replace("\n", "\n\n"),
            spin_score=0.1,
            site="siteB",
        ),
        article("http://c/spun", body=residual_spin(base), spin_score=0.4, site="siteC"),
        article("http://a/o1", body=o1, spin_score=0.0),
        article("http://a/o2", body=o2),
        article("http://b/o1copy", body=o1 + "\n本文来自网络。", spin_score=0.2),
        article("http://a/short", body="太短了"),
        article("http://b/short", body="太短了!"),
        article("http://c/exact", body=o3),
        article("http://d/exact", body=o3),  # exact: hidden by the loader
    ]
    stage(tmp_path / "stage", "w1", recs)
    db = tmp_path / "g.duckdb"
    store.load_stage(tmp_path / "stage", db)
    return db


def test_normalize_and_shingles():
    assert normalize("Ａ，b。 中文\n工具!") == "ab中文工具"
    assert len(shingle_hashes("一二三四五")) == 3  # 3-character shingles
    assert list(shingle_hashes("一二三,四五")) == list(shingle_hashes("一二三四五"))
    assert len(shingle_hashes("")) == 0 and len(shingle_hashes("一二")) == 1


def test_clusters_copies_and_keeps_different_articles_apart(db):
    res = cluster(db, threshold=0.8)
    assert res == {"articles": 9, "too_short": 2, "clusters": 2, "duplicates": 3, "largest": 3}
    ids = {
        u: store.article_id(u)
        for u in ("http://a/orig", "http://b/punct", "http://c/spun", "http://a/o1", "http://b/o1copy")
    }
    rows = {
        r[0]: r[1:]
        for r in q(
            db, "SELECT article_id, cluster_id, cluster_size, is_canonical, similarity FROM duplicates"
        )
    }
    orig = ids["http://a/orig"]
    assert rows[orig][:3] == (orig, 3, True) and rows[orig][3] == 1.0
    assert rows[ids["http://b/punct"]][:3] == (orig, 3, False) and rows[ids["http://b/punct"]][3] > 0.95
    assert rows[ids["http://c/spun"]][:3] == (orig, 3, False) and 0.8 <= rows[ids["http://c/spun"]][3] < 0.95
    assert rows[ids["http://a/o1"]][:3] == (ids["http://a/o1"], 2, True)  # the less spun one is canonical
    assert store.article_id("http://a/o2") not in rows
    sizes = dict(q(db, "SELECT url, cluster_size FROM v_articles"))
    assert sizes["http://c/spun"] == 3 and sizes["http://a/o2"] == 1 and sizes["http://b/o1copy"] == 2
    assert q(db, "SELECT count(*) FROM v_articles WHERE cluster_canonical") == [(6,)]

    # the same again gives the same clusters; a strict threshold splits the spun copy off
    before = sorted(q(db, "SELECT article_id, cluster_id, similarity FROM duplicates"))
    cluster(db, threshold=0.8)
    assert sorted(q(db, "SELECT article_id, cluster_id, similarity FROM duplicates")) == before
    strict = cluster(db, threshold=0.97)
    assert strict["clusters"] == 2 and strict["largest"] == 2
    assert store.article_id("http://c/spun") not in {r[0] for r in q(db, "SELECT article_id FROM duplicates")}


def test_bad_threshold(db):
    with pytest.raises(UserError, match="threshold"):
        cluster(db, threshold=1.5)
