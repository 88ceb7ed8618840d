"""``guidecrawl demo``: the whole job on the embedded demo sites, over real HTTP on 127.0.0.1.

It serves ``data/demo_site/`` (one local server per site), crawls it with the real spider, cleans
every article, loads the DuckDB file, prints a summary and a few example queries, and stops the
servers.  The demo's URLs carry the servers' random ports, so a demo database is rebuilt on every
run; a database that holds anything but demo runs is never touched.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from pipelines.errors import UserError

DEMO_JOB = "demo"

EXAMPLE_QUERIES = [
    (
        "Articles per site, with their comments and repairs",
        "SELECT site, count(*) AS articles, sum(n_comments) AS comments, sum(n_repairs) AS repairs, "
        "round(avg(spin_score), 2) AS avg_spin FROM v_articles GROUP BY site ORDER BY site",
    ),
    (
        "What the repairers changed, by kind and rule",
        'SELECT kind, rule, count(*) AS n, any_value("before" || \' -> \' || "after") AS example '
        "FROM repairs WHERE applied GROUP BY kind, rule ORDER BY n DESC LIMIT 8",
    ),
    (
        "Comments with their authors and roles",
        "SELECT author, role, published_at, left(text, 24) AS text FROM v_comments "
        "ORDER BY published_at DESC, author LIMIT 5",
    ),
]


def _only_demo_runs(db: Path) -> bool:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if not tables:
            return True
        if "crawl_runs" not in tables:
            return False
        row = con.execute(
            "SELECT count(*) FROM crawl_runs WHERE coalesce(job, '') <> ?", [DEMO_JOB]
        ).fetchone()
        others = row[0] if row else 0
        return others == 0
    finally:
        con.close()


def _fresh_demo_db(db: Path) -> None:
    if db.exists():
        try:
            ok = _only_demo_runs(db)
        except Exception as e:  # not a DuckDB file, or busy
            raise UserError(
                f"cannot use {db} for the demo ({e}); pass --db to write the demo elsewhere"
            ) from e
        if not ok:
            raise UserError(f"{db} holds crawls other than the demo; pass --db to write the demo elsewhere")
        db.unlink()
        wal = db.with_name(db.name + ".wal")
        if wal.exists():
            wal.unlink()


def run_demo(db: Path, *, quiet: bool = False) -> int:
    from pipelines.demo.localsite import serve_demo
    from pipelines.run.crawl import CrawlOptions, run_crawl
    from pipelines.store import run_sql

    db = Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    _fresh_demo_db(db)
    job_dir = db.resolve().parent / "jobs" / DEMO_JOB
    shutil.rmtree(job_dir, ignore_errors=True)
    job_dir.mkdir(parents=True)

    with serve_demo() as sites:
        if not quiet:
            for name, url in sites.urls.items():
                print(f"serving demo site {name} at {url}", file=sys.stderr)
        summary = run_crawl(
            CrawlOptions(
                start_urls=[],
                profiles=sites.profiles(),
                db=db,
                stage_dir=job_dir / "stage",
                job_dir=job_dir,
                quiet=quiet,
                job=DEMO_JOB,
                # our own servers on 127.0.0.1: no politeness delay needed (robots.txt still obeyed)
                settings={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False},
            )
        )

    print(f"\nguidecrawl demo: loaded into {db}")
    print(
        run_sql(
            db,
            "SELECT (SELECT count(*) FROM pages) AS pages_fetched, (SELECT count(*) FROM articles) AS articles, "
            "(SELECT count(*) FROM sections) AS sections, (SELECT count(*) FROM comments) AS comments, "
            "(SELECT count(*) FROM repairs WHERE applied) AS repairs",
            fmt="table",
        )
    )
    print(
        run_sql(
            db,
            "SELECT outcome, coalesce(nullif(reason, ''), '-') AS reason, count(*) AS pages "
            "FROM pages GROUP BY ALL ORDER BY pages DESC",
            fmt="table",
        )
    )
    for title, query in EXAMPLE_QUERIES:
        print(f"\n-- {title}\n{query};")
        print(run_sql(db, query, fmt="table"))
    print(f'\nTry: guidecrawl sql "SELECT title FROM articles LIMIT 5" --db {db}')
    return 1 if summary.get("health") else 0
