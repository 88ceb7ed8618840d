"""The compact, memory-mapped model tables: the word-frequency table reproduces jieba exactly, the
cache is built once and atomically, and the bounded memo caches never lose an answer."""

from __future__ import annotations

import logging
import math
import threading
from pathlib import Path

import jieba
import numpy as np
import pytest

from cleaners import garble, lm, spin
from cleaners.lm import WordFreq, _cached, _word_key, get_lm, get_words


def _jieba() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    jieba.dt.check_initialized()
    return jieba.dt


def _jieba_logprob(window: str) -> float:
    """What spin.py computed with jieba itself before the table existed."""
    dt = _jieba()
    route: dict[int, tuple[float, int]] = {}
    dt.calc(window, dt.get_DAG(window), route)
    return route[0][0]


WINDOWS = [
    "",
    "的",
    "至关重要",
    "至关关键",
    "采取措施",
    "采纳措施",
    "会造成负面影响，",
    "中华人民共和国中央人民政府",  # longer than three characters: the hashed keys
    "京东金条被冻结的起因",
    "3.5G流量和abc混排",
    "\x00啊\U0001f600",  # control character and an astral emoji: never in the dictionary
]


def test_word_logprobs_equal_jiebas_bit_for_bit(shared: Path) -> None:
    seed = (shared / "seed" / "guide-article.txt").read_text(encoding="utf-8")
    windows = WINDOWS + [seed[i : i + 10] for i in range(0, min(len(seed), 3000), 7)]
    got = get_words().logprobs(windows)
    assert got == [_jieba_logprob(w) for w in windows]
    # one window at a time and in a batch give the same numbers
    assert [get_words().logprobs([w])[0] for w in WINDOWS] == got[: len(WINDOWS)]
    assert get_words().logprobs(["", ""]) == [0, 0] and get_words().logprobs([]) == []


def test_word_frequencies_equal_jiebas() -> None:
    freq = _jieba().FREQ
    words = ["至关重要", "至关关键", "问题", "疑惑", "的", "中华人民共和国", "中华人民", "工具", "工粳", ""]
    assert get_words().get_many(words) == [freq.get(w, 0) for w in words]
    assert get_words().get("至关关键") == 0  # the spinner's non-word
    assert get_words().get("问题") == 55563 and get_words().get("的") == 318825
    assert get_words().get("至关重") == 0  # only a prefix of 至关重要 (jieba stores it as 0)
    assert get_words().get("中华人民共和国中央") == 0  # a prefix of the 13-character word
    assert get_words().get("中华人民共和国中央人民政府") == 180
    assert get_words().maxlen == max(map(len, freq))


def test_word_keys_short_are_exact_long_are_marked() -> None:
    # up to three characters the key is the code points themselves: distinct strings, distinct keys
    assert _word_key("a") != _word_key("\x00a") != _word_key("a\x00")
    assert _word_key("中国") == (ord("中") + 1) * 2**21 + ord("国") + 1
    assert _word_key("中国人") < 2**63
    assert _word_key("中国人民") >= 2**63
    keys = get_words().keys
    assert bool((keys[1:] > keys[:-1]).all())  # sorted and collision-free


def test_tables_are_memory_mapped_not_copied() -> None:
    # the arrays are views of file mappings: every process shares the page cache
    for arr in (get_words().keys, get_words().freq, get_lm().tri_k, get_lm().bi_k):
        assert isinstance(arr.base, np.memmap) and not arr.flags.writeable


