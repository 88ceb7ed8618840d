"""The DuckDB warehouse: schema, the single writer's bulk loads, and read-only access for analysts.

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
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb

from pipelines.errors import UserError
from pipelines.stage import recover_orphans, stage_files

SCHEMA_VERSION = 3
BATCH_BYTES = 64 * 1024 * 1024  # one transaction per ~64 MB of stage files: an analyst waits ~1 s
BATCH_FILES = 32
# One crawl stage file (at most ``stage.MAX_FILE_BYTES``) per transaction: a low-memory load's
# peak follows its batch size (bench/crawl.py's stage: 20 MB batches 177 MB peak RSS, 8-10 MB 147 MB,
# 5 MB 139 MB but a slower load).
LOW_MEMORY_BATCH_BYTES = 8 * 1024 * 1024

# ---------------------------------------------------------------------------------------------
# Schema

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS crawl_runs (
    run_id VARCHAR, job VARCHAR, site VARCHAR, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ,
    status VARCHAR, args JSON, counts JSON, drops JSON, health JSON, cleaner_version VARCHAR);
CREATE TABLE IF NOT EXISTS pages (
    url VARCHAR, final_url VARCHAR, site VARCHAR, fetched_at TIMESTAMPTZ, status INTEGER,
    outcome VARCHAR, reason VARCHAR, content_type VARCHAR, encoding VARCHAR, encoding_reason VARCHAR,
    content_hash VARCHAR, etag VARCHAR, last_modified VARCHAR, raw BLOB, article_url VARCHAR,
    part_no INTEGER, run_id VARCHAR, first_seen TIMESTAMPTZ, last_changed TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS articles (
    id VARCHAR, url VARCHAR, canonical_url VARCHAR, site VARCHAR, title VARCHAR,
    published_at TIMESTAMPTZ, source VARCHAR, editor VARCHAR, body VARCHAR, spin_score DOUBLE,
    status VARCHAR, reason VARCHAR, encoding VARCHAR, encoding_reason VARCHAR, content_hash VARCHAR,
    body_hash VARCHAR, extracted_text VARCHAR, page_urls VARCHAR[], run_id VARCHAR,
    cleaner_version VARCHAR, first_seen TIMESTAMPTZ, last_changed TIMESTAMPTZ,
    is_canonical BOOLEAN, duplicate_of VARCHAR, n_sections INTEGER, n_comments INTEGER,
    n_repairs INTEGER, confidence DOUBLE);
CREATE TABLE IF NOT EXISTS sections (
    article_id VARCHAR, idx INTEGER, level INTEGER, number VARCHAR, heading VARCHAR, text VARCHAR,
    run_id VARCHAR, cleaner_version VARCHAR);
CREATE TABLE IF NOT EXISTS comments (
    article_id VARCHAR, idx INTEGER, author VARCHAR, role VARCHAR, published_at TIMESTAMPTZ,
    text VARCHAR, run_id VARCHAR, cleaner_version VARCHAR, extracted_text VARCHAR);
CREATE TABLE IF NOT EXISTS repairs (
    article_id VARCHAR, idx INTEGER, kind VARCHAR, rule VARCHAR, "before" VARCHAR, "after" VARCHAR,
    "offset" INTEGER, confidence DOUBLE, applied BOOLEAN, run_id VARCHAR, cleaner_version VARCHAR,
    comment_idx INTEGER);
CREATE TABLE IF NOT EXISTS duplicates (
    article_id VARCHAR, cluster_id VARCHAR, similarity DOUBLE, cluster_size INTEGER,
    is_canonical BOOLEAN, threshold DOUBLE, computed_at TIMESTAMPTZ, cleaner_version VARCHAR);
CREATE TABLE IF NOT EXISTS stage_files (
    name VARCHAR, checksum VARCHAR, bytes BIGINT, records BIGINT, bad_lines BIGINT,
    loaded_at TIMESTAMPTZ);
"""

