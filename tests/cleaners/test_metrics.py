"""The body metric of ../shared/pages, computed by hand on small cases."""

import pytest

from cleaners.metrics import bigram_f1, normalise


def test_normalise_drops_punctuation_space_and_symbols():
    assert normalise("Ａｂ， 京东。\n$5%") == "ab京东5"


def test_identical_up_to_punctuation_scores_one():
    assert bigram_f1("京东逾期，解冻。", "京东 逾期解冻") == 1.0


def test_partial_overlap():
    # out bigrams {京东}; gold bigrams {京东, 东逾}: P = 1, R = 1/2, F1 = 2/3
    assert bigram_f1("京东", "京东逾") == pytest.approx(2 / 3)


def test_empty_or_disjoint_scores_zero():
    assert bigram_f1("", "京东") == 0.0
    assert bigram_f1("天气", "京东") == 0.0