def test_cache_built_once_then_mapped(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("GUIDECRAWL_CACHE", str(tmp_path))
    calls = []

    def build() -> dict[str, np.ndarray]:
        calls.append(1)
        return {"a": np.arange(5, dtype=np.int64), "b": np.array([7], dtype=np.int32)}

    first = _cached("t-1", ("a", "b"), build, "a test table")
    assert "building a test table" in capsys.readouterr().err
    second = _cached("t-1", ("a", "b"), build, "a test table")
    assert calls == [1] and capsys.readouterr().err == ""
    assert first["a"].tolist() == second["a"].tolist() == [0, 1, 2, 3, 4]
    assert second["b"].dtype == np.int32 and not second["b"].flags.writeable
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t-1"]  # no temporary left behind


def test_damaged_cache_is_rebuilt(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GUIDECRAWL_CACHE", str(tmp_path))
    (tmp_path / "t-2").mkdir()
    (tmp_path / "t-2" / "done").write_text("x")
    (tmp_path / "t-2" / "a.npy").write_bytes(b"not an array")
    got = _cached("t-2", ("a",), lambda: {"a": np.arange(3)}, "a test table")
    assert got["a"].tolist() == [0, 1, 2]


def test_unwritable_cache_keeps_table_in_memory(tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv("GUIDECRAWL_CACHE", str(blocker))
    got = _cached("t-3", ("a",), lambda: {"a": np.arange(4)}, "a test table")
    assert got["a"].tolist() == [0, 1, 2, 3]


def test_concurrent_first_builds_agree(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GUIDECRAWL_CACHE", str(tmp_path))
    start = threading.Barrier(4)
    results: list[list[int]] = []

    def build() -> dict[str, np.ndarray]:
        return {"a": np.arange(100_000, dtype=np.int64)}

    def worker() -> None:
        start.wait()
        results.append(_cached("t-4", ("a",), build, "a test table")["a"].tolist())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and all(r == list(range(100_000)) for r in results)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t-4"]
    assert np.load(tmp_path / "t-4" / "a.npy").tolist() == list(range(100_000))


def test_char_model_memo_overflow_loses_nothing(monkeypatch) -> None:
    model = get_lm()
    texts = ["工具，为客户服务", "原因及恢复方法", "至关重要的一步", "影响使用"]
    fresh = model._score(texts, [0, 1, 2, 0])
    monkeypatch.setattr(lm, "_CACHE_MAX", 2)
    monkeypatch.setattr(model, "_cache", {})
    # more new keys than the memo holds, and again with some already memoised
    assert model.score_many(texts, [0, 1, 2, 0]) == fresh
    assert model.score_many(texts[::-1], [0, 2, 1, 0]) == model._score(texts[::-1], [0, 2, 1, 0])
    assert len(model._cache) <= 4


def test_word_memo_overflow_loses_nothing(monkeypatch) -> None:
    monkeypatch.setattr(spin, "_WORD_CACHE_MAX", 2)
    monkeypatch.setattr(spin, "_WORD_CACHE", {})
    windows = ["采取措施", "采纳措施", "至关重要", "采取措施"]
    assert spin._word_logprobs(windows) == [_jieba_logprob(w) for w in windows]
    assert spin._word_logprobs(windows[:1]) == [_jieba_logprob(windows[0])]


def test_garble_twins_derived_on_demand_match_full_table() -> None:
    twins = garble.tables().twins
    # 粳 = BE AC: the remains of any BE xx character followed by ， (A3 AC)
    cands = twins["粳"]
    assert ("具", "，", "gbk-loss-comma") in cands and all(m == "，" for _, m, _ in cands)
    assert all(x.encode("gbk")[0] == 0xBE and x != "粳" for x, _, _ in cands)
    assert ("元", "。", "gbk-loss-period") in twins["裕"]
    assert "具" not in twins  # 具 = BE DF: no lost mark leaves it
    with pytest.raises(KeyError):
        twins["具"]
    assert len(twins) == len(set(twins)) == len(list(iter(twins)))
    assert all(garble.tables().pattern.fullmatch(g) for g in twins)


def test_word_table_from_arrays_needs_no_jieba() -> None:
    # the table is plain arrays: a tiny hand-made one segments as jieba's DP says
    words = {"中国": 10, "中": 5, "国": 4, "人": 3}
    prefixes = {"中国人民": 0}  # not a word: its frequency 0 never ends a segment
    keys = sorted((_word_key(w), f) for w, f in {**words, **prefixes, "中国人": 0}.items())
    table = WordFreq(
        {
            "keys": np.array([k for k, _ in keys], dtype=np.uint64),
            "freq": np.array([f for _, f in keys], dtype=np.int32),
            "meta": np.array([100, 4], dtype=np.int64),
        }
    )
    lt = math.log(100)
    # 中国 as one word (log 10/100) beats 中 + 国 (log 5/100 + log 4/100); 人 is a word of its own
    assert table.logprobs(["中国人"]) == [math.log(10) - lt + (math.log(3) - lt + 0)]
    assert table.logprobs(["中"]) == [math.log(5) - lt + 0]
    # an unknown character counts as frequency 1
    assert table.logprobs(["猫"]) == [math.log(1) - lt + 0]


@pytest.mark.parametrize("vector_from", [0, 10**9])
def test_word_logprobs_both_dps_equal_jiebas(
    vector_from: int, shared: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The DP runs in numpy on big batches and in Python on small ones (``_VECTOR_DP_FROM``):
    each of them, forced on every batch, gives jieba's numbers bit for bit, on empty windows,
    windows shorter than a word and windows of mixed lengths in one batch."""
    monkeypatch.setattr(lm, "_VECTOR_DP_FROM", vector_from)
    seed = (shared / "seed" / "guide-article.txt").read_text(encoding="utf-8")
    windows = WINDOWS + [seed[i : i + (i % 23)] for i in range(0, min(len(seed), 4000), 5)]
    got = get_words().logprobs(windows)
    assert got == [_jieba_logprob(w) for w in windows]
    assert [type(x) for x in got] == [type(_jieba_logprob(w)) for w in windows]  # "" gives the int 0
    assert get_words().logprobs(["", "的"]) == [0, _jieba_logprob("的")]


def test_char_logprobs_deduplicated_equal_plain_lookups(shared: Path) -> None:
    """``CharLM.logprobs`` computes each distinct trigram once, in sorted order: the same numbers,
    bit for bit, as the lookups position by position (the form before issue 14's change)."""
    model = get_lm()
    text = lm.normalize((shared / "seed" / "guide-article.txt").read_text(encoding="utf-8")[:3000])
    c = np.array([lm.BOS, lm.BOS, *map(ord, text), *map(ord, text[:50])], dtype=np.int64)
    a, b, c = c[:-2], c[1:-1], c[2:]
    f = model._find
    uc = f(model.uni_k, model.uni_c, c).astype(np.float64)
    p1 = (uc + 1.0) / (model.total + model.vocab + 1.0)
    bn = f(model.uni_k, model.uni_n, b).astype(np.float64)
    bt = f(model.uni_k, model.uni_t, b).astype(np.float64)
    bc = f(model.bi_k, model.bi_c, lm._pack(b, c)).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        lam2 = np.where(bn > 0, bn / (bn + bt), 0.0)
        p2 = np.where(bn > 0, lam2 * bc / np.maximum(bn, 1) + (1 - lam2) * p1, p1)
        tn = f(model.bi_k, model.bi_n, lm._pack(a, b)).astype(np.float64)
        tt = f(model.bi_k, model.bi_t, lm._pack(a, b)).astype(np.float64)
        tc = f(model.tri_k, model.tri_c, lm._pack(a, b, c)).astype(np.float64)
        lam3 = np.where(tn > 0, tn / (tn + tt), 0.0)
        p3 = np.where(tn > 0, lam3 * tc / np.maximum(tn, 1) + (1 - lam3) * p2, p2)
    assert model.logprobs(a, b, c).tolist() == np.log(p3).tolist()
    assert len(a) >= lm._SORT_FROM > 50  # both paths: sorted (the whole text) and direct (a few)
    assert model.logprobs(a[:50], b[:50], c[:50]).tolist() == np.log(p3[:50]).tolist()


def test_char_score_batch_equals_per_text_loop(shared: Path) -> None:
    """``CharLM._score`` builds its positions in numpy; the per-text loop it replaced
    (``_score_plain``) gives the same sums, bit for bit, with starts inside, at and past a text's
    end, empty texts, digits and Latin (normalized) and a lone surrogate."""
    model = get_lm()
    seed = (shared / "seed" / "guide-article.txt").read_text(encoding="utf-8")[:4000]
    texts = [seed[i : i + (i % 11)] for i in range(0, len(seed), 3)] + ["", "3.5G流量", "\ud800的"]
    starts = [(i * 7) % 5 for i in range(len(texts))]
    assert model._score(texts, starts) == model._score_plain(texts, starts)
    assert model._score([], []) == [] and model._score(["的"], [3]) == [0.0]
