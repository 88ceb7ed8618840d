"""Benchmark the warehouse: load, analyst queries, export, reclean.

    .venv/bin/python bench/store.py [--articles 100000] [--reclean-articles 600] [--keep DIR]

Synthetic articles of realistic size (about 2 KB of Chinese body text, 8 sections, 5 comments,
3 repairs) are written as stage files, then:

* load: ``load_stage`` of those files into a fresh database, against DuckDB's own
  ``INSERT ... SELECT * FROM read_parquet`` of exactly the same rows (the final tables exported to
  Parquet) into a fresh database with the same schema -- target ratio >= 0.5;
* five typical analyst queries on the loaded database (best of 3) -- target < 100 ms each;
* export rates of ``articles`` to CSV and to Parquet (zstd) through ``pipelines.commands.export``, against
  a plain DuckDB ``COPY`` of the same table;
* reclean of a smaller set of articles with archived raw pages, 2 processes against 1.

Every ratio is against a baseline measured in the same run; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402

from crawler.stage import StageWriter, pack_raw  # noqa: E402
from pipelines import store  # noqa: E402
from pipelines.commands.export import export  # noqa: E402
from pipelines.commands.reclean import reclean  # noqa: E402

CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面"
    "而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应"
    "开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此"
    "攻略方法步骤注意如何选择工具账户信用还款客服申请解冻"
)
SITES = ["guanxian", "dedecms", "wenda", "zhidao", "baike"]
KINDS = ["spin", "garble", "boilerplate", "metadata", "t2s", "punct"]


def sentence_pool(rng: random.Random, n: int = 4000) -> list[str]:
    return ["".join(rng.choices(CHARS, k=rng.randint(12, 30))) + rng.choice("。，；！？") for _ in range(n)]


def make_article(i: int, rng: random.Random, pool: list[str], *, raw_html: bool = False) -> tuple[dict, dict]:
    site = SITES[i % len(SITES)]
    url = f"http://{site}.example/a/{i}.html"
    paras = []
    size = 0
    while size < 700:  # ~700 CJK characters = ~2.1 KB of UTF-8
        p = "".join(rng.choices(pool, k=rng.randint(2, 5)))
        paras.append(p)
        size += len(p)
    body = "\n".join(paras)
    step = max(1, len(paras) // 8)
    sections = [
        {
            "level": 1 if k % 3 == 0 else 2,
            "number": "一二三四五六七八"[k],
            "heading": pool[(i + k) % len(pool)][:10],
            "text": "\n".join(paras[k * step : (k + 1) * step]) or paras[-1],
        }
        for k in range(8)
    ]
    day = 1 + i % 28
    comments = [
        {
            "author": f"网友{rng.randint(1000, 9999)}",
            "role": "网友",
            "published_at": f"2025-04-{day:02d} 1{k}:00",
            "text": rng.choice(pool) + rng.choice(pool),
        }
        for k in range(5)
    ]
    repairs = [
        {
            "kind": KINDS[(i + k) % len(KINDS)],
            "rule": f"rule.{(i * 7 + k) % 50}",
            "before": "工粳",
            "after": "工具",
            "offset": k * 50,
            "confidence": 0.9,
            "applied": True,
        }
        for k in range(3)
    ]
    art = {
        "type": "article",
        "run_id": "bench",
        "site": site,
        "cleaner_version": "bench",
        "page_urls": [url],
        "content_hash": f"{i:040x}",
        "url": url,
        "canonical_url": "",
        "title": pool[i % len(pool)][:20],
        "published_at": f"2025-{1 + i % 12:02d}-{day:02d}T10:00:00+08:00",
        "source": "来源网",
        "editor": "小编",
        "body": body,
        "sections": sections,
        "comments": comments,
        "repairs": repairs,
        "spin_score": round(rng.random() ** 2, 3),
        "encoding": "utf-8",
        "encoding_reason": "meta",
        "extracted_text": body,
        "status": "ok",
        "reason": "",
    }
    page = None
    if raw_html:
        html = (
            f"<html><head><meta charset='utf-8'><title>{art['title']}</title></head><body>"
            f"<div class='nav'>首页 | 攻略 | 问答</div><div class='article'><h1>{art['title']}</h1>"
            + "".join(f"<p>{p}</p>" for p in paras)
            + "</div><div class='footer'>版权所有</div></body></html>"
        ).encode()
        page = {
            "type": "page",
            "run_id": "bench",
            "url": url,
            "final_url": url,
            "site": site,
            "status": 200,
            "outcome": "article",
            "reason": "",
            "fetched_at": "2026-01-01T00:00:00+00:00",
            "content_type": "text/html; charset=utf-8",
            "encoding": "utf-8",
            "encoding_reason": "meta",
            "content_hash": f"{i:040x}",
            "etag": None,
            "last_modified": None,
            "raw": pack_raw(html),
            "article_url": url,
            "part_no": 1,
        }
    return art, page


def write_stage(stage: Path, n: int, *, raw_html: bool = False, seed: int = 7) -> int:
    rng = random.Random(seed)
    pool = sentence_pool(rng)
    with StageWriter(stage, "bench", max_records=5000) as w:
        for i in range(n):
            art, page = make_article(i, rng, pool, raw_html=raw_html)
            w.write(art)
            if page:
                w.write(page)
    return sum(f.stat().st_size for f in stage.glob("*.jsonl"))


def timed(fn, *a, **kw):
    t = time.perf_counter()
    r = fn(*a, **kw)
    return time.perf_counter() - t, r


QUERIES = {
    "articles per site and month": "SELECT site, date_trunc('month', date) AS m, count(*) FROM v_articles "
    "GROUP BY ALL ORDER BY ALL",
    "top 20 most spun": "SELECT title, site, spin_score FROM v_articles ORDER BY spin_score DESC LIMIT 20",
    "repairs by kind and rule": "SELECT kind, rule, count(*) FROM repairs WHERE applied GROUP BY ALL "
    "ORDER BY 3 DESC LIMIT 50",
    "comments of one site in April": "SELECT count(*) FROM v_comments WHERE site = 'wenda' "
    "AND published_at >= '2025-04-01' AND published_at < '2025-05-01'",
    "one article with its sections": "SELECT a.title, s.idx, s.heading, s.text FROM articles a "
    "JOIN sections s ON s.article_id = a.id WHERE a.url = 'http://dedecms.example/a/4321.html' ORDER BY s.idx",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--reclean-articles", type=int, default=600)
    ap.add_argument("--keep", help="work in this folder and keep it (default: a temporary folder)")
    args = ap.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="guidecrawl-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str, str, str]] = []
    try:
        n = args.articles
        t_gen, size = timed(write_stage, work / "stage", n)
        print(f"wrote {n} articles as stage files: {size / 1e6:.0f} MB in {t_gen:.1f} s", flush=True)

        db = work / "ours.duckdb"
        t_ours, got = timed(store.load_stage, work / "stage", db)
        assert got["articles"] == n, got
        con = duckdb.connect(str(db))
        counts = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
            for t in ("articles", "sections", "comments", "repairs")
        }
        pq = work / "parquet"
        pq.mkdir(exist_ok=True)
        for t in counts:
            con.execute(f"COPY {t} TO '{pq / t}.parquet' (FORMAT parquet)")
        con.close()

        base_db = work / "baseline.duckdb"
        store.connect_rw(base_db).close()  # same schema, empty

        def parquet_load() -> None:
            c = duckdb.connect(str(base_db))
            c.execute("BEGIN")
            for t in counts:
                c.execute(f"INSERT INTO {t} SELECT * FROM read_parquet('{pq / t}.parquet')")
            c.execute("COMMIT")
            c.close()

        t_base, _ = timed(parquet_load)
        all_rows = sum(counts.values())
        rows.append(
            (
                "load (stage JSONL -> tables)",
                f"{n / t_ours:,.0f} articles/s ({all_rows / t_ours:,.0f} rows/s)",
                f"read_parquet: {n / t_base:,.0f} articles/s",
                f"{t_base / t_ours:.2f}x (target >= 0.5)",
            )
        )
        print(f"loaded {counts} in {t_ours:.1f} s; read_parquet baseline {t_base:.1f} s", flush=True)

        con = store.connect_readonly(db)
        for name, sql in QUERIES.items():
            con.execute(sql).fetchall()  # warm
            best = min(timed(lambda s=sql: con.execute(s).fetchall())[0] for _ in range(3))
            rows.append(
                (f"query: {name}", f"{best * 1000:.1f} ms", "target 100 ms", f"{0.1 / best:.1f}x under")
            )
        con.close()

        for fmt in ("csv", "parquet"):
            out = work / f"articles.{fmt}"
            t_exp, res = timed(export, db, out, table="articles", fmt=fmt, force=True, progress=False)
            opts = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet, COMPRESSION zstd"
            c = duckdb.connect(str(db), read_only=True)
            t_copy, _ = timed(c.execute, f"COPY articles TO '{work / ('plain.' + fmt)}' ({opts})")
            c.close()
            rows.append(
                (
                    f"export articles -> {fmt}",
                    f"{res['rows'] / t_exp:,.0f} rows/s ({res['bytes'] / 1e6 / t_exp:.0f} MB/s)",
                    f"plain COPY: {res['rows'] / t_copy:,.0f} rows/s",
                    f"{t_copy / t_exp:.2f}x",
                )
            )
        t_xl, res = timed(
            export,
            db,
            work / "excel.csv",
            table="articles",
            fmt="csv",
            excel=True,
            force=True,
            progress=False,
        )
        rows.append(("export articles -> csv --excel", f"{res['rows'] / t_xl:,.0f} rows/s", "", ""))

        m = args.reclean_articles
        rstage = work / "rstage"
        write_stage(rstage, m, raw_html=True, seed=11)
        rdb = work / "reclean.duckdb"
        store.load_stage(rstage, rdb)
        t1, r1 = timed(reclean, rdb, workers=1)
        t2, r2 = timed(reclean, rdb, workers=2)
        assert r1["articles"] == r2["articles"] == m, (r1, r2)
        rows.append(
            (
                "reclean (raw pages -> rows)",
                f"2 procs: {m / t2:,.0f} articles/s",
                f"1 proc: {m / t1:,.0f} articles/s",
                f"{t1 / t2:.2f}x",
            )
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    print()
    print(f"{'what':<{w[0]}}  {'ours':<{w[1]}}  {'baseline':<{w[2]}}  ratio (ours vs baseline)")
    for r in rows:
        print(f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:<{w[2]}}  {r[3]}")
    print(f"\n{os.cpu_count()} CPUs, duckdb {duckdb.__version__}")


if __name__ == "__main__":
    main()
