"""The repair chain's compiled paths (issue 14) give the answers of the Python code they stand for.

``cleaners/_fastlm.pyx`` scores the character model's and the word frequencies' windows,
``cleaners/_fastscan.pyx`` finds which stages can find anything in a paragraph and where spun forms
can start.  Each has a Python reference that stays the fallback where the modules are not built
(numpy's ``CharLM._score_numpy`` and ``WordFreq._logprobs_numpy``, ``stagescan.scan_reference``,
the automaton reading whole paragraphs); they are compared here on real text (../shared/pages,
../shared/spin), bit for bit, and the whole chain with and without the compiled modules.  The full
comparison on all 735 pages, with the word model and the spinner's tables too, is
bench/repair_dump.py against a checkout without them.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners import chinese, garble, lm, repair, spin, stagescan
from cleaners.lm import _word_key, get_lm, get_words
from tests.cleaners.test_repair_speed_equivalence import _page_bodies, _rec, _spin_rows, ref_scored


@pytest.fixture(scope="module")
def paras(shared: Path) -> list[str]:
    """The paragraphs of the first 12 bench pages and of the spun/clean sets of ../shared/spin."""
    out = [p for body in _page_bodies(12) for p in body.split("\n") if p.strip()]
    for spun, original in _spin_rows()[:300]:
        out += [spun, original]
    return out


def test_compiled_modules_are_built() -> None:
    # ``make .venv/.installed-dev`` builds them (setup.py, Cython from [build-system] requires);
    # the chain runs without them, slower, but an install that silently lost them is a bug
    from cleaners import _fastlm, _fastscan

    assert lm._fast is _fastlm and stagescan._fast is _fastscan and spin._fastscan is _fastscan
    assert spin._form_starts() is not None


def _windows(paras: list[str]) -> tuple[list[str], list[int]]:
    """The character model's windows the chain asks about (spin candidates' and byte-loss
    hits'), and slices of the text with every start."""
    seen: list[tuple[str, int]] = []
    real = lm.CharLM._score

    def spy(self, texts, starts):
        seen.extend(zip(texts, starts, strict=True))
        return real(self, texts, starts)

    mp = pytest.MonkeyPatch()
    mp.setattr(lm.CharLM, "_score", spy)
    try:
        spin.clear_memo()
        for p in paras[:400]:
            ref_scored(p)
            garble.find_gbk_loss(p)
    finally:
        mp.undo()
    rnd = random.Random(14)
    for p in paras[::7]:
        a = rnd.randrange(len(p))
        s = p[a : a + rnd.randrange(1, 12)]
        seen.append((s, rnd.randrange(len(s) + 2)))
    seen += [("", 0), ("𠀀中文ＡＢ１２abc", 0), ("\ufffd锟斤拷", 1), ("中", 5)]
    return [t for t, _ in seen], [s for _, s in seen]


def test_character_model_compiled_equals_numpy(paras: list[str]) -> None:
    model = get_lm()
    texts, starts = _windows(paras)
    assert len(texts) > 500
    fast = model._score(texts, starts)
    assert fast == model._score_numpy(texts, starts)  # the same floats, bit for bit
    assert fast[:15] == model._score_plain(texts[:15], starts[:15])


def test_bigram_counts_compiled_equal_numpy(paras: list[str]) -> None:
    model = get_lm()
    pairs = [p[k : k + 2] for p in paras for k in range(0, len(p) - 1, 3)]
    pairs += ["\x00\x00", "𠀀中", "中𠀀", "ＡＢ", "12", "ab"]
    got = model._bigram_counts(pairs)
    assert got == model._bigram_counts_numpy(pairs)
    assert sum(map(bool, got)) > len(got) // 3


def test_word_frequencies_compiled_equal_numpy(paras: list[str]) -> None:
    words = get_words()
    rnd = random.Random(7)
    windows = [p[a : a + rnd.randrange(0, 14)] for p in paras for a in range(0, len(p), 9)]
    windows += ["", "𠀀𠀁中国", "中𠀀国", "abc中国人民", "中华人民共和国国务院总理"]
    assert words.logprobs(windows) == words._logprobs_numpy(windows)
    assert words.logprobs([""]) == [0] and words._logprobs_numpy([""]) == [0]
    asked = [w[:n] for w in windows for n in (1, 2, 3, 4, 6)] + [""]
    assert words.get_many(asked) == [max(0, v) for v in words._lookup([_word_key(w) for w in asked])]


