"""Loading the stage into the DuckDB file (the single writer's bulk loads), and the prior page state
an incremental crawl reads back.

DuckDB lets one process open a file read-write and then refuses every other process, read-only
ones included.  So nothing here holds the file for long: ``load_stage`` opens it for one batch of
stage files (one transaction), closes it, and opens it again for the next batch, retrying with
backoff while an analyst holds it; ``connect_readonly`` retries the same way while a load holds it.
A crawl therefore never loses items to a busy database (they wait in the stage), and an analyst
waits at most one batch.

Loading is idempotent twice over: a stage file whose checksum is in ``stage_files`` is skipped, and
every row is upserted by its key (page url, article id), keeping ``first_seen`` and keeping
``last_changed`` when the content did not change, so loading the same records again changes
nothing.

Bulk path: DuckDB's own multi-threaded JSON reader parses the stage files straight into a temporary
table, and everything after that (latest record per key, unnesting sections/comments/repairs,
upserts, duplicate marking) is set-based SQL inside the transaction.  We do not parse the JSON in
Python and hand Arrow tables over: CPython's ``json`` is single-threaded and building nested Arrow
arrays from Python objects is a second pass over every record, while DuckDB's reader parses on
all cores straight into its own vectors (``bench/store.py`` compares the load with DuckDB's own
``read_parquet`` of the same rows).  Python only touches a file's lines when DuckDB cannot parse it (a corrupt line), to drop
the bad lines and count them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb

from crawler.stage import recover_orphans, stage_files
from pipelines.errors import UserError
from pipelines.store.db import connect_readonly, connect_rw, has_table, transaction
from pipelines.store.schema import sql_str

BATCH_BYTES = 64 * 1024 * 1024  # one transaction per ~64 MB of stage files: an analyst waits ~1 s
BATCH_FILES = 32
# Two crawl stage files (each at most ``stage.MAX_FILE_BYTES``) per transaction: a low-memory
# load's peak follows its batch size (bench/crawl.py --real's 35 MB stage, a load alone: 8 MB
# batches 151 MB peak RSS, 16 MB 157 MB, 24 MB 195 MB; 16 MB loads 1.55 -> 0.94-1.30 s against
# 8 MB, in turns on a busy machine).  The crawl's peak is during the crawl (~290 MB PSS of all
# processes), the load's well under it (~220 MB).
LOW_MEMORY_BATCH_BYTES = 16 * 1024 * 1024
# A connection goes on to the next batch while it has been open less than this; closing it
# checkpoints the file.  Low-memory loads of bench/crawl.py's stages, one connection per batch
# against this: --real (35 MB, 5 batches) 1.5-1.7 s -> 1.05-1.1 s; synthetic (103 MB, 13
# batches) 5.3-5.5 s -> 3.4-3.9 s, peak RSS 137 -> 159-165 MB (the buffers of ~1 s of batches).
# An analyst waits at most about this plus one batch, as for one ~64 MB bulk batch.
HOLD_CONNECTION_S = 1.0
# A stage of several batches up to this size is first tried in one transaction (``_load_fast``).
# Its memory is that of one batch this big: the upsert of all records at once holds them (the
# 35 MB stage of bench/crawl.py --real at once: 245 MB peak RSS against 151 MB in 8 MB batches,
# which took the crawl's peak PSS over 300 MB), so the low-memory bound is small.
# The bulk bound is one bulk batch: a stage of many small files (more than ``BATCH_FILES``) loads
# at once, its memory that of one full batch.
FAST_PATH_BYTES = BATCH_BYTES
LOW_MEMORY_FAST_PATH_BYTES = 24 * 1024 * 1024

# ---------------------------------------------------------------------------------------------
# Loading

_JSON_COLUMNS = {
    "type": "VARCHAR",
    "run_id": "VARCHAR",
    "url": "VARCHAR",
    "final_url": "VARCHAR",
    "site": "VARCHAR",
    "status": "VARCHAR",  # an int on pages, a word on articles and runs: parsed per record type
    "outcome": "VARCHAR",
    "reason": "VARCHAR",
    "fetched_at": "VARCHAR",
    "content_type": "VARCHAR",
    "encoding": "VARCHAR",
    "encoding_reason": "VARCHAR",
    "content_hash": "VARCHAR",
    "etag": "VARCHAR",
    "last_modified": "VARCHAR",
    "raw": "VARCHAR",
    "article_url": "VARCHAR",
    "part_no": "VARCHAR",
    "canonical_url": "VARCHAR",
    "title": "VARCHAR",
    "published_at": "VARCHAR",
    "source": "VARCHAR",
    "editor": "VARCHAR",
    "body": "VARCHAR",
    "sections": "STRUCT(level VARCHAR, number VARCHAR, heading VARCHAR, text VARCHAR)[]",
    "comments": "STRUCT(author VARCHAR, role VARCHAR, published_at VARCHAR, text VARCHAR, "
    'extracted_text VARCHAR, repairs STRUCT(kind VARCHAR, rule VARCHAR, "before" VARCHAR, '
    '"after" VARCHAR, "offset" VARCHAR, confidence VARCHAR, applied VARCHAR)[])[]',
    "repairs": 'STRUCT(kind VARCHAR, rule VARCHAR, "before" VARCHAR, "after" VARCHAR, '
    '"offset" VARCHAR, confidence VARCHAR, applied VARCHAR)[]',
    "spin_score": "VARCHAR",
    "confidence": "VARCHAR",
    "extracted_text": "VARCHAR",
    "cleaner_version": "VARCHAR",
    "page_urls": "VARCHAR[]",
    "job": "VARCHAR",
    "started_at": "VARCHAR",
    "finished_at": "VARCHAR",
    "args": "JSON",
    "counts": "JSON",
    "drops": "JSON",
    "health": "JSON",
}


def stage_select_sql(files: Sequence[Path]) -> str:
    cols = ", ".join(f'"{k}": {sql_str(v)}' for k, v in _JSON_COLUMNS.items())
    flist = "[" + ", ".join(sql_str(str(f)) for f in files) + "]"
    return (
        f"SELECT * FROM read_json({flist}, "
        f"format = 'newline_delimited', columns = {{{cols}}}, "
        f"maximum_object_size = 1073741824, filename = true)"
    )


def _file_checksum(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


UPSERT_SQL = """
-- pages: the latest record per url in this batch
CREATE OR REPLACE TEMP TABLE _p AS
SELECT url, final_url, site, try_cast(fetched_at AS TIMESTAMPTZ) AS fetched_at,
       try_cast(status AS INTEGER) AS status, outcome, reason, content_type, encoding,
       encoding_reason, content_hash, etag, last_modified,
       CASE WHEN raw IS NULL OR raw = '' THEN NULL ELSE from_base64(raw) END AS raw,
       article_url, try_cast(part_no AS INTEGER) AS part_no, run_id
