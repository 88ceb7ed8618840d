# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The repair chain's model look-ups as compiled loops (optional: ``cleaners/lm.py`` and
``cleaners/spin.py`` run their numpy and Python code, the reference, when this is not built).

Why by hand: the chain asks the models about a few hundred short windows at a time, once or
twice per pass of a page, and numpy's cost there is its fixed set-up per operation (some sixty
array operations per query, ~1.5 ms), not the table searches themselves (~0.1 us each).  No
library scores a batch of windows against our memory-mapped count tables: the character model's
Witten-Bell trigram probability and jieba's best-segmentation DP are a binary search and a few
float operations per character, written here once each, in the same arithmetic in the same order
as the numpy code (``tests/cleaners/test_fastpaths.py`` compares both on the bench pages' windows,
bit for bit).  The logarithm stays numpy's: the character model's loops return probabilities,
``lm.CharLM`` takes ``np.log`` of them, and ``sums`` / ``candidate_scores`` add them up.

``candidate_p3`` and ``candidate_scores`` weigh the spin stage's candidates straight from the
paragraph (``spin._score_paragraphs``): each form's windows as ``spin`` builds them as strings, read
from the text and the form without making those strings.

``WordIndex`` keeps the word trigram model's vocabulary (157k words, 180k prefixes) as sorted 64-bit
keys, ~2.7 MB, where Python's frozensets of the strings took ~35 MB in every cleaning process, and
runs ``cleaners/wordlm.py``'s segmenter loop over them, hashing each substring as it grows by a
character instead of slicing it.  No library offers a prefix set that compact with that loop; a
key's "maybe" is settled by the model itself, so the splits are the frozensets' exactly.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.math cimport INFINITY
from libc.stdint cimport int32_t, int64_t, uint64_t

import numpy as np

cdef int64_t _B21 = 1 << 21
cdef int64_t _BOS = 2
cdef uint64_t _FNV_OFFSET = 0xCBF29CE484222325ULL
cdef uint64_t _FNV_PRIME = 0x100000001B3ULL
cdef uint64_t _TOP = 1ULL << 63
cdef Py_ssize_t _CTX = 2  # spin._CTX: the character model's context each side of a form
cdef Py_ssize_t _WORD_CTX = 3  # spin._WORD_CTX: the word model's


ctypedef fused _key_t:
    int64_t
    uint64_t


