"""``guidecrawl report``: one self-contained HTML page about the warehouse.

Charts are inline SVG written here (bars and lines are a few rectangles and polylines), so the
page has no scripts, fonts, stylesheets or images to fetch: it opens offline, in a mail
attachment, or on a locked-down analyst machine exactly as it was written.  A charting library
would have to be inlined (hundreds of KB of JavaScript) for the same result.

Why not matplotlib, which gets date axes and integer ticks right out of the box: it would add
numpy, pillow and ~40 MB to every install for three charts, and its SVG either draws text as
paths with a font found on the machine writing the report (no CJK font there: boxes baked
into the file) or leaves text to the browser, as ours does.  What it would have given us is a
little arithmetic, done here and tested: x positions proportional to the date (``time_chart``,
day or month buckets, zero-filled), tick labels thinned by their width so none overlap
(``_label_every``), and whole-number steps on count axes (``count_ticks``).  Text is left to
the browser, so the font list (``CSS``) names the common CJK fonts of each platform.

Sections: articles per site and day, repairs by kind, spin-score histogram, near-duplicate
clusters, crawl health over runs.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from pipelines.commands.outfile import check_out, publish, temp_beside
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


def count_ticks(vmax: float, max_ticks: int = 5) -> list[int]:
    """Axis ticks from 0 to at least ``vmax`` in whole-number steps of 1, 2 or 5 x 10^n.

    Counts have no halves: a chart whose largest value is 1 gets ticks 0 and 1, not 0, 0.5, 1.
    """
    if vmax <= 0:
        return [0, 1]
    step = 1
    while True:
        for m in (1, 2, 5):
            s = m * step
            if math.ceil(vmax / s) <= max_ticks - 1:
                top = math.ceil(vmax / s) * s
                return list(range(0, top + 1, s))
        step *= 10


def _label_every(n: int, span_px: float, label_px: float) -> int:
    """Show every k-th of ``n`` evenly spaced labels so that neighbours never overlap."""
    if n <= 1:
        return 1
    gap = span_px / (n - 1)
    return max(1, math.ceil(label_px / gap))


def _label_px(label: str) -> float:
    """Width of a tick label at 11px: ~6.5 px a Latin character, 11 px a CJK one, plus a gap."""
    return sum(11 if ord(ch) > 0x2E7F else 6.5 for ch in label) + 10


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
    ticks = count_ticks(max(values))
    vmax = ticks[-1]
    bw = plot_w / len(values)
    parts = [
        f'<svg class="chart" role="img" aria-label="{_e(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    parts.append(_y_axis(ticks, left, left + plot_w, top, plot_h))
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


def _y_axis(ticks: Sequence[int], x1: float, x2: float, top: float, plot_h: float) -> str:
    vmax = ticks[-1]
    out = []
    for t in ticks:
        y = top + plot_h * (1 - t / vmax)
        out.append(
            f'<line class="grid" x1="{x1}" x2="{x2:.1f}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="{x1 - 4}" y="{y + 4:.1f}" text-anchor="end">{t}</text>'
        )
    return "".join(out)


def _lines_svg(
    xs: Sequence[float],
    labels: Sequence[str],
    tick_idx: Sequence[int],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    width: int,
    height: int,
    left: int,
    top: int,
    bottom: int,
    legend_w: int,
    plot_h: int,
) -> str:
    """Lines over x pixel positions ``xs`` (one per label), tick labels at ``tick_idx``, a legend."""
    ticks = count_ticks(max((max(v) for v in series.values() if len(v)), default=0))
    vmax = ticks[-1]
    parts = [
        f'<svg class="chart" role="img" aria-label="{_e(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        _y_axis(ticks, left, width - legend_w - 10, top, plot_h),
    ]
    for i in tick_idx:
        parts.append(
            f'<text class="tick" x="{xs[i]:.1f}" y="{height - bottom + 16}" text-anchor="middle">{_e(labels[i])}</text>'
        )
    for k, (name, vals) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        pts = [(x, top + plot_h * (1 - v / vmax)) for x, v in zip(xs, vals, strict=True)]
        parts.append(
            f'<polyline class="line" fill="none" stroke="{color}" stroke-width="2" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            + '"/>'
        )
        for (x, y), v, lab in zip(pts, vals, labels, strict=True):
            if v or len(pts) <= 60:  # zero-filled days of a long range need no marker each
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


def _spaced_ticks(xs: Sequence[float], labels: Sequence[str]) -> list[int]:
    """Indices of labels to show: evenly thinned, and the last one only if it does not collide."""
    if not xs:
        return []
    widest = max(_label_px(lab) for lab in labels)
    every = _label_every(len(xs), xs[-1] - xs[0], widest)
    idx = list(range(0, len(xs), every))
    last = len(xs) - 1
    if idx[-1] != last and xs[last] - xs[idx[-1]] >= widest:
        idx.append(last)
    return idx


def line_chart(
    xs: Sequence[str], series: dict[str, Sequence[float]], *, title: str, width: int = 760, height: int = 260
) -> str:
    """One line per series over shared, evenly spaced x labels (runs), with a legend."""
    if not xs or not series:
        return f'<p class="empty">{_e(title)}: no data</p>'
    left, bottom, top, legend_w = 44, 44, 10, 150
    plot_w, plot_h = width - left - legend_w - 10, height - top - bottom
    step = plot_w / max(len(xs) - 1, 1)
    pos = [left + i * step for i in range(len(xs))] if len(xs) > 1 else [left + plot_w / 2]
    return _lines_svg(
        pos, list(xs), _spaced_ticks(pos, list(xs)), series, title=title, width=width, height=height,
        left=left, top=top, bottom=bottom, legend_w=legend_w, plot_h=plot_h,
    )  # fmt: skip


DAILY_MAX_DAYS = 120  # a longer range is shown per month: 365 daily points per site are noise


def time_buckets(first: dt.date, last: dt.date) -> tuple[str, list[dt.date]]:
    """("day" | "month", every bucket start from ``first`` to ``last``): no gaps, none skipped."""
    if (last - first).days <= DAILY_MAX_DAYS:
        return "day", [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    out, d = [], dt.date(first.year, first.month, 1)
    while d <= last:
        out.append(d)
        d = dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return "month", out


def time_chart(
    counts: dict[str, dict[dt.date, float]], *, title: str, width: int = 760, height: int = 260
) -> tuple[str, str]:
    """Counts per series over a real date axis: (svg, "day" | "month").

    x is proportional to the date (a gap of ten days is ten times as wide as one of a day),
    days (or months) without a count are drawn as 0, and tick labels are thinned to fit.
    """
    days = sorted({d for per in counts.values() for d in per})
    if not days:
        return f'<p class="empty">{_e(title)}: no data</p>', "day"
    unit, buckets = time_buckets(days[0], days[-1])
    key = (lambda d: d) if unit == "day" else (lambda d: dt.date(d.year, d.month, 1))
    series: dict[str, list[float]] = {}
    for name, per in counts.items():
        acc: dict[dt.date, float] = {}
        for d, v in per.items():
            acc[key(d)] = acc.get(key(d), 0) + v
        series[name] = [acc.get(b, 0) for b in buckets]
    left, bottom, top, legend_w = 44, 44, 10, 150
    plot_w, plot_h = width - left - legend_w - 10, height - top - bottom
    span = (buckets[-1] - buckets[0]).days
    pos = [left + plot_w * (b - buckets[0]).days / span for b in buckets] if span else [left + plot_w / 2]
    labels = [b.isoformat() if unit == "day" else b.strftime("%Y-%m") for b in buckets]
    svg = _lines_svg(
        pos, labels, _spaced_ticks(pos, labels), series, title=title, width=width, height=height,
        left=left, top=top, bottom=bottom, legend_w=legend_w, plot_h=plot_h,
    )  # fmt: skip
    return svg, unit


def table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    if not rows:
        return '<p class="empty">none</p>'
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans CJK SC","Noto Sans SC",
"Source Han Sans SC","Source Han Sans CN","PingFang SC","Hiragino Sans GB","Microsoft YaHei",
"WenQuanYi Micro Hei","WenQuanYi Zen Hei","Droid Sans Fallback","Heiti SC",SimHei,sans-serif;
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
    per_site: dict[str, dict[dt.date, float]] = {}
    totals: dict[str, int] = {}
    for site, d, n in rows:
        totals[site or ""] = totals.get(site or "", 0) + n
        if d is not None:
            per_site.setdefault(site or "", {})[d] = n
    s.append("<h2>Articles per site and day</h2>")
    svg, unit = time_chart(dict(sorted(per_site.items())), title="articles per site and day")
    s.append(svg)
    if unit == "month":
        s.append('<p class="empty">the dates span more than four months: counted per month.</p>')
    s.append(table(["site", "articles"], sorted(totals.items())))

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
                int(c.get("pages") or 0),
                int(c.get("articles") or 0),
                int(c.get("errors") or 0),
                top or "none",
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
