"""``guidecrawl stats``: per site, what the warehouse holds and how healthy the last crawl was."""

from __future__ import annotations

import json
import os
from typing import Any

from pipelines.store import connect_readonly, display_width, has_table

SPIN_BUCKETS = (0.0, 0.1, 0.2, 0.4, 0.6, 1.0)  # spin_score histogram edges (last bucket includes 1)

_PER_SITE = """
WITH sites AS (
  SELECT site FROM pages UNION SELECT site FROM articles
), p AS (
  SELECT site, count(*) AS pages,
         count(*) FILTER (WHERE outcome IN ('error', 'gone') OR status >= 400) AS pages_failed,
         max(fetched_at) AS last_fetch
  FROM pages GROUP BY site
), a AS (
  SELECT site,
         count(*) FILTER (WHERE is_canonical) AS articles,
         count(*) FILTER (WHERE NOT is_canonical) AS exact_duplicates,
         count(*) FILTER (WHERE status <> 'ok') AS articles_not_ok,
         min(spin_score) FILTER (WHERE is_canonical) AS spin_min,
         quantile_cont(spin_score, 0.5) FILTER (WHERE is_canonical) AS spin_p50,
         quantile_cont(spin_score, 0.9) FILTER (WHERE is_canonical) AS spin_p90,
         max(spin_score) FILTER (WHERE is_canonical) AS spin_max,
         avg(spin_score) FILTER (WHERE is_canonical) AS spin_mean
  FROM articles GROUP BY site
), c AS (
  SELECT a.site, count(*) AS comments FROM comments c JOIN articles a ON a.id = c.article_id
  WHERE a.is_canonical GROUP BY a.site
), s AS (
  SELECT a.site, count(*) AS sections FROM sections s JOIN articles a ON a.id = s.article_id
  WHERE a.is_canonical GROUP BY a.site
), lr AS (
  -- the last run that fetched pages of the site
  SELECT site, arg_max(run_id, fetched_at) AS last_run_id FROM pages GROUP BY site
)
SELECT sites.site, coalesce(p.pages, 0), coalesce(p.pages_failed, 0), p.last_fetch,
       coalesce(a.articles, 0), coalesce(a.exact_duplicates, 0), coalesce(a.articles_not_ok, 0),
       coalesce(s.sections, 0), coalesce(c.comments, 0),
       a.spin_min, a.spin_p50, a.spin_p90, a.spin_max, a.spin_mean,
       lr.last_run_id, r.status, r.started_at, r.finished_at, r.drops
FROM sites
LEFT JOIN p USING (site) LEFT JOIN a USING (site) LEFT JOIN c USING (site) LEFT JOIN s USING (site)
LEFT JOIN lr USING (site) LEFT JOIN crawl_runs r ON r.run_id = lr.last_run_id
ORDER BY sites.site NULLS LAST
"""


def _spin_hist_sql() -> str:
    cases = []
    edges = SPIN_BUCKETS
    for lo, hi in zip(edges, edges[1:], strict=False):
        cond = f"spin_score >= {lo} AND spin_score {'<=' if hi == edges[-1] else '<'} {hi}"
        cases.append(f"count(*) FILTER (WHERE {cond})")
    return f"SELECT site, {', '.join(cases)} FROM articles WHERE is_canonical GROUP BY site"