cdef inline Py_ssize_t _find(const _key_t[::1] keys, _key_t q, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    """Index of ``q`` in the sorted ``keys[lo:hi]``, or -1 (signed and unsigned keys alike)."""
    cdef Py_ssize_t end = hi, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < q:
            lo = mid + 1
        else:
            hi = mid
    if lo < end and keys[lo] == q:
        return lo
    return -1


cdef inline int64_t _norm(Py_UCS4 ch) noexcept nogil:
    """``lm.normalize`` of one character: full-width ASCII → ASCII, digits → '0', Latin → 'a'."""
    cdef int64_t c = ch
    if 0xFF01 <= c <= 0xFF5E:
        c -= 0xFEE0
    if 48 <= c <= 57:
        return 48
    if 65 <= c <= 90 or 97 <= c <= 122:
        return 97
    return c


cdef class CharModel:
    """The character model's tables (``CharLM``) and their index (``CharLM._index``): each BMP
    code point's unigram row (-1: none), and where each unigram's bigrams and each bigram's
    trigrams begin.  A bigram is searched among its first character's few dozen rows and a
    trigram among its bigram's, not the whole tables (tens of MB, a cache miss at nearly every
    level); a first character without a unigram row (BOS) and a trigram whose first two
    characters are no bigram are searched in the whole table."""

    cdef const int64_t[::1] uni_k, uni_c, uni_t, uni_n, bi_k, bi_c, bi_t, bi_n, tri_k, bi_start, tri_start
    cdef const int32_t[::1] tri_c, uni_at
    cdef double denom

    def __init__(self, uni_k, uni_c, uni_t, uni_n, bi_k, bi_c, bi_t, bi_n, tri_k, tri_c, double denom,
                 uni_at, bi_start, tri_start):
        """``denom``: the unigram level's ``total + vocab + 1.0``."""
        self.uni_k, self.uni_c, self.uni_t, self.uni_n = uni_k, uni_c, uni_t, uni_n
        self.bi_k, self.bi_c, self.bi_t, self.bi_n = bi_k, bi_c, bi_t, bi_n
        self.tri_k, self.tri_c = tri_k, tri_c
        self.denom = denom
        self.uni_at, self.bi_start, self.tri_start = uni_at, bi_start, tri_start

    cdef inline Py_ssize_t _uni(self, int64_t c) noexcept:
        if 0 <= c < self.uni_at.shape[0]:
            return self.uni_at[c]
        return _find(self.uni_k, c, 0, self.uni_k.shape[0])

    cdef inline Py_ssize_t _bigram(self, Py_ssize_t u, int64_t q) noexcept:
        if u < 0:
            return _find(self.bi_k, q, 0, self.bi_k.shape[0])
        return _find(self.bi_k, q, self.bi_start[u], self.bi_start[u + 1])

    cdef double p3(self, int64_t a, int64_t b, int64_t c) noexcept:
        """P(c | a b) as ``CharLM.logprobs`` computes it before its logarithm (normalized codes)."""
        cdef Py_ssize_t j, ub, jab
        cdef double uc, p1, bn, bt, bc, lam2, p2, tn, tt, tc, lam3
        j = self._uni(c)
        uc = <double>self.uni_c[j] if j >= 0 else 0.0
        p1 = (uc + 1.0) / self.denom
        ub = self._uni(b)
        if ub >= 0:
            bn = <double>self.uni_n[ub]
            bt = <double>self.uni_t[ub]
        else:
            bn = 0.0
            bt = 0.0
        j = self._bigram(ub, b * _B21 + c)
        bc = <double>self.bi_c[j] if j >= 0 else 0.0
        if bn > 0:
            lam2 = bn / (bn + bt)
            p2 = lam2 * bc / bn + (1.0 - lam2) * p1
        else:
            p2 = p1
        jab = self._bigram(self._uni(a), a * _B21 + b)
        if jab >= 0:
            tn = <double>self.bi_n[jab]
            tt = <double>self.bi_t[jab]
            j = _find(self.tri_k, (a * _B21 + b) * _B21 + c, self.tri_start[jab], self.tri_start[jab + 1])
        else:
            tn = 0.0
            tt = 0.0
            j = _find(self.tri_k, (a * _B21 + b) * _B21 + c, 0, self.tri_k.shape[0])
        tc = <double>self.tri_c[j] if j >= 0 else 0.0
        if tn > 0:
            lam3 = tn / (tn + tt)
            return lam3 * tc / tn + (1.0 - lam3) * p2
        return p2

    def p3_texts(self, list texts, list starts):
        """P(c | a b) of every scored position of ``texts`` (from ``starts[i]`` on, after two BOS),
        in order, and how many positions each text has (``CharLM._score`` takes their log)."""
        cdef Py_ssize_t n_texts = len(texts), n, i, s, size, total = 0, at = 0
        cdef str t
        for n in range(n_texts):
            t = texts[n]
            s = starts[n]
            if len(t) > s:
                total += len(t) - s
        out = np.empty(total, dtype=np.float64)
        counts = np.zeros(n_texts, dtype=np.intp)
        cdef double[::1] p = out
        cdef Py_ssize_t[::1] cnt = counts
        cdef int64_t a, b, c
        for n in range(n_texts):
            t = texts[n]
            s = starts[n]
            size = len(t)
            if size <= s:
                continue
            cnt[n] = size - s
            for i in range(s, size):
                a = _norm(t[i - 2]) if i >= 2 else _BOS
                b = _norm(t[i - 1]) if i >= 1 else _BOS
                c = _norm(t[i])
                p[at] = self.p3(a, b, c)
                at += 1
        return out, counts


    def bigram_counts(self, list pairs):
        """``CharLM._bigram_counts``: the count of each two-character string (normalized)."""
        cdef str t
        cdef int64_t a, b
        cdef Py_ssize_t j
        res = []
        for obj in pairs:
            t = <str>obj
            if len(t) != 2:
                raise ValueError("bigram_counts takes two-character strings")
            a = _norm(t[0])
            b = _norm(t[1])
            j = self._bigram(self._uni(a), a * _B21 + b)
            res.append(self.bi_c[j] if j >= 0 else 0)
        return res


def sums(const double[::1] lp, const Py_ssize_t[::1] counts):
    """Per text, its ``counts[n]`` values of ``lp`` summed in order from 0.0 (``np.add.at``)."""
    cdef Py_ssize_t n, k, at = 0
    cdef double acc
    res = []
    for n in range(counts.shape[0]):
        acc = 0.0
        for k in range(counts[n]):
            acc += lp[at]
            at += 1
        res.append(acc)
    return res


cdef inline Py_ssize_t _find_cost(const int32_t[::1] vals, int32_t q) noexcept nogil:
    cdef Py_ssize_t lo = 0, hi = vals.shape[0], mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if vals[mid] < q:
            lo = mid + 1
        else:
            hi = mid
    return lo


cdef class WordModel:
    """jieba's dictionary as ``WordFreq`` keeps it (sorted 64-bit keys, frequencies), the DP's
    word costs (``WordFreq._costs``: every distinct frequency and ``math.log(f) - logtotal``;
    ``single`` is ``0.0 - logtotal``, the cost of a character that starts no word) and the index
    (``WordFreq._index``): each BMP character's row as a one-character key (-1: none), and where
    the two- and three-character keys that begin with it begin (exact keys sort by their first
    character), so that such a fragment is searched among those rows, not the whole table."""

    cdef const uint64_t[::1] keys
    cdef const int32_t[::1] freq, cost_freqs, one_at
    cdef const double[::1] costs
    cdef const int64_t[::1] two_start, three_start
    cdef Py_ssize_t maxlen
    cdef double single

    def __init__(self, keys, freq, Py_ssize_t maxlen, cost_freqs, costs, double single, one_at, two_start,
                 three_start):
        self.keys, self.freq, self.maxlen = keys, freq, maxlen
        self.cost_freqs, self.costs, self.single = cost_freqs, costs, single
        self.one_at, self.two_start, self.three_start = one_at, two_start, three_start

    cdef inline Py_ssize_t _row(self, uint64_t k, Py_ssize_t size, Py_ssize_t c0) noexcept:
        """The row of the exact key ``k`` of ``size`` characters (up to three) starting with code
        point ``c0``, or -1."""
        if c0 > 0xFFFF:
            return _find(self.keys, k, 0, self.keys.shape[0])
        if size == 1:
            return self.one_at[c0]
        if size == 2:
            return _find(self.keys, k, self.two_start[c0], self.two_start[c0 + 1])
        return _find(self.keys, k, self.three_start[c0], self.three_start[c0 + 1])

    cdef double route(self, const Py_UCS4* t, Py_ssize_t size, double* route) noexcept:
        """``route[0][0]`` of jieba's ``calc`` over ``get_DAG`` of the ``size`` characters at
        ``t`` (``size`` > 0; ``route`` has room for ``size + 1`` values)."""
        cdef Py_ssize_t idx, d, lim, j, c0
        cdef uint64_t k, h, code
        cdef int64_t f
        cdef double best, v
        cdef bint any_word
        route[size] = 0.0
        for idx in range(size - 1, -1, -1):
            lim = size - idx
            if lim > self.maxlen:
                lim = self.maxlen
            k = 0
            h = _FNV_OFFSET
            any_word = False
            best = 0.0
            c0 = <Py_ssize_t>t[idx]
            for d in range(lim):
                code = <uint64_t>t[idx + d] + 1
                h = (h ^ code) * _FNV_PRIME
                if d < 3:
                    k = k * <uint64_t>_B21 + code
                    j = self._row(k, d + 1, c0)
                else:
                    j = _find(self.keys, h | _TOP, 0, self.keys.shape[0])
                if j < 0:
                    break  # jieba extends a fragment only while it is a word or a word's prefix
                f = self.freq[j]
                if f > 0:
                    v = self.costs[_find_cost(self.cost_freqs, <int32_t>f)] + route[idx + d + 1]
                    if not any_word or v > best:
                        best = v
                        any_word = True
            route[idx] = best if any_word else self.single + route[idx + 1]
        return route[0]

    def routes(self, list windows):
        """``WordFreq.logprobs``: per window, the value of jieba's best segmentation, 0 (the int)
        for an empty window."""
        cdef Py_ssize_t longest = 0, n, i
        cdef str t
        for w in windows:
            n = len(<str>w)
            if n > longest:
                longest = n
        cdef Py_UCS4* buf = <Py_UCS4*>PyMem_Malloc((longest + 1) * sizeof(Py_UCS4))
        cdef double* rt = <double*>PyMem_Malloc((longest + 1) * sizeof(double))
        if buf == NULL or rt == NULL:
            PyMem_Free(buf)
            PyMem_Free(rt)
            raise MemoryError()
        res = []
        try:
            for w in windows:
                t = <str>w
                n = len(t)
                if n == 0:
                    res.append(0)
                    continue
                for i in range(n):
                    buf[i] = t[i]
                res.append(self.route(buf, n, rt))
        finally:
            PyMem_Free(buf)
            PyMem_Free(rt)
        return res

    def freqs(self, list words):
        """``WordFreq.get_many``: each word's frequency (0 where it is no key), its key made as
        ``lm._word_key`` makes it (exact up to three characters, FNV-1a with the top bit beyond)."""
        cdef str w
        cdef Py_ssize_t n, d, j
        cdef uint64_t k
        cdef Py_UCS4 ch
        res = []
        for obj in words:
            w = <str>obj
            n = len(w)
            if n <= 3:
                k = 0
                for d in range(n):
                    ch = w[d]
                    k = k * <uint64_t>_B21 + <uint64_t>ch + 1
            else:
                k = _FNV_OFFSET
                for d in range(n):
                    ch = w[d]
                    k = (k ^ (<uint64_t>ch + 1)) * _FNV_PRIME
                k = k | _TOP
            j = _find(self.keys, k, 0, self.keys.shape[0])
            res.append(self.freq[j] if j >= 0 and self.freq[j] > 0 else 0)
        return res


cdef Py_ssize_t _window(str text, Py_ssize_t i, Py_ssize_t j, str form, Py_ssize_t ctx, Py_UCS4* buf):
    """``text[max(0, i - ctx):i] + form + text[j:j + ctx]`` into ``buf``: its length, and the
    length of its left part in the high half (``length | left << 32``)."""
    cdef Py_ssize_t n = 0, a = i - ctx if i > ctx else 0, b = j + ctx, k, size = len(text)
    if b > size:
        b = size
    for k in range(a, i):
        buf[n] = text[k]
        n += 1
    for k in range(len(form)):
        buf[n] = form[k]
        n += 1
    for k in range(j, b):
        buf[n] = text[k]
        n += 1
    return n | ((i - a) << 32)


cdef Py_ssize_t _longest(list forms):
    cdef Py_ssize_t longest = 0
    for fs in forms:
        for f in <tuple>fs:
            if len(<str>f) > longest:
                longest = len(<str>f)
    return longest


def candidate_p3(CharModel cm, list texts, list at, list lens, list forms):
    """The character model's part of ``spin._score_paragraphs``: candidate ``n`` is the spun form
    of ``lens[n]`` characters at ``texts[n][at[n]:]``, weighed in the windows of ``forms[n]`` (the
    form, then its originals), each ``left + form + right`` with ``spin._CTX`` characters each
    side, scored from the form on (``CharLM.score_many(windows, [len(left)...])``).  Returns the
    probabilities of every scored position, window after window, and each window's count."""
    cdef Py_ssize_t n, m, size, total = 0, nw = 0
    cdef Py_ssize_t longest = _longest(forms) + 2 * _CTX + 1
    cdef str t
    cdef tuple fs
    cdef Py_UCS4* buf = <Py_UCS4*>PyMem_Malloc(longest * sizeof(Py_UCS4))
    if buf == NULL:
        raise MemoryError()
    try:
        for n in range(len(texts)):
            t = texts[n]
            fs = forms[n]
            for m in range(len(fs)):
                size = _window(t, at[n], <Py_ssize_t>at[n] + <Py_ssize_t>lens[n], fs[m], _CTX, buf)
                total += (size & 0xFFFFFFFF) - (size >> 32)
                nw += 1
        out = np.empty(total, dtype=np.float64)
        counts = np.zeros(nw, dtype=np.intp)
        _fill_p3(cm, texts, at, lens, forms, buf, out, counts)
    finally:
        PyMem_Free(buf)
    return out, counts


cdef void _fill_p3(CharModel cm, list texts, list at, list lens, list forms, Py_UCS4* buf, double[::1] p,
                   Py_ssize_t[::1] cnt):
    cdef Py_ssize_t n, m, k, size, left, pos = 0, w = 0
    cdef int64_t a, b, c
    cdef str t
    cdef tuple fs
    for n in range(len(texts)):
        t = texts[n]
        fs = forms[n]
        for m in range(len(fs)):
            size = _window(t, at[n], <Py_ssize_t>at[n] + <Py_ssize_t>lens[n], fs[m], _CTX, buf)
            left = size >> 32
            size = size & 0xFFFFFFFF
            cnt[w] = size - left
            w += 1
            for k in range(left, size):
                a = _norm(buf[k - 2]) if k >= 2 else _BOS
                b = _norm(buf[k - 1]) if k >= 1 else _BOS
                c = _norm(buf[k])
                p[pos] = cm.p3(a, b, c)
                pos += 1


def candidate_scores(WordModel wm, const double[::1] lp, const Py_ssize_t[::1] counts, list texts, list at,
                     list lens, list forms):
    """Each window's evidence of ``candidate_p3``: the character model's log-probabilities ``lp``
    summed in order, plus the word model's value of the window with ``spin._WORD_CTX`` characters
    each side (``spin._word_logprobs``), as ``spin._score_paragraphs`` adds them."""
    cdef Py_ssize_t n, m, k, size, pos = 0, w = 0
    cdef Py_ssize_t longest = _longest(forms) + 2 * _WORD_CTX + 1
    cdef double acc
    cdef str t
    cdef tuple fs
    cdef Py_UCS4* buf = <Py_UCS4*>PyMem_Malloc(longest * sizeof(Py_UCS4))
    cdef double* rt = <double*>PyMem_Malloc((longest + 1) * sizeof(double))
    if buf == NULL or rt == NULL:
        PyMem_Free(buf)
        PyMem_Free(rt)
        raise MemoryError()
    res = []
    try:
        for n in range(len(texts)):
            t = texts[n]
            fs = forms[n]
            for m in range(len(fs)):
                acc = 0.0
                for k in range(counts[w]):
                    acc += lp[pos]
                    pos += 1
                w += 1
                size = _window(t, at[n], <Py_ssize_t>at[n] + <Py_ssize_t>lens[n], fs[m], _WORD_CTX, buf)
                size = size & 0xFFFFFFFF
                # a word window holds its form: never empty
                res.append(acc + wm.route(buf, size, rt))
    finally:
        PyMem_Free(buf)
        PyMem_Free(rt)
    return res


# --------------------------------------------------------------------------- the word model's vocabulary
cdef inline uint64_t _vstep(uint64_t h, Py_UCS4 ch) noexcept nogil:
    return (h ^ (<uint64_t>ch + 1)) * _FNV_PRIME


def vocab_keys(list words):
    """The keys ``WordIndex`` searches: 64-bit FNV-1a hashes (over code points) of the words of two
    characters or more, and of every prefix of those words of two characters or more; each sorted,
    without repeats."""
    cdef Py_ssize_t n_pre = 0, n_words = 0, a = 0, b = 0, i, m
    cdef str w
    cdef uint64_t h
    for w in words:
        m = len(w)
        if m > 1:
            n_words += 1
            n_pre += m - 1
    pre = np.empty(n_pre, np.uint64)
    wk = np.empty(n_words, np.uint64)
    cdef uint64_t[::1] P = pre, W = wk
    for w in words:
        m = len(w)
        if m < 2:
            continue
        h = _vstep(_FNV_OFFSET, w[0])
        for i in range(1, m):
            h = _vstep(h, w[i])
            P[a] = h
            a += 1
        W[b] = h
        b += 1
    return np.unique(pre), np.unique(wk)


cdef class WordIndex:
    """The word model's vocabulary as two sorted arrays of 64-bit keys (``vocab_keys``: ~2.7 MB)
    in place of two frozensets of its strings (~35 MB in each cleaning process), with the
    segmenter's programme (``dp``) and the edge test (``crossing``) of ``cleaners/wordlm.py`` over
    it.  A key says "maybe": two strings may share one (never seen, but possible), so a string
    the keys call a word is asked of the model itself before it counts (``unigram`` /
    ``is_word``: None / False for a string the model does not know), and a string they call a
    prefix only makes the loop look one character further, at strings asked again.  So the
    results are those of the frozensets exactly (tests/cleaners/test_wordlm.py compares them)."""

    cdef const uint64_t[::1] pre, words

    def __init__(self, pre, words):
        self.pre = pre
        self.words = words

    def __len__(self):
        return self.words.shape[0]

    cdef inline uint64_t _key(self, str w) noexcept:
        cdef uint64_t h = _FNV_OFFSET
        cdef Py_ssize_t i
        for i in range(len(w)):
            h = _vstep(h, w[i])
        return h

    def maybe_word(self, str w):
        """Might ``w`` be a word of the vocabulary (two characters or more)?  Never False for one."""
        return len(w) > 1 and _find(self.words, self._key(w), 0, self.words.shape[0]) >= 0

    def maybe_prefix(self, str w):
        """Might ``w`` begin a word of the vocabulary?  Never False for such a prefix."""
        return len(w) > 1 and _find(self.pre, self._key(w), 0, self.pre.shape[0]) >= 0

    def dp(self, str s, Py_ssize_t longest, dict uni, object unigram, double unk_char):
        """``WordLM._dp_vocab`` over the keys: the same float additions in the same order, the
        same comparisons, so the same (best, back) lists."""
        cdef Py_ssize_t n = len(s), k, j, stop, npre = self.pre.shape[0], nw = self.words.shape[0]
        cdef double here, v
        cdef uint64_t h0, h
        cdef object u
        cdef double* best = <double*>PyMem_Malloc((n + 1) * sizeof(double))
        cdef Py_ssize_t* back = <Py_ssize_t*>PyMem_Malloc((n + 1) * sizeof(Py_ssize_t))
        if best == NULL or back == NULL:
            PyMem_Free(best)
            PyMem_Free(back)
            raise MemoryError()
        try:
            for k in range(n + 1):
                best[k] = -INFINITY
                back[k] = 0
            best[0] = 0.0
            for k in range(n):
                here = best[k]
                c = s[k : k + 1]
                u = uni.get(c, 0.0)
                if u is not None and u == 0.0:
                    u = unigram(c)
                v = here + (unk_char if u is None else <double>u)
                if v >= best[k + 1]:  # every longer word into k + 1 was offered already
                    best[k + 1] = v
                    back[k + 1] = k
                stop = k + longest if k + longest < n else n
                j = k + 2
                h0 = _vstep(_FNV_OFFSET, s[k])
                h = h0
                while j <= stop:
                    h = _vstep(h, s[j - 1])
                    if _find(self.pre, h, 0, npre) < 0:
                        break
                    if _find(self.words, h, 0, nw) >= 0:
                        w = s[k:j]
                        u = uni.get(w, 0.0)
                        if u is not None and u == 0.0:
                            u = unigram(w)
                        if u is not None and here + <double>u > best[j]:
                            best[j] = here + <double>u
                            back[j] = k
                    j += 1
            return [best[k] for k in range(n + 1)], [back[k] for k in range(n + 1)]
        finally:
            PyMem_Free(best)
            PyMem_Free(back)

    def crossing(self, str s, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t max_word, object is_word):
        """``WordLM._crossing`` over the keys (a word the keys find is asked of ``is_word``)."""
        cdef Py_ssize_t n = len(s), k, j, stop, edge, npre = self.pre.shape[0], nw = self.words.shape[0]
        cdef uint64_t h
        k = lo - max_word + 1
        if k < 0:
            k = 0
        while k < hi and k < n:
            edge = lo if k < lo else hi
            stop = k + max_word if k + max_word < n else n
            j = k + 2
            h = _vstep(_FNV_OFFSET, s[k])
            while j <= stop:
                h = _vstep(h, s[j - 1])
                if _find(self.pre, h, 0, npre) < 0:
                    break
                if j > edge and _find(self.words, h, 0, nw) >= 0 and is_word(s[k:j]):
                    return True
                j += 1
            k += 1
        return False
