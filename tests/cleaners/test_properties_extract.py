"""Properties: the cleaner never raises on arbitrary HTML, and cleaning its own output is stable."""

from __future__ import annotations

import html as htmlmod

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaners.model import apply_repairs
from cleaners.page import clean_page

TAGS = [
    "div",
    "p",
    "span",
    "a",
    "td",
    "tr",
    "table",
    "ul",
    "li",
    "h1",
    "h3",
    "br",
    "img",
    "script",
    "style",
    "font",
    "b",
]
ATTRS = [
    "",
    " class='content'",
    " class='comment'",
    " id='footer'",
    " style='display:none'",
    " hidden",
    " alt='头像'",
    " href='/x'",
]
WORDS = [
    "京东",
    "逾期",
    "解冻",
    "，",
    "。",
    "：",
    "版权与免责声明",
    "精彩评论",
    "头像 张三-律师 2025-04-26",
    "一、",
    "(一)",
    "1.",
    "①",
    "- ",
    "第1页",
    "下一页",
    "来源:",
    "编辑:",
    "2025年",
    " ",
    "\n",
    "&amp;",
    "<",
    ">",
    "&#0;",
    "\x00",
    "\ud7ff",
    "\ufffd",
]


@st.composite
def html_soup(draw):
    """Random, often broken, tag soup made of the pieces content-farm pages are made of."""
    parts = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.integers(0, 3))
        if kind == 0:
            parts.append(f"<{draw(st.sampled_from(TAGS))}{draw(st.sampled_from(ATTRS))}>")
        elif kind == 1:
            parts.append(f"</{draw(st.sampled_from(TAGS))}>")
        elif kind == 2:
            parts.append(draw(st.sampled_from(WORDS)))
        else:
            parts.append(draw(st.text(max_size=30)))
    return "".join(parts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html_soup(), st.sampled_from(["utf-8", "gb18030", "utf-16"]))
def test_clean_page_never_raises(soup, enc):
    raw = soup.encode(enc, "replace")
    art = clean_page(raw, "http://example.cn/a.html")
    assert art.status in ("ok", "empty", "undecodable"), art.reason
    if art.status == "ok":
        assert apply_repairs(art.extracted_text, art.repairs) == art.body


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000))
def test_clean_page_never_raises_on_bytes(raw):
    art = clean_page(raw)
    assert art.status in ("ok", "empty", "undecodable"), art.reason


def _as_page(title: str, body: str) -> bytes:
    paras = "".join(f"<p>{htmlmod.escape(line, quote=False)}</p>" for line in body.split("\n"))
    return (
        f"<html><head><meta charset='utf-8'><title>{htmlmod.escape(title, quote=False)}</title></head>"
        f"<body><div class='content'>{paras}</div></body></html>"
    ).encode()


SENTENCES = [
    "客户未能按期偿还账单时，账户可能被冻结。",
    "还款后，京东通常会在两小时内自动解冻账户。",
    "一、京东概述",
    "(二)人工解冻",
    "1. 联系京东客服",
    "- 客服人员会核实身份并协助解锁账户。",
    "2025年，京东金融调整了解冻流程。",
    "这篇文章讨论了版权保护的问题，版权所有人可以要求删除侵权内容。",
    "如果账户长时间没有解冻，客户应主动联系客服，说明情况并提供身份证明。",
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(SENTENCES), min_size=2, max_size=12), st.sampled_from(["", "_测试网"]))
def test_cleaning_its_own_output_changes_nothing(lines, suffix):
    """Clean a page, wrap its body as a simple page, clean again: the body is a fixed point."""
    first = clean_page(_as_page("京东逾期解冻攻略" + suffix, "\n".join(lines)))
    if first.status != "ok":
        return
    second = clean_page(_as_page(first.title, first.body))
    assert second.status == "ok"
    assert second.body == first.body
    assert [s.to_dict() for s in second.sections] == [s.to_dict() for s in first.sections]