def stats(db_path: str | os.PathLike, wait: float = 30) -> list[dict[str, Any]]:
    """One dict per site: pages, articles, sections, comments, repair kinds, spin scores, last crawl."""
    con = connect_readonly(db_path, wait=wait)
    try:
        if not has_table(con, "articles"):
            return []
        rows = con.execute(_PER_SITE).fetchall()
        kinds: dict[str | None, dict[str, int]] = {}
        for site, kind, n in con.execute(
            "SELECT a.site, r.kind, count(*) FROM repairs r JOIN articles a ON a.id = r.article_id "
            "WHERE a.is_canonical AND r.applied GROUP BY ALL ORDER BY 1, 3 DESC, 2"
        ).fetchall():
            kinds.setdefault(site, {})[kind] = n
        hist = {r[0]: list(r[1:]) for r in con.execute(_spin_hist_sql()).fetchall()}
        # A run's drops are counted for the whole run, which may have crawled several sites:
        # per site, only the drops of its own pages; the run's total is shown once.
        run_sites = dict(
            con.execute(
                "SELECT run_id, list(DISTINCT site ORDER BY site) FROM pages GROUP BY run_id"
            ).fetchall()
        )
        site_drops: dict[tuple[str | None, str], dict[str, int]] = {}
        for site, run_id, reason, n in con.execute(
            "SELECT site, run_id, reason, count(*) FROM pages "
            "WHERE outcome IN ('dropped', 'error', 'gone') AND coalesce(reason, '') <> '' "
            "GROUP BY ALL ORDER BY 4 DESC, 3"
        ).fetchall():
            site_drops.setdefault((site, run_id), {})[reason] = n
    finally:
        con.close()
    labels = [f"{lo:.1f}-{hi:.1f}" for lo, hi in zip(SPIN_BUCKETS, SPIN_BUCKETS[1:], strict=False)]
    out = []
    for r in rows:
        (site, pages, failed, last_fetch, arts, dups, not_ok, secs, comms) = r[:9]
        smin, p50, p90, smax, mean, run_id, run_status, started, finished, drops = r[9:]
        out.append(
            {
                "site": site,
                "pages": pages,
                "pages_failed": failed,
                "articles": arts,
                "exact_duplicates": dups,
                "articles_not_ok": not_ok,
                "sections": secs,
                "comments": comms,
                "repairs": kinds.get(site, {}),
                "spin": {
                    "min": smin,
                    "p50": p50,
                    "p90": p90,
                    "max": smax,
                    "mean": mean,
                    "histogram": dict(zip(labels, hist.get(site, [0] * len(labels)), strict=True)),
                },
                "last_crawl": {
                    "run_id": run_id,
                    "status": run_status,
                    "started_at": started.isoformat() if started else None,
                    "finished_at": finished.isoformat() if finished else None,
                    "last_fetch": last_fetch.isoformat() if last_fetch else None,
                    "drops": json.loads(drops) if drops else {},  # the whole run's
                    "run_sites": run_sites.get(run_id, []),
                    "site_drops": site_drops.get((site, run_id), {}),  # this site's pages only
                },
            }
        )
    return out


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def render_stats(rows: list[dict[str, Any]]) -> str:
    """A readable text block per site (for ``guidecrawl stats``)."""
    if not rows:
        return "the database holds no pages or articles yet"
    blocks = []
    shared_runs: dict[str, dict] = {}  # runs that crawled several sites: their drops, shown once
    for s in rows:
        lc, sp = s["last_crawl"], s["spin"]
        kinds = ", ".join(f"{k} {n}" for k, n in s["repairs"].items()) or "none"
        hist = "  ".join(f"{k}: {n}" for k, n in sp["histogram"].items())
        if len(lc.get("run_sites") or []) > 1:
            shared_runs[lc["run_id"]] = lc
            own = lc.get("site_drops") or {}
            drops = (", ".join(f"{k} {n}" for k, n in own.items()) or "none") + " (this site's pages)"
        else:
            drops = ", ".join(f"{k} {n}" for k, n in lc["drops"].items()) or "none"
        title = s["site"] or "(no site)"
        lines = [
            title,
            "=" * display_width(title),
            f"pages      {s['pages']} ({s['pages_failed']} failed or gone)",
            f"articles   {s['articles']} (+{s['exact_duplicates']} exact duplicates hidden, "
            f"{s['articles_not_ok']} not ok)",
            f"sections   {s['sections']}",
            f"comments   {s['comments']}",
            f"repairs    {kinds}",
            f"spin score min {_f(sp['min'])}  median {_f(sp['p50'])}  p90 {_f(sp['p90'])}  "
            f"max {_f(sp['max'])}  mean {_f(sp['mean'])}",
            f"           {hist}",
            f"last crawl {lc['run_id'] or '-'} ({lc['status'] or 'unknown'}), last fetch "
            f"{lc['last_fetch'] or '-'}, drops: {drops}",
        ]
        blocks.append("\n".join(lines))
    for run_id, lc in shared_runs.items():
        total = ", ".join(f"{k} {n}" for k, n in lc["drops"].items()) or "none"
        blocks.append(f"run {run_id} crawled {', '.join(lc['run_sites'])}; drops of the whole run: {total}")
    return "\n\n".join(blocks)
