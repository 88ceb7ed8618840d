"""The warehouse: schema, idempotent loads, upserts, exact duplicates, read-only access, run_sql."""

from __future__ import annotations

import json
import zlib

import duckdb
import pytest

from pipelines import store
from pipelines.errors import UserError
from tests.pipelines.warehouse_data import article, page, q, stage


def snapshot(db):
    """Every table's rows, minus load-time bookkeeping, for 'nothing changed' checks."""
    out = {}
    for t in ("pages", "articles", "sections", "comments", "repairs", "crawl_runs"):
        out[t] = sorted(map(repr, q(db, f"SELECT * FROM {t}")))
    out["stage_files"] = q(db, "SELECT count(*) FROM stage_files")
    return out


def test_load_creates_documented_schema_and_rows(tmp_path):
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    stage(
        st,
        "w1",
        [
            page("http://a/1"),
            article("http://a/1"),
            {
                "type": "run",
                "run_id": "r1",
                "job": "crawl",
                "started_at": "2026-01-01T00:00:00Z",
                "finished_at": "2026-01-01T00:05:00Z",
                "status": "ok",
                "counts": {"pages": 1},
                "drops": {"robots": 2},
                "health": [],
            },
        ],
    )
    got = store.load_stage(st, db)
    assert got == {"files": 1, "skipped_files": 0, "pages": 1, "articles": 1, "runs": 1, "bad_lines": 0}

    # every table and view is documented in the database itself
    comments = dict(
        q(db, "SELECT table_name, comment FROM duckdb_tables()")
        + q(db, "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal")
    )
    for t in (
        "crawl_runs",
        "pages",
        "articles",
        "sections",
        "comments",
        "repairs",
        "duplicates",
        "stage_files",
        "v_articles",
        "v_comments",
    ):
        assert comments[t], t
    assert q(db, "SELECT comment FROM duckdb_columns() WHERE table_name='pages' AND column_name='raw'")[0][0]

    aid = store.article_id("http://a/1")
    row = q(
        db,
        "SELECT id, title, source, editor, spin_score, run_id, cleaner_version, "
        "strftime(timezone('Asia/Shanghai', published_at), '%Y-%m-%d %H:%M') FROM articles",
    )
    assert row == [(aid, "标题", "来源", "小编", 0.25, "r1", "0.1.0", "2025-03-01 10:00")]
    assert q(db, "SELECT idx, level, number, heading, text, run_id FROM sections ORDER BY idx") == [
        (0, 1, "一", "标题0", "内容0", "r1"),
        (1, 1, "一", "标题1", "内容1", "r1"),
    ]
    # a comment time without a zone is China time
    assert q(
        db, "SELECT author, role, text, strftime(timezone('UTC', published_at), '%H:%M') FROM comments"
    ) == [("网友0", "网友", "评论0", "00:00")]
    assert q(db, 'SELECT kind, rule, "before", "after", "offset", confidence, applied FROM repairs') == [
        ("spin", "spin.r1", "工粳", "工具", 2, 0.9, True)
    ]
    raw, status = q(db, "SELECT raw, status FROM pages")[0]
    assert zlib.decompress(raw) == b"<html>x</html>" and status == 200
    run = q(db, "SELECT job, status, drops FROM crawl_runs")[0]
    assert run[:2] == ("crawl", "ok") and json.loads(run[2]) == {"robots": 2}
    assert q(db, "SELECT n_sections, n_comments, n_repairs, cluster_size, date::VARCHAR FROM v_articles") == [
        (2, 1, 1, 1, "2025-03-01")
    ]
    assert q(db, "SELECT article_title, author FROM v_comments") == [("标题", "网友0")]


def test_article_id_matches_sql_and_prefers_canonical_url():
    assert store.article_id("http://a/1") == store.article_id("http://a/2", "http://a/1")
    con = duckdb.connect()
    assert con.execute("SELECT substr(sha1('http://站/1'), 1, 16)").fetchone()[0] == store.article_id(
        "http://站/1"
    )


def test_loading_twice_changes_nothing(tmp_path):
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    stage(
        st,
        "w1",
        [page("http://a/1"), article("http://a/1"), page("http://a/2"), article("http://a/2", body="别的")],
    )
    store.load_stage(st, db)
    before = snapshot(db)
    again = store.load_stage(st, db)
    assert again["files"] == 0 and again["skipped_files"] == 1
    assert snapshot(db) == before
    # the same records under another file name: upserts keep every row as it was
    (st / "w1-000001.jsonl").rename(st / "copy-000001.jsonl")
    (st / "copy-000001.jsonl").write_text((st / "copy-000001.jsonl").read_text() + "\n")
    assert store.load_stage(st, db)["files"] == 1
    after = snapshot(db)
    assert after["stage_files"] == [(2,)]
    after["stage_files"] = before["stage_files"]
    assert after == before