FROM _stg
WHERE rowid IN (
  -- the winner per url is picked on narrow columns only, so the wide ones (raw) are not
  -- carried through a sort (a window over the whole record was the slowest step of a load)
  SELECT max_by(rowid, (coalesce(try_cast(fetched_at AS TIMESTAMPTZ), '-infinity'::TIMESTAMPTZ), rowid))
  FROM _stg WHERE type = 'page' AND url IS NOT NULL GROUP BY url);

-- an unchanged (304 / same hash) page only moves the fetch bookkeeping of the row it confirms
UPDATE pages SET fetched_at = n.fetched_at, run_id = n.run_id,
       etag = coalesce(n.etag, pages.etag), last_modified = coalesce(n.last_modified, pages.last_modified)
FROM _p n
WHERE pages.url = n.url AND n.outcome = 'unchanged'
  AND (pages.fetched_at IS NULL OR n.fetched_at IS NULL OR n.fetched_at >= pages.fetched_at);

CREATE OR REPLACE TEMP TABLE _pr AS
SELECT n.* EXCLUDE (first_seen_old, last_changed_old, hash_old),
       coalesce(first_seen_old, n.fetched_at) AS first_seen,
       CASE WHEN hash_old IS NOT DISTINCT FROM n.content_hash AND first_seen_old IS NOT NULL
            THEN last_changed_old ELSE n.fetched_at END AS last_changed
FROM (SELECT n.*, o.first_seen AS first_seen_old, o.last_changed AS last_changed_old,
             o.content_hash AS hash_old, o.fetched_at AS fetched_old, o.url AS url_old
      FROM _p n LEFT JOIN pages o ON o.url = n.url) n