_VIEWS = """
CREATE OR REPLACE VIEW v_articles AS
SELECT a.id, a.site, a.url, a.title,
       CAST(timezone('Asia/Shanghai', a.published_at) AS DATE) AS date,
       a.published_at, a.source, a.editor, a.spin_score, a.status, a.body,
       a.n_sections, a.n_comments, a.n_repairs, a.confidence,
       d.cluster_id, coalesce(d.cluster_size, 1) AS cluster_size,
       coalesce(d.is_canonical, true) AS cluster_canonical,
       a.run_id, a.cleaner_version, a.first_seen, a.last_changed
FROM articles a
LEFT JOIN duplicates d ON d.article_id = a.id
WHERE a.is_canonical;
CREATE OR REPLACE VIEW v_comments AS
SELECT c.article_id, a.site, a.title AS article_title, a.url AS article_url, c.idx, c.author,
       c.role, c.published_at, c.text, c.run_id, c.cleaner_version
FROM comments c JOIN articles a ON a.id = c.article_id
WHERE a.is_canonical;
"""

# Version 1 counted sections/comments/repairs in v_articles at query time (150+ ms on 100k
# articles); version 2 stores the counts with the article, written in the same transaction as
# the rows they count.  Version 3 repairs comments like the body: a comment's repairs are rows of
# ``repairs`` with ``comment_idx`` set, replayable on ``comments.extracted_text``; and it keeps the
# extractor's confidence per article.  Rows loaded before version 3 keep comment_idx,
# extracted_text and confidence NULL (their comments were only converted to Simplified,
# unrecorded); ``guidecrawl reclean`` repairs, records and scores them.
_MIGRATE = """
ALTER TABLE comments ADD COLUMN IF NOT EXISTS extracted_text VARCHAR;
ALTER TABLE repairs ADD COLUMN IF NOT EXISTS comment_idx INTEGER;
ALTER TABLE articles ADD COLUMN IF NOT EXISTS confidence DOUBLE;
ALTER TABLE articles ADD COLUMN IF NOT EXISTS n_sections INTEGER;
ALTER TABLE articles ADD COLUMN IF NOT EXISTS n_comments INTEGER;
ALTER TABLE articles ADD COLUMN IF NOT EXISTS n_repairs INTEGER;
UPDATE articles SET
  n_sections = (SELECT count(*) FROM sections s WHERE s.article_id = articles.id),
  n_comments = (SELECT count(*) FROM comments c WHERE c.article_id = articles.id),
  n_repairs = (SELECT count(*) FROM repairs r WHERE r.article_id = articles.id AND r.applied)
WHERE n_sections IS NULL;
"""