_SAMPLES = [
    "鎴戜滑鏄竴瀹跺叕鍙革紝涓撲笟浠庝簨",  # UTF-8 read as GBK
    "ÖÐÎÄÍøÒ³",  # GBK read as Latin-1
    "这是一个工粳很好用",  # a byte-loss suspect
    "结尾是粳",
    "繁體字與簡體字",
    "𠀀𡈽 and 𤆬",  # beyond the BMP, Traditional-only among them
    "价格,数量:多少?好!(注意)",
    "锟斤拷锟斤拷",
    "文字\ufffd文字",
    "一" * 45,
    "……——“”‘’",
    "plain ascii, with: marks; (and) more?",
    "",
    " \t ",
]


def test_stagescan_compiled_equals_reference(paras: list[str]) -> None:
    texts = paras + _SAMPLES
    got = [stagescan.scan(t) for t in texts]
    assert got == [stagescan.scan_reference(t) for t in texts]
    # every bit is set somewhere and most paragraphs have none (what the scan is for)
    for bit in (
        stagescan.T2S,
        stagescan.PUNCT,
        stagescan.BREAKS,
        stagescan.MOJIBAKE,
        stagescan.GBK,
        stagescan.UNREPAIRABLE,
    ):
        assert any(m & bit for m in got), bit
    assert sum(m == 0 for m in got) > len(got) // 3


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(sorted({c for t in _SAMPLES for c in t} | set("重要问题，。的是了解锟\n"))),
        max_size=60,
    )
)
def test_stagescan_compiled_equals_reference_on_mixed_text(chars: list[str]) -> None:
    text = "".join(chars)
    assert stagescan.scan(text) == stagescan.scan_reference(text)


def _form_alphabet() -> list[str]:
    return sorted({c for w in spin.table().pairs for c in w} | set("，。的了"))


def test_form_spans_give_what_the_automaton_reads(paras: list[str]) -> None:
    tab = spin.table()
    starts = spin._form_starts()
    assert starts is not None
    found = [spin._form_matches(p, tab, starts) for p in paras]
    assert found == [list(tab.automaton.iter_long(p)) for p in paras]
    assert sum(map(len, found)) > 500


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_form_spans_give_what_the_automaton_reads_on_dense_text(data: st.DataObject) -> None:
    # text made of the forms' own characters (overlapping and nested forms, spans that merge)
    # and of runs of other Han characters (several spans, the automaton's quirks at their ends)
    tab = spin.table()
    alphabet = _form_alphabet()
    forms = sorted(tab.pairs)
    filler = st.text(
        alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x5200), min_size=1, max_size=9
    )
    parts = data.draw(
        st.lists(st.one_of(st.sampled_from(forms), st.sampled_from(alphabet), filler), max_size=30)
    )
    text = "".join(parts)
    assert spin._form_matches(text, tab, spin._form_starts()) == list(tab.automaton.iter_long(text))


def test_twin_index_answers_as_the_page_search(paras: list[str]) -> None:
    # the spin stage's search for an unspun twin (``spin._echo``): phrases of the page itself
    # (found, with and without their neighbours), the same with one character changed (mostly
    # not found), on whole pages and on short texts with repeats, emoji and the page's edges
    from cleaners import _fastscan

    rnd = random.Random(1414)
    docs = ["\n".join(paras[k : k + 60]) for k in range(0, 240, 60)]
    docs += ["问题问题问题原因问题", "𠀀𠀁原因𠀀𠀁原因", "ab", "原因"]
    asked = answers = 0
    for doc in docs:
        index = _fastscan.TwinIndex(doc)
        for _ in range(400):
            a = rnd.randrange(len(doc))
            core = doc[a : a + rnd.randrange(1, 9)]
            if rnd.random() < 0.3:
                k = rnd.randrange(len(core))
                core = core[:k] + rnd.choice("的原因问题𠀀x") + core[k + 1 :]
            lc = rnd.choice(["", doc[a - 1 : a], "的", "𠀁"])
            rc = rnd.choice(["", doc[a + len(core) : a + len(core) + 1], "。", "x"])
            got = index.has(core, lc, rc)
            assert got == spin._twin_reference(doc, core, lc, rc), (core, lc, rc)
            asked += 1
            answers += got
    assert answers > 300 and asked - answers > 300  # both answers are tested often


