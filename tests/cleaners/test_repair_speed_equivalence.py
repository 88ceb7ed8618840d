"""The repair chain's shortcuts (issue 14) give the same answers as the plain chain they replaced.

Each shortcut saves work without changing a result: the models' evidence asked for a whole page in
one batch (``spin.prefetch``, ``garble.prefetch``) instead of per paragraph, and a spin candidate
that cannot reach ``suspect`` dropped before the page is searched for its unspun twin
(``spin._hopeless``).  The plain forms are kept here as references: the per-paragraph scoring as it
was first written, the chain with the prefetches switched off, every candidate weighed in full.
They are compared on real text (../shared/pages, ../shared/spin) with every field of every
repair.  No test here measures time (bench/clean.py, bench/repair.py do); the full comparison on
all 735 pages, with the word model and the spinner's tables too, is bench/repair_dump.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cleaners import garble, repair, spin
from cleaners.lm import get_lm
from cleaners.spin import _CTX, _WORD_CTX, _word_logprobs, matches, table
from tests.conftest import SHARED

PAGES = SHARED / "pages"
SPIN = SHARED / "spin"


def ref_scored(text: str) -> list:
    """``spin._scored`` as first written: one paragraph, its own model queries."""
    tab = table()
    cands = matches(text, tab)
    if not cands:
        return []
    windows, starts, word_windows = [], [], []
    for i, w in cands:
        j = i + len(w)
        left, right = text[max(0, i - _CTX) : i], text[j : j + _CTX]
        wleft, wright = text[max(0, i - _WORD_CTX) : i], text[j : j + _WORD_CTX]
        for form in [w] + [p.original for p in tab.pairs[w]]:
            windows.append(left + form + right)
            starts.append(len(left))
            word_windows.append(wleft + form + wright)
    scores = [
        c + w for c, w in zip(get_lm().score_many(windows, starts), _word_logprobs(word_windows), strict=True)
    ]
    out, k = [], 0
    for i, w in cands:
        ps = tab.pairs[w]
        out.append((i, w, [(p, scores[k + n] - scores[k]) for n, p in enumerate(ps, 1)]))
        k += 1 + len(ps)
    return out


def _page_bodies(n: int) -> list[str]:
    """The text the repair chain is given for the first ``n`` pages of ../shared/pages."""
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
    return seen


def _spin_rows() -> list[tuple[str, str]]:
    rows = [json.loads(x) for x in (SPIN / "spun_pairs.jsonl").read_text("utf-8").splitlines() if x.strip()]
    return [(r["spun"], r["original"]) for r in rows]


@pytest.fixture(scope="module")
def bodies(shared: Path) -> list[str]:  # ``shared`` fails the test (not skips) when the data is missing
    return _page_bodies(12)


def _rec(out: tuple[str, list]) -> tuple[str, list]:
    text, reps = out
    return text, [(r.kind, r.rule, r.before, r.after, r.offset, r.confidence, r.applied) for r in reps]


def test_batched_scores_equal_per_paragraph_scores(bodies: list[str]) -> None:
    paras = [p for body in bodies for p in body.split("\n") if p.strip()]
    spin.clear_memo()
    spin.prefetch(paras)  # one batch for all of them
    batched = [spin._scored(p) for p in paras]
    spin.clear_memo()
    assert batched == [ref_scored(p) for p in paras]
    assert sum(len(s) for s in batched) > 100  # the pages hold candidates: the test compares something


def test_bigram_memo_equals_direct_lookup(bodies: list[str]) -> None:
    lm = get_lm()
    pairs = [
        p for body in bodies[:4] for t in body.split("\n") for p in garble._suspects(t, garble.tables())[1]
    ]
    assert pairs
    lm.clear_cache()
    assert lm.bigrams(pairs[: len(pairs) // 2]) == lm._bigram_counts(pairs[: len(pairs) // 2])
    assert lm.bigrams(pairs) == lm._bigram_counts(pairs)  # half from the memo, half fresh


def test_repair_text_same_without_prefetch(bodies: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    spin.clear_memo()
    fast = [_rec(repair.repair_text(b)) for b in bodies]
    monkeypatch.setattr(spin, "prefetch", lambda texts: None)
    monkeypatch.setattr(garble, "prefetch", lambda texts: None)
    spin.clear_memo()
    assert [_rec(repair.repair_text(b)) for b in bodies] == fast


@pytest.mark.parametrize("spun", [False, True])
def test_hopeless_candidates_change_nothing(
    spun: bool, monkeypatch: pytest.MonkeyPatch, shared: Path
) -> None:
    """Every spun paragraph, its page holding the original too (so unspun twins are there to
    find, and the echo bonus decides some candidates): the same edits with every candidate
    weighed in full."""
    rows = _spin_rows()[:150]
    fast = [spin.find_spin(s, spun=spun, doc=s + "\n" + o) for s, o in rows]
    dropped = sum(
        spin._hopeless(table(), g, table().echo_bonus, float("inf"), [table().margins[p.cls] for p, _ in g])
        for s, _ in rows
        for _, _, g in spin._scored(s)
    )
    monkeypatch.setattr(spin, "_hopeless", lambda *a: False)
    monkeypatch.setattr(spin, "_all_hopeless", lambda *a: False)
    spin.clear_memo()  # (find_spin memoises which candidates are hopeless: weigh them all anew)
    assert [spin.find_spin(s, spun=spun, doc=s + "\n" + o) for s, o in rows] == fast
    assert dropped > 0 and any(any(e[5] for e in f) for f in fast)


@pytest.mark.parametrize("spun", [False, True])
def test_all_hopeless_paragraphs_change_nothing(
    spun: bool, bodies: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A paragraph answered at once (``spin._all_hopeless``: its peak evidence against the lowest
    margin) gives what weighing each of its candidates gives, with and without a page to search
    and with proven pairs (which lower the margin)."""
    paras = [p for body in bodies for p in body.split("\n") if p.strip()][:600]
    proven = frozenset(p.id for ps in table().pairs.values() for p in ps)
    spin.clear_memo()
    args = [(p, doc, pr) for p in paras for doc in (None, "\n".join(paras)) for pr in (frozenset(), proven)]
    fast = [spin.find_spin(p, spun=spun, doc=doc, proven=pr) for p, doc, pr in args]
    skipped = sum(
        bool(spin._scored(p))
        and spin._all_hopeless(table(), spin._PEAK[p], 0.0, float("inf"), table().margins, frozenset())
        for p in paras
    )
    monkeypatch.setattr(spin, "_all_hopeless", lambda *a: False)
    assert [spin.find_spin(p, spun=spun, doc=doc, proven=pr) for p, doc, pr in args] == fast
    assert skipped > 20 and any(fast)  # the shortcut is taken, and there is something to find