# Documentation lives in the database (COMMENT ON) and in docs/schema.md; keep the two in step.
TABLE_COMMENTS: dict[str, str] = {
    "meta": "Key/value facts about this database (schema_version).",
    "crawl_runs": "One row per crawl or reclean run: when, what, counts, drops by reason, health.",
    "pages": "Raw archive: one row per fetched URL (latest fetch), raw bytes zlib-compressed.",
    "articles": "One row per cleaned article (id = sha1 of canonical_url or url); includes exact "
    "duplicates, which have is_canonical = false and duplicate_of set. Analysts: use v_articles.",
    "sections": "Outline sections of an article in page order (idx from 0).",
    "comments": "Reader comments / answers of an article in page order (idx from 0).",
    "repairs": "Every text repair the cleaners made: of the body (comment_idx NULL), replayable on "
    "articles.extracted_text, and of each comment (comment_idx = comments.idx), replayable on "
    "comments.extracted_text.",
    "duplicates": "Near-duplicate clusters from MinHash LSH over repaired bodies (guidecrawl dedup).",
    "stage_files": "Stage files already loaded (by checksum); loading them again is a no-op.",
    "v_articles": "Analyst view: analyst-visible articles (no exact duplicates) with date (Asia/"
    "Shanghai), section/comment/applied-repair counts and near-duplicate cluster size.",
    "v_comments": "Analyst view: comments with their article's title, url and site.",
}
COLUMN_COMMENTS: dict[str, str] = {
    "crawl_runs.run_id": "Run id; every derived row carries the run id that wrote it.",
    "crawl_runs.job": "crawl | reclean | demo ...",
    "crawl_runs.status": "finished | limit:<limits that skipped links> | Scrapy's close reason | "
    "incomplete (pages loaded but no run record yet) ...",
    "crawl_runs.drops": "JSON object {reason: count} of items dropped, with why.",
    "crawl_runs.health": "JSON list of health-check findings for the run.",
    "pages.url": "Requested URL; the key of this table.",
    "pages.final_url": "URL after redirects.",
    "pages.status": "HTTP status of the latest fetch that changed the row.",
    "pages.outcome": "article | article_part | listing | unchanged | gone | error | dropped.",
    "pages.reason": "Why the outcome is not a plain success (drop / error reason).",
    "pages.encoding": "Encoding the page was decoded with; encoding_reason says why.",
    "pages.content_hash": "sha1 of the raw bytes.",
    "pages.etag": "ETag validator for conditional re-fetches.",
    "pages.last_modified": "Last-Modified validator for conditional re-fetches.",
    "pages.raw": "Raw response bytes, zlib-compressed (zlib.decompress to get them back).",
    "pages.article_url": "For article pages and parts: the url of the article they belong to.",
    "pages.part_no": "Part number of a multi-page article (1-based).",
    "pages.fetched_at": "Time of the latest fetch (an unchanged 304 only moves this).",
    "pages.first_seen": "First fetch of this URL.",
    "pages.last_changed": "Fetch at which content_hash last changed.",
    "articles.id": "Stable id: first 16 hex of sha1(canonical_url or url).",
    "articles.url": "URL of the article (its first page).",
    "articles.canonical_url": "<link rel=canonical> when the page gives one on its own site.",
    "articles.published_at": "Publication time as given by the page (+08:00 when no zone given).",
    "articles.body": "Cleaned, repaired text; paragraphs separated by newlines.",
    "articles.spin_score": "0..1: how much of the text looked spun (synonym-swapped).",
    "articles.status": "ok | empty | undecodable | error | timeout; reason says why when not ok.",
    "articles.confidence": "0..1: how sure the extractor is that body is the page's article "
    "(margin over the next candidate block); under 0.5 the reason says why. NULL: cleaned before "
    "confidences were kept.",
    "articles.content_hash": "Hash given by the crawl for the article's content.",
    "articles.body_hash": "sha1 of body; equal hashes are byte-identical bodies.",
    "articles.extracted_text": "Content text before cleaning; replay repairs on it to get body.",
    "articles.page_urls": "URLs of the page parts the article was merged from, in order.",
    "articles.cleaner_version": "cleaners.cleaner_version() that produced the derived rows (CLEANER_VERSION, +data.<hash> of the rule files and models, the word model's tag, +site.<hash> of the profile's selectors, +tables.<hash> when run-time spinner tables were in use).",
    "articles.first_seen": "Load time the article id was first stored.",
    "articles.last_changed": "Load time its title/body last changed.",
    "articles.is_canonical": "False for an exact duplicate (same body as an earlier article).",
    "articles.duplicate_of": "For an exact duplicate: the id of the article it duplicates.",
    "articles.n_sections": "Number of sections rows of the article.",
    "articles.n_comments": "Number of comments rows of the article.",
    "articles.n_repairs": "Number of applied repairs of the article (body and comments).",
    "articles.run_id": "Run (crawl or reclean) that wrote this row.",
    "sections.article_id": "articles.id of the article the section belongs to.",
    "sections.idx": "Position in the article, from 0.",
    "comments.article_id": "articles.id of the article the comment belongs to.",
    "comments.published_at": "Comment time as printed (China time when no zone given).",
    "repairs.article_id": "articles.id of the repaired article.",
    "repairs.idx": "Order of the repair within its text (the body, or one comment); replay in idx order.",
    "repairs.comment_idx": "NULL: a repair of the body; else comments.idx of the repaired comment.",
    "comments.text": "The comment as repaired (punctuation, Traditional -> Simplified ...).",
    "comments.extracted_text": "The comment before repair; replay its repairs rows (comment_idx) on it to get text.",
    "crawl_runs.counts": "JSON object of counters (pages, articles, errors, pages_<outcome> ...).",
    "crawl_runs.cleaner_version": "Cleaner version a reclean run applied.",
    "sections.level": "0 before the first heading, 1 for 一、, 2 for (一), 3 for 1. ...",
    "sections.number": "Numbering as printed (一, (一), 1, ①, -); empty when unnumbered.",
    "comments.role": "Role printed after the author (e.g. 网友, 楼主, 最佳答案).",
    "repairs.kind": "boilerplate | metadata | spin | garble | mojibake | t2s | punct | ...",
    "repairs.rule": "Id of the rule or table entry in data/ that made the repair.",
    "repairs.offset": "Character offset into the text as it stood just before this repair.",
    "repairs.applied": "False for a suspicion recorded for audit but not applied.",
    "duplicates.cluster_id": "Id of the near-duplicate cluster (the canonical article's id).",
    "duplicates.similarity": "Estimated Jaccard similarity to the cluster's canonical article.",
    "duplicates.is_canonical": "The one article picked to represent its cluster.",
    "stage_files.checksum": "sha1 of the file's bytes; the key that makes loading idempotent.",
    "stage_files.bad_lines": "Lines that were not valid JSON and were skipped.",
}


