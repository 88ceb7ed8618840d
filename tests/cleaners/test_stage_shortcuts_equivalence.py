"""The repair stages' quick exits (issue 14) give the same answers as the plain stages.

Each stage outside the spin evidence learned to tell "nothing to do here" early: the byte-loss
stage from the page's batched neighbour counts (``garble._NO_HITS``), the mojibake stage from the
characters a UTF-8 run can start with (``garble._utf8_starts``), the Traditional-script test by
counting each distinct character once, the flag and punctuation stages from a one-scan test for
their trigger characters.  The plain forms are kept here as references, compared on real text
(../shared/pages), on damage made on purpose, and on random strings of GBK characters.  No test
here measures time (bench/clean.py does).
"""

from __future__ import annotations

import codecs
import json
import random
from pathlib import Path

import pytest

from cleaners import chinese, garble, repair
from cleaners.lm import get_lm
from tests.conftest import SHARED

PAGES = SHARED / "pages"


def _paragraphs(n: int) -> list[str]:
    """The paragraphs the repair chain is given for the first ``n`` pages of ../shared/pages."""
    from cleaners import page

    seen: list[str] = []
    real = repair.repair_text

    def grab(text: str):
        seen.append(text)
        return real(text)

    rows = [json.loads(x) for x in (PAGES / "manifest.jsonl").read_text("utf-8").splitlines() if x.strip()]
    mp = pytest.MonkeyPatch()
    mp.setattr(repair, "repair_text", grab)
    try:
        for r in rows[:n]:
            page.clean_page((PAGES / r["html"]).read_bytes(), r.get("url") or "")
    finally:
        mp.undo()
    return [p for body in seen for p in body.split("\n") if p.strip()]


@pytest.fixture(scope="module")
def paras(shared: Path) -> list[str]:  # ``shared`` fails the test (not skips) when the data is missing
    return _paragraphs(73)


# --------------------------------------------------------------------------- references


def ref_mojibake(text: str) -> list:
    """``garble.find_mojibake`` as it was: every run of the text tried with a fresh decoder."""
    edits = []
    for m in garble._RUN.finditer(text):
        try:
            codecs.getincrementaldecoder("utf-8")().decode(m.group()[:2].encode("gbk"), final=False)
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        for cut in (0, 1, 2):
            run = m.group()[: len(m.group()) - cut]
            if len(run) < 2:
                break
            try:
                fixed = run.encode("gbk").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            if (
                fixed != run
                and garble._readable(fixed)
                and garble._per_char(fixed) > garble._per_char(run) + 2.0
            ):
                edits.append((m.start(), run, fixed, "mojibake-utf8-as-gbk", 0.99, True))
            break
    for m in garble._LATIN_RUN.finditer(text):
        run = m.group()
        for codec in ("latin-1", "cp1252"):
            try:
                fixed = run.encode(codec).decode("gbk")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            if garble._readable(fixed):
                edits.append((m.start(), run, fixed, "mojibake-gbk-as-latin1", 0.98, True))
                break
    return sorted(edits)


def ref_looks_garbled(text: str) -> bool:
    if "\ufffd" in text:
        return True
    lm = get_lm()
    trad = chinese._t2s().trad_only
    han = [c for c in text if chinese._HAN_RE.match(c)]
    rare = sum(1 for c in han if c not in trad and lm.unigram(c) < 20)
    return len(han) >= 4 and rare / len(han) > 0.25


def _gbk_chars() -> list[str]:
    out = []
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            try:
                out.append(bytes([lead, trail]).decode("gbk"))
            except UnicodeDecodeError:
                pass
    return out


def _damaged(paras: list[str]) -> list[str]:
    """Real sentences with real damage: UTF-8 read as GBK, GBK read as Latin-1 and as cp1252."""
    out = []
    for p in paras[:60]:
        s = p[:40]
        out.append(s.encode("utf-8").decode("gbk", "replace"))
        out.append("前文 " + s.encode("utf-8").decode("gbk", "ignore") + " 后文")
        out.append(s.encode("gbk", "ignore").decode("latin-1"))
        out.append(s.encode("gbk", "ignore").decode("cp1252", "ignore"))
    return out


