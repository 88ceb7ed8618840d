"""The store's schema: tables, views, migrations, table and column comments (docs/schema.md), the
article id; ``ensure_schema`` brings a database up to ``SCHEMA_VERSION``."""

from __future__ import annotations

import hashlib

import duckdb

SCHEMA_VERSION = 3

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


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create tables, views and comments if this database does not have them yet."""
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    except duckdb.CatalogException:
        rows = []  # a new database
    if rows and int(rows[0][0]) >= SCHEMA_VERSION:
        return
    from pipelines.store.db import transaction

    with transaction(con):
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


def article_id(url: str, canonical_url: str | None = "") -> str:
    """The stable article id the store uses: first 16 hex digits of sha1(canonical_url or url)."""
    return hashlib.sha1((canonical_url or url).encode("utf-8")).hexdigest()[:16]