def sql_str(s: str) -> str:
    """``s`` as a SQL string literal (for the few places DuckDB takes no parameters)."""
    return "'" + s.replace("'", "''") + "'"


SANDBOX_HINT = (
    "SQL here reads only the corpus database (no other files, no network, no extensions, no SET); "
    "pass --allow-files to join your own files (see README, 'SQL access')"
)


def sql_error(e: Exception) -> UserError:
    """DuckDB's message about a user's SQL, on one line (exit 1); a sandbox refusal says why."""
    msg = " ".join(str(e).split())
    if isinstance(e, duckdb.PermissionException) or "configuration has been locked" in msg:
        cut = msg.find(" LINE 1:")
        return UserError(f"refused: {msg[:cut] if cut > 0 else msg}. {SANDBOX_HINT}", exit_code=1)
    return UserError(f"SQL error: {msg}", exit_code=1)


def parse_since(since: str) -> str:
    """``--since`` as an ISO date (a day in China time, the connections' zone)."""
    import datetime as dt

    try:
        return dt.date.fromisoformat(since).isoformat()
    except ValueError:
        raise UserError(f"--since wants a date like 2025-03-01, got {since!r}") from None


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create tables, views and comments if this database does not have them yet."""
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    except duckdb.CatalogException:
        rows = []  # a new database
    if rows and int(rows[0][0]) >= SCHEMA_VERSION:
        return
    con.execute("BEGIN")
    try:
        con.execute(_TABLES)
        con.execute(_MIGRATE)
        con.execute(_VIEWS)
        for name, text in TABLE_COMMENTS.items():
            kind = "VIEW" if name.startswith("v_") else "TABLE"
            con.execute(f"COMMENT ON {kind} {name} IS {sql_str(text)}")
        for col, text in COLUMN_COMMENTS.items():
            table, column = col.split(".")
            con.execute(f'COMMENT ON COLUMN {table}."{column}" IS {sql_str(text)}')
        con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def article_id(url: str, canonical_url: str | None = "") -> str:
    """The stable article id the store uses: first 16 hex digits of sha1(canonical_url or url)."""
    return hashlib.sha1((canonical_url or url).encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# Connections with retry


def _is_lock_error(e: Exception) -> bool:
    msg = str(e)
    return isinstance(e, duckdb.IOException) and ("lock" in msg.lower() or "Conflicting" in msg)


def _holder(e: Exception) -> str:
    """'PID 123' from DuckDB's lock message, for a message a person can act on."""
    msg = str(e)
    i = msg.find("(PID ")
    return msg[i + 1 : msg.find(")", i)] if i >= 0 else "another process"


ROW_GROUP_SIZE = 2048


