"""``guidecrawl reclean``: re-run today's cleaners over the archived raw pages, without network.

Three phases, so that nobody is locked out for long:

1. read: short read-only connections fetch the raw pages of a chunk of articles at a time (parts
   grouped by ``article_url`` in ``part_no`` order) together with a signature of what was read
   (every part's url and content hash);
2. clean: a process pool runs ``cleaners.page.clean_parts`` on every article (all cores; the
   database is not open meanwhile, so analysts and loads go on) and writes the results as
   ``article`` stage records to a private temporary stage;
3. write: one read-write transaction loads that stage with the loader's own upsert SQL (so the
   derived rows are replaced exactly as a crawl would replace them), skips articles whose pages a
   crawl changed since phase 1 (their signature no longer matches), records a ``reclean`` run with
   the new cleaner version, and reports what changed: articles whose body changed and repairs
   added/removed by kind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import multiprocessing.context
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa

from crawler.stage import StageWriter, stage_files
from pipelines.store import (
    connect_readonly,
    connect_rw,
    has_table,
    parse_since,
    stage_select_sql,
    transaction,
)
from pipelines.store.load import MARK_EXACT_DUPLICATES_SQL, UPSERT_SQL

CHUNK = 500  # articles read per short read-only connection
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)

_GROUPS_SQL = """
SELECT coalesce(article_url, url) AS aurl, any_value(site) AS site,
       list(url ORDER BY coalesce(part_no, 1), url) AS urls,
       list(coalesce(final_url, url) ORDER BY coalesce(part_no, 1), url) AS final_urls,
       list(raw ORDER BY coalesce(part_no, 1), url) AS raws,
       list(content_type ORDER BY coalesce(part_no, 1), url) AS content_types,
       list(coalesce(content_hash, '') ORDER BY coalesce(part_no, 1), url) AS hashes
FROM pages
WHERE outcome IN ('article', 'article_part') AND raw IS NOT NULL {where}
GROUP BY aurl
HAVING count(*) FILTER (WHERE coalesce(part_no, 1) = 1) = 1 {having}
   AND coalesce(aurl, '') > ?
ORDER BY aurl
LIMIT {limit}
"""


_COUNT_SQL = """
SELECT count(*) FROM (
  SELECT coalesce(article_url, url) AS aurl FROM pages
  WHERE outcome IN ('article', 'article_part') AND raw IS NOT NULL {where}
  GROUP BY aurl
  HAVING count(*) FILTER (WHERE coalesce(part_no, 1) = 1) = 1 {having})