WHERE NOT (n.outcome = 'unchanged' AND n.url_old IS NOT NULL)
  AND (n.fetched_old IS NULL OR n.fetched_at IS NULL OR n.fetched_at >= n.fetched_old);
ALTER TABLE _pr DROP COLUMN fetched_old;
ALTER TABLE _pr DROP COLUMN url_old;

DELETE FROM pages WHERE url IN (SELECT url FROM _pr);
INSERT INTO pages BY NAME SELECT * FROM _pr;

-- articles: per article id in this batch, the latest record fetched at the canonical URL itself
-- (naming itself, or naming none), else the latest cleaned one, else the latest record (a mobile or
-- ?from=rss copy naming the same canonical URL must not win by arriving last: which copy is staged
-- last depends on fetch timing; nor a copy stored uncleaned, whose canonical URL is read raw)
CREATE OR REPLACE TEMP TABLE _a AS
  SELECT substr(sha1(coalesce(nullif(canonical_url, ''), url)), 1, 16) AS id,
         url, coalesce(canonical_url, '') AS canonical_url, site, coalesce(title, '') AS title,
         try_cast(published_at AS TIMESTAMPTZ) AS published_at, coalesce(source, '') AS source,
         coalesce(editor, '') AS editor, coalesce(body, '') AS body,
         coalesce(try_cast(spin_score AS DOUBLE), 0) AS spin_score, coalesce(status, 'ok') AS status,
         try_cast(confidence AS DOUBLE) AS confidence,
         coalesce(reason, '') AS reason, encoding, encoding_reason,
         coalesce(content_hash, sha1(coalesce(body, ''))) AS content_hash,
         sha1(coalesce(body, '')) AS body_hash, extracted_text, page_urls, run_id, cleaner_version,
         sections, comments, repairs, coalesce(len(sections), 0) AS n_sections,
         coalesce(len(comments), 0) AS n_comments,
         coalesce(len(list_filter(repairs, lambda r: coalesce(try_cast(r.applied AS BOOLEAN), true))), 0)
           + coalesce(list_sum(list_transform(comments, lambda c: len(list_filter(
               c.repairs, lambda r: coalesce(try_cast(r.applied AS BOOLEAN), true))))), 0)
           AS n_repairs
  FROM _stg
  WHERE rowid IN (SELECT coalesce(max(rowid) FILTER (WHERE url = coalesce(nullif(canonical_url, ''), url)),
                                  max(rowid) FILTER (WHERE coalesce(status, 'ok') = 'ok'), max(rowid))
                  FROM _stg WHERE type = 'article' AND url IS NOT NULL
                  GROUP BY coalesce(nullif(canonical_url, ''), url));

-- a copy stored uncleaned (timeout, error: its canonical URL read from the raw page) never replaces
-- an article already stored cleaned from another batch; its page row above still keeps the raw page
DELETE FROM _a WHERE status <> 'ok' AND url <> coalesce(nullif(canonical_url, ''), url)
  AND id IN (SELECT id FROM articles WHERE status = 'ok');
-- what the replaced rows keep: first_seen, and last_changed when title and body are the same
CREATE OR REPLACE TEMP TABLE _old AS
SELECT id, first_seen, last_changed, body_hash, title FROM articles WHERE id IN (SELECT id FROM _a);
-- body hashes whose exact-duplicate group may change (see MARK_EXACT_DUPLICATES_SQL)
CREATE OR REPLACE TEMP TABLE _touched AS
SELECT body_hash FROM _a UNION SELECT body_hash FROM _old;
DELETE FROM articles WHERE id IN (SELECT id FROM _old);
INSERT INTO articles BY NAME
SELECT n.* EXCLUDE (sections, comments, repairs),
       coalesce(o.first_seen, now()) AS first_seen,
       CASE WHEN o.id IS NOT NULL AND o.body_hash = n.body_hash AND o.title = n.title
            THEN o.last_changed ELSE now() END AS last_changed,
       true AS is_canonical, NULL::VARCHAR AS duplicate_of
FROM _a n LEFT JOIN _old o ON o.id = n.id;

