"""The spin stage's learned decision (cleaners/spin_decision.py): with the word model on it decides
the candidates of run-time spinner tables' pairs (``learned_runtime_only``), today's margins those
of our own table; the whole decision (every candidate) was measured and not kept."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

from cleaners import spin, spin_decision, wordlm
from cleaners.data import repair_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def learned(monkeypatch):
    """The word model on, with the whole learned decision (every candidate) for this test only."""
    monkeypatch.setenv(wordlm.SWITCH, "1")
    monkeypatch.delenv(wordlm.ENV, raising=False)
    monkeypatch.delenv("GUIDECRAWL_SPIN_TABLES", raising=False)
    merged = copy.deepcopy(repair_settings())
    merged["spin_lm"]["learned"] = 1
    merged["spin_lm"]["learned_runtime_only"] = 0
    monkeypatch.setattr(spin, "repair_settings", lambda: merged)
    spin.reload()
    if wordlm.get_wordlm() is None:
        pytest.skip("the word model libime-data-language-model cannot be had on this machine")
    yield spin.table()
    monkeypatch.undo()
    spin.reload()


def test_on_for_run_time_tables_only_with_the_word_model(monkeypatch):
    lm = repair_settings()["spin_lm"]
    assert (lm["learned"], lm["learned_runtime_only"]) == (1, 1)
    monkeypatch.setenv(wordlm.SWITCH, "0")
    spin.reload()
    try:
        assert spin.table().learned is None  # the chain with the word model off never uses it
        monkeypatch.setenv(wordlm.SWITCH, "1")
        spin.reload()
        if wordlm.get_wordlm() is None:
            pytest.skip("the word model libime-data-language-model cannot be had on this machine")
        got = spin.table().learned
        assert got is not None and got.runtime_only
    finally:
        monkeypatch.delenv(wordlm.SWITCH)
        spin.reload()


def test_run_time_pairs_go_to_the_formula_our_pairs_to_the_margins(monkeypatch, tmp_path):
    """One paragraph, candidates of both kinds: the run-time table's pair (笔墨 ← 文字) is decided
    by the formula, our table's (至关关键, 须要, 身份片) by today's margins, and the edits come
    back in the paragraph's order."""
    from cleaners.repair import repair_text

    table = tmp_path / "spinner.txt"
    table.write_text("文字,笔墨\n", encoding="utf-8")
    monkeypatch.setenv(wordlm.SWITCH, "1")
    monkeypatch.delenv(wordlm.ENV, raising=False)
    monkeypatch.setenv("GUIDECRAWL_SPIN_TABLES", str(table))
    spin.reload()
    if wordlm.get_wordlm() is None:
        pytest.skip("the word model libime-data-language-model cannot be had on this machine")
    spin.TRACE = {}
    try:
        text = "看到一些笔墨信息，这一步至关关键，须要身份片。"
        got = repair_text(text)[0]
        decided = {w: how for (_, _, w, _), how in spin.TRACE.items()}
        edits = spin.find_spin(text)
    finally:
        spin.TRACE = None
        monkeypatch.undo()
        spin.reload()
    assert got == "看到一些文字信息，这一步至关重要，需要身份证。"
    assert decided["笔墨"] == "learned"
    assert {decided[w] for w in ("至关关键", "须要", "身份片")} == {"charlm"}
    assert [e[0] for e in edits] == sorted(e[0] for e in edits) and len(edits) == 4


def test_without_run_time_tables_the_formula_is_never_asked(monkeypatch):
    """The shipped setting (``learned_runtime_only``) with our table alone: no candidate is the
    formula's, so ``find_spin`` does not sort its candidates for it (the margins decide, the same
    edits); the features are still recorded for the fit when ``FEATURES`` asks for them."""
    monkeypatch.setenv(wordlm.SWITCH, "1")
    monkeypatch.delenv(wordlm.ENV, raising=False)
    monkeypatch.delenv("GUIDECRAWL_SPIN_TABLES", raising=False)
    spin.reload()
    if wordlm.get_wordlm() is None:
        pytest.skip("the word model libime-data-language-model cannot be had on this machine")
    try:
        assert spin.table().learned is not None and spin.table().learned.runtime_only
        asked: list[str] = []
        real = spin._find_learned
        monkeypatch.setattr(
            spin, "_find_learned", lambda tab, text, *a: asked.append(text) or real(tab, text, *a)
        )
        text = "这一步至关关键，须要身份片。"
        edits = spin.find_spin(text)
        assert asked == [] and [(e[1], e[2]) for e in edits if e[5]] == [
            ("至关关键", "至关重要"),
            ("须要", "需要"),
            ("身份片", "身份证"),
        ]
        spin.FEATURES = []
        try:
            assert spin.find_spin(text) == edits
            assert asked == [text] and {w for _, _, w, _ in spin.FEATURES} == {"至关关键", "须要", "身份片"}
        finally:
            spin.FEATURES = None
    finally:
        monkeypatch.undo()
        spin.reload()


def test_weights_name_every_feature_and_nothing_else():
    settings = repair_settings()
    got = spin_decision.load_decision(settings["spin_lm"], settings["spin_decision"])
    assert len(got.weights) == len(spin_decision.NAMES) and 0.5 < got.apply < 1.0
    broken = {**settings["spin_decision"], "weights": {"char": 1.0}}
    with pytest.raises(ValueError, match="must name exactly"):
        spin_decision.load_decision(settings["spin_lm"], broken)