def test_changed_article_replaces_derived_rows_and_keeps_first_seen(tmp_path):
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    stage(st, "w1", [article("http://a/1", n_sections=3, n_comments=2)])
    store.load_stage(st, db)
    first_seen, changed1 = q(db, "SELECT first_seen, last_changed FROM articles")[0]
    stage(st, "w1", [article("http://a/1", run="r2", body="新正文", n_sections=1, n_comments=0, repairs=[])])
    store.load_stage(st, db)
    assert q(db, "SELECT count(*), any_value(body), any_value(run_id) FROM articles") == [(1, "新正文", "r2")]
    assert q(db, "SELECT count(*), max(run_id) FROM sections") == [(1, "r2")]
    assert q(db, "SELECT count(*) FROM comments") == [(0,)]
    assert q(db, "SELECT count(*) FROM repairs") == [(0,)]
    fs, changed2 = q(db, "SELECT first_seen, last_changed FROM articles")[0]
    assert fs == first_seen and changed2 > changed1
    # same content again from a third run: last_changed stays
    stage(st, "w1", [article("http://a/1", run="r3", body="新正文", n_sections=1, n_comments=0, repairs=[])])
    store.load_stage(st, db)
    assert q(db, "SELECT last_changed, run_id FROM articles") == [(changed2, "r3")]


def test_unchanged_page_moves_only_fetch_bookkeeping(tmp_path):
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    stage(st, "w1", [page("http://a/1", etag='"v1"')])
    store.load_stage(st, db)
    stage(
        st,
        "w1",
        [
            page(
                "http://a/1",
                run="r2",
                outcome="unchanged",
                status=304,
                raw=None,
                fetched="2026-02-01T00:00:00+00:00",
                content_hash=None,
                encoding=None,
            )
        ],
    )
    store.load_stage(st, db)
    row = q(
        db,
        "SELECT status, outcome, run_id, fetched_at::VARCHAR LIKE '2026-02-01%', etag, encoding, "
        "raw IS NOT NULL, first_seen < fetched_at, last_changed = first_seen FROM pages",
    )
    assert row == [(200, "article", "r2", True, '"v1"', "utf-8", True, True, True)]
    assert store.read_page_state(db) == {
        "http://a/1": {
            "etag": '"v1"',
            "last_modified": None,
            "content_hash": page("http://a/1")["content_hash"],
        }
    }


def test_older_fetch_does_not_overwrite_newer(tmp_path):
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    stage(st, "w1", [page("http://a/1", fetched="2026-03-01T00:00:00+00:00", raw=b"new")])
    store.load_stage(st, db)
    stage(st, "w2", [page("http://a/1", fetched="2026-01-01T00:00:00+00:00", raw=b"old")])
    store.load_stage(st, db)
    assert [zlib.decompress(r[0]) for r in q(db, "SELECT raw FROM pages")] == [b"new"]


def test_byte_identical_body_under_two_urls_is_one_visible_article(tmp_path):
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    stage(
        st, "w1", [article("http://a/orig"), article("http://b/copy"), article("http://a/other", body="不同")]
    )
    store.load_stage(st, db)
    rows = q(db, "SELECT url, is_canonical, duplicate_of FROM articles ORDER BY url")
    orig = store.article_id("http://a/orig")
    assert rows == [
        ("http://a/orig", True, None),
        ("http://a/other", True, None),
        ("http://b/copy", False, orig),
    ]
    assert sorted(r[0] for r in q(db, "SELECT url FROM v_articles")) == ["http://a/orig", "http://a/other"]
    assert q(db, "SELECT count(*) FROM v_comments") == [(2,)]
    # the original changes: the copy becomes visible on its own
    stage(st, "w1", [article("http://a/orig", body="改过的正文")])
    store.load_stage(st, db)
    assert q(db, "SELECT count(*) FROM v_articles") == [(3,)]


