"""The word trigram model (cleaners/wordlm.py): the real KenLM model that `make test` fetches
(scripts/fetch-lm.sh), and the fallback where it cannot be had."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cleaners import spin, wordlm

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def lm_on(monkeypatch):
    monkeypatch.setenv(wordlm.SWITCH, "1")
    monkeypatch.delenv(wordlm.ENV, raising=False)
    monkeypatch.delenv("GUIDECRAWL_SPIN_TABLES", raising=False)
    spin.reload()
    model = wordlm.get_wordlm()
    if model is None:
        pytest.skip(
            "the word model libime-data-language-model cannot be had on this machine "
            "(scripts/fetch-lm.sh said why); the fallback tests below still run"
        )
    yield model
    monkeypatch.delenv(wordlm.SWITCH)
    spin.reload()


def test_model_path_order(monkeypatch, tmp_path):
    monkeypatch.setenv(wordlm.ENV, str(tmp_path / "missing.lm"))
    assert wordlm.model_path() is None  # an explicit path is the only one tried
    f = tmp_path / "my.lm"
    f.write_bytes(b"not a model")
    monkeypatch.setenv(wordlm.ENV, str(f))
    assert wordlm.model_path() == f
    monkeypatch.delenv(wordlm.ENV)
    monkeypatch.setenv("GUIDECRAWL_CACHE", str(tmp_path))
    (tmp_path / "lm").mkdir()
    (tmp_path / "lm" / "zh_CN.lm").write_bytes(b"x")
    expected = wordlm.DEBIAN_PATH if wordlm.DEBIAN_PATH.is_file() else tmp_path / "lm" / "zh_CN.lm"
    assert wordlm.model_path() == expected


def test_version_names_the_model(monkeypatch, tmp_path):
    from cleaners import CLEANER_VERSION, cleaner_version

    monkeypatch.delenv("GUIDECRAWL_SPIN_TABLES", raising=False)
    monkeypatch.setenv(wordlm.SWITCH, "0")
    base = cleaner_version()  # the code and the data (rules, built-in models), no word model
    assert base.startswith(CLEANER_VERSION + "+data.") and base.count("+") == 1
    monkeypatch.setenv(wordlm.SWITCH, "1")
    monkeypatch.setenv(wordlm.ENV, str(tmp_path / "missing.lm"))
    wordlm.reset()
    assert cleaner_version() == base + "+nolm"
    other = tmp_path / "other.lm"
    other.write_bytes(b"another model" * 100)
    monkeypatch.setenv(wordlm.ENV, str(other))
    wordlm.reset()
    on = cleaner_version()  # the data part now names the word model's prior (wordfreq) too
    assert on.startswith(CLEANER_VERSION + "+data.") and on.split("+")[2].startswith("lm.") and on != base
    wordlm.reset()


def test_segment_and_window_scores(lm_on):
    assert lm_on.segment("至关重要的问题") == ("至关重要", "的", "问题")
    # 都会 reads 都 + 会 where that is the better reading: 城市 is not clearly better (it was by
    # 5.5 nats with 都会 forced to one word)
    s = lm_on.gains("", ["都会", "城市"], "吸引大量的昆虫", True, False)
    assert s[1] - s[0] < 1.0
    # the seed's heading: 使用协议 is far more probable than 利用协议
    a, b = lm_on.gains("违反京东", ["利用", "使用"], "协议", False, True)
    assert b - a > 1.0


def test_window_markers_only_at_punctuation():
    text = "第一句。今天我们讨论至关关键的事情，然后回家"
    i = text.index("至关关键")
    left, right, bos, eos = spin.lm_window(text, i, i + 4)
    assert left == "今天我们讨论" and right == "的事情" and bos and eos
    text2 = "这是一个很长很长的句子里至关关键的很长很长的内容啊"
    i = text2.index("至关关键")
    left, right, bos, eos = spin.lm_window(text2, i, i + 4)
    assert 0 < len(left) <= spin._LM_WIN and 0 < len(right) <= spin._LM_WIN and not bos and not eos
    assert text2[:i].endswith(left) and text2[i + 4 :].startswith(right)


def test_spin_with_the_word_model(lm_on):
    from cleaners.repair import repair_text

    assert spin.table().evidence == "kenlm"
    out, _ = repair_text("这一步至关关键，须要身份片。")
    assert out == "这一步至关重要，需要身份证。"
    clean = "再到大象，都会吸引大量的昆虫。学生的思维才能保持专注。"
    assert repair_text(clean)[0] == clean  # regression: 都会 → 城市, 才能 → 能力 before the split reading


def test_evidence_sources_are_traced(lm_on):
    from cleaners.repair import repair_text

    spin.TRACE = {}
    try:
        repair_text("这一步至关关键。")
        # either model may decide (they are combined): charlm, lm (word model), prior, page
        assert set(spin.TRACE.values()) <= {"charlm", "lm", "prior", "page"} and spin.TRACE
    finally:
        spin.TRACE = None


def test_on_by_default_and_off_with_zero(monkeypatch):
    # issue 13: the word model is on by default ([spin_lm] enabled = true); GUIDECRAWL_WORDLM=0
    # (or false/no/off) switches it off, an empty value leaves the settings file to decide
    from cleaners.data import repair_settings

    assert repair_settings()["spin_lm"]["enabled"] is True
    monkeypatch.delenv(wordlm.SWITCH, raising=False)
    wordlm.reset()
    assert wordlm.enabled()
    for off in ("0", "false", "No", " off "):
        monkeypatch.setenv(wordlm.SWITCH, off)
        assert not wordlm.enabled() and wordlm.model_tag() == "" and wordlm.get_wordlm() is None
    for on in ("1", "yes", " "):
        monkeypatch.setenv(wordlm.SWITCH, on)
        assert wordlm.enabled()
    wordlm.reset()


@pytest.mark.parametrize("switch", ["1", None], ids=["switched-on", "default"])
def test_fallback_without_the_model_says_so_once(tmp_path, switch):
    # the chain still runs on its character model, says so in one line, and the version says so
    code = (
        "from cleaners.repair import repair_text; from cleaners import cleaner_version, spin;"
        "print(repair_text('这一步至关关键。')[0]); print(repair_text('须要身份片。')[0]);"
        "print(spin.table().evidence); print(cleaner_version())"
    )
    env = {**os.environ, wordlm.ENV: str(tmp_path / "missing.lm")}
    env.pop("GUIDECRAWL_SPIN_TABLES", None)
    env.pop(wordlm.SWITCH, None)
    if switch is not None:
        env[wordlm.SWITCH] = switch
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr
    *texts, version = out.stdout.split()
    assert texts == ["这一步至关重要。", "需要身份证。", "charlm"]
    assert version.startswith("0.1.0+data.") and version.endswith("+nolm"), version
    said = [ln for ln in out.stderr.splitlines() if "word language model off" in ln]
    assert len(said) == 1 and "missing.lm" in said[0]


@pytest.mark.parametrize(
    "damaged, restored",
    [
        ("是听之任脂还是揭竿而起紧追猛打？", "是听之任之，还是揭竿而起紧追猛打？"),
        ("急忙上网查熏原来果然有这么一说。", "急忙上网查询，原来果然有这么一说。"),
    ],
)
def test_gbk_loss_the_character_model_missed(lm_on, monkeypatch, damaged, restored):
    # simulated losses in ../shared/pages gold text (bench/repair.py): the character model alone
    # leaves them, the word model's ranking of the twins restores them
    from cleaners.garble import find_gbk_loss
    from cleaners.repair import repair_text

    assert repair_text(damaged)[0] == restored
    monkeypatch.setenv(wordlm.SWITCH, "0")
    assert not [e for e in find_gbk_loss(damaged) if e[5]]


def test_demo_seed_page_heading_restored(lm_on):
    # issue 13: in the demo site's template the seed's 利用协议 (← 使用协议) stayed spun
    from cleaners.page import clean_page

    page = ROOT / "data" / "demo_site" / "guanxian" / "consult" / "xyqhu" / "1425292049.html"
    body = clean_page(page.read_bytes(), "http://127.0.0.1/consult/xyqhu/1425292049.html").body
    assert "违反京东使用协议" in body and "利用协议" not in body
    assert "违反了京东的使用规则" in body and "良好的使用习惯" in body


def test_demo_seed_page_restored_by_default(monkeypatch):
    # issue 13's bar, with no switch set: the default chain (word model on) restores the seed's
    # heading in the demo site's template; GUIDECRAWL_WORDLM=0 (the character model alone) does not
    from cleaners.page import clean_page

    page = ROOT / "data" / "demo_site" / "guanxian" / "consult" / "xyqhu" / "1425292049.html"
    url = "http://127.0.0.1/consult/xyqhu/1425292049.html"
    monkeypatch.delenv(wordlm.SWITCH, raising=False)
    monkeypatch.delenv(wordlm.ENV, raising=False)
    monkeypatch.delenv("GUIDECRAWL_SPIN_TABLES", raising=False)
    spin.reload()
    try:
        if wordlm.get_wordlm() is None:
            pytest.skip("the word model libime-data-language-model cannot be had on this machine")
        assert "违反京东使用协议" in clean_page(page.read_bytes(), url).body
        monkeypatch.setenv(wordlm.SWITCH, "0")
        spin.reload()
        assert "违反京东利用协议" in clean_page(page.read_bytes(), url).body
    finally:
        monkeypatch.delenv(wordlm.SWITCH, raising=False)
        spin.reload()


def test_fetch_script_never_fails_the_build(tmp_path):
    # make demo/test run it first: with the model at hand it is silent, with an explicit path that
    # is no file it says so in one line and still exits 0 (the chain then falls back)
    script = ROOT / "scripts" / "fetch-lm.sh"
    missing = {**os.environ, wordlm.ENV: str(tmp_path / "none.lm")}
    out = subprocess.run(["sh", str(script)], capture_output=True, text=True, env=missing, timeout=60)
    assert out.returncode == 0 and out.stderr.count("\n") == 1 and "none.lm" in out.stderr
    dry = subprocess.run(["make", "-n", "test"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "scripts/fetch-lm.sh" in dry.stdout


def test_word_model_keeps_the_seed_golden_restorations(lm_on, shared):
    # issue 13: with the word model's evidence replacing the character model's, these three were
    # lost (its margins are on another scale); combined, the character model still makes them and
    # the word model does not object
    from cleaners.repair import repair_text

    out = repair_text((shared / "seed" / "guide-article.txt").read_text(encoding="utf-8"))[0]
    assert "了解如何正确处理京东冻结问题至关重要" in out
    assert "产生一定的负面影响" in out and "不仅影响用户的购物体验" in out
    # and what the word model adds is kept: 利用协议 in the heading, 良好的使用习惯
    assert "违反京东使用协议\n" in out and "良好的使用习惯" in out


def test_word_model_is_asked_only_above_the_character_floor(lm_on, monkeypatch):
    asked: list[str] = []
    real = spin._word_scored

    def spy(text, i, w):
        asked.append(w)
        return real(text, i, w)

    spy.cache_clear = real.cache_clear  # type: ignore[attr-defined]  (the fixture's teardown clears it)
    monkeypatch.setattr(spin, "_word_scored", spy)
    # 重要 ← 主要 scores far below the floor under the character model: never asked; 应对 ← 处理
    # (11.6) is
    edits = spin.find_spin("熟悉如何正确应对京东冻结问题至关重要。")
    assert "重要" not in asked and "应对" in asked
    assert [e[1] for e in edits if e[5]] == []  # plain margins: neither model is sure alone
    assert [
        (e[1], e[2]) for e in spin.find_spin("熟悉如何正确应对京东冻结问题至关重要。", spun=True) if e[5]
    ] == [("应对", "处理")]


# --------------------------------------------------------------------------- exact speed-ups
WINDOWS = [
    ("违反京东", ["利用", "使用"], "协议", False, True),
    ("", ["都会", "城市"], "吸引大量的昆虫", True, False),
    ("了解如何正确", ["应对", "处理"], "京东冻结问题", True, False),
    ("是听之任", ["之", "脂"], "还是揭竿而起", True, True),
    ("这类情况不仅", ["作用", "影响"], "用户的购物", False, False),
    ("abc", ["疑惑", "问题", "难题"], "", True, True),
]


@pytest.mark.parametrize("left, forms, right, bos, eos", WINDOWS)
def test_form_scores_differ_as_the_window_scores(lm_on, left, forms, right, bos, eos):
    # form_scores leaves out what every form shares (the context before the re-segmented span,
    # the words a trigram cannot see from the form): the differences must be the whole windows'
    full = lm_on.gains(left, forms, right, bos, eos)
    part = lm_on.form_scores(left, forms, right, bos, eos)
    for k in range(1, len(forms)):
        assert part[k] - part[0] == pytest.approx(full[k] - full[0], abs=1e-9)


def test_segmenter_over_the_vocabulary_splits_as_the_plain_programme(lm_on, monkeypatch):
    texts = [
        "至关重要的问题",
        "这类情况不仅影响用户的购物体验还可能对个人信用记录产生一定的负面影响",
        "是听之任之还是揭竿而起紧追猛打",
        "他们都会来吗",
        "思维才能保持专注",
        "𠀀𠀁的问题",  # characters the model does not know
        "",
    ]

    def splits():
        lm_on.clear_cache()
        got = [lm_on.segment(t) for t in texts] + [lm_on.segment(t, 2) for t in texts]
        lm_on.clear_cache()
        return got

    fast = splits()  # the compiled index where it is built, else the frozensets
    # the frozensets (the reference where the compiled module is not built)
    monkeypatch.setattr(lm_on, "_index", None)
    monkeypatch.setattr(lm_on, "_vocab", wordlm._read_vocab(lm_on.path, lm_on.model)[0])
    monkeypatch.setattr(lm_on, "_prefixes", wordlm._read_vocab(lm_on.path, lm_on.model)[1])
    by_sets = splits()
    monkeypatch.setattr(lm_on, "_vocab", None)  # the backward loop asking the model every substring
    plain = splits()
    assert fast == by_sets == plain
    assert fast[0] == ("至关重要", "的", "问题") and fast[5][:2] == ("𠀀", "𠀁")


def test_vocabulary_is_read_from_the_model_file_or_not_at_all(lm_on, tmp_path):
    vocab, prefixes = wordlm._read_vocab(lm_on.path, lm_on.model)
    assert vocab is not None and len(vocab) > 100_000
    assert "至关重要" in vocab and "至关" in prefixes and "至关关键" not in vocab
    # where the compiled module is built the segmenter holds keys of the same words, not the strings
    if lm_on._index is not None:
        assert lm_on._vocab is None and len(lm_on._index) == len(vocab)
        assert lm_on._index.maybe_word("至关重要") and lm_on._index.maybe_prefix("至关重")
        assert not lm_on._index.maybe_word("至关重") and not lm_on._index.maybe_prefix("至关关")
        assert all(lm_on._index.maybe_word(w) for w in list(vocab)[::97])
        assert all(lm_on._index.maybe_prefix(w) for w in list(prefixes)[::97])
    else:
        assert lm_on._vocab == vocab and lm_on._prefixes == prefixes
    # another file (no KenLM vocabulary at its end): none, and the segmenter asks the model
    other = tmp_path / "other.lm"
    other.write_bytes(b"\x00<unk>\x00" + "至关关键\x00".encode() * 2000)  # words the model lacks
    assert wordlm._read_vocab(other, lm_on.model) == (None, frozenset())
    other.write_bytes(b"mmap lm " * 5000)  # no vocabulary at all
    assert wordlm._read_vocab(other, lm_on.model) == (None, frozenset())
    assert wordlm._read_vocab(tmp_path / "missing.lm", lm_on.model) == (None, frozenset())


def test_window_scores_are_memoised_and_cleared(lm_on):
    a = lm_on.window_score("违反京东", "使用", "协议", False, True)
    assert lm_on._windows and lm_on.window_score("违反京东", "使用", "协议", False, True) == a
    lm_on.clear_cache()
    assert not lm_on._windows
    assert lm_on.window_score("违反京东", "使用", "协议", False, True) == pytest.approx(a, abs=1e-9)


@pytest.mark.parametrize(
    "text",
    [
        "熟悉如何正确应对京东冻结问题至关重要。",
        "这一步至关关键，须要身份片。再到大象，都会吸引大量的昆虫。",
        "这是一个很长很长的句子里至关关键的很长很长的内容啊",
    ],
)
def test_word_evidence_is_the_whole_windows_difference(lm_on, text):
    # spin._word_scored asks form_scores over tokens segmented once; the evidence must be the one
    # the whole windows give (WordLM.gains over lm_window), pair for pair
    for i, w in spin.matches(text):
        originals, pri = spin._prior_part(w)
        left, right, bos, eos = spin.lm_window(text, i, i + len(w))
        full = lm_on.gains(left, [w, *originals], right, bos, eos)
        got = spin._word_scored(text, i, w)
        assert [g for g, _ in got] == pytest.approx(
            [full[k + 1] - full[0] + pri[k] for k in range(len(originals))], abs=1e-9
        )
        lt, rt, _, _ = spin._lm_tokens(lm_on, text, i, i + len(w))
        assert "".join(lt) == left and "".join(rt) == right


def test_word_model_keeps_two_originals_that_fit_alike_undecided(lm_on):
    # 操纵 is a spun 利用 (R) or 操作 (C); here it was 操作 (real spun text of ../shared/spin).
    # The character model finds both about as likely (10.0 vs 10.9); the word model's path for
    # 操作 stays shut, and comparing only the originals that got a path (by their distance to two
    # different class margins) restored 利用: wrong.  The evidence of every original is compared, on
    # the scale of the model that decided.
    text = "每个键都可以编程，指定所对应的操纵。同时，它的键帽是一个小屏幕。"
    edits = spin.find_spin(text, spun=True)
    assert [e[1] for e in edits] == ["操纵"]
    assert not edits[0][5], edits


def test_compiled_vocabulary_index_equals_the_frozensets_on_real_pages(lm_on, shared, monkeypatch):
    # the segmenter's programme and the edge test over the compiled keys (cleaners/_fastlm.pyx
    # WordIndex) against the Python loops over the frozensets, on the Han runs of real pages
    import random
    import re

    from tests.cleaners.test_repair_speed_equivalence import _page_bodies

    index = lm_on._index
    if index is None:
        pytest.skip("cleaners/_fastlm is not built here: the frozensets are what runs")
    vocab, prefixes = wordlm._read_vocab(lm_on.path, lm_on.model)
    runs = [r for body in _page_bodies(12) for r in re.findall(r"[\u3400-\u9fff]{2,}", body)]
    assert len(runs) > 500
    unk = lm_on.unk - 1.0
    rng = random.Random(7)
    edges = []
    for r in runs:
        for longest in (wordlm.MAX_WORD, 3, 2):
            got = index.dp(r, longest, lm_on._uni, lm_on.unigram, unk)
            assert got == wordlm.WordLM._dp_vocab(
                r, longest, lm_on._uni, lm_on.unigram, vocab, prefixes, unk
            ), r
        lo = rng.randrange(len(r))
        edges.append((r, lo, rng.randrange(lo, len(r) + 1)))
    fast = [lm_on._crossing(*e) for e in edges]
    monkeypatch.setattr(lm_on, "_index", None)
    monkeypatch.setattr(lm_on, "_vocab", vocab)
    monkeypatch.setattr(lm_on, "_prefixes", prefixes)
    assert fast == [lm_on._crossing(*e) for e in edges]
    assert 0 < sum(fast) < len(fast)


@pytest.mark.parametrize("left, forms, right, bos, eos", WINDOWS)
def test_window_scores_of_many_forms_are_the_window_scores(lm_on, left, forms, right, bos, eos):
    # one window, many forms (the GBK stage's twins): the same floats as one form at a time
    lm_on.clear_cache()
    one = [lm_on.window_score(left, f, right, bos, eos) for f in forms]
    lm_on.clear_cache()
    assert lm_on.window_scores(left, forms + forms[:1], right, bos, eos) == one + one[:1]
    assert lm_on.window_scores(left, forms, right, bos, eos) == one  # (from the memo)


def test_window_scores_equal_one_at_a_time_on_real_pages(lm_on, shared):
    # the GBK stage's windows (garble._add_wordlm): a Han run of a real page before each of a
    # garbled character's lead-byte twins, the clause ended after it; and windows with a right side
    import random
    import re

    from cleaners.garble import tables
    from tests.cleaners.test_repair_speed_equivalence import _page_bodies

    twins = sorted({t[0] for ts in tables().twins.values() for t in ts})
    runs = [r for body in _page_bodies(12) for r in re.findall(r"[\u3400-\u9fff]{2,}", body)]
    assert len(runs) > 500 and len(twins) > 50
    rng = random.Random(11)
    windows = []
    for r in runs[:300]:
        k = rng.randrange(len(r))
        right = "" if rng.random() < 0.5 else r[k + 1 : k + 9]
        windows.append((r[max(0, k - 8) : k], [r[k], *rng.sample(twins, 40)], right, k == 0, True))
    lm_on.clear_cache()
    many = [lm_on.window_scores(*w) for w in windows]
    lm_on.clear_cache()
    one = [
        [lm_on.window_score(left, f, right, bos, eos) for f in forms]
        for left, forms, right, bos, eos in windows
    ]
    assert many == one
