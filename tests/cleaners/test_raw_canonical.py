"""``canonical_from_raw``: the rel=canonical of a page stored uncleaned (over its clean budget, or
its cleaning process died), read from the raw bytes with the same rule as the cleaned path, so a
mobile copy folds into its article whether or not cleaning succeeded."""

from __future__ import annotations

import time

import pytest

from cleaners.page import RAW_CANONICAL_WINDOW, canonical_from_raw, clean_parts

URL = "http://www.example.com/m/view/1101.html"
TARGET = "http://www.example.com/shouji/2024/0301/1101.html"


def cleaned(raw: bytes) -> str:
    """The canonical URL the normal (cleaned) path gives the same page."""
    return clean_parts([(raw, URL, "utf-8")]).canonical_url


def page(head: str, body: str = "<p>正文。</p>") -> bytes:
    return f"<html><head><meta charset=utf-8>{head}</head><body>{body}</body></html>".encode()


@pytest.mark.parametrize(
    "link",
    [
        '<link rel="canonical" href="/shouji/2024/0301/1101.html">',
        "<link href='/shouji/2024/0301/1101.html' rel='canonical'/>",
        "<LINK REL=Canonical HREF=/shouji/2024/0301/1101.html>",
        '<link\n  type="text/html"\n  rel = "alternate canonical"\n  href = "../../shouji/2024/0301/1101.html" >',
        '<link rel="canonical" href="http://www.example.com/shouji/2024/0301/1101.html" />',
        '<link rel="stylesheet" href="/a.css"><link data-href="/x.html" rel="canonical" '
        'href="/shouji/2024/0301/1101.html">',
    ],
)
def test_attribute_order_quotes_and_case_vary(link: str):
    raw = page(link)
    assert canonical_from_raw(raw, URL, "utf-8") == TARGET
    # the same answer as the cleaned path
    assert cleaned(raw) == TARGET


def test_entities_are_unescaped_as_a_parser_would():
    raw = page('<link rel="canonical" href="/a.php?id=1&amp;p=2">')
    assert canonical_from_raw(raw, URL) == "http://www.example.com/a.php?id=1&p=2"
    assert cleaned(raw) == "http://www.example.com/a.php?id=1&p=2"


@pytest.mark.parametrize(
    "link",
    [
        '<link rel="canonical" href="http://evil.example.org/shouji/1101.html">',  # another site
        '<link rel="canonical" href="javascript:alert(1)">',
        '<link rel="canonical" href="">',
        '<link rel="alternate" href="/shouji/2024/0301/1101.html">',
        '<link rel="canonicalx" href="/shouji/2024/0301/1101.html">',
        '<meta rel="canonical" href="/shouji/2024/0301/1101.html">',
    ],
)
def test_what_the_cleaned_path_refuses_is_refused(link: str):
    raw = page(link)
    assert canonical_from_raw(raw, URL, "utf-8") == ""
    assert cleaned(raw) == ""


def test_the_first_canonical_counts_and_a_foreign_first_one_is_not_skipped_for_a_later_one():
    raw = page(
        '<link rel="canonical" href="http://evil.example.org/x.html">'
        '<link rel="canonical" href="/shouji/2024/0301/1101.html">'
    )
    assert canonical_from_raw(raw, URL) == cleaned(raw) == ""


def test_gbk_and_utf16_pages():
    gbk = '<html><head><meta charset=gbk><link rel="canonical" href="/攻略/1.html"></head></html>'.encode(
        "gbk"
    )
    assert canonical_from_raw(gbk, URL, "gbk") == "http://www.example.com/攻略/1.html"
    u16 = '<html><head><link rel="canonical" href="/shouji/2024/0301/1101.html"></head></html>'.encode(
        "utf-16"
    )
    assert canonical_from_raw(u16, URL) == TARGET


@pytest.mark.parametrize(
    "raw", [b"", b"\xff\xfe\x00", b"<link", b"<link rel=canonical href=", b"\x00" * 100, None]
)
def test_garbage_never_raises(raw):
    assert canonical_from_raw(raw, URL) == ""  # type: ignore[arg-type]


def test_a_canonical_past_the_window_is_not_read():
    raw = page(
        "<!--" + "x" * RAW_CANONICAL_WINDOW + '--><link rel="canonical" href="/shouji/2024/0301/1101.html">'
    )
    assert canonical_from_raw(raw, URL) == ""


def test_a_2mb_page_without_canonical_is_cheap():
    """Only the window is read: a 2 MB hostile page (thousands of <link>s, an unclosed tag) costs
    about what its first 256 KB cost.  A ratio against a 256 KB page in the same run, not a
    timed bound: the 2 MB page must not cost 8x (what reading it all would)."""
    unit = '<link rel="stylesheet" href="/s.css"><link rel=x ' + "a" * 200
    big = page(unit * (2 * 1024 * 1024 // len(unit)))
    small = big[:RAW_CANONICAL_WINDOW]
    assert len(big) >= 2 * 1024 * 1024

    def cost(raw: bytes) -> float:
        best = float("inf")
        for _ in range(5):
            t = time.perf_counter()
            assert canonical_from_raw(raw, URL) == ""
            best = min(best, time.perf_counter() - t)
        return best

    assert cost(big) < 3 * cost(small) + 0.01