def test_orphan_part_and_corrupt_line_are_loaded_without_losing_good_records(tmp_path):
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    st.mkdir()
    good = json.dumps(article("http://a/1"), ensure_ascii=False)
    # a killed worker's .part with a torn last line, and a published file with a garbage line
    (st / "dead-000001.jsonl.part").write_text(good + "\n" + good[:40], encoding="utf-8")
    (st / "w1-000001.jsonl").write_text(json.dumps(page("http://a/2")) + "\n{not json\n", encoding="utf-8")
    # a loader running beside live writers leaves .part files alone
    got = store.load_stage(st, db, publish_orphans=False)
    assert (got["files"], got["pages"], got["bad_lines"]) == (1, 1, 1)
    assert (st / "dead-000001.jsonl.part").exists()
    got = store.load_stage(st, db)
    assert (got["files"], got["skipped_files"], got["articles"], got["bad_lines"]) == (1, 1, 1, 0)
    assert q(db, "SELECT count(*) FROM pages") == [(1,)]
    assert q(db, "SELECT count(*) FROM articles") == [(1,)]
    assert q(db, "SELECT name, bad_lines FROM stage_files ORDER BY name") == [
        ("dead-000001.jsonl", 0),
        ("w1-000001.jsonl", 1),
    ]


def test_run_placeholder_then_real_run_record(tmp_path):
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    stage(st, "w1", [page("http://a/1", run="r9")])
    store.load_stage(st, db)
    assert q(db, "SELECT run_id, status FROM crawl_runs") == [("r9", "incomplete")]
    stage(st, "w1", [{"type": "run", "run_id": "r9", "job": "crawl", "status": "ok", "counts": {}}])
    store.load_stage(st, db)
    assert q(db, "SELECT run_id, status FROM crawl_runs") == [("r9", "ok")]


def test_missing_things_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="no database at .*guidecrawl crawl"):
        store.connect_readonly(tmp_path / "none.duckdb")
    with pytest.raises(UserError, match="no stage directory"):
        store.load_stage(tmp_path / "nostage", tmp_path / "g.duckdb")
    assert store.read_page_state(tmp_path / "none.duckdb") == {}
    (tmp_path / "empty").mkdir()
    store.load_stage(tmp_path / "empty", tmp_path / "g.duckdb")  # an empty, valid database
    assert store.read_page_state(tmp_path / "g.duckdb") == {}
    assert "(0 rows)" in store.run_sql(tmp_path / "g.duckdb", "SELECT * FROM v_articles")


def test_run_sql_formats_and_errors(tmp_path):
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    stage(st, "w1", [article("http://a/1", title="中文标题,带逗号", body="=1+1\n第二行")])
    store.load_stage(st, db)
    sql = "SELECT title, body, spin_score, published_at FROM articles"
    table = store.run_sql(db, sql).splitlines()
    assert table[0].split(" | ")[0].rstrip() == "title"
    # CJK characters count two columns: the separator lines up under the header's
    assert store.display_width(table[2].split(" | ")[0]) == store.display_width(table[0].split(" | ")[0])
    assert "=1+1⏎第二行" in table[2] and table[-1] == "(1 row)"
    csv_out = store.run_sql(db, sql, "csv")
    assert csv_out.splitlines()[0] == "title,body,spin_score,published_at"
    assert csv_out.splitlines()[1].startswith('"中文标题,带逗号","=1+1')
    rows = json.loads(store.run_sql(db, sql, "json"))
    assert rows == [
        {
            "title": "中文标题,带逗号",
            "body": "=1+1\n第二行",
            "spin_score": 0.25,
            "published_at": "2025-03-01T10:00:00+08:00",
        }
    ]
    with pytest.raises(UserError, match="SQL error: .*syntax error") as e:
        store.run_sql(db, "SELEC 1")
    assert e.value.exit_code == 1
    with pytest.raises(UserError, match="SQL error: .*read-only"):
        store.run_sql(db, "DELETE FROM articles")
    with pytest.raises(UserError, match="SQL error: .*nosuch"):
        store.run_sql(db, "SELECT * FROM nosuch")
    with pytest.raises(UserError, match="unknown format"):
        store.run_sql(db, "SELECT 1", "xml")


def test_format_table_aligns_wide_characters_and_cuts_long_cells():
    out = store.format_table(["名字", "n"], [["张三丰", 1], ["a" * 100, None]], max_width=10).splitlines()
    assert out[0] == "名字       | n"
    assert out[2] == "张三丰     | 1"
    assert out[3] == "aaaaaaaaa… |"