# --------------------------------------------------------------------------- the comparisons


def test_mojibake_same_as_every_run_tried(paras: list[str]) -> None:
    texts = paras + _damaged(paras)
    got = [garble.find_mojibake(t) for t in texts]
    assert got == [ref_mojibake(t) for t in texts]
    assert sum(1 for g in got if g) >= 40  # the damaged texts are found: the test compares edits


def test_mojibake_run_starts_on_random_gbk_strings() -> None:
    """Which runs get the byte round trip: the start pattern and the memoised prefix test pick
    exactly the runs whose first two characters' bytes begin valid UTF-8."""
    rng = random.Random(14)
    pool = _gbk_chars() + list("ab 1\n\t\u3000\ufffdé€😀，。")

    def ref_runs(t: str) -> list[tuple[int, int]]:
        out = []
        for m in garble._RUN.finditer(t):
            try:
                codecs.getincrementaldecoder("utf-8")().decode(m.group()[:2].encode("gbk"), final=False)
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            out.append(m.span())
        return out

    def runs(t: str) -> list[tuple[int, int]]:
        out = []
        for st in garble._utf8_starts().finditer(t):
            m = garble._RUN.match(t, st.start())
            assert m is not None
            if garble._utf8_prefix(m.group()[:2]):
                out.append(m.span())
        return out

    picked = 0
    for _ in range(20_000):
        t = "".join(rng.choice(pool) for _ in range(rng.randint(1, 10)))
        want = ref_runs(t)
        assert runs(t) == want, t
        picked += bool(want)
    assert picked > 100


def test_gbk_shortcut_same_as_full_test(paras: list[str]) -> None:
    """After a page's batch, the paragraphs it cleared answer [] from the set and the others find
    their scores and word counts ready; every answer is the full stage's, per paragraph, also for
    paragraphs with a byte loss made on purpose (工具， → 工粳)."""
    lossy = [p.replace("工具，", "工粳") for p in paras if "工具，" in p]
    lossy.append("我们需要准备一些工粳然后开始操作")
    texts = paras + lossy
    get_lm().clear_cache()
    garble.prefetch(texts)
    cleared, words = garble._NO_HITS, garble._WORDS
    got = [garble.find_gbk_loss(t) for t in texts]
    garble._NO_HITS, garble._WORDS = frozenset(), {}
    get_lm().clear_cache()  # the scores too come afresh, per paragraph
    try:
        ref = [garble.find_gbk_loss(t) for t in texts]
    finally:
        garble._NO_HITS, garble._WORDS = cleared, words
    assert got == ref
    assert len(words) > 10  # the paragraphs with hits had their words looked up in the batch
    assert len(cleared) > 0.5 * len(set(paras))  # most real paragraphs take the shortcut
    assert not any(t in cleared for t, r in zip(texts, ref, strict=True) if r)
    assert any(ref[len(paras) :])  # the made loss is found


