"""Pages nested deeper than libxml2's limit (256 levels) are still cleaned, and say so
(issue 12 item 18): before, everything below level 255 was dropped and the page read
"empty: no article text found"."""

from __future__ import annotations

import pytest

from cleaners.extract import parse, parse_noted
from cleaners.page import clean_page

PARAS = [
    f"第{i}段：大理古城的清晨格外安静，石板路上只有零星的游客和早起的商贩。洱海边的风很大。"
    for i in range(10)
]


def deep_page(depth: int, wrapper: str = "div") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in PARAS)
    return (
        "<html><head><title>大理三日游攻略</title></head><body>"
        '<div class="nav"><a href="/">首页</a> <a href="/list">攻略</a></div>'
        + f"<{wrapper}>" * depth
        + f"<article><h1>大理三日游攻略</h1>{body}</article>"
        + f"</{wrapper}>" * depth
        + "</body></html>"
    ).encode()


@pytest.mark.parametrize("depth", [300, 2000, 3000, 20000])
def test_deep_page_keeps_its_text_and_says_why(depth):
    art = clean_page(deep_page(depth), "http://example.com/a/1.html")
    assert art.status == "ok", art.reason
    assert all(p in art.body for p in PARAS)
    assert "nested more than" in art.reason
    assert ("huge-tree" in art.reason) == (depth <= 2000)
    assert ("flattened" in art.reason) == (depth > 2048)


def test_deep_nesting_of_inline_tags():
    art = clean_page(deep_page(5000, "span"), "http://example.com/a/1.html")
    assert art.status == "ok" and PARAS[-1] in art.body and "nested more than 2048" in art.reason


def test_deep_page_without_text_is_empty_with_the_hint():
    html = b"<html><body>" + b"<div>" * 400 + b"</div>" * 400 + b"</body></html>"
    art = clean_page(html, "http://example.com/a/1.html")
    assert art.status == "empty"
    assert "nested more than 255 levels" in art.reason and "no article text found" in art.reason


def test_ordinary_page_parses_once_without_a_note():
    root, note = parse_noted(deep_page(50).decode())
    assert note == "" and root is not None
    assert parse(deep_page(50).decode()) is not None
