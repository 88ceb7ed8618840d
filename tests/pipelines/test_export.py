"""guidecrawl export: CSV (plain and for Excel), Parquet with zstd, JSONL; filters; refusals."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
import pytest

from pipelines import store
from pipelines.commands.export import export
from pipelines.errors import UserError
from tests.pipelines.warehouse_data import article, stage


@pytest.fixture
def db(tmp_path):
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    stage(
        st,
        "w1",
        [
            article("http://a/1", title='=HYPERLINK("http://evil")', body="正文一", n_sections=2),
            article("http://a/2", title="+好标题", body="正文二", published_at="2025-05-01T09:00:00+08:00"),
            article("http://a/3", title="-减号", body="正文三", published_at="2025-05-01T00:30:00+08:00"),
            article("http://a/4", title="@提到", body="正文四"),
            article("http://b/1", title="普通标题 = 不是公式", body="正文五", site="siteB", n_sections=3),
        ],
    )
    store.load_stage(st, db)
    return db


def read_csv(path, encoding="utf-8"):
    return list(csv.DictReader(io.StringIO(path.read_text(encoding=encoding))))


def test_csv_is_plain_utf8_without_bom_and_round_trips(db, tmp_path):
    out = tmp_path / "a.csv"
    res = export(db, out, query="SELECT url, title, body FROM articles ORDER BY url", progress=False)
    assert res["rows"] == 5 and res["format"] == "csv"
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = read_csv(out)
    assert [r["title"] for r in rows] == [
        '=HYPERLINK("http://evil")',
        "+好标题",
        "-减号",
        "@提到",
        "普通标题 = 不是公式",
    ]


def test_excel_csv_has_bom_and_inert_formulas(db, tmp_path):
    out = tmp_path / "x.csv"
    export(
        db, out, query="SELECT url, title, spin_score FROM articles ORDER BY url", excel=True, progress=False
    )
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1
    rows = read_csv(out, encoding="utf-8-sig")
    assert [r["title"] for r in rows] == [
        '\'=HYPERLINK("http://evil")',
        "'+好标题",
        "'-减号",
        "'@提到",
        "普通标题 = 不是公式",
    ]
    # urls and numbers are left alone
    assert rows[0]["url"] == "http://a/1" and rows[0]["spin_score"] == "0.25"


def test_parquet_is_zstd_and_keeps_types(db, tmp_path):
    out = tmp_path / "a.parquet"
    res = export(db, out, table="articles", fmt="parquet", progress=False)
    assert res["rows"] == 5
    f = pq.ParquetFile(out)
    assert f.metadata.row_group(0).column(0).compression == "ZSTD"
    t = f.read()
    assert t.num_rows == 5
    assert str(t.schema.field("page_urls").type) == "list<element: string>"
    assert str(t.schema.field("published_at").type).startswith("timestamp[us, tz=")
    assert sorted(t.column("title").to_pylist())[0] == "+好标题"


def test_jsonl_one_object_per_line(db, tmp_path):
    out = tmp_path / "s.jsonl"
    res = export(db, out, table="sections", fmt="jsonl", progress=False)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert res["rows"] == len(lines) == 2 + 2 * 3 + 3
    first = json.loads(lines[0])
    assert set(first) >= {"article_id", "idx", "level", "number", "heading", "text"}
    assert "内容" in first["text"]


def test_site_and_since_filters(db, tmp_path):
    export(db, tmp_path / "b.csv", table="v_articles", site="siteB", progress=False)
    assert [r["url"] for r in read_csv(tmp_path / "b.csv")] == ["http://b/1"]
    # sections have no site column: filtered through their article
    assert export(db, tmp_path / "bs.csv", table="sections", site="siteB", progress=False)["rows"] == 3
    # since is a day in China time: 00:30 +08:00 on 2025-05-01 is in, 2025-03-01 is out
    export(db, tmp_path / "new.csv", table="articles", since="2025-05-01", progress=False)
    assert sorted(r["url"] for r in read_csv(tmp_path / "new.csv")) == ["http://a/2", "http://a/3"]
    with pytest.raises(UserError, match="--since wants a date"):
        export(db, tmp_path / "z.csv", table="articles", since="May 1st", progress=False)
    with pytest.raises(UserError, match="--site needs"):
        export(db, tmp_path / "z.csv", table="stage_files", site="siteA", progress=False)


def test_refuses_to_overwrite_without_force(db, tmp_path):
    out = tmp_path / "a.csv"
    out.write_text("keep me")
    with pytest.raises(UserError, match="exists; pass --force"):
        export(db, out, table="articles", progress=False)
    assert out.read_text() == "keep me"
    export(db, out, table="articles", force=True, progress=False)
    assert len(read_csv(out)) == 5
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_user_mistakes(db, tmp_path):
    with pytest.raises(UserError, match="no table or view named 'nope'; choose one of: .*articles"):
        export(db, tmp_path / "a.csv", table="nope", progress=False)
    with pytest.raises(UserError, match="SQL error: .*") as e:
        export(db, tmp_path / "a.csv", query="SELECT nosuch FROM articles", progress=False)
    assert e.value.exit_code == 1
    assert not (tmp_path / "a.csv").exists()
    with pytest.raises(UserError, match="--excel applies to CSV only"):
        export(db, tmp_path / "a.parquet", table="articles", fmt="parquet", excel=True, progress=False)
    with pytest.raises(UserError, match="exactly one of --table or --query"):
        export(db, tmp_path / "a.csv", progress=False)
    with pytest.raises(UserError, match="no folder"):
        export(db, tmp_path / "missing" / "a.csv", table="articles", progress=False)
    with pytest.raises(UserError, match="unknown export format"):
        export(db, tmp_path / "a.xlsx", table="articles", fmt="xlsx", progress=False)


def test_large_export_with_progress_bar(db, tmp_path):
    out = tmp_path / "big.parquet"
    res = export(
        db,
        out,
        query="SELECT i, repeat('中文', 50) || i AS s FROM range(3000000) r(i)",
        fmt="parquet",
        progress=True,
    )
    assert res["rows"] == 3_000_000
    assert pq.ParquetFile(out).metadata.num_rows == 3_000_000


def test_query_with_trailing_comment_and_semicolon(db, tmp_path):
    out = tmp_path / "c.csv"
    res = export(
        db,
        out,
        query="SELECT url, site FROM articles WHERE site = 'siteB'; -- only B",
        site="siteB",
        excel=True,
        progress=False,
    )
    assert res["rows"] == 1


def test_query_must_be_one_statement(db, tmp_path):
    with pytest.raises(UserError, match="exactly one SELECT"):
        export(db, tmp_path / "c.csv", query="SELECT 1; SELECT 2", progress=False)
    with pytest.raises(UserError, match="--query is empty"):
        export(db, tmp_path / "c.csv", query="  ", progress=False)