def test_learned_decision_restores_and_leaves_clean_text(learned):
    from cleaners.repair import repair_text

    assert learned.learned is not None
    spin.TRACE = {}
    try:
        assert repair_text("这一步至关关键，须要身份片。")[0] == "这一步至关重要，需要身份证。"
        assert set(spin.TRACE.values()) == {"learned"}
    finally:
        spin.TRACE = None
    clean = "再到大象，都会吸引大量的昆虫。学生的思维才能保持专注。"
    assert repair_text(clean)[0] == clean


def test_features_are_recorded_for_the_fit(learned):
    spin.FEATURES = []
    try:
        spin.find_spin("这一步至关关键。")
        got = spin.FEATURES
    finally:
        spin.FEATURES = None
    ((text, i, w, cands),) = got
    assert (text[i : i + len(w)], [o for o, _ in cands]) == ("至关关键", ["至关重要"])
    assert all(len(f) == len(spin_decision.NAMES) for _, f in cands)


def test_fit_script_levenshtein_is_the_plain_one():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from repair import levenshtein as plain
        from spin_decision import levenshtein
    finally:
        sys.path.remove(str(ROOT / "bench"))
    for a, b in [("", "abc"), ("至关关键", "至关重要"), ("kitten", "sitting"), ("依据统计", "根据统计，")]:
        assert levenshtein(a, b) == plain(a, b) == plain(b, a)


@pytest.fixture
def spinner_tables(monkeypatch, shared):
    """The word model on with the evaluation spinner's run-time tables (../shared/spin/dicts)."""
    import json
    import os

    d = shared / "spin" / "dicts" / "itechbear_Corpus"
    monkeypatch.setenv(wordlm.SWITCH, "1")
    monkeypatch.delenv(wordlm.ENV, raising=False)
    monkeypatch.setenv(
        "GUIDECRAWL_SPIN_TABLES",
        os.pathsep.join(str(d / n) for n in ("jinyici.txt", "jinyici2_php.txt", "synonyms.sql")),
    )
    spin.reload()
    if wordlm.get_wordlm() is None:
        pytest.skip("the word model libime-data-language-model cannot be had on this machine")
    lines = (shared / "spin" / "spun_pairs.jsonl").read_text(encoding="utf-8").splitlines()
    yield [json.loads(x)["spun"] for x in lines[:40]]
    monkeypatch.undo()
    spin.reload()


def test_probs_are_the_formula_over_the_feature_vectors(spinner_tables):
    """``Learned.probs`` (the chain's) gives the very floats of ``prob`` over ``features`` (the
    fit's), on real spun paragraphs' candidates with the spinner's tables, every page context."""
    lr = spin.table().learned
    assert lr is not None
    n_multi = n = 0
    for text in spinner_tables:
        scored = spin._scored(text)
        for k, (i, w, gains) in enumerate(scored):
            words = spin._word_scored(text, i, w)
            n_multi += len(gains) > 1
            for spun, echo, proven in (
                (False, [False] * len(gains), frozenset()),
                (True, [m % 2 == 0 for m in range(len(gains))], frozenset({gains[0][0].id})),
            ):
                args = (gains, echo, words, spun, proven, 1.5 * k, len(w), 0.25 * k)
                want = [lr.prob(f) for f in spin_decision.features(*args)]
                assert lr.probs(*args) == want
                n += 1
    assert n > 200 and n_multi > 10  # candidates with several originals were among them


def test_learned_decision_of_routed_candidates_only_is_the_same(spinner_tables):
    """``_route_learned`` asks ``_find_learned`` to decide only the run-time tables' candidates
    (the others are weighed for the ``others`` feature but not decided): their edits are those of
    deciding every candidate."""
    tab = spin.table()
    differ = 0
    for text in spinner_tables:
        scored = spin._scored(text)
        routed = {i for i, _, gains in scored if any(p.runtime for p, _ in gains)}
        for spun in (False, True):
            every = spin._find_learned(tab, text, scored, spun, text, frozenset())
            only = spin._find_learned(tab, text, scored, spun, text, frozenset(), routed)
            assert only == [e for e in every if e[0] in routed]
            differ += only != every
    assert differ > 0  # some paragraphs had candidates of our table too


def test_word_evidence_is_memoised_by_the_han_run(spinner_tables):
    """The same candidate in the same run of Han characters, the paragraph changed elsewhere
    (an earlier pass's edit): the word evidence is the memoised one, and the same as scored anew."""
    text = "看到一些笔墨信息，这一步至关关键。"
    moved = "第2步：看到一些笔墨信息，这一步至关重要。"
    i, j = text.index("笔墨"), moved.index("笔墨")
    first = spin._word_scored(text, i, "笔墨")
    hits = spin._run_scored.cache_info().hits
    assert spin._word_scored(moved, j, "笔墨") == first
    assert spin._run_scored.cache_info().hits == hits + 1
    spin.clear_memo()
    assert spin._word_scored(moved, j, "笔墨") == first


def test_trace_names_the_formula_only_for_what_it_decided(spinner_tables):
    """``spin.TRACE`` (bench/repair.py's "decided by" shares) says "learned" only for candidates
    with a run-time table's pair: the formula's verdicts on our table's candidates are dropped
    (the margins decide those), and were once traced all the same (1716 restorations traced where
    1562 were made, on ../shared/spin with the spinner's tables)."""
    from cleaners.repair import repair_text

    tab = spin.table()
    spin.TRACE = {}
    try:
        for text in spinner_tables:
            repair_text(text)
        learned = [w for (_, _, w, _), how in spin.TRACE.items() if how == "learned"]
    finally:
        spin.TRACE = None
    assert learned and all(any(p.runtime for p in tab.pairs[w]) for w in learned)
