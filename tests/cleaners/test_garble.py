"""GBK byte loss, mojibake and unrepairable runs."""

from __future__ import annotations

from cleaners.garble import find_gbk_loss, find_mojibake, find_unrepairable, tables


def test_byte_loss_arithmetic() -> None:
    # 具， = BE DF A3 AC; the middle two bytes lost leave BE AC = 粳
    assert "具，".encode("gbk") == bytes.fromhex("BEDFA3AC")
    assert bytes.fromhex("BEAC").decode("gbk") == "粳"
    assert ("具", "，", "gbk-loss-comma") in tables().twins["粳"]
    # 元。 = D4 AA A1 A3 → D4 A3 = 裕
    assert ("元", "。", "gbk-loss-period") in tables().twins["裕"]


def test_gbk_loss_restored() -> None:
    (edit,) = find_gbk_loss("便捷的消费信贷工粳为客户带来了便利")
    assert edit[:4] == (8, "粳", "具，", "gbk-loss-comma") and edit[5]
    (edit,) = find_gbk_loss("营收179美裕但是利润下降")
    assert edit[1:3] == ("裕", "元。")


def test_real_characters_stay() -> None:
    # 常, 保, 同, 海 are possible byte-loss remains but are fine here
    for text in ("我们常常去海边，保持同样的习惯。", "粳米是一种大米。", "工具，为客户服务。"):
        assert find_gbk_loss(text) == [], text


def test_mojibake() -> None:
    assert find_mojibake("鎴戜滑") == [(0, "鎴戜滑", "我们", "mojibake-utf8-as-gbk", 0.99, True)]
    garbled = "你好世界".encode("gbk").decode("latin-1")
    assert find_mojibake(garbled)[0][2] == "你好世界"
    assert find_mojibake("这是正常的中文文本，没有乱码。") == []
    assert find_mojibake("Café crème") == []


def test_unrepairable_flagged_only() -> None:
    edits = find_unrepairable("前锟斤拷锟斤拷后\ufffd")
    assert [(e[0], e[1], e[5]) for e in edits] == [(1, "锟斤拷锟斤拷", False), (8, "\ufffd", False)]


def test_mojibake_with_lost_bytes_is_flagged() -> None:
    from cleaners.model import apply_repairs
    from cleaners.repair import repair_text

    garbled = "我们的工作".encode().decode("gbk", "replace")
    out, repairs = repair_text(garbled)
    assert out == "我们的工浣\ufffd"
    assert apply_repairs(garbled, repairs) == out
    assert [(r.kind, r.applied) for r in repairs] == [("mojibake", True), ("unrepairable", False)]
