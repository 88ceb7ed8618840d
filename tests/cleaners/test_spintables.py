"""Run-time spinner tables: the formats they come in, strtr-style matching, and their use."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners import spin
from cleaners.repair import repair_text
from cleaners.spintables import SpinTableError, read_table


def _write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_php_array(tmp_path):
    p = _write(
        tmp_path, "a.php", "<?php $a = array(\n'富裕' => '富有', '透出' => '显露出',\n'it\\'s' => 'x');\n"
    )
    # the last pair holds no Chinese: not a spinner swap
    assert read_table(p) == [("富裕", "富有"), ("透出", "显露出")]


def test_sql_dump(tmp_path):
    p = _write(
        tmp_path,
        "s.sql",
        "-- phpMyAdmin SQL Dump\nCREATE TABLE `r` (`id` int, `find` varchar(255), `replace` varchar(255));\n"
        "INSERT INTO `r` (`id`, `find`, `replace`) VALUES \n(1, '阿谁', '那个'),\n(2, '工作', '事情');\n",
    )
    assert read_table(p) == [("阿谁", "那个"), ("工作", "事情")]


def test_word_list_and_tabs(tmp_path):
    p = _write(
        tmp_path, "w.txt", "哀悼,悲悼 哀求,恳求\n安家=安身\n原因\t缘故原由\n# a comment,注释\n哀悼,悲悼\n"
    )
    assert read_table(p) == [("哀悼", "悲悼"), ("哀求", "恳求"), ("安家", "安身"), ("原因", "缘故原由")]


def test_gbk_file(tmp_path):
    p = _write(tmp_path, "g.txt", "问题,成绩 处理,处置惩罚\n", encoding="gbk")
    assert read_table(p) == [("问题", "成绩"), ("处理", "处置惩罚")]


def test_our_tsv_reads_back_as_find_replace(tmp_path):
    p = _write(
        tmp_path,
        "o.tsv",
        "# comment\nid\tspun\toriginal\tclass\treason\nx1\t至关关键\t至关重要\tN\tbroken idiom\n",
    )
    assert read_table(p) == [("至关重要", "至关关键")]


def test_missing_and_empty_tables_are_clear_errors(tmp_path):
    with pytest.raises(SpinTableError, match="cannot read spinner table"):
        read_table(tmp_path / "nope.txt")
    with pytest.raises(SpinTableError, match="no spinner pairs found"):
        read_table(_write(tmp_path, "e.txt", "hello world\n"))


def _strtr_reference(text: str, keys: set[str]) -> list[tuple[int, str]]:
    """The spinner's own scan: at each position the longest key, else move on by one."""
    longest = max(map(len, keys))
    out, i = [], 0
    while i < len(text):
        for n in range(min(longest, len(text) - i), 0, -1):
            if text[i : i + n] in keys:
                out.append((i, text[i : i + n]))
                i += n
                break
        else:
            i += 1
    return out


_ALPHABET = sorted(set("".join(k for k in spin.table().pairs if len(k) <= 4)))[:60] + list("的了，。a")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_matches_are_the_spinners_leftmost_longest_scan(text):
    tab = spin.table()
    assert spin.matches(text) == _strtr_reference(text, set(tab.pairs))


def test_matches_prefers_the_longer_form():
    assert spin.matches("我们采纳措施，再采纳意见") == [(2, "采纳措施"), (8, "采纳")]


@pytest.fixture
def runtime_table(tmp_path, monkeypatch):
    p = _write(tmp_path, "t.php", "'电脑' => '电子脑',\n")
    monkeypatch.setenv("GUIDECRAWL_SPIN_TABLES", str(p))
    spin.reload()
    yield p
    monkeypatch.delenv("GUIDECRAWL_SPIN_TABLES")
    spin.reload()


def test_runtime_table_pairs_are_inverted_and_classed(runtime_table):
    (pair,) = spin.table().pairs["电子脑"]
    assert (pair.original, pair.cls, pair.id) == ("电脑", "N", "t.php:1")


def test_runtime_table_restores_what_our_table_lacks(runtime_table):
    text, repairs = repair_text("我的电子脑坏了，需要修理。")
    assert text == "我的电脑坏了，需要修理。"
    assert [(r.rule, r.before, r.after, r.applied) for r in repairs] == [("t.php:1", "电子脑", "电脑", True)]


def test_without_the_runtime_table_nothing_changes():
    assert repair_text("我的电子脑坏了，需要修理。") == ("我的电子脑坏了，需要修理。", [])


# ---------------------------------------------------------------- the structure of a strtr spinner
def _keys(*words: str):
    from cleaners.spintables import StrtrKeys

    return StrtrKeys(set(words))


def test_strtr_rules_out_an_original_a_longer_key_would_have_taken():
    from cleaners.spintables import strtr_allows

    # with 工作 put back the text reads 工作日: a spinner whose table holds 工作日 takes that key
    # at this position (and swaps or keeps it whole), so it never spins 工作 alone here
    assert not strtr_allows("每个事情日价钱", 2, "事情", "工作", _keys("工作", "工作日", "价格"))
    # the table without 工作日 (the evaluation spinner's own: 工作日 → 事情日 in ../shared/spin)
    assert strtr_allows("每个事情日价钱", 2, "事情", "工作", _keys("工作", "价格"))


def test_strtr_rules_out_an_original_the_scan_never_reaches():
    from cleaners.spintables import strtr_allows

    # 科学家正规划: the scan takes 正规 before it reaches 规划, so 规划 → 计划 cannot be its work
    text = "美国科学家正计划寻找这种蚂蚁"
    assert not strtr_allows(text, 6, "计划", "规划", _keys("正规", "规划", "计划"))
    assert strtr_allows(text, 6, "计划", "规划", _keys("规划", "计划"))
    # after a character of no key (，) the scan is in step, whatever came before
    assert strtr_allows("正，计划", 2, "计划", "规划", _keys("正规", "规划", "计划"))


def test_strtr_scan_may_stand_after_another_spun_form():
    from cleaners.spintables import strtr_allows

    keys = _keys("持续", "连续", "不断", "连续不断")
    # 连续 is itself spun (← 持续): read as it stands, 连续不断 would run across 不断 ...
    assert not strtr_allows("连续不停的工作", 2, "不停", "不断", keys)
    # ... but the spinner's input there is unknown, and after 持续 its scan stood at 不断
    assert strtr_allows("连续不停的工作", 2, "不停", "不断", keys, ((0, 2),))
    # a longer key that reaches into the next spun form (日期, at 4) says nothing either
    two = _keys("工作", "工作日")
    assert not strtr_allows("每个事情日期限", 2, "事情", "工作", two)
    assert strtr_allows("每个事情日期限", 2, "事情", "工作", two, ((4, 6),))


def test_strtr_says_nothing_of_an_original_that_is_no_key():
    from cleaners.spintables import strtr_allows

    assert strtr_allows("每个事情日", 2, "事情", "工作", _keys("工作日"))
    assert strtr_allows("", 0, "", "工作", _keys())
