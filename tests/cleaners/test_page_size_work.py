"""The extraction side's work grows no faster than the page (issue 14).

Work is counted, never timed: the Python calls (functions and C built-ins, via
``sys.setprofile``) made while extracting and cleaning a page, for a page and for one four times
bigger.  A linear cleaner makes about 4× the calls (less: the page's chrome is a fixed cost); a
step that compares each paragraph with the ones before it would make ~16×.
bench/page_size.py measures the CPU time of the same shapes up to 2 MB and 50,000 paragraphs.
"""

from __future__ import annotations

import sys

import pytest

from cleaners.boilerplate import strip_boilerplate
from cleaners.extract import extract, parse
from cleaners.structure import outline

LINES = [
    "大理古城的清晨格外安静，石板路上只有零星的游客和早起的商贩。",
    "洱海边的风很大，记得带一件外套。",
    "第二天可以去双廊，骑电动车大约一个小时。",
    "喜洲的破酥粑粑值得一试，一个五块钱。",
    "苍山索道排队的人很多，建议早上八点前到。",
    "住宿推荐古城北门附近，安静又方便。",
    "一、行程安排",
    "注意：旺季房价会翻倍，提前一个月预订。",
]


def page(paragraphs: int, *, long: bool = False) -> bytes:
    """A page with chrome around ``paragraphs`` <p>: short lines, or long ones (8 lines each)."""
    if long:
        paras = ["".join(LINES[(k + j) % len(LINES)] for j in range(8)) for k in range(paragraphs)]
    else:
        paras = [f"{LINES[k % len(LINES)]}{k}" for k in range(paragraphs)]
    nav = "".join(f'<li><a href="/gl/{k}.html">大理攻略第{k}篇</a></li>' for k in range(20))
    return (
        '<html><head><meta charset="utf-8"><title>大理三日游攻略_示例网</title></head><body>'
        f'<div class="nav"><ul>{nav}</ul></div><div class="main"><div class="article">'
        '<h1>大理三日游攻略</h1><div class="info">发布时间：2023-05-06 来源：示例网</div>'
        '<div class="content">'
        + "".join(f"<p>{p}</p>\n" for p in paras)
        + f'</div></div><div class="sidebar"><ul>{nav}</ul></div></div>'
        '<div class="footer">版权所有 © 2023 示例网</div></body></html>'
    ).encode()


def calls(raw: bytes) -> int:
    """Python calls made extracting the page, cleaning its boilerplate and outlining it."""
    count = 0

    def tick(frame, event, arg):  # noqa: ARG001 - sys.setprofile's signature
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    root = parse(raw.decode("utf-8"))
    assert root is not None
    sys.setprofile(tick)
    try:
        ex = extract(root)
        stripped = strip_boilerplate("\n".join(ex.paragraphs), "大理三日游攻略")
        outline(stripped.text)
    finally:
        sys.setprofile(None)
    return count


@pytest.mark.parametrize(("small", "long"), [(2_000, False), (300, True)])
def test_work_grows_linearly_with_the_page(small: int, long: bool) -> None:
    a, b = calls(page(small, long=long)), calls(page(4 * small, long=long))
    assert b <= 4.4 * a, f"{a} calls for {small} paragraphs, {b} for {4 * small}"
    assert b > 1.2 * a  # the count does see the paragraphs (a guard on the measurement itself)