@pytest.mark.parametrize("spun", [False, True])
def test_candidates_under_suspect_change_nothing(
    spun: bool, bodies: list[str], monkeypatch: pytest.MonkeyPatch, shared: Path
) -> None:
    """A candidate passed over once its twins are known (``spin._under_suspect``) gives what
    ranking it gives: spun paragraphs beside their originals (twins to find) and page paragraphs,
    with and without proven pairs."""
    rows = [(s, s + "\n" + o) for s, o in _spin_rows()[:150]]
    paras = [p for body in bodies for p in body.split("\n") if p.strip()][:400]
    rows += [(p, "\n".join(paras)) for p in paras]
    proven = frozenset(p.id for ps in table().pairs.values() for p in ps)
    args = [(p, doc, pr) for p, doc in rows for pr in (frozenset(), proven)]
    spin.clear_memo()
    calls: list[bool] = []
    real = spin._under_suspect

    def spy(*a):
        calls.append(real(*a))
        return calls[-1]

    monkeypatch.setattr(spin, "_under_suspect", spy)
    fast = [spin.find_spin(p, spun=spun, doc=doc, proven=pr) for p, doc, pr in args]
    monkeypatch.setattr(spin, "_under_suspect", lambda *a: False)
    assert [spin.find_spin(p, spun=spun, doc=doc, proven=pr) for p, doc, pr in args] == fast
    assert sum(calls) > 20 and any(any(e[5] for e in f) for f in fast)


def _echo_reference(doc: str, text: str, i: int, j: int, original: str) -> bool:
    """``spin._echo`` as first written: a search of the page for each of the two phrases."""
    left, right = text[max(0, i - 3) : i], text[j : j + 3]
    for a, b in ((3, 2), (2, 3)):
        lc = left[len(left) - a :] if len(left) >= a else None
        rc = right[:b] if len(right) >= b else None
        if lc is not None and rc is not None and (lc + original + rc) in doc:
            return True
    return False


def test_echo_one_search_equals_two_phrase_searches() -> None:
    """Every position of short texts over a two-letter alphabet, against pages made of the same
    letters (so that partial twins, twins at the page's edges and overlapping hits all occur)."""
    import random

    rnd = random.Random(14)
    checked = found = 0
    for _ in range(300):
        text = "".join(rnd.choice("甲乙") for _ in range(rnd.randint(2, 9)))
        doc = "".join(rnd.choice("甲乙甲乙\n") for _ in range(rnd.randint(0, 60)))
        for i in range(len(text)):
            for j in range(i + 1, min(len(text), i + 3) + 1):
                for original in ("甲", "乙甲", text[i:j]):
                    want = _echo_reference(doc, text, i, j, original)
                    assert spin._echo(doc, text, i, j, original) == want, (doc, text, i, j, original)
                    checked += 1
                    found += want
    assert checked > 1000 and found > 50
