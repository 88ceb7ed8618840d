"""Traditional → Simplified and punctuation."""

from __future__ import annotations

import pytest

from cleaners.chinese import _t2s, find_missing_breaks, find_punct, find_t2s, has_traditional, to_simplified


def test_converter_is_a_singleton() -> None:
    assert _t2s() is _t2s()


def test_t2s_skips_simplified_text() -> None:
    assert not has_traditional("这是简体中文，著名的乾坤。".replace("乾", "天"))
    assert find_t2s("这是简体中文。") == []
    assert has_traditional("這是")


def test_to_simplified_for_titles() -> None:
    assert to_simplified("鳳梨酥怎麼做才會酥軟不黏手?") == "凤梨酥怎么做才会酥软不黏手?"
    assert to_simplified("简体标题") == "简体标题"


def test_t2s_edits() -> None:
    assert find_t2s("這是測試") == [
        (0, "這", "这", "t2s:t2s", 1.0, True),
        (2, "測試", "测试", "t2s:t2s", 1.0, True),
    ]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("你好,世界", [(2, ",", "，")]),
        ("原因:一是", [(2, ":", "：")]),
        ("真的吗?", [(3, "?", "？")]),
        ("(一)概述", [(0, "(", "（"), (2, ")", "）")]),
        ("“你好”,他说", [(4, ",", "，")]),
    ],
)
def test_punct_golden(text: str, expected: list[tuple[int, str, str]]) -> None:
    assert [e[:3] for e in find_punct(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "访问 http://例子.com/路径,参数 即可",
        "价格1,000元",
        "约3.5万",
        "时间14:25:27",
        "Hello, world: yes; no?",
        'print("你好,世界")',
        "版本(v2.0)发布",
        "f(x)的值",
        "用 `中,文` 分隔",
        "邮件 中文@例子.com 写",
    ],
)
def test_punct_negative(text: str) -> None:
    assert find_punct(text) == []


def test_missing_sentence_break_is_flagged_not_invented() -> None:
    run = (
        "京东是京东金融推出的一款消费信贷产品它为客户提供了一种便捷的支付形式同时支持分期付款和灵活的还款计划"
    )
    text = "一、概述\n" + run + "。"
    assert find_missing_breaks(text) == [(5, run, run, "punct-missing-break", 0.6, False)]
    # ordinary long sentences keep their commas, and 39 characters are not yet suspicious
    assert find_missing_breaks("这是一个很长的句子，但是它有逗号，所以没有问题。") == []
    assert find_missing_breaks("甲" * 39) == []


def _opencc_paragraphs(shared) -> list[str]:
    import json

    paras: list[str] = []
    for f in sorted((shared / "pages").rglob("*.txt")) + sorted((shared / "pages-more").rglob("*.txt")):
        paras += f.read_text("utf-8", errors="replace").split("\n")
    for name in ("spun_pairs", "clean_control", "clean_paragraphs"):
        for ln in (shared / "spin" / f"{name}.jsonl").read_text("utf-8").splitlines():
            if ln.strip():
                paras += [v for v in json.loads(ln).values() if isinstance(v, str)]
    return paras


def test_one_pass_t2s_equals_opencc(shared) -> None:
    """The one-pass converter (``chinese._OneGroup``) gives OpenCC's output on every paragraph
    of ../shared that holds a Traditional character, on a sample of the others, and on strings
    packed with overlapping phrase keys (where the order in which phrases are picked matters)."""
    import random

    t = _t2s()
    assert type(t.converter).__name__ == "_OneGroup"  # the installed OpenCC has the expected shape
    paras = _opencc_paragraphs(shared)
    trad = [p for p in paras if has_traditional(p)]
    assert len(trad) > 500
    assert [t.converter.convert(p) for p in trad] == [t.opencc.convert(p) for p in trad]
    rng = random.Random(7)
    other = rng.sample(paras, 3000)
    assert [t.converter.convert(p) for p in other] == [t.opencc.convert(p) for p in other]
    (phrases, _chars) = [d for _mx, _mn, d in t.opencc._dict_chain_data[0]]
    keys = sorted(phrases)
    packed = []
    for _ in range(3000):
        parts = [rng.choice(keys) for _ in range(rng.randint(1, 5))]
        # overlap neighbours: drop the first characters of some keys, add separators and noise
        s = "".join(p[rng.randint(0, len(p) - 1) :] if rng.random() < 0.5 else p for p in parts)
        packed.append(s + rng.choice(["", "，", "。這", " abc ", "裡面"]) + "".join(rng.choice(keys)[:2]))
    assert [t.converter.convert(p) for p in packed] == [t.opencc.convert(p) for p in packed]
