"""Stage records and small warehouses for the store, export, stats, reclean, dedup and report tests."""

from __future__ import annotations

import duckdb

from crawler.stage import StageWriter, pack_raw


def page(
    url,
    *,
    run="r1",
    outcome="article",
    fetched="2026-01-01T00:00:00+00:00",
    raw=b"<html>x</html>",
    etag=None,
    **kw,
):
    import hashlib

    rec = {
        "type": "page",
        "run_id": run,
        "url": url,
        "final_url": url,
        "site": "siteA",
        "status": 200,
        "outcome": outcome,
        "reason": "",
        "fetched_at": fetched,
        "content_type": "text/html; charset=utf-8",
        "encoding": "utf-8",
        "encoding_reason": "header",
        "content_hash": hashlib.sha1(raw or b"").hexdigest(),
        "etag": etag,
        "last_modified": None,
        "raw": pack_raw(raw) if raw else None,
        "article_url": url,
        "part_no": 1,
    }
    rec.update(kw)
    return rec


def article(url, *, run="r1", body="第一段\n第二段", title="标题", n_sections=2, n_comments=1, **kw):
    rec = {
        "type": "article",
        "run_id": run,
        "site": "siteA",
        "cleaner_version": "0.1.0",
        "page_urls": [url],
        "content_hash": None,
        "url": url,
        "canonical_url": "",
        "title": title,
        "published_at": "2025-03-01T10:00:00+08:00",
        "source": "来源",
        "editor": "小编",
        "body": body,
        "sections": [
            {"level": 1, "number": "一", "heading": f"标题{i}", "text": f"内容{i}"} for i in range(n_sections)
        ],
        "comments": [
            {"author": f"网友{i}", "role": "网友", "published_at": "2025-03-02 08:00", "text": f"评论{i}"}
            for i in range(n_comments)
        ],
        "repairs": [
            {
                "kind": "spin",
                "rule": "spin.r1",
                "before": "工粳",
                "after": "工具",
                "offset": 2,
                "confidence": 0.9,
                "applied": True,
            }
        ],
        "spin_score": 0.25,
        "encoding": "utf-8",
        "encoding_reason": "header",
        "extracted_text": body,
        "status": "ok",
        "reason": "",
    }
    rec.update(kw)
    return rec


def stage(dirpath, worker, records):
    with StageWriter(dirpath, worker) as w:
        for r in records:
            w.write(r)


def q(db, sql, params=None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