def test_docs_schema_covers_every_table_and_column(tmp_path, repo):
    doc = (repo / "docs" / "schema.md").read_text(encoding="utf-8")
    store.connect_rw(tmp_path / "g.duckdb").close()
    for table, column in q(
        tmp_path / "g.duckdb", "SELECT table_name, column_name FROM duckdb_columns() WHERE NOT internal"
    ):
        assert f"### {table}" in doc or f"`{table}`" in doc, table
        assert column in doc, f"{table}.{column}"
    for name in store.TABLE_COMMENTS:
        assert name in doc


def test_within_one_load_the_later_record_wins(tmp_path):
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    stage(st, "w1", [article("http://a/1", body="第一版"), article("http://a/1", body="第二版")])
    stage(
        st,
        "w2",
        [
            article("http://a/2", body="甲"),
            article("http://a/2", body="乙"),
            article("http://a/2", body="丙"),
        ],
    )
    store.load_stage(st, db)
    assert q(db, "SELECT url, body FROM articles ORDER BY url") == [
        ("http://a/1", "第二版"),
        ("http://a/2", "丙"),
    ]
    assert q(db, "SELECT count(*) FROM sections") == [(4,)]


def test_version_1_database_is_upgraded_with_counts(tmp_path):
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    stage(st, "w1", [article("http://a/1", n_sections=3, n_comments=2)])
    store.load_stage(st, db)
    con = duckdb.connect(str(db))
    for col in ("n_sections", "n_comments", "n_repairs"):
        con.execute(f"ALTER TABLE articles DROP COLUMN {col}")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    store.connect_rw(db).close()
    assert q(db, "SELECT n_sections, n_comments, n_repairs FROM v_articles") == [(3, 2, 1)]
    assert q(db, "SELECT value FROM meta") == [(str(store.SCHEMA_VERSION),)]


def test_v_articles_date_is_the_china_day(tmp_path):
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    # 01:00 in Beijing is still the previous day in UTC
    stage(
        st,
        "w1",
        [
            article("http://a/1", published_at="2025-03-02T01:00:00+08:00"),
            article("http://a/2", body="别的", published_at="2025-03-02 01:00"),
        ],
    )
    store.load_stage(st, db)
    assert q(db, "SELECT url, date::VARCHAR FROM v_articles ORDER BY url") == [
        ("http://a/1", "2025-03-02"),
        ("http://a/2", "2025-03-02"),
    ]


def test_version_2_database_gets_the_confidence_column(tmp_path):
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    stage(st, "w1", [article("http://a/1")])
    store.load_stage(st, db)
    con = duckdb.connect(str(db))
    con.execute("ALTER TABLE articles DROP COLUMN confidence")
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.close()
    store.connect_rw(db).close()  # the upgrade runs on open
    assert q(db, "SELECT confidence FROM v_articles") == [(None,)]  # unknown until reclean
    stage(st, "w2", [article("http://a/1", confidence=0.42)])
    store.load_stage(st, db)
    assert q(db, "SELECT confidence FROM articles") == [(0.42,)]
    assert q(db, "SELECT value FROM meta") == [(str(store.SCHEMA_VERSION),)]


def test_copy_staged_after_the_canonical_page_does_not_take_its_url(tmp_path):
    # The demo's mobile copy (rel=canonical to the article) fetched last used to become the
    # stored URL: which copy is staged last depends on fetch timing (a flaky e2e test showed it).
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    canon = "http://a/shouji/1101.html"
    stage(
        st,
        "w1",
        [
            article(canon, canonical_url=canon, body="正文"),
            article("http://a/m/view/1101.html", canonical_url=canon, body="正文"),
            article("http://a/2", body="甲"),
            article("http://a/2", body="乙"),  # no canonical URL anywhere: the latest still wins
        ],
    )
    store.load_stage(st, db)
    assert q(db, "SELECT url, canonical_url, body FROM articles ORDER BY url") == [
        ("http://a/2", "", "乙"),
        (canon, canon, "正文"),
    ]


def test_only_copies_of_an_article_keep_the_latest(tmp_path):
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    canon = "http://a/shouji/1101.html"
    stage(
        st,
        "w1",
        [
            article("http://a/m/view/1101.html", canonical_url=canon, body="旧"),
            article("http://a/1101.html?from=rss", canonical_url=canon, body="新"),
        ],
    )
    store.load_stage(st, db)
    assert q(db, "SELECT url, body FROM articles") == [("http://a/1101.html?from=rss", "新")]


