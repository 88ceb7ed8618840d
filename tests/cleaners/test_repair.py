"""The repair chain end to end: golden cases per kind, negatives, the seed page, the audit contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cleaners.model import Repair, apply_repairs
from cleaners.repair import repair_text, spin_score

CASES = Path(__file__).parent / "cases"
KINDS = ["spin", "garble", "mojibake", "t2s", "punct", "unrepairable"]


def _cases(kind: str) -> list[dict]:
    return json.loads((CASES / f"repair_{kind}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "kind,case", [(k, c) for k in KINDS for c in _cases(k)], ids=lambda v: v if isinstance(v, str) else None
)
def test_golden(kind: str, case: dict) -> None:
    out, repairs = repair_text(case["text"])
    assert out == case["expected"]
    assert apply_repairs(case["text"], repairs) == out
    if kind == "unrepairable":
        flags = [r for r in repairs if r.kind == "unrepairable"]
        assert [(r.before, r.applied) for r in flags] == [(case["flag"], False)]
    else:
        # every applied repair of this case is of the case's kind (t2s/punct/spin are not mixed up)
        applied = {r.kind for r in repairs if r.applied}
        assert kind in applied
        if kind in ("garble", "mojibake", "t2s"):
            assert applied == {kind}


@pytest.mark.parametrize("text", json.loads((CASES / "repair_negative.json").read_text(encoding="utf-8")))
def test_negative_unchanged(text: str) -> None:
    out, repairs = repair_text(text)
    assert out == text
    assert not [r for r in repairs if r.applied]


def test_every_repair_is_audited() -> None:
    text = "熟悉怎么样正确应对京东冻结疑惑至关关键。\n京东作为一种便捷的消费信贷工粳为客户带来了便利。\n這是測試,好嗎?"
    out, repairs = repair_text(text)
    assert apply_repairs(text, repairs) == out
    for r in repairs:
        assert isinstance(r, Repair)
        assert r.kind in {"spin", "garble", "mojibake", "t2s", "punct", "unrepairable"}
        assert r.rule and 0.0 <= r.confidence <= 1.0
    assert out.split("\n")[1] == "京东作为一种便捷的消费信贷工具，为客户带来了便利。"
    assert out.split("\n")[2] == "这是测试，好吗？"


def test_paragraph_offsets_point_into_the_whole_text() -> None:
    text = "第一段没有问题。\n第二段至关关键。\n第三段身份片。"
    out, repairs = repair_text(text)
    assert out == "第一段没有问题。\n第二段至关重要。\n第三段身份证。"
    assert [(r.offset, r.before) for r in repairs if r.applied] == [(12, "至关关键"), (21, "身份片")]


def test_suspicion_is_recorded_not_applied() -> None:
    # 固然 may be a spun 虽然 or 当然, or just 固然: too weak (and ambiguous) to apply
    text = "虽然很累，固然他还是去了。"
    out, repairs = repair_text(text)
    assert out == text
    sus = [r for r in repairs if not r.applied]
    assert [(r.kind, r.before, r.after, r.offset) for r in sus] == [("spin", "固然", "虽然", 5)]
    assert 0.5 <= sus[0].confidence < 0.9


def test_seed_page(shared: Path) -> None:
    text = (shared / "seed" / "guide-article.txt").read_text(encoding="utf-8")
    out, repairs = repair_text(text)
    assert apply_repairs(text, repairs) == out
    assert repair_text(out)[0] == out
    # the GBK byte loss, twice on the page
    assert "工粳" not in out
    assert "消费信贷工具，为客户" in out and "获取该工具，然后" in out
    # spun words of issue 5 that are restored
    for spun in ("至关关键", "身份片", "采纳措施", "疑惑", "难题", "可能将会", "须要", "假若"):
        assert spun not in out, spun
    assert "了解如何正确处理京东冻结问题至关重要" in out
    assert "产生一定的负面影响" in out and "不仅影响用户的购物体验" in out
    assert "技术问题致使" in out and "京东冻结的主要原因" in out
    assert "及时发现问题并采取措施" in out and "采取行动解决问题" in out
    assert "提供身份证" in out
    # unspun twins elsewhere on the page: the title's 起因 and the heading's 利用协议
    assert "解决冻结起因" not in out and "违反京东使用协议\n" in out
    assert "包括但不限于" in out and "希望本文" in out and "按照提示" in out
    # pairs the spinner is shown to use on this page (利用 ← 使用 at 使用协议, 熟悉 ← 了解 at
    # 了解如何) are restored in the rest of the spun body, where 利用/熟悉 are ordinary words too
    body = out[: out.index("大家还看了")]
    assert "利用" not in body and "熟悉" not in body and "使用者" not in body
    assert "违反了京东的使用规则" in out and "3. 合理使用\n" in out and "良好的使用习惯" in out
    assert "联系客服，了解具体原因" in out
    # ... but not outside it: the comments and the copyright footer were never spun
    assert "一种粗略的方法是利用某款收款工具" in out and "摘编或利用其它方式使用上述作品" in out
    # things that must not move: times, the URL, ASCII in the disclaimer's quotes
    assert "时间:2025-04-26 14:25:27" in out
    assert "http://www.guanxian.org/consult/xyqhu/1425292049.html" in out
    assert "京东逾期解冻全攻略：解决冻结原因" in out
    assert spin_score(out, repairs) > 0.4
    # the commas lost in the first paragraph are flagged, not invented
    (flag,) = [r for r in repairs if r.rule == "punct-missing-break"]
    assert not flag.applied and flag.before.startswith("京东是京东金融推出的一款消费信贷产品它为客户")


def test_spinner_pair_proven_in_another_paragraph(shared: Path) -> None:
    lines = (shared / "seed" / "guide-article.txt").read_text(encoding="utf-8").split("\n")
    # 熟悉 ← 了解 is shown in the first paragraph (了解如何); the seed's 熟悉具体原因 lies between
    # paragraphs with sure restorations, so the proven pair restores it there
    intro, contact, check = lines[10], lines[70], lines[88]
    assert "熟悉怎么样" in intro and "熟悉具体原因" in contact and "采纳措施" in check
    out, repairs = repair_text("\n".join([intro, contact, check]))
    assert "联系客服，了解具体原因" in out
    assert apply_repairs("\n".join([intro, contact, check]), repairs) == out
    # the same words in one paragraph: a paragraph does not vouch for itself
    assert "联系客服，熟悉具体原因" in repair_text(intro + contact + check)[0]
    # outside the paragraphs with sure restorations (a comment after the body) nothing is proven
    assert "联系客服，熟悉具体原因" in repair_text("\n".join([intro, check, contact]))[0]


def test_spin_score() -> None:
    clean = "消息传出以后，许多素不相识的朋友通过各种渠道，询问我是否需要帮助，愿意提供个人或公司的资源。"
    out, repairs = repair_text(clean)
    assert out == clean and spin_score(out, repairs) == 0.0
    spun = "熟悉怎么样正确应对京东冻结疑惑至关关键。客服可能将会须要使用者提供身份片。"
    out, repairs = repair_text(spun)
    assert spin_score(out, repairs) > 0.8
    assert spin_score("", []) == 0.0
    assert spin_score("abc", []) == 0.0


def test_deterministic_and_idempotent_on_spun_text() -> None:
    text = "这类情况不仅作用使用者的购物体验还可能对个人信用记录产生一定的负面作用。 熟悉怎么样正确应对京东冻结疑惑至关关键。"
    a = repair_text(text)
    b = repair_text(text)
    assert a == b
    assert repair_text(a[0])[0] == a[0]


def test_empty_and_blank_lines() -> None:
    assert repair_text("") == ("", [])
    assert repair_text("\n\n  \n") == ("\n\n  \n", [])