-- derived rows: replaced wholesale for every article in the batch (no orphans, no doubles)
DELETE FROM sections WHERE article_id IN (SELECT id FROM _a);
DELETE FROM comments WHERE article_id IN (SELECT id FROM _a);
DELETE FROM repairs WHERE article_id IN (SELECT id FROM _a);
INSERT INTO sections
SELECT id, i - 1, try_cast(s.level AS INTEGER), coalesce(s.number, ''), coalesce(s.heading, ''),
       coalesce(s.text, ''), run_id, cleaner_version
FROM (SELECT id, run_id, cleaner_version, unnest(sections) AS s,
             unnest(generate_series(1, len(sections))) AS i
      FROM _a WHERE len(sections) > 0);
INSERT INTO comments
SELECT id, i - 1, coalesce(c.author, ''), coalesce(c.role, ''),
       try_cast(c.published_at AS TIMESTAMPTZ), coalesce(c.text, ''), run_id, cleaner_version,
       c.extracted_text
FROM (SELECT id, run_id, cleaner_version, unnest(comments) AS c,
             unnest(generate_series(1, len(comments))) AS i
      FROM _a WHERE len(comments) > 0);
INSERT INTO repairs
SELECT id, i - 1, r.kind, r.rule, r."before", r."after", try_cast(r."offset" AS INTEGER),
       coalesce(try_cast(r.confidence AS DOUBLE), 1.0),
       coalesce(try_cast(r.applied AS BOOLEAN), true), run_id, cleaner_version, NULL
FROM (SELECT id, run_id, cleaner_version, unnest(repairs) AS r,
             unnest(generate_series(1, len(repairs))) AS i
      FROM _a WHERE len(repairs) > 0);
-- each comment's repairs, numbered within the comment (replay them on comments.extracted_text)
INSERT INTO repairs
SELECT id, i - 1, r.kind, r.rule, r."before", r."after", try_cast(r."offset" AS INTEGER),
       coalesce(try_cast(r.confidence AS DOUBLE), 1.0),
       coalesce(try_cast(r.applied AS BOOLEAN), true), run_id, cleaner_version, ci - 1
FROM (SELECT id, run_id, cleaner_version, ci, unnest(c.repairs) AS r,
             unnest(generate_series(1, len(c.repairs))) AS i
      FROM (SELECT id, run_id, cleaner_version, unnest(comments) AS c,
                   unnest(generate_series(1, len(comments))) AS ci
            FROM _a WHERE len(comments) > 0)
      WHERE len(c.repairs) > 0);

-- runs: the run record replaces any placeholder
CREATE OR REPLACE TEMP TABLE _r AS
SELECT run_id, job, site, try_cast(started_at AS TIMESTAMPTZ) AS started_at,
       try_cast(finished_at AS TIMESTAMPTZ) AS finished_at, status, args, counts, drops, health,
       cleaner_version
FROM _stg
WHERE rowid IN (SELECT max(rowid) FROM _stg WHERE type = 'run' AND run_id IS NOT NULL GROUP BY run_id);
DELETE FROM crawl_runs WHERE run_id IN (SELECT run_id FROM _r);
INSERT INTO crawl_runs BY NAME SELECT * FROM _r;
-- pages/articles of a run still going (or killed) get a placeholder run row
INSERT INTO crawl_runs (run_id, job, site, started_at, status)
SELECT run_id, 'crawl', any_value(site), min(fetched_at), 'incomplete'
FROM (SELECT run_id, site, fetched_at FROM _p UNION ALL SELECT run_id, site, NULL FROM _a)
WHERE run_id IS NOT NULL AND run_id NOT IN (SELECT run_id FROM crawl_runs WHERE run_id IS NOT NULL)
GROUP BY run_id;
"""

# Exact duplicates: of several ok articles with byte-identical bodies, the first seen (then the
# smallest url) stays analyst-visible; the others point at it.  Recomputed after each batch for
# the body hashes the batch touched (a replaced article can change which one comes first), and
# for any group whose canonical article is gone (reclean can delete an article whose id changed).
MARK_EXACT_DUPLICATES_SQL = """
UPDATE articles SET duplicate_of = d.dup, is_canonical = d.dup IS NULL
FROM (
  SELECT id, CASE WHEN status = 'ok' AND body <> ''
                  THEN nullif(first_value(id) OVER w, id) END AS dup
  FROM articles
  WHERE body_hash IN (SELECT body_hash FROM _touched)
     OR body_hash IN (SELECT body_hash FROM articles WHERE duplicate_of IS NOT NULL
                      AND duplicate_of NOT IN (SELECT id FROM articles))
  WINDOW w AS (PARTITION BY CASE WHEN status = 'ok' AND body <> '' THEN body_hash ELSE id END
               ORDER BY first_seen, url, id)
) d
WHERE articles.id = d.id
  AND (articles.duplicate_of IS DISTINCT FROM d.dup OR articles.is_canonical IS DISTINCT FROM (d.dup IS NULL));
