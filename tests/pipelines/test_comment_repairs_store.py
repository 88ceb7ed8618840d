"""Comment repairs in the store (issue 12 item 16): ``repairs`` rows name the comment they belong
to (``comment_idx``), each comment replays from ``comments.extracted_text``, the body still
replays from ``articles.extracted_text``, and a version-2 database is migrated in place."""

from __future__ import annotations

import duckdb

from cleaners.model import Repair, apply_repairs
from cleaners.page import clean_page
from pipelines import store
from pipelines.item.workers import article_result
from tests.cleaners.test_comment_repairs import DEMO_PAGE
from tests.pipelines.warehouse_data import article, q, stage

URL = "http://guanxian.org/consult/xyk/1425301187.html"


def demo_record() -> dict:
    art = clean_page(DEMO_PAGE.read_bytes(), URL)
    fields = {"run_id": "r1", "site": "guanxian", "page_urls": [URL], "content_hash": "h", "reason": ""}
    import json

    return json.loads(article_result(art.to_dict(), "v", [], fields)["line"])


def replay(db, where: str, params: list) -> list[Repair]:
    rows = q(
        db,
        'SELECT kind, rule, "before", "after", "offset", confidence, applied FROM repairs '
        f"WHERE {where} ORDER BY idx",
        params,
    )
    return [Repair(*r) for r in rows]


def test_comment_repairs_are_rows_naming_their_comment_and_replay(tmp_path):
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    stage(st, "w1", [demo_record()])
    store.load_stage(st, db)
    aid = store.article_id(URL)
    (idx,) = [i for (i,) in q(db, "SELECT idx FROM comments WHERE text LIKE '%不一定要开失业证明%'")]
    assert q(
        db,
        'SELECT kind, rule, "before", "after", "offset", applied FROM repairs WHERE comment_idx = ?',
        [idx],
    ) == [("punct", "punct-comma", ",", "，", 13, True)]
    # each comment replays on its text before repair; the body on the article's extracted text
    for i, before, after in q(db, "SELECT idx, extracted_text, text FROM comments ORDER BY idx"):
        assert apply_repairs(before, replay(db, "article_id = ? AND comment_idx = ?", [aid, i])) == after
    ((extracted, body),) = q(db, "SELECT extracted_text, body FROM articles")
    assert apply_repairs(extracted, replay(db, "article_id = ? AND comment_idx IS NULL", [aid])) == body
    # n_repairs counts the comments' applied repairs too, as the repairs table does
    assert q(db, "SELECT n_repairs FROM articles") == q(db, "SELECT count(*) FROM repairs WHERE applied")
    assert q(db, "SELECT count(*) FROM repairs WHERE comment_idx IS NOT NULL") == [(6,)]


def test_version_2_database_is_migrated_and_loads_comment_repairs(tmp_path):
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    stage(st, "w1", [article("http://a/1", n_comments=2)])
    store.load_stage(st, db)
    con = duckdb.connect(str(db))
    con.execute("ALTER TABLE comments DROP COLUMN extracted_text")
    con.execute("ALTER TABLE repairs DROP COLUMN comment_idx")
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.close()
    store.connect_rw(db).close()
    assert q(db, "SELECT value FROM meta") == [(str(store.SCHEMA_VERSION),)]
    # rows from before: no record of their comments' repairs (NULL, not a made-up one)
    assert q(db, "SELECT count(*) FROM comments WHERE extracted_text IS NULL") == [(2,)]
    assert q(db, "SELECT comment_idx FROM repairs") == [(None,)]
    st2 = tmp_path / "stage2"
    stage(st2, "w2", [demo_record()])
    store.load_stage(st2, db)
    assert q(db, "SELECT count(*) FROM repairs WHERE comment_idx IS NOT NULL") == [(6,)]
