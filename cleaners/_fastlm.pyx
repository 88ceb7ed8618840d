# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The two model look-ups of the repair chain as compiled loops (optional: ``cleaners/lm.py`` runs
its numpy code, the reference, when this module is not built).

Why by hand: the chain asks the models about a few hundred short windows at a time, once or
twice per pass of a page, and numpy's cost there is its fixed set-up per operation (some sixty
array operations per query, ~1.5 ms), not the table searches themselves (~0.1 us each).  No
library scores a batch of windows against our memory-mapped count tables: the character model's
Witten-Bell trigram probability and jieba's best-segmentation DP are a binary search and a few
float operations per character, written here once each, in the same arithmetic in the same order
as the numpy code (``tests/cleaners/test_fastlm.py`` compares both on every window of the bench
pages, bit for bit).  The logarithm stays numpy's: ``charlm_p3`` returns probabilities.
"""

from libc.stdint cimport int32_t, int64_t, uint64_t

cdef int64_t _B21 = 1 << 21
cdef int64_t _BOS = 2
cdef uint64_t _FNV_OFFSET = 0xCBF29CE484222325ULL
cdef uint64_t _FNV_PRIME = 0x100000001B3ULL
cdef uint64_t _TOP = 1ULL << 63


cdef inline Py_ssize_t _find64(const int64_t[::1] keys, int64_t q) noexcept nogil:
    """Index of ``q`` in the sorted ``keys``, or -1."""
    cdef Py_ssize_t lo = 0, hi = keys.shape[0], mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < q:
            lo = mid + 1
        else:
            hi = mid
    if lo < keys.shape[0] and keys[lo] == q:
        return lo
    return -1


cdef inline Py_ssize_t _find64_in(const int64_t[::1] keys, int64_t q, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    """Index of ``q`` in the sorted ``keys[lo:hi]``, or -1."""
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


cdef inline Py_ssize_t _uni(const int64_t[::1] uni_k, const int32_t[::1] uni_at, int64_t c) noexcept nogil:
    """The unigram row of code point ``c``, or -1."""
    if 0 <= c < uni_at.shape[0]:
        return uni_at[c]
    return _find64(uni_k, c)


cdef inline Py_ssize_t _bigram(
    const int64_t[::1] bi_k, const int64_t[::1] bi_start, Py_ssize_t u, int64_t q
) noexcept nogil:
    """The row of bigram ``q`` whose first character has unigram row ``u``, or -1.  The rows of
    ``bi_start[u]:bi_start[u + 1]`` hold every bigram of that first character (and perhaps some
    of a character between it and the next unigram, told apart by the key); a first character
    without a unigram row (BOS) is searched in the whole table."""
    if u < 0:
        return _find64(bi_k, q)
    return _find64_in(bi_k, q, bi_start[u], bi_start[u + 1])


cdef inline Py_ssize_t _findu64(const uint64_t[::1] keys, uint64_t q) noexcept nogil:
    cdef Py_ssize_t lo = 0, hi = keys.shape[0], mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < q:
            lo = mid + 1
        else:
            hi = mid
    if lo < keys.shape[0] and keys[lo] == q:
        return lo
    return -1


cdef inline int64_t _norm(Py_UCS4 ch) noexcept:
    """``lm.normalize`` of one character: full-width ASCII → ASCII, digits → '0', Latin → 'a'."""
    cdef int64_t c = ch
    if 0xFF01 <= c <= 0xFF5E:
        c -= 0xFEE0
    if 48 <= c <= 57:
        return 48
    if 65 <= c <= 90 or 97 <= c <= 122:
        return 97
    return c


def charlm_p3(
    list texts,
    list starts,
    const int64_t[::1] uni_k,
    const int64_t[::1] uni_c,
    const int64_t[::1] uni_t,
    const int64_t[::1] uni_n,
    const int64_t[::1] bi_k,
    const int64_t[::1] bi_c,
    const int64_t[::1] bi_t,
    const int64_t[::1] bi_n,
    const int64_t[::1] tri_k,
    const int32_t[::1] tri_c,
    double denom,
    const int32_t[::1] uni_at,
    const int64_t[::1] bi_start,
    const int64_t[::1] tri_start,
):
    """P(c | a b) of every scored position of ``texts`` (from ``starts[i]`` on, after two BOS), in
    order, as ``CharLM.logprobs`` computes it before its logarithm; and how many positions each
    text has.  ``denom``: the unigram level's ``total + vocab + 1.0``.

    ``uni_at``, ``bi_start``, ``tri_start`` (``CharLM._index``): each BMP code point's row in the
    unigram table (-1: none), and where each unigram's bigrams and each bigram's trigrams begin.
    A bigram is then searched among its first character's few dozen rows and a trigram among
    its bigram's, instead of the whole tables (tens of MB, a cache miss at nearly every level);
    a trigram whose first two characters are no bigram of the table is searched in all of it."""
    cdef Py_ssize_t n_texts = len(texts), n, i, s, size, total = 0, at = 0, j
    cdef str t
    for n in range(n_texts):
        t = texts[n]
        s = starts[n]
        if len(t) > s:
            total += len(t) - s
    import numpy as np

    out = np.empty(total, dtype=np.float64)
    counts = np.zeros(n_texts, dtype=np.intp)
    cdef double[::1] p = out
    cdef Py_ssize_t[::1] cnt = counts
    cdef int64_t a, b, c
    cdef Py_ssize_t ub, jab
    cdef double uc, p1, bn, bt, bc, lam2, p2, tn, tt, tc, lam3, p3
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
            j = _uni(uni_k, uni_at, c)
            uc = <double>uni_c[j] if j >= 0 else 0.0
            p1 = (uc + 1.0) / denom
            ub = _uni(uni_k, uni_at, b)
            if ub >= 0:
                bn = <double>uni_n[ub]
                bt = <double>uni_t[ub]
            else:
                bn = 0.0
                bt = 0.0
            j = _bigram(bi_k, bi_start, ub, b * _B21 + c)
            bc = <double>bi_c[j] if j >= 0 else 0.0
            if bn > 0:
                lam2 = bn / (bn + bt)
                p2 = lam2 * bc / bn + (1.0 - lam2) * p1
            else:
                p2 = p1
            jab = _bigram(bi_k, bi_start, _uni(uni_k, uni_at, a), a * _B21 + b)
            if jab >= 0:
                tn = <double>bi_n[jab]
                tt = <double>bi_t[jab]
                j = _find64_in(tri_k, (a * _B21 + b) * _B21 + c, tri_start[jab], tri_start[jab + 1])
                tc = <double>tri_c[j] if j >= 0 else 0.0
            else:
                tn = 0.0
                tt = 0.0
                j = _find64(tri_k, (a * _B21 + b) * _B21 + c)
                tc = <double>tri_c[j] if j >= 0 else 0.0
            if tn > 0:
                lam3 = tn / (tn + tt)
                p3 = lam3 * tc / tn + (1.0 - lam3) * p2
            else:
                p3 = p2
            p[at] = p3
            at += 1
    return out, counts


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


def word_routes(
    list windows,
    const uint64_t[::1] keys,
    const int32_t[::1] freq,
    Py_ssize_t maxlen,
    const int32_t[::1] cost_freqs,
    const double[::1] costs,
    double single,
    const int32_t[::1] one_at,
    const int64_t[::1] two_start,
    const int64_t[::1] three_start,
):
    """``WordFreq.logprobs``: per window, the value of jieba's best segmentation (``route[0][0]`` of
    ``calc`` over ``get_DAG``), 0 for an empty window.  ``cost_freqs``/``costs``: every distinct
    frequency and ``math.log(f) - logtotal`` of it (``WordFreq._costs``); ``single`` is
    ``0.0 - logtotal``, the cost of a character that starts no word.

    ``one_at``, ``two_start``, ``three_start`` (``WordFreq._index``): each BMP character's row as
    a one-character key (-1: none), and where the two- and three-character keys that begin with
    it begin (exact keys sort by their first character): a fragment of two or three characters
    is searched among those rows, not the whole table."""
    import numpy as np

    cdef Py_ssize_t longest = 0, n
    for w in windows:
        n = len(<str>w)
        if n > longest:
            longest = n
    route_arr = np.zeros(longest + 1, dtype=np.float64)
    cdef double[::1] route = route_arr
    cdef str t
    cdef Py_ssize_t idx, d, lim, size, j
    cdef uint64_t k, h, code
    cdef int64_t f
    cdef double best, v
    cdef bint any_word
    cdef Py_UCS4 ch
    cdef Py_ssize_t c0
    res = []
    for w in windows:
        t = <str>w
        size = len(t)
        if size == 0:
            res.append(0)
            continue
        route[size] = 0.0
        for idx in range(size - 1, -1, -1):
            lim = size - idx
            if lim > maxlen:
                lim = maxlen
            k = 0
            h = _FNV_OFFSET
            any_word = False
            best = 0.0
            ch = t[idx]
            c0 = <Py_ssize_t>ch
            for d in range(lim):
                ch = t[idx + d]
                code = <uint64_t>ch + 1
                h = (h ^ code) * _FNV_PRIME
                if d < 3:
                    k = k * <uint64_t>_B21 + code
                    if c0 > 0xFFFF:
                        j = _findu64(keys, k)
                    elif d == 0:
                        j = one_at[c0]
                    elif d == 1:
                        j = _findu64_in(keys, k, two_start[c0], two_start[c0 + 1])
                    else:
                        j = _findu64_in(keys, k, three_start[c0], three_start[c0 + 1])
                else:
                    j = _findu64(keys, h | _TOP)
                if j < 0:
                    break  # jieba extends a fragment only while it is a word or a word's prefix
                f = freq[j]
                if f > 0:
                    v = costs[_find_cost(cost_freqs, <int32_t>f)] + route[idx + d + 1]
                    if not any_word or v > best:
                        best = v
                        any_word = True
            route[idx] = best if any_word else single + route[idx + 1]
        res.append(route[0])
    return res


cdef inline Py_ssize_t _findu64_in(const uint64_t[::1] keys, uint64_t q, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    """Index of ``q`` in the sorted ``keys[lo:hi]``, or -1."""
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


cdef inline Py_ssize_t _find_cost(const int32_t[::1] vals, int32_t q) noexcept nogil:
    cdef Py_ssize_t lo = 0, hi = vals.shape[0], mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if vals[mid] < q:
            lo = mid + 1
        else:
            hi = mid
    return lo


def word_freqs(list words, const uint64_t[::1] keys, const int32_t[::1] freq):
    """``WordFreq.get_many``: each word's frequency (0 where it is no key), its key made as
    ``lm._word_key`` makes it (exact up to three characters, FNV-1a with the top bit beyond)."""
    cdef str w
    cdef Py_ssize_t n, d, j
    cdef uint64_t k, code
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
        j = _findu64(keys, k)
        res.append(freq[j] if j >= 0 and freq[j] > 0 else 0)
    return res