"""


def _clean_copy(src: Path, tmpdir: Path) -> tuple[Path, int]:
    """A copy of ``src`` without the lines that are not JSON objects, and how many were dropped."""
    import json

    bad = 0
    dst = tmpdir / src.name
    with open(src, encoding="utf-8", errors="replace") as fh, open(dst, "w", encoding="utf-8") as out:
        for line in fh:
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                bad += 1
                continue
            if not isinstance(rec, dict):
                bad += 1
                continue
            out.write(line if line.endswith("\n") else line + "\n")
    return dst, bad


def _load_batch(
    con: duckdb.DuckDBPyConnection, batch: list[tuple[Path, str]], tmpdir: Path, *, careful: bool = True
) -> dict:
    """Load ``batch`` in one transaction.  ``careful=False`` (the fast path) raises on a line DuckDB
    cannot parse instead of dropping such lines, so its caller can redo the files carefully."""
    files = [f for f, _ in batch]
    bad = dict.fromkeys(files, 0)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _stg AS {stage_select_sql(files)}")
    except duckdb.Error:
        if not careful:
            raise
        # Some file has a line DuckDB cannot parse: drop such lines (counting them) and retry.
        cleaned = []
        for f in files:
            dst, bad[f] = _clean_copy(f, tmpdir)
            cleaned.append(dst)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _stg AS {stage_select_sql(cleaned)}")
    counts = dict(con.execute("SELECT coalesce(type, '?'), count(*) FROM _stg GROUP BY ALL").fetchall())
    try:
        with transaction(con):
            con.execute(UPSERT_SQL)
            con.execute(MARK_EXACT_DUPLICATES_SQL)
            per_file = dict(
                con.execute("SELECT parse_filename(filename), count(*) FROM _stg GROUP BY ALL").fetchall()
            )
            for f, checksum in batch:
                con.execute(
                    "INSERT INTO stage_files VALUES (?, ?, ?, ?, ?, now())",
                    [f.name, checksum, f.stat().st_size, per_file.get(f.name, 0), bad[f]],
                )
    finally:
        for t in ("_stg", "_p", "_pr", "_a", "_old", "_r", "_touched"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    return {
        "pages": counts.get("page", 0),
        "articles": counts.get("article", 0),
        "runs": counts.get("run", 0),
        "bad_lines": sum(bad.values()),
    }


def _batches(
    files: list[tuple[Path, str]], batch_bytes: int = BATCH_BYTES
) -> Iterable[list[tuple[Path, str]]]:
    batch: list[tuple[Path, str]] = []
    size = 0
    for f, checksum in files:
        n = f.stat().st_size
        if batch and (size + n > batch_bytes or len(batch) >= BATCH_FILES):
            yield batch
            batch, size = [], 0
        batch.append((f, checksum))
        size += n
    if batch:
        yield batch


def _load_fast(
    db_path: str | os.PathLike, todo: list[tuple[Path, str]], *, wait: float, low_memory: bool
) -> dict | None:
    """The fast path: every file in one read and one transaction; None (nothing loaded) when any
    of it fails, and the caller loads the files batch by batch, the careful path.

    One transaction instead of a few saves their fixed costs (a read, an upsert and a commit each):
    the 35 MB stage of ``bench/crawl.py --real``, 5 batches of 8 MB, 1.03 -> 0.68 s (at a memory
    cost, see ``FAST_PATH_BYTES``).  A bad stage
    line (or anything else DuckDB refuses) aborts the whole transaction, so nothing is half loaded
    and the careful path then drops just the bad lines, as it always did.
    """
    con = connect_rw(db_path, wait=wait)
    try:
        if low_memory:
            con.execute("SET threads = 1")
        return _load_batch(con, todo, Path(tempfile.gettempdir()), careful=False)
    except duckdb.Error:
        return None
    finally:
        con.close()


def load_stage(
    stage_dir: str | os.PathLike,
    db_path: str | os.PathLike,
    *,
    wait: float = 600,
    publish_orphans: bool = True,
    low_memory: bool = False,
) -> dict:
    """Load every published stage file not loaded yet into ``db_path``; returns counts.

    ``low_memory`` (used at the end of a crawl, inside the crawling process) loads in smaller
    batches on one DuckDB thread: measured on a 3,000-page stage, peak RSS 352 MB -> 171 MB at
    the same speed, where a bulk ``guidecrawl load`` of a large stage keeps the faster defaults.

    Publishes orphaned ``.part`` files first (``recover_orphans``): call it when the stage's
    writers have stopped, or pass ``publish_orphans=False`` for a loader that runs while workers
    are still writing (a live worker's ``.part`` is not an orphan).  A small stage of several
    batches is first tried in one transaction (``_load_fast``; on any failure rolled back and
    loaded as follows).  Each batch of files is one transaction; the connection is closed between batches once it has been open
    ``HOLD_CONNECTION_S``, so analysts get the file between batches.  ``wait`` is how long to keep
    retrying *each* open while someone else holds the file.

    Returns ``{"files", "skipped_files", "pages", "articles", "runs", "bad_lines"}`` (records
    read from the newly loaded files).
    """
    stage_dir = Path(stage_dir)
    if not stage_dir.is_dir():
        raise UserError(f"no stage directory at {stage_dir}; nothing to load")
    if publish_orphans:
        recover_orphans(stage_dir)
    files = [(f, _file_checksum(f)) for f in stage_files(stage_dir)]
    totals = {"files": 0, "skipped_files": 0, "pages": 0, "articles": 0, "runs": 0, "bad_lines": 0}
    if not files:
        if not Path(db_path).exists():
            connect_rw(db_path, wait=wait).close()  # an empty but valid database
        return totals
    con = connect_rw(db_path, wait=wait)
    try:
        done = {r[0] for r in con.execute("SELECT checksum FROM stage_files").fetchall()}
    finally:
        con.close()
    todo = []
    for f, checksum in files:
        if checksum in done:
            totals["skipped_files"] += 1
        else:
            todo.append((f, checksum))
            done.add(checksum)  # the same bytes under two names load once
    batches = list(_batches(todo, LOW_MEMORY_BATCH_BYTES if low_memory else BATCH_BYTES))
    fast_bytes = LOW_MEMORY_FAST_PATH_BYTES if low_memory else FAST_PATH_BYTES
    if len(batches) > 1 and sum(f.stat().st_size for f, _ in todo) <= fast_bytes:
        got = _load_fast(db_path, todo, wait=wait, low_memory=low_memory)
        if got is not None:
            totals["files"] += len(todo)
            for k, v in got.items():
                totals[k] += v
            return totals
    tmpdir = Path(tempfile.mkdtemp(prefix="guidecrawl-load-"))
    held: duckdb.DuckDBPyConnection | None = None  # the batches' connection while young
    opened = 0.0
    try:
        for batch in batches:
            if held is None:
                held = connect_rw(db_path, wait=wait)
                opened = time.monotonic()
                if low_memory:
                    held.execute("SET threads = 1")  # each DuckDB thread keeps its own JSON buffers
            got = _load_batch(held, batch, tmpdir)
            if time.monotonic() - opened >= HOLD_CONNECTION_S:
                held.close()  # analysts get the file between batches
                held = None
            totals["files"] += len(batch)
            for k, v in got.items():
                totals[k] += v
    finally:
        if held is not None:
            held.close()
        shutil.rmtree(tmpdir, ignore_errors=True)
    return totals


# ---------------------------------------------------------------------------------------------
# Read side


def read_page_state(db_path: str | os.PathLike, wait: float = 600) -> dict[str, dict]:
    """url -> {etag, last_modified, content_hash} of every archived page ({} without a database)."""
    if not Path(db_path).exists():
        return {}
    con = connect_readonly(db_path, wait=wait)
    try:
        if not has_table(con, "pages"):
            return {}
        rows = con.execute("SELECT url, etag, last_modified, content_hash FROM pages").fetchall()
    finally:
        con.close()
    return {u: {"etag": e, "last_modified": lm, "content_hash": h} for u, e, lm, h in rows}
