"""bench/repair.py --oracle: the spinner's substitutions found in the spun text's coordinates, and
the oracle that restores exactly those among the chain's candidates."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    monkeypatch.delenv("GUIDECRAWL_SPIN_TABLES", raising=False)
    import repair

    yield repair
    sys.modules.pop("repair", None)


def test_truth_sites_follow_length_changes_and_the_byte_loss(bench):
    original = "根据原因，工具，用户需要"
    # 原因 → 缘故原由 (+2), then the GBK loss eats 具， (two characters → 粳), then 需要 → 须要
    spun = "依据缘故原由，工粳用户须要"
    r = {
        "original": original,
        "spun": spun,
        "replacements": [[0, "根据", "依据"], [2, "原因", "缘故原由"], [10, "需要", "须要"]],
        "garble": {"pos": 8, "orig": "具，", "new": "粳"},
    }
    assert bench.truth_sites(r) == {(0, "依据"): "根据", (2, "缘故原由"): "原因", (11, "须要"): "需要"}
    # a substitution the loss fell into has no site
    r2 = {**r, "replacements": [[5, "工具", "器具"]], "garble": {"pos": 6, "orig": "具，", "new": "粳"}}
    assert bench.truth_sites(r2) == {}


def test_oracle_restores_exactly_the_spinners_substitutions(bench):
    spun = "这一步至关关键，须要身份片。"
    r = {
        "original": "这一步至关重要，须要身份证。",  # 须要 is left as the page had it
        "spun": spun,
        "replacements": [[3, "至关重要", "至关关键"], [10, "身份证", "身份片"]],
        "garble": None,
    }
    text, restored, at_site = bench.oracle_repair(r)
    assert (text, restored, at_site) == ("这一步至关重要，须要身份证。", 2, 2)
    # a substitution whose original no candidate offers stays as it is (counted at its site only)
    r_other = {**r, "replacements": [[3, "至关紧要", "至关关键"]]}
    assert bench.oracle_repair(r_other) == (spun, 0, 1)