def test_echo_same_with_and_without_the_twin_index(paras: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # every candidate's twin search, through ``spin._echo`` with either path: on pages, and on
    # spun paragraphs beside their originals (where the twin is there to be found)
    tab = spin.table()
    asks = []
    for part in (paras[:400], paras[-400:]):
        doc = "\n".join(part)
        asks += [
            (doc, p, end - len(w) + 1, end + 1, pair.original)
            for p in part
            for end, w in tab.automaton.iter_long(p)
            for pair in tab.pairs[w]
        ]
    assert len(asks) > 300
    fast = [spin._echo(*a) for a in asks]
    monkeypatch.setattr(spin, "_fastscan", None)
    assert fast == [spin._echo(*a) for a in asks]
    assert 20 < sum(fast) < len(fast) - 20


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1_.+-@:/`w 中文，h\ntpsf")), max_size=40))
def test_punct_protect_shortcut_never_hides_a_span(text: str) -> None:
    # ``chinese._may_protect`` false: ``_PROTECT`` finds nothing (find_punct skips it then)
    assert chinese._may_protect(text) or not chinese._PROTECT.search(text)


def test_punct_protect_shortcut_on_pages(paras: list[str]) -> None:
    found = [p for p in paras if chinese._PROTECT.search(p)]
    assert found and all(map(chinese._may_protect, found))
    assert not all(map(chinese._may_protect, paras))


def test_same_lead_equals_strict_decoding() -> None:
    model = get_lm()

    def reference(lead: int, min_count: int) -> list[str]:
        out = []
        for trail in range(0x40, 0xFF):
            if trail == 0x7F:
                continue
            try:
                ch = bytes([lead, trail]).decode("gbk")
            except UnicodeDecodeError:
                continue
            if garble._CJK.match(ch) and model.unigram(ch) >= min_count:
                out.append(ch)
        return out

    for lead in range(0x81, 0xFF):
        for min_count in (0, 5):
            assert garble._same_lead(lead, min_count) == reference(lead, min_count)


def test_chain_same_without_compiled_modules(shared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bodies = _page_bodies(6)
    spun = [s for s, _ in _spin_rows()[:60]]
    spin.clear_memo()
    fast = [_rec(repair.repair_text(t)) for t in bodies + spun]
    monkeypatch.setattr(lm, "_fast", None)
    monkeypatch.setattr(stagescan, "_fast", None)
    monkeypatch.setattr(spin, "_fastscan", None)
    spin._form_starts.cache_clear()
    try:
        assert spin._form_starts() is None
        spin.clear_memo()
        plain = [_rec(repair.repair_text(t)) for t in bodies + spun]
    finally:
        spin._form_starts.cache_clear()
        spin.clear_memo()
    assert plain == fast
    assert sum(len(r) for _, r in fast) > 50  # the chain repaired and noted things to compare


def test_t2s_and_garble_first_tests_agree_with_stagescan() -> None:
    # the stages answer [] where the scan says they can find nothing (what the skip relies on)
    for text in _SAMPLES + ["普通的简体中文句子，没有问题。"]:
        mask = stagescan.scan(text)
        if not mask & stagescan.T2S:
            assert chinese.find_t2s(text) == []
        if not mask & stagescan.PUNCT:
            assert chinese.find_punct(text) == []
        if not mask & stagescan.BREAKS:
            assert chinese.find_missing_breaks(text) == []
        if not mask & stagescan.MOJIBAKE:
            assert garble.find_mojibake(text) == []
        if not mask & stagescan.GBK:
            assert garble.find_gbk_loss(text) == []
        if not mask & stagescan.UNREPAIRABLE:
            assert garble.find_unrepairable(text) == []