def _open_writer(db_path: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection whose appends go into row groups of ``ROW_GROUP_SIZE`` rows.

    Every load batch closes its connection, and closing checkpoints: DuckDB rewrites the table's
    last, partly filled row group together with the rows appended to it.  With the default
    122,880-row groups that rewrote up to ~120k articles (bodies included) at every batch, and
    checkpoints took 70% of a 100k-article load (41 s); with 2,048-row groups a batch fills whole
    row groups, which DuckDB writes once, and the same load took 18-23 s.  Queries on 100k
    articles stay under 20 ms.  The size is a per-attach option (not stored in the file), so
    every writer attaches the file this way; readers need nothing special.
    """
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {sql_str(str(db_path))} AS gc (ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
        con.execute("USE gc")
    except BaseException:
        con.close()
        raise
    return con


# Extensions are never fetched or loaded behind the analyst's back (``INSTALL httpfs`` would reach
# for the network); the extensions the store uses (json, parquet) are built into the wheel.
_NO_EXTENSION_AUTOLOAD = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def _connect(
    db_path: Path,
    *,
    read_only: bool,
    wait: float,
    on_wait: Callable[[str], None] | None,
    sandbox: bool = False,
) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + max(wait, 0.0)
    delay = 0.05
    told = False
    while True:
        try:
            con = (
                duckdb.connect(str(db_path), read_only=True, config=_NO_EXTENSION_AUTOLOAD if sandbox else {})
                if read_only
                else _open_writer(db_path)
            )
        except duckdb.Error as e:
            if not _is_lock_error(e):
                raise UserError(f"cannot open database {db_path}: {e}", exit_code=1) from None
            now = time.monotonic()
            if now >= deadline:
                what = "read" if read_only else "write to"
                raise UserError(
                    f"database {db_path} is busy (held by {_holder(e)}); gave up after {wait:g} s; "
                    f"try again when the load/analysis ends, or wait longer (--wait) to {what} it",
                    exit_code=1,
                ) from None
            if not told and on_wait is not None:
                on_wait(f"database {db_path} is busy (held by {_holder(e)}); waiting up to {wait:g} s ...")
                told = True
            # Backoff with a cap: a loader's batch takes about a second, so polling faster than
            # every half second only burns CPU, slower makes analysts wait for nothing.
            time.sleep(min(delay, deadline - now))
            delay = min(delay * 2, 0.5)
            continue
        # The corpus is Chinese: a time without a zone means China time (the cleaners' contract)
        # and analysts read dates in China time.  Stored values are instants either way.
        con.execute("SET TimeZone = 'Asia/Shanghai'")
        return con


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def connect_readonly(
    db_path: str | os.PathLike,
    wait: float = 30,
    *,
    allow_files: bool = False,
    write_paths: Sequence[str | os.PathLike] = (),
    settings: dict[str, Any] | None = None,
) -> duckdb.DuckDBPyConnection:
    """A read-only connection; waits (saying so on stderr) while a writer holds the file.

    Read-only to the database file is not read-only to the machine: DuckDB's SQL can ``COPY ... TO``
    any path, ``EXPORT DATABASE``, ``ATTACH`` another database read-write, read any file
    (``read_text``, ``read_csv``, ``glob``) and ``INSTALL`` extensions from the network.  So by
    default the connection is sandboxed with DuckDB's own switches: external access off (no file
    but the database itself, no network), no extension auto-install/auto-load, and the
    configuration locked so SQL cannot ``SET`` any of it back.  ``write_paths`` are the only files
    a ``COPY`` may write (``guidecrawl export``'s temporary file).  ``settings`` are applied before
    the lock (nothing can be ``SET`` after it).  ``allow_files=True`` (``--allow-files``) opens the
    connection unrestricted, for analysts who join their own files.
    """
    p = Path(db_path)
    if not p.exists():
        raise UserError(f"no database at {p}; run `guidecrawl crawl` or `guidecrawl demo` first")
    sandbox = not allow_files
    con = _connect(p, read_only=True, wait=wait, on_wait=_stderr, sandbox=sandbox)
    try:
        for name, value in (settings or {}).items():
            con.execute(f"SET {name} = {value!r}" if isinstance(value, str) else f"SET {name} = {value}")
        if sandbox:
            if write_paths:
                paths = ", ".join(sql_str(os.path.abspath(w)) for w in write_paths)
                con.execute(f"SET allowed_paths = [{paths}]")
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def connect_rw(
    db_path: str | os.PathLike, wait: float = 600, on_wait: Callable[[str], None] | None = _stderr
) -> duckdb.DuckDBPyConnection:
    """The writer's connection (schema ensured); retries while readers or another writer hold it.

    Hold it briefly: while it is open, every analyst is locked out.
    """
    p = Path(db_path)
    if p.parent and not p.parent.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
    con = _connect(p, read_only=False, wait=wait, on_wait=on_wait)
    try:
        ensure_schema(con)
    except BaseException:
        con.close()
        raise
    return con


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

-- articles: the latest record per article id in this batch
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
  WHERE rowid IN (SELECT max(rowid) FROM _stg WHERE type = 'article' AND url IS NOT NULL
                  GROUP BY coalesce(nullif(canonical_url, ''), url));

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


def _load_batch(con: duckdb.DuckDBPyConnection, batch: list[tuple[Path, str]], tmpdir: Path) -> dict:
    files = [f for f, _ in batch]
    bad = dict.fromkeys(files, 0)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _stg AS {stage_select_sql(files)}")
    except duckdb.Error:
        # Some file has a line DuckDB cannot parse: drop such lines (counting them) and retry.
        cleaned = []
        for f in files:
            dst, bad[f] = _clean_copy(f, tmpdir)
            cleaned.append(dst)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _stg AS {stage_select_sql(cleaned)}")
    counts = dict(con.execute("SELECT coalesce(type, '?'), count(*) FROM _stg GROUP BY ALL").fetchall())
    con.execute("BEGIN")
    try:
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
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
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
    are still writing (a live worker's ``.part`` is not an orphan).  Each batch of files is one
    transaction on a connection opened for that batch only, so analysts get the file between
    batches.  ``wait`` is how long to keep retrying *each* open while someone else holds the file.

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
    tmpdir = Path(tempfile.mkdtemp(prefix="guidecrawl-load-"))
    try:
        for batch in _batches(todo, LOW_MEMORY_BATCH_BYTES if low_memory else BATCH_BYTES):
            con = connect_rw(db_path, wait=wait)
            try:
                if low_memory:
                    con.execute("SET threads = 1")  # each DuckDB thread keeps its own JSON buffers
                got = _load_batch(con, batch, tmpdir)
            finally:
                con.close()
            totals["files"] += len(batch)
            for k, v in got.items():
                totals[k] += v
    finally:
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


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchall()[
            0
        ][0]
    )


def _jsonable(v: Any) -> Any:
    import base64
    import datetime as dt
    import decimal
    import uuid

    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (bytes, bytearray, memoryview)):
        return f"<{len(bytes(v))} bytes>"
    v = _jsonable(v)
    if isinstance(v, (dict, list)):
        import json

        return json.dumps(v, ensure_ascii=False)
    return str(v)


def display_width(s: str) -> int:
    """Terminal columns of ``s``: CJK wide and fullwidth characters take two."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s
    )


