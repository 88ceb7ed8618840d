"""The spin stage on its own: table loading, classes, margins, suspicions."""

from __future__ import annotations

import dataclasses

import pytest

from cleaners import spin
from cleaners.spin import find_spin, table


def test_table_has_ids_reasons_and_classes() -> None:
    tab = table()
    ids = [p.id for ps in tab.pairs.values() for p in ps]
    assert len(ids) == len(set(ids)) > 200
    for ps in tab.pairs.values():
        for p in ps:
            assert p.reason and p.cls in ("N", "R", "C") and p.spun != p.original
    assert tab.pairs["至关关键"][0].original == "至关重要"
    assert tab.pairs["至关关键"][0].cls == "N"


def test_nonword_restored_with_high_confidence() -> None:
    edits = find_spin("京东冻结问题至关关键。")
    assert [(e[0], e[1], e[2], e[5]) for e in edits] == [(6, "至关关键", "至关重要", True)]
    assert edits[0][4] > 0.99


def test_longest_spun_form_wins() -> None:
    edits = find_spin("及时采纳措施。")
    assert [(e[1], e[2]) for e in edits] == [("采纳措施", "采取措施")]


def test_ordinary_words_in_their_own_sense_stay() -> None:
    for text in (
        "它在经济发展中起到了重要作用。",
        "我对这个城市很熟悉。",
        "他在比赛中的表现非常出色。",
        "客户服务很好。",
    ):
        assert [e for e in find_spin(text) if e[5]] == [], text


def test_spun_mode_lowers_the_margin() -> None:
    text = "使用者应及时采纳行动解决疑问"
    normal = [e[1] for e in find_spin(text) if e[5]]
    assert normal == ["采纳行动", "疑问"]
    # on a page known to be spun the same context is enough evidence for 使用者 → 用户 as well
    spun = [(e[1], e[2]) for e in find_spin(text, spun=True) if e[5]]
    assert spun == [("使用者", "用户"), ("采纳行动", "采取行动"), ("疑问", "问题")]


def test_unspun_twin_on_the_page_is_evidence() -> None:
    text = "2. 违反京东利用协议"
    assert [e for e in find_spin(text) if e[5]] == []
    page = text + "\n逾期未还款。 违反京东使用协议。"
    # on a spun page, the same heading unspun in the comments settles it
    assert [e for e in find_spin(text, spun=True) if e[5]] == []
    edits = [e for e in find_spin(text, spun=True, doc=page) if e[5]]
    assert [(e[0], e[1], e[2]) for e in edits] == [(7, "利用", "使用")]
    # a shared frame shorter than five characters is no twin
    assert [e for e in find_spin(text, spun=True, doc=text + "\n京东使用协") if e[5]] == []


def test_ambiguous_original_is_only_suspected(monkeypatch: pytest.MonkeyPatch) -> None:
    # 若何 is a spun 如何 or 怎样; the model prefers one by a clear gap, so it is applied ...
    text = "我们要若何做"
    (edit,) = find_spin(text, spun=True)
    assert edit[1] == "若何" and edit[5]
    # ... but when the gap required between the two originals is out of reach it is a suspicion
    strict = dataclasses.replace(table(), ambiguity=1e9)
    monkeypatch.setattr(spin, "table", lambda: strict)
    (edit,) = find_spin(text, spun=True)
    assert edit[1] == "若何" and not edit[5] and edit[4] < 0.9


def test_originals_of_different_classes_that_fit_alike_stay_suspected() -> None:
    # 操纵 is a spun 利用 (class R) or 操作 (class C); here it was 操作 (real spun text of
    # ../shared/spin).  The two originals' evidence is within the ambiguity gap, so nothing is
    # applied, although 利用's lower class margin leaves it further above its margin than 操作:
    # the gap is measured on the evidence, not on the distances to two different margins.
    text = "每个键都可以编程，指定所对应的操纵。同时，它的键帽是一个小屏幕。"
    edits = find_spin(text, spun=True)
    assert [e[1] for e in edits] == ["操纵"]
    assert not edits[0][5]


def test_proven_pair_gets_the_proven_margin() -> None:
    # 合理利用 is a good phrase on its own: not restored even on a spun page ...
    text = "3. 合理利用"
    assert [e for e in find_spin(text, spun=True) if e[5]] == []
    # ... but where the page's spinner is shown to swap 使用 → 利用 (sp008), it is restored
    edits = [e for e in find_spin(text, spun=True, proven=frozenset({"sp008"})) if e[5]]
    assert [(e[0], e[1], e[2]) for e in edits] == [(5, "利用", "使用")]
    # a proof for another pair says nothing about this one
    assert [e for e in find_spin(text, spun=True, proven=frozenset({"sp006"})) if e[5]] == []
    # and a context that clearly wants 利用 keeps it even then
    notice = "未经本网授权不得转载、摘编或利用其它方式使用上述作品"
    assert [e for e in find_spin(notice, spun=True, proven=frozenset({"sp008"})) if e[5]] == []
