"""``guidecrawl report``: one self-contained HTML page about the warehouse.

Charts are inline SVG written here (bars and lines are a few rectangles and polylines), so the
page has no scripts, fonts, stylesheets or images to fetch: it opens offline, in a mail
attachment, or on a locked-down analyst machine exactly as it was written.  A charting library
would have to be inlined (hundreds of KB of JavaScript) for the same result.

Sections: articles per site and day, repairs by kind, spin-score histogram, near-duplicate
clusters, crawl health over runs.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
from collections.abc import Sequence
from pathlib import Path

from pipelines.outfile import check_out, publish, temp_beside
from pipelines.store import connect_readonly, has_table

PALETTE = [
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
]
SPIN_BINS = 10


def _e(x: object) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _nice_max(v: float) -> float:
    """A round axis maximum at or above ``v`` (1, 2, 5 x 10^n)."""
    if v <= 0:
        return 1
    mag = 10 ** (len(str(int(v))) - 1)
    for m in (1, 2, 5, 10):
        if v <= m * mag:
            return m * mag
    return 10 * mag


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    width: int = 640,
    bar_h: int = 22,
    color: str = PALETTE[0],
) -> str:
    """Horizontal bars with the value at the end; good for categories with long (Chinese) names."""
    if not values:
        return f'<p class="empty">{_e(title)}: no data</p>'
    left, right = 180, 60
    top = 8
    h = top + bar_h * len(values) + 24
    vmax = _nice_max(max(values))
    scale = (width - left - right) / vmax
    parts = [
        f'<svg class="chart" role="img" aria-label="{_e(title)}" width="{width}" height="{h}" '
        f'viewBox="0 0 {width} {h}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (lab, v) in enumerate(zip(labels, values, strict=True)):
        y = top + i * bar_h
        w = max(v * scale, 0.5 if v else 0)
        parts.append(
            f'<text x="{left - 6}" y="{y + bar_h * 0.65:.1f}" text-anchor="end">{_e(lab)}</text>'
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{w:.1f}" height="{bar_h - 6}" fill="{color}">'
            f"<title>{_e(lab)}: {v:g}</title></rect>"
            f'<text x="{left + w + 4:.1f}" y="{y + bar_h * 0.65:.1f}">{v:g}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def column_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    width: int = 640,
    height: int = 220,
    color: str = PALETTE[1],
) -> str:
    """Vertical bars (a histogram) with a y axis."""
    if not values:
        return f'<p class="empty">{_e(title)}: no data</p>'
    left, bottom, top = 44, 40, 10
    plot_w, plot_h = width - left - 10, height - top - bottom
    vmax = _nice_max(max(values))
    bw = plot_w / len(values)
    parts = [
        f'<svg class="chart" role="img" aria-label="{_e(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for frac in (0, 0.5, 1):
        y = top + plot_h * (1 - frac)
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{vmax * frac:g}</text>'
        )
    for i, (lab, v) in enumerate(zip(labels, values, strict=True)):
        bh = plot_h * v / vmax
        x = left + i * bw
        parts.append(
            f'<rect class="bar" x="{x + 2:.1f}" y="{top + plot_h - bh:.1f}" width="{bw - 4:.1f}" '
            f'height="{bh:.1f}" fill="{color}"><title>{_e(lab)}: {v:g}</title></rect>'
            f'<text x="{x + bw / 2:.1f}" y="{height - bottom + 14}" text-anchor="middle" '
            f'class="tick">{_e(lab)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    xs: Sequence[str], series: dict[str, Sequence[float]], *, title: str, width: int = 760, height: int = 260
) -> str:
    """One line per series over shared x labels (dates or runs), with a legend."""
    if not xs or not series:
        return f'<p class="empty">{_e(title)}: no data</p>'
    left, bottom, top, legend_w = 44, 44, 10, 150
    plot_w, plot_h = width - left - legend_w - 10, height - top - bottom
    vmax = _nice_max(max((max(v) for v in series.values() if len(v)), default=0))
    step = plot_w / max(len(xs) - 1, 1)
    parts = [
        f'<svg class="chart" role="img" aria-label="{_e(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for frac in (0, 0.5, 1):
        y = top + plot_h * (1 - frac)
        parts.append(
            f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{vmax * frac:g}</text>'
        )
    every = max(1, len(xs) // 8)  # at most ~8 x labels
    for i, x in enumerate(xs):
        if i % every == 0 or i == len(xs) - 1:
            parts.append(
                f'<text class="tick" x="{left + i * step:.1f}" y="{height - bottom + 16}" '
                f'text-anchor="middle">{_e(x)}</text>'
            )
    for k, (name, vals) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        pts = [(left + i * step, top + plot_h * (1 - v / vmax)) for i, v in enumerate(vals)]
        parts.append(
            f'<polyline class="line" fill="none" stroke="{color}" stroke-width="2" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            + '"/>'
        )
        for (x, y), v, lab in zip(pts, vals, xs, strict=True):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}">'
                f"<title>{_e(name)} {_e(lab)}: {v:g}</title></circle>"
            )
        ly = top + 14 + 18 * k
        parts.append(
            f'<rect x="{width - legend_w + 6}" y="{ly - 9}" width="10" height="10" fill="{color}"/>'
            f'<text x="{width - legend_w + 22}" y="{ly}">{_e(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    if not rows:
        return '<p class="empty">none</p>'
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


CSS = """
body{font-family:system-ui,-apple-system,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;
margin:2em auto;max-width:960px;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.chart text{font-size:12px;fill:#333}.chart .tick{font-size:11px;fill:#666}
.chart .grid{stroke:#e5e5e5}table{border-collapse:collapse;font-size:13px;margin:.5em 0}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f5f5f5}
.empty{color:#888}.kpi{display:inline-block;margin:0 2em .5em 0}.kpi b{display:block;font-size:1.5em}
.bad{color:#c0392b;font-weight:bold}
"""


def _q(con, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def report(db_path: str | os.PathLike, out: str | os.PathLike, wait: float = 30) -> Path:
    """Write the HTML report to ``out`` (replacing a regular file there) and return its path."""
    out = check_out(out, db_path, force=True)
    con = connect_readonly(db_path, wait=wait)
    try:
        ready = has_table(con, "articles")
        body = _sections(con) if ready else ['<p class="empty">the database holds no articles yet</p>']
    finally:
        con.close()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    doc = (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>guidecrawl report</title><style>{CSS}</style></head><body>"
        f"<h1>guidecrawl report</h1><p>{_e(Path(db_path).name)}, written {now}</p>"
        + "".join(body)
        + "</body></html>\n"
    )
    tmp = temp_beside(out)
    try:
        tmp.write_text(doc, encoding="utf-8")
        publish(tmp, out, db_path, force=True)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _sections(con) -> list[str]:
    s: list[str] = []
    n_art, n_sites, n_com, n_rep, n_pages = _q(
        con,
        "SELECT (SELECT count(*) FROM v_articles), (SELECT count(DISTINCT site) FROM v_articles), "
        "(SELECT count(*) FROM v_comments), (SELECT count(*) FROM repairs WHERE applied), "
        "(SELECT count(*) FROM pages)",
    )[0]
    s.append(
        "".join(
            f'<span class="kpi"><b>{v}</b>{_e(k)}</span>'
            for k, v in [
                ("articles", n_art),
                ("sites", n_sites),
                ("comments", n_com),
                ("repairs", n_rep),
                ("pages archived", n_pages),
            ]
        )
    )

    # articles per site and day (publication day in China time; first load day when none given)
    rows = _q(
        con,
        "SELECT site, coalesce(date, CAST(timezone('Asia/Shanghai', first_seen) AS DATE)) AS d, count(*) "
        "FROM v_articles GROUP BY ALL ORDER BY d",
    )
    days = sorted({r[1] for r in rows if r[1] is not None})
    sites = sorted({r[0] or "" for r in rows})
    counts = {(r[0] or "", r[1]): r[2] for r in rows}
    series = {site: [counts.get((site, d), 0) for d in days] for site in sites}
    s.append("<h2>Articles per site and day</h2>")
    s.append(line_chart([d.isoformat() for d in days], series, title="articles per site and day"))
    s.append(table(["site", "articles"], [(site, sum(v)) for site, v in series.items()]))

    rows = _q(
        con,
        "SELECT kind, count(*) AS n FROM repairs r JOIN articles a ON a.id = r.article_id "
        "WHERE r.applied AND a.is_canonical GROUP BY ALL ORDER BY n DESC, kind",
    )
    s.append("<h2>Repairs by kind</h2>")
    s.append(bar_chart([r[0] for r in rows], [r[1] for r in rows], title="repairs by kind"))

    rows = _q(
        con,
        f"SELECT least(floor(spin_score * {SPIN_BINS}), {SPIN_BINS - 1})::INT AS b, count(*) "
        "FROM v_articles WHERE spin_score IS NOT NULL GROUP BY ALL",
    )
    hist = dict(rows)
    s.append("<h2>Spin-score histogram</h2>")
    s.append(
        column_chart(
            [f"{i / SPIN_BINS:.1f}" for i in range(SPIN_BINS)],
            [hist.get(i, 0) for i in range(SPIN_BINS)],
            title="spin-score histogram",
        )
    )
    s.append('<p class="empty">spin_score: share of the text that looked spun (0 = none, 1 = all).</p>')

    s.append("<h2>Duplicate clusters</h2>")
    rows = _q(con, "SELECT cluster_size, count(DISTINCT cluster_id) FROM duplicates GROUP BY ALL ORDER BY 1")
    exact = _q(con, "SELECT count(*) FROM articles WHERE NOT is_canonical")[0][0]
    s.append(f"<p>{exact} exact duplicates hidden from v_articles; near-duplicate clusters by size:</p>")
    s.append(
        bar_chart(
            [f"{r[0]} articles" for r in rows],
            [r[1] for r in rows],
            title="clusters by size",
            color=PALETTE[4],
        )
    )
    rows = _q(
        con,
        "SELECT d.cluster_size, a.title, a.site, string_agg(DISTINCT m.site, ', ' ORDER BY m.site), "
        "round(min(dm.similarity), 3) "
        "FROM duplicates d JOIN articles a ON a.id = d.article_id "
        "JOIN duplicates dm ON dm.cluster_id = d.cluster_id JOIN articles m ON m.id = dm.article_id "
        "WHERE d.is_canonical GROUP BY ALL ORDER BY d.cluster_size DESC, a.title LIMIT 20",
    )
    s.append(table(["size", "canonical title", "site", "sites of copies", "min similarity"], rows))

    s.append("<h2>Crawl health over runs</h2>")
    rows = _q(
        con,
        "SELECT run_id, job, site, started_at, status, counts, drops, health FROM crawl_runs "
        "ORDER BY started_at NULLS LAST, run_id",
    )
    labels, pages, arts, errs, trows = [], [], [], [], []
    for run_id, job, site, started, status, counts, drops, health in rows:
        c = json.loads(counts) if counts else {}
        d = json.loads(drops) if drops else {}
        h = json.loads(health) if health else []
        label = started.strftime("%m-%d %H:%M") if started else run_id
        if job != "reclean":
            labels.append(label)
            pages.append(float(c.get("pages", 0) or 0))
            arts.append(float(c.get("articles", 0) or 0))
            errs.append(float(c.get("errors", 0) or 0))
        top = ", ".join(f"{k} {v}" for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:3])
        trows.append(
            (
                run_id,
                job,
                site,
                started.isoformat(" ", "minutes") if started else "",
                status,
                c.get("pages", ""),
                c.get("articles", ""),
                c.get("errors", ""),
                top,
                len(h),
            )
        )
    s.append(
        line_chart(labels, {"pages": pages, "articles": arts, "errors": errs}, title="crawl health over runs")
    )
    s.append(
        table(
            [
                "run",
                "job",
                "site",
                "started",
                "status",
                "pages",
                "articles",
                "errors",
                "top drops",
                "health findings",
            ],
            trows,
        )
    )
    return s
