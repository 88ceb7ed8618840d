"""Report charts tell the truth (issue 12 item 17): a real date axis, labels that do not overlap,
whole-number ticks on count axes, 0 rather than blank, and Chinese text that renders (a CJK font
named in the font list; checked in headless Chromium)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest

from pipelines import store
from pipelines.commands.report import CSS, count_ticks, line_chart, report, time_chart
from tests.pipelines.test_report import chromium
from tests.pipelines.warehouse_data import article, stage

D = dt.date


def _ticks_y(svg: str) -> list[str]:
    return re.findall(r'<text x="\d+" y="[\d.]+" text-anchor="end">([^<]*)</text>', svg)


def _ticks_x(svg: str) -> list[tuple[float, str]]:
    return [(float(x), t) for x, t in re.findall(r'<text class="tick" x="([\d.]+)"[^>]*>([^<]*)</text>', svg)]


def _points(svg: str) -> list[list[tuple[float, float]]]:
    lines = re.findall(r'<polyline[^>]*points="([^"]*)"', svg)
    return [[tuple(map(float, p.split(","))) for p in ln.split()] for ln in lines]


@pytest.mark.parametrize(
    "vmax,expected",
    [
        (1, [0, 1]),
        (2, [0, 1, 2]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (43, [0, 20, 40, 60]),
        (0, [0, 1]),
    ],
)
def test_count_ticks_are_whole_numbers(vmax, expected):
    assert count_ticks(vmax) == expected


def test_count_axis_of_a_chart_with_one_article_has_no_half_tick():
    svg = line_chart(["r1", "r2"], {"pages": [1, 0]}, title="t")
    assert _ticks_y(svg) == ["0", "1"]
    svg, _ = time_chart({"a": {D(2025, 3, 1): 1}}, title="t")
    assert _ticks_y(svg) == ["0", "1"]


def test_dates_are_placed_in_proportion_to_time_and_gaps_count_as_zero():
    svg, unit = time_chart({"a": {D(2025, 3, 1): 2, D(2025, 3, 2): 1, D(2025, 3, 11): 3}}, title="t")
    assert unit == "day"
    (pts,) = _points(svg)
    assert len(pts) == 11  # every day of the range, not only the three with articles
    gaps = {round(b[0] - a[0], 1) for a, b in zip(pts, pts[1:], strict=False)}
    assert len(gaps) == 1  # one day is one step, whatever the data
    zero_y = pts[3][1]
    assert all(p[1] == zero_y for p in pts[2:10]) and pts[10][1] < zero_y


def test_a_long_range_is_counted_per_month_in_proportion():
    data = {"a": {D(2024, 1, 15): 1, D(2024, 2, 3): 2, D(2025, 1, 20): 4}}
    svg, unit = time_chart(data, title="t")
    assert unit == "month"
    (pts,) = _points(svg)
    assert len(pts) == 13  # 2024-01 .. 2025-01
    # February is 31 days after January, March 29 days after February (2024 is a leap year)
    assert (pts[1][0] - pts[0][0]) / (pts[2][0] - pts[1][0]) == pytest.approx(
        31 / 29, rel=5e-3
    )  # x is written to 0.1 px


@pytest.mark.parametrize("days", [2, 9, 30, 120])
def test_tick_labels_never_overlap(days):
    data = {"a": {D(2025, 1, 1) + dt.timedelta(days=i): 1 + i % 3 for i in range(days)}}
    svg, _ = time_chart(data, title="t")
    xs = _ticks_x(svg)
    assert xs[0][1] == "2025-01-01"
    label_w = 10 * 6.5  # "2025-01-01" at 11px
    assert all(b[0] - a[0] >= label_w for a, b in zip(xs, xs[1:], strict=False)), xs


def test_run_labels_never_overlap_at_the_end():
    labels = [f"01-{i:02d} 03:17" for i in range(1, 30)]
    svg = line_chart(labels, {"pages": [10] * len(labels)}, title="t")
    xs = _ticks_x(svg)
    assert all(b[0] - a[0] >= len("01-01 03:17") * 6.5 for a, b in zip(xs, xs[1:], strict=False)), xs


def test_run_table_shows_zero_not_blank(tmp_path):
    recs = [
        article("http://a/1", published_at="2025-03-01T10:00:00+08:00"),
        {
            "type": "run",
            "run_id": "r-empty",
            "job": "crawl",
            "status": "failed",
            "started_at": "2026-01-01T00:00:00Z",
            "counts": {"pages": 3},
            "drops": {},
            "health": [],
        },
    ]
    stage(tmp_path / "st", "w1", recs)
    db = tmp_path / "g.duckdb"
    store.load_stage(tmp_path / "st", db)
    doc = report(db, tmp_path / "r.html").read_text(encoding="utf-8")
    row = re.search(r"<tr><td>r-empty</td>(.*?)</tr>", doc).group(1)
    cells = re.findall(r"<td>([^<]*)</td>", row)
    # job, site, started, status, pages, articles, errors, top drops, findings
    assert cells[4:7] == ["3", "0", "0"] and cells[7] == "none"


def test_font_list_names_the_common_cjk_fonts():
    for font in (
        "Noto Sans CJK SC",
        "Source Han Sans SC",
        "WenQuanYi Micro Hei",
        "Microsoft YaHei",
        "PingFang SC",
    ):
        assert f'"{font}"' in CSS, font


def _cjk_fonts() -> list[str]:
    try:
        out = subprocess.run(
            ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=30
        ).stdout
    except OSError:
        out = ""
    return [ln for ln in out.splitlines() if ln.strip()]


def test_chinese_text_renders_in_chromium(tmp_path):
    """Two different Chinese strings give different pixels; as missing-glyph boxes they would not."""
    if not _cjk_fonts():
        pytest.fail(
            "no CJK font on this machine: install the Debian package fonts-wqy-microhei (or fonts-noto-cjk)"
        )
    shots = []
    for i, text in enumerate(["大理古城攻略", "洱海苍山索道"]):
        page = tmp_path / f"p{i}.html"
        page.write_text(
            f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>{CSS}</style></head>'
            f'<body><h1 style="font-size:64px">{text}</h1></body></html>',
            encoding="utf-8",
        )
        png = tmp_path / f"p{i}.png"
        r = chromium(tmp_path, f"--screenshot={png}", "--window-size=600,200", page.as_uri())
        assert r.returncode == 0, r.stderr[-2000:]
        shots.append(png.read_bytes())
    assert shots[0] != shots[1]