def test_chain_same_without_gbk_shortcut(paras: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    body = "\n".join(paras[:400])
    fast = repair.repair_text(body)
    real_prefetch = garble.prefetch

    def no_shortcut(texts: list[str]) -> None:
        real_prefetch(texts)
        garble._NO_HITS, garble._WORDS = frozenset(), {}

    monkeypatch.setattr(garble, "prefetch", no_shortcut)
    assert repair.repair_text(body) == fast


def test_looks_garbled_same(paras: list[str]) -> None:
    trad = [p for p in paras if chinese.has_traditional(p)]
    texts = trad + _damaged(paras) + ["鎴戜滑", "繁體中文", "", "abc"]
    chinese._RARE.clear()
    got = [chinese._looks_garbled(t) for t in texts]  # the memo filling up as it goes
    assert got == [ref_looks_garbled(t) for t in texts]
    assert [chinese._looks_garbled(t) for t in texts] == got  # and answering from it
    assert len(chinese._RARE) > 500
    assert any(got) and not all(got) and len(trad) > 20


def test_flags_and_punct_quick_exits(paras: list[str]) -> None:
    extra = [
        "锟斤拷锟斤拷文字\ufffd\ufffd",
        "今天,我们去公园(北京)吧!好吗?",
        "print(你好,世界)",
        "这" * 45 + "，然后" + "那" * 41,
        "锟",
        "",
    ]
    for t in paras + extra:
        assert garble.find_unrepairable(t) == [
            (m.start(), m.group(), "", "unrepairable-replacement", 1.0, False)
            for m in garble._BAD.finditer(t)
        ]
        if not any(c in t for c in ",:;?!("):
            assert chinese.find_punct(t) == []
    assert chinese.find_punct(extra[1])  # converted marks: the quick exit does not hide them
    assert len(chinese.find_missing_breaks(extra[3])) == 2
    assert garble.find_unrepairable(extra[0])


def test_han_count_and_long_runs_same(paras: list[str]) -> None:
    """The page's Han count from its runs, and the missing-break runs found from run starts only,
    against the per-character forms; real text and random mixes of Han, punctuation and Latin."""
    import re

    han = chinese._HAN
    plain_long = re.compile(rf"[{han}]{{{chinese._MISSING_BREAK},}}")
    rng = random.Random(3)
    pool = list("这是一段中文文字，。abc 12") + ["\u3400", "\u9fff", "\uf900", "\ufaff", "\u4dbf"]
    mixes = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 120))) for _ in range(3000)]
    runs = ["中" * n + "，" + "文" * m for n in (0, 39, 40, 41, 90) for m in (0, 40, 200)]
    texts = paras + mixes + runs + ["\n".join(paras[:300])]
    for t in texts:
        assert repair._han_count(t) == len(repair._HAN.findall(t))
        got = [(m.start(), m.group()) for m in chinese._LONG_RUN.finditer(t)]
        assert got == [(m.start(), m.group()) for m in plain_long.finditer(t)]
    assert sum(1 for t in texts if chinese.find_missing_breaks(t)) > 10


def ref_punct_plain(text: str) -> list:
    """``chinese.find_punct`` without its quick exits (the trigger and context scans)."""
    import bisect

    if chinese._CODE.search(text):
        return []
    table = chinese._punct()
    protected = [(m.start(), m.end()) for m in chinese._PROTECT.finditer(text)]
    starts = [a for a, _b in protected]

    def free(i: int) -> bool:
        n = bisect.bisect_right(starts, i) - 1
        return n < 0 or i >= protected[n][1]

    edits = []
    full_paren, paren_rule = table["()"]
    for m in chinese._PAREN.finditer(text):
        inner = m.group(1)
        if not chinese._HAN_RE.search(inner) or chinese._PAREN_INNER_BAD.search(inner):
            continue
        if not (free(m.start()) and free(m.end() - 1)):
            continue
        before = text[m.start() - 1] if m.start() > 0 else ""
        after = text[m.end()] if m.end() < len(text) else ""
        if not (
            before in ("", " ")
            or chinese._HAN_RE.match(before)
            or not before.isascii()
            or after == ""
            or chinese._HAN_RE.match(after)
        ):
            continue
        edits.append((m.start(), "(", full_paren[0], paren_rule, 0.99, True))
        edits.append((m.end() - 1, ")", full_paren[1], paren_rule, 0.99, True))
    view = list(text)
    for off, _b, after, *_ in edits:
        view[off] = after
    for m in chinese._MARK.finditer("".join(view)):
        if free(m.start()):
            half = m.group()
            full, rule = table[half]
            edits.append((m.start(), half, full, rule, 0.99, True))
    return sorted(edits)


def test_punct_same_without_quick_exits(paras: list[str]) -> None:
    rng = random.Random(5)
    pool = list("中文，,:;?!()（）」「》《“”abc 1\n") + ["http://a.b/c,d", "x(1)", "(注)"]
    mixes = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 30))) for _ in range(5000)]
    english = ["Hello, world: (yes); why? no!", "」,「", "》;“", "a」?", "print(1,2)"]
    texts = paras + mixes + english
    got = [chinese.find_punct(t) for t in texts]
    assert got == [ref_punct_plain(t) for t in texts]
    assert sum(1 for g in got if g) > 300  # conversions happen: the comparison is not of empties