def _fit(s: str, width: int) -> str:
    """``s`` cut to ``width`` columns (with …) and padded to exactly ``width`` columns."""
    if display_width(s) > width:
        out, w = [], 0
        for ch in s:
            cw = display_width(ch)
            if w + cw > width - 1:
                break
            out.append(ch)
            w += cw
        s = "".join(out) + "…"
    return s + " " * (width - display_width(s))


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], max_width: int = 60) -> str:
    """A plain aligned text table; cells cut at ``max_width`` columns, newlines shown as ⏎.

    Hand-written rather than rich's Table: rich wraps to the terminal width (80 in a pipe) and
    re-flows long Chinese cells over many lines, which makes ``guidecrawl sql | less`` unreadable.
    """
    cells = [[_cell(v).replace("\r\n", "⏎").replace("\n", "⏎") for v in r] for r in rows]
    widths = [
        min(max_width, max([display_width(c)] + [display_width(r[i]) for r in cells]))
        for i, c in enumerate(columns)
    ]
    lines = [
        " | ".join(_fit(c, w) for c, w in zip(columns, widths, strict=True)).rstrip(),
        "-+-".join("-" * w for w in widths),
    ]
    for r in cells:
        lines.append(" | ".join(_fit(c, w) for c, w in zip(r, widths, strict=True)).rstrip())
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def run_sql(
    db_path: str | os.PathLike, query: str, fmt: str = "table", *, wait: float = 30, allow_files: bool = False
) -> str:
    """Run ``query`` read-only and render the result as table, csv or json (an array of objects).

    The connection is sandboxed (see ``connect_readonly``) unless ``allow_files``."""
    import csv
    import io
    import json

    if fmt not in ("table", "csv", "json"):
        raise UserError(f"unknown format {fmt!r}; use table, csv or json")
    empty = UserError(
        'no SQL statement given; e.g. guidecrawl sql "SELECT site, count(*) FROM articles GROUP BY 1"'
    )
    if not query.strip():
        raise empty
    con = connect_readonly(db_path, wait=wait, allow_files=allow_files)
    try:
        try:
            cur = con.execute(query)
            if cur is None:  # only comments or semicolons
                raise empty
            columns = [d[0] for d in cur.description] if cur.description else []
            rows = cur.fetchall() if columns else []
        except duckdb.Error as e:
            raise sql_error(e) from None
    finally:
        con.close()
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        w.writerows([[_cell(v) for v in r] for r in rows])
        return buf.getvalue().rstrip("\n")
    if fmt == "json":
        objs = [
            json.dumps(dict(zip(columns, _jsonable(list(r)), strict=True)), ensure_ascii=False) for r in rows
        ]
        return "[" + ",\n".join(objs) + "]" if objs else "[]"
    return format_table(columns, rows)