def test_uncleaned_copy_in_a_later_batch_does_not_replace_the_cleaned_article(tmp_path):
    # A mobile copy whose cleaning timed out keeps the canonical URL read from its raw page, so it
    # folds into the article's id; loaded in a later batch it must not replace the cleaned article
    # (its page row keeps the raw page).  The canonical page itself re-stored uncleaned still does.
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    canon = "http://a/shouji/1101.html"
    stage(st, "w1", [article(canon, canonical_url=canon, body="正文")])
    store.load_stage(st, db)
    stage(st, "w2", [article("http://a/m/view/1101.html", canonical_url=canon, body="", status="timeout")])
    store.load_stage(st, db)
    assert q(db, "SELECT url, body, status FROM articles") == [(canon, "正文", "ok")]
    stage(st, "w3", [article(canon, canonical_url=canon, body="", status="timeout")])
    store.load_stage(st, db)
    assert q(db, "SELECT url, body, status FROM articles") == [(canon, "", "timeout")]


def _spy_batches(monkeypatch):
    """Several files make several batches (one file each); records each batch load's mode."""
    from pipelines.store import load as load_mod

    monkeypatch.setattr(load_mod, "BATCH_FILES", 1)
    calls: list[tuple[int, bool]] = []
    real = load_mod._load_batch

    def spy(con, batch, tmpdir, *, careful=True):
        calls.append((len(batch), careful))
        return real(con, batch, tmpdir, careful=careful)

    monkeypatch.setattr(load_mod, "_load_batch", spy)
    return calls


def test_several_batches_load_in_one_transaction_same_rows_as_batch_by_batch(tmp_path, monkeypatch):
    def fill(st):
        stage(st, "w1", [page("http://a/1"), article("http://a/1")])
        stage(st, "w2", [page("http://a/2"), article("http://a/2", body="第二篇正文")])
        stage(st, "w3", [page("http://a/3"), article("http://a/3", body="第三篇正文")])

    from pipelines.store import load as load_mod

    careful_db = tmp_path / "careful.duckdb"
    fill(tmp_path / "s1")
    monkeypatch.setattr(load_mod, "FAST_PATH_BYTES", 0)  # today's batch-by-batch path
    store.load_stage(tmp_path / "s1", careful_db)
    monkeypatch.undo()

    calls = _spy_batches(monkeypatch)
    fill(tmp_path / "s2")
    got = store.load_stage(tmp_path / "s2", tmp_path / "fast.duckdb")
    assert calls == [(3, False)]  # the fast path, once, and nothing after it
    assert (got["files"], got["pages"], got["articles"], got["bad_lines"]) == (3, 3, 3, 0)
    fast, careful = snapshot(tmp_path / "fast.duckdb"), snapshot(careful_db)
    strip = lambda snap: {t: rows for t, rows in snap.items() if t not in ("articles",)}  # noqa: E731
    assert strip(fast) == strip(careful)
    cols = "id, url, title, body, status, is_canonical, duplicate_of"
    assert q(tmp_path / "fast.duckdb", f"SELECT {cols} FROM articles ORDER BY id") == q(
        careful_db, f"SELECT {cols} FROM articles ORDER BY id"
    )


def test_bad_line_in_one_batch_falls_back_to_careful_batches_and_loses_nothing(tmp_path, monkeypatch):
    calls = _spy_batches(monkeypatch)
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    stage(st, "w1", [page("http://a/1"), article("http://a/1")])
    stage(st, "w3", [page("http://a/3"), article("http://a/3", body="第三篇正文")])
    with open(st / "w2-000001.jsonl", "w", encoding="utf-8") as fh:
        fh.write(
            json.dumps(page("http://a/2"))
            + "\n{not json\n"
            + json.dumps(article("http://a/2"), ensure_ascii=False)
            + "\n"
        )
    got = store.load_stage(st, db)
    # the fast path failed on the bad line and loaded nothing; each file then went alone
    assert calls == [(3, False), (1, True), (1, True), (1, True)]
    assert (got["files"], got["pages"], got["articles"], got["bad_lines"]) == (3, 3, 3, 1)
    assert q(db, "SELECT url FROM pages ORDER BY url") == [("http://a/1",), ("http://a/2",), ("http://a/3",)]
    assert q(db, "SELECT count(*) FROM articles") == [(3,)]
    assert [r[1] for r in q(db, "SELECT name, bad_lines FROM stage_files ORDER BY name")] == [0, 1, 0]
    # loaded once: loading again skips every file
    assert store.load_stage(st, db)["skipped_files"] == 3
