"""The low-memory load a crawl runs at its end stores exactly what the bulk load stores."""

from __future__ import annotations

from pipelines import store
from pipelines.store import load as store_load
from tests.pipelines.warehouse_data import article, page, q, stage

TABLES = {
    "pages": "SELECT url, status, outcome, content_hash, raw FROM pages ORDER BY url",
    "articles": "SELECT id, url, title, body, is_canonical FROM articles ORDER BY id",
    "sections": "SELECT article_id, idx, level, number, heading, text FROM sections ORDER BY ALL",
    "comments": "SELECT article_id, idx, author, text FROM comments ORDER BY ALL",
    "repairs": 'SELECT article_id, idx, kind, "before", "after" FROM repairs ORDER BY ALL',
}


def test_low_memory_load_matches_bulk_load(tmp_path, monkeypatch):
    recs = []
    for i in range(30):
        url = f"http://127.0.0.1/a/{i}.html"
        recs += [
            page(url, raw=f"<p>第{i}篇</p>".encode()),
            article(url, title=f"标题{i}", body=f"正文{i}\n第二段"),
        ]
    for w in range(3):  # three files, so the small batches really split the work
        stage(tmp_path / "stage", f"w{w}", recs[w * 20 : (w + 1) * 20])
    monkeypatch.setattr(store_load, "LOW_MEMORY_BATCH_BYTES", 1)  # one file per batch
    monkeypatch.setattr(store_load, "LOW_MEMORY_FAST_PATH_BYTES", 0)  # the batch-by-batch path
    bulk, low = tmp_path / "bulk.duckdb", tmp_path / "low.duckdb"
    r1 = store.load_stage(tmp_path / "stage", bulk)
    r2 = store.load_stage(tmp_path / "stage", low, low_memory=True)
    assert r1 == r2 and r1["files"] == 3 and r1["articles"] == 30
    for name, sql in TABLES.items():
        assert q(bulk, sql) == q(low, sql), name
    assert store.load_stage(tmp_path / "stage", low, low_memory=True)["skipped_files"] == 3


def test_small_batches_share_a_connection_until_it_was_held_long_enough(tmp_path, monkeypatch):
    """Closing a DuckDB connection checkpoints the file: a load of several small batches keeps one
    connection while it is young (``HOLD_CONNECTION_S``), and closes it between batches once it
    is not, so analysts still get the file; either way the same rows are stored."""
    recs = []
    for i in range(12):
        url = f"http://127.0.0.1/a/{i}.html"
        recs += [page(url, raw=f"<p>第{i}篇</p>".encode()), article(url, title=f"标题{i}")]
    for w in range(3):
        stage(tmp_path / "stage", f"w{w}", recs[w * 8 : (w + 1) * 8])
    monkeypatch.setattr(store_load, "LOW_MEMORY_BATCH_BYTES", 1)  # one file per batch
    monkeypatch.setattr(store_load, "LOW_MEMORY_FAST_PATH_BYTES", 0)  # the batch-by-batch path
    opened: list[str] = []
    connect = store_load.connect_rw

    def counting(db, *a, **k):
        opened.append(str(db))
        return connect(db, *a, **k)

    monkeypatch.setattr(store_load, "connect_rw", counting)
    dbs = {}
    for hold in (3600.0, 0.0):
        monkeypatch.setattr(store_load, "HOLD_CONNECTION_S", hold)
        db = dbs[hold] = tmp_path / f"hold{hold:.0f}.duckdb"
        opened.clear()
        got = store.load_stage(tmp_path / "stage", db, low_memory=True)
        assert got["files"] == 3 and got["articles"] == 12
        # one connection reads what is loaded already, then the batches' connection(s)
        assert len(opened) == (2 if hold else 4), hold
    for name, sql in TABLES.items():
        assert q(dbs[3600.0], sql) == q(dbs[0.0], sql), name
