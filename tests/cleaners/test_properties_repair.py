"""Properties of the repair chain (hypothesis): replay, idempotence, clean text unchanged."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cleaners.model import apply_repairs
from cleaners.repair import repair_text

# text made of fragments that trigger every stage, glued with common characters and punctuation
FRAGMENTS = [
    "至关关键",
    "身份片",
    "疑惑",
    "作用",
    "熟悉",
    "客户",
    "工粳",
    "鎴戜滑",
    "這是",
    "測試",
    "锟斤拷",
    "\ufffd",
    ",",
    ":",
    "?",
    "(",
    ")",
    "，",
    "。",
    "\n",
    " ",
    "的",
    "我们",
    "问题",
    "使用",
    "利用",
    "京东",
    "冻结",
    "3.5",
    "14:25",
    "http://a.cn/x,y",
    "abc",
    "可能将会",
    "采纳措施",
    "处置惩罚",
]
texts = st.lists(st.sampled_from(FRAGMENTS), max_size=25).map("".join)
HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)

CLEAN_SENTENCES = [
    "消息传出以后，许多朋友通过各种渠道询问我是否需要帮助。",
    "它在经济发展中起到了重要作用。",
    "我对这个城市很熟悉。",
    "他在比赛中的表现非常出色。",
    "客户服务中心的电话是多少？",
    "这个问题很重要，我们需要认真对待。",
    "用户可以通过手机查看账户的状态。",
    "今年的价格比去年上涨了百分之五。",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
# a blank paragraph before a repaired one once shifted every later offset by its length
@example(" \n至关关键")
@example("\t\n\n  \n工粳和至关关键")
def test_replay_and_idempotence(text: str) -> None:
    out, repairs = repair_text(text)
    assert apply_repairs(text, repairs) == out
    again, more = repair_text(out)
    assert again == out
    assert not [r for r in more if r.applied]
    # flags and suspicions come last and point into the repaired text
    notes = [r for r in repairs if not r.applied]
    assert repairs[len(repairs) - len(notes) :] == notes
    for r in notes:
        assert out[r.offset : r.offset + len(r.before)] == r.before


@settings(max_examples=40, deadline=None)
@given(st.text(HAN, max_size=40))
def test_random_han_replays(text: str) -> None:
    out, repairs = repair_text(text)
    assert apply_repairs(text, repairs) == out
    assert repair_text(out)[0] == out


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(CLEAN_SENTENCES), min_size=1, max_size=6), st.sampled_from(["", "\n"]))
def test_clean_simplified_unchanged(sentences: list[str], sep: str) -> None:
    text = sep.join(sentences)
    out, repairs = repair_text(text)
    assert out == text
    assert not [r for r in repairs if r.applied]