"""


def _stale_filter(current: dict[str, str], default: str) -> tuple[str, list[Any]]:
    """The HAVING clause of ``--stale``: an article is left alone when its stored row was made by
    the version the cleaners would stamp on it now (``current`` per site: the site's profile is
    part of it; ``default`` for a site without one); no row, or another version, is stale."""
    case = "".join(" WHEN ? THEN ?" for _ in current)
    params: list[Any] = [x for kv in current.items() for x in kv] + [default]
    sql = (
        " AND coalesce(aurl, '') NOT IN (SELECT page_urls[1] FROM articles"
        f" WHERE page_urls[1] IS NOT NULL AND cleaner_version = CASE site{case} ELSE ? END)"
    )
    return sql, params


def _count_groups(db_path: Path, site: str | None, since: str | None, wait: float) -> int:
    """How many archived articles ``site``/``since`` select (``--stale`` counts the ones it skips)."""
    where, having, params = _filters(site, since)
    con = connect_readonly(db_path, wait=wait)
    try:
        if not has_table(con, "pages"):
            return 0
        return int(con.execute(_COUNT_SQL.format(where=where, having=having), params).fetchall()[0][0])
    finally:
        con.close()


def _filters(site: str | None, since: str | None) -> tuple[str, str, list[Any]]:
    where, having, params = "", "", []
    if site is not None:
        where += " AND site = ?"
        params.append(site)
    if since is not None:
        # an article is re-cleaned when any of its parts was fetched since that day (China time)
        having = " AND max(fetched_at) >= CAST(? AS TIMESTAMPTZ)"
        params.append(parse_since(since))
    return where, having, params


def _read_groups(
    db_path: Path,
    site: str | None,
    since: str | None,
    wait: float,
    stale: tuple[str, list[Any]] | None = None,
) -> Iterator[list[dict]]:
    where, having, params = _filters(site, since)
    if stale is not None:
        having += stale[0]
        params += stale[1]
    sql = _GROUPS_SQL.format(where=where, having=having, limit=CHUNK)
    last = ""
    while True:
        con = connect_readonly(db_path, wait=wait)
        try:
            if not has_table(con, "pages"):
                return
            cur = con.execute(sql, [*params, last])
            cols = [d[0] for d in cur.description]
            rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        finally:
            con.close()
        if not rows:
            return
        last = rows[-1]["aurl"]
        yield rows


def site_profiles() -> dict[str, dict]:
    """``{site: {"name", "extract"}}`` from every site profile we ship or were given.

    The database does not record the profile a crawl used, so reclean finds it again by site
    name, where the crawler finds profiles (``crawler.profiles.extract_profiles``: the data root's
    ``sites/`` — ``$GUIDECRAWL_DATA`` — or ``$GUIDECRAWL_SITES_DIR``, then the demo sites).
    A site without a profile (a generic crawl) is cleaned with the cleaners' defaults, as it was.
    """
    from crawler.profiles import extract_profiles

    return extract_profiles()


def clean_group(group: dict) -> dict:
    """Runs in a worker: clean one archived article; never raises (a failure is status=error)."""
    import zlib

    from pipelines.item.budget import DEFAULT_CLEAN_TIMEOUT
    from pipelines.item.workers import clean_one

    parts = []
    for raw, url, ctype in zip(group["raws"], group["final_urls"], group["content_types"], strict=True):
        m = _CHARSET.search(ctype or "")
        parts.append((zlib.decompress(raw), url, m.group(1) if m else None))
    # the crawl's own cleaning step (never raises: a failure is status=error)
    art, version = clean_one(parts, group.get("profile"), DEFAULT_CLEAN_TIMEOUT)
    rec = art.to_dict()
    rec.update(
        type="article",
        site=group["site"],
        cleaner_version=version,
        page_urls=list(group["urls"]),
        content_hash=hashlib.sha1("".join(group["hashes"]).encode("ascii")).hexdigest(),
    )
    return rec


_CHANGES_SQL = """
-- what the write phase is about to replace, captured before it does
CREATE OR REPLACE TEMP TABLE _ids AS
SELECT DISTINCT substr(sha1(coalesce(nullif(canonical_url, ''), url)), 1, 16) AS id
FROM _stg WHERE type = 'article';
CREATE OR REPLACE TEMP TABLE _old_a AS
SELECT id, body_hash FROM articles WHERE id IN (SELECT id FROM _ids);
CREATE OR REPLACE TEMP TABLE _old_r AS
SELECT article_id, kind, rule, "before", "after", count(*) AS n FROM repairs
WHERE applied AND article_id IN (SELECT id FROM _ids) GROUP BY ALL;
"""

_DIFF_SQL = """
WITH new_r AS (
  SELECT article_id, kind, rule, "before", "after", count(*) AS n FROM repairs
  WHERE applied AND article_id IN (SELECT id FROM _ids) GROUP BY ALL
), d AS (
  SELECT coalesce(o.kind, n.kind) AS kind, coalesce(n.n, 0) - coalesce(o.n, 0) AS delta
  FROM _old_r o FULL JOIN new_r n
    ON o.article_id = n.article_id AND o.kind = n.kind AND o.rule = n.rule
   AND o."before" = n."before" AND o."after" = n."after"
)
SELECT kind, sum(greatest(delta, 0))::BIGINT AS added, sum(greatest(-delta, 0))::BIGINT AS removed
FROM d GROUP BY kind HAVING sum(abs(delta)) > 0 ORDER BY kind
"""


def _write(db_path: Path, stage: Path, sigs: pa.Table, run: dict, wait: float) -> dict:
    con = connect_rw(db_path, wait=wait)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _stg AS {stage_select_sql(stage_files(stage))}")
        con.register("_sigs", sigs)
        with transaction(con):
            # A crawl that loaded new versions of an article's pages since we read them wins:
            # its article is newer than our re-cleaning of the old pages.
            stale = con.execute(
                """
                WITH cur AS (
                  SELECT coalesce(article_url, url) AS aurl,
                         list(url ORDER BY coalesce(part_no, 1), url) AS urls,
                         list(coalesce(content_hash, '') ORDER BY coalesce(part_no, 1), url) AS hashes
                  FROM pages WHERE coalesce(article_url, url) IN (SELECT aurl FROM _sigs) GROUP BY ALL)
                SELECT s.aurl FROM _sigs s LEFT JOIN cur USING (aurl)
                WHERE cur.aurl IS NULL OR cur.urls <> s.urls OR cur.hashes <> s.hashes
                """
            ).fetchall()
            if stale:
                con.execute(
                    "DELETE FROM _stg WHERE type = 'article' AND page_urls[1] IN (SELECT unnest(?))",
                    [[s[0] for s in stale]],
                )
            con.execute(_CHANGES_SQL)
            # an article whose id changed (the cleaner now finds another canonical url) leaves
            # no stale row behind under its old id
            old_ids = [
                r[0]
                for r in con.execute(
                    "SELECT id FROM articles WHERE page_urls[1] IN (SELECT page_urls[1] FROM _stg "
                    "WHERE type = 'article') AND id NOT IN (SELECT id FROM _ids)"
                ).fetchall()
            ]
            for t, col in (
                ("articles", "id"),
                ("sections", "article_id"),
                ("comments", "article_id"),
                ("repairs", "article_id"),
                ("duplicates", "article_id"),
            ):
                if old_ids:
                    con.execute(f"DELETE FROM {t} WHERE {col} IN (SELECT unnest(?))", [old_ids])
            con.execute("UPDATE _stg SET run_id = ? WHERE type = 'article'", [run["run_id"]])
            # the run row goes in first, or the loader SQL would add an 'incomplete' placeholder
            con.execute(
                "INSERT INTO crawl_runs (run_id, job, site, started_at, status, args, drops, health, "
                "cleaner_version) VALUES (?, 'reclean', ?, ?, 'ok', ?, '{}', '[]', ?)",
                [run["run_id"], run["site"], run["started_at"], run["args"], run["version"]],
            )
            con.execute(UPSERT_SQL)
            con.execute(MARK_EXACT_DUPLICATES_SQL)
            changed = con.execute(
                "SELECT count(*) FROM articles a LEFT JOIN _old_a o USING (id) "
                "WHERE a.id IN (SELECT id FROM _ids) AND o.body_hash IS DISTINCT FROM a.body_hash"
            ).fetchall()[0][0]
            diff = con.execute(_DIFF_SQL).fetchall()
            n_articles = con.execute("SELECT count(*) FROM _ids").fetchall()[0][0]
            counts = {"articles": n_articles, "body_changed": changed, "skipped_stale": len(stale)}
            counts.update(run.get("extra_counts") or {})
            con.execute(
                "UPDATE crawl_runs SET finished_at = now(), counts = ? WHERE run_id = ?",
                [_json(counts), run["run_id"]],
            )
    finally:
        con.close()
    return {
        **counts,
        "repairs_added": {k: a for k, a, _ in diff if a},
        "repairs_removed": {k: r for k, _, r in diff if r},
    }


def _mp_context() -> multiprocessing.context.BaseContext:
    # fork, after the parent has cleaned one article: the cleaners compile their tables and
    # dictionaries lazily on first use (seconds), and forked workers inherit them warm instead of
    # each paying that again (forkserver/spawn workers measured slower than one process on a few
    # hundred articles).  The workers only run the pure cleaners; they never touch DuckDB, whose
    # threads in the parent are the usual reason not to fork.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _json(obj: Any) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False)


def reclean(
    db_path: str | os.PathLike,
    *,
    site: str | None = None,
    since: str | None = None,
    workers: int | None = None,
    wait: float = 600,
    stale: bool = False,
) -> dict:
    """Re-clean archived articles with the current cleaners; returns what changed.

    ``{"run_id", "cleaner_version", "articles", "body_changed", "skipped_stale",
    "repairs_added": {kind: n}, "repairs_removed": {kind: n}}``

    ``stale``: only the articles whose stored ``cleaner_version`` is not the one the cleaners
    would stamp on them now (other rules, models, profile selectors or run-time tables; or no
    row at all); the others are not touched.  Adds ``"stale"`` (how many were) and
    ``"skipped_current"`` (how many were left alone) to the result.
    """
    from cleaners import cleaner_version

    db_path = Path(db_path)
    connect_readonly(db_path, wait=wait).close()  # a clear error when there is no database
    workers = max(1, workers or os.cpu_count() or 1)
    run: dict[str, Any] = {
        "run_id": "reclean-"
        + dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        + "-"
        + secrets.token_hex(3),
        "site": site,
        "started_at": dt.datetime.now(dt.UTC),
        "args": _json(
            {"site": site, "since": since, "workers": workers, **({"stale": True} if stale else {})}
        ),
        "version": cleaner_version(),
    }
    tmp = Path(tempfile.mkdtemp(prefix="guidecrawl-reclean-"))
    aurls: list[str] = []
    urls: list[list[str]] = []
    hashes: list[list[str]] = []
    pool: ProcessPoolExecutor | None = None
    profiles = site_profiles()
    only_stale, selected = None, 0
    if stale:
        only_stale = _stale_filter({s: cleaner_version(p) for s, p in profiles.items()}, run["version"])
        selected = _count_groups(db_path, site, since, wait)
    try:
        with StageWriter(tmp, "reclean", max_records=5000) as w:
            for groups in _read_groups(db_path, site, since, wait, only_stale):
                for g in groups:
                    g["profile"] = profiles.get(g["site"])
                    aurls.append(g["aurl"])
                    urls.append(list(g["urls"]))
                    hashes.append(list(g["hashes"]))
                if workers > 1 and pool is None:
                    w.write(clean_group(groups[0]))  # warms the cleaners before the fork
                    groups = groups[1:]
                    pool = ProcessPoolExecutor(workers, mp_context=_mp_context())
                results = (
                    pool.map(clean_group, groups, chunksize=max(1, len(groups) // (4 * workers)))
                    if pool
                    else map(clean_group, groups)
                )
                for rec in results:
                    w.write(rec)
        # --stale: what was found stale, and what was left alone because it is current
        extra = {"stale": len(aurls), "skipped_current": max(0, selected - len(aurls))} if stale else {}
        if not aurls:
            return {
                "run_id": None,
                "cleaner_version": run["version"],
                "articles": 0,
                "body_changed": 0,
                "skipped_stale": 0,
                **extra,
                "repairs_added": {},
                "repairs_removed": {},
            }
        run["extra_counts"] = extra
        sigs = pa.table({"aurl": aurls, "urls": urls, "hashes": hashes})
        res = _write(db_path, tmp, sigs, run, wait)
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return {"run_id": run["run_id"], "cleaner_version": run["version"], **extra, **res}
