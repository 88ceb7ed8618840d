# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""``cleaners.stagescan.scan`` as one compiled pass over a paragraph (optional: the module's
``scan_reference`` runs without it, and is what this is tested against).

Why by hand: the test is a handful of character classes and two neighbours per character, for
every paragraph of every page; as five scans from Python (a set test, three regular expressions,
one with a look-behind) it cost more than most stages' work.  No library tests several classes
of characters with their neighbours in one pass.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.unicode cimport Py_UNICODE_ISSPACE
from libc.string cimport memcpy, memset

# the result's bits (stagescan.T2S, PUNCT, BREAKS, MOJIBAKE, GBK, UNREPAIRABLE)
cdef int T2S = 1, PUNCT = 2, BREAKS = 4, MOJIBAKE = 8, GBK = 16, UNREPAIRABLE = 32
# the table's character classes (stagescan._C_*)
cdef unsigned char C_T2S = 1, C_HALF = 2, C_HAN = 4, C_START = 8, C_LATIN = 16, C_SUSPECT = 32
cdef unsigned char C_PUNCT_AFTER = 64, C_BAD = 128
cdef Py_ssize_t LONG_RUN = 40  # chinese._MISSING_BREAK


def scan(str text, const unsigned char[::1] table, frozenset astral, prefix_ok):
    """The bits of ``stagescan.scan_reference``.  ``prefix_ok``: ``garble._utf8_prefix``, asked
    about the first two characters of a run that may be UTF-8 read as GBK (the few such runs)."""
    cdef Py_ssize_t n = len(text), i, run = 0
    cdef Py_UCS4 c
    cdef unsigned char f
    cdef int mask = 0
    cdef bint cur_run, prev_run = False, prev_latin = False, start_open = False, suspect_open = False
    for i in range(n):
        c = text[i]
        if c > 0xFFFF:
            f = 0
            if text[i] in astral:
                mask |= T2S
        else:
            f = table[c]
        # a run character of the mojibake stage: [^\x00-\x7f\s\ufffd]
        cur_run = c >= 0x80 and c != 0xFFFD and not Py_UNICODE_ISSPACE(c)
        # what the character before waited for: a run character after a run's first character
        # that can begin UTF-8; anything but punctuation after a byte-loss suspect
        if start_open and cur_run and not mask & MOJIBAKE and prefix_ok(text[i - 1 : i + 1]):
            mask |= MOJIBAKE
        if suspect_open and not (f & C_PUNCT_AFTER):
            mask |= GBK
        start_open = (f & C_START) != 0 and not prev_run
        suspect_open = (f & C_SUSPECT) != 0
        if f & C_T2S:
            mask |= T2S
        if f & C_HALF:
            mask |= PUNCT
        if f & C_BAD:
            mask |= UNREPAIRABLE
        if f & C_HAN:
            run += 1
            if run >= LONG_RUN:
                mask |= BREAKS
        else:
            run = 0
        if f & C_LATIN:
            if prev_latin:
                mask |= MOJIBAKE
            prev_latin = True
        else:
            prev_latin = False
        prev_run = cur_run
    if suspect_open:  # a suspect at the paragraph's end
        mask |= GBK
    return mask



def form_spans(str text, const unsigned char[::1] first, const long long[::1] pairs, bint astral, Py_ssize_t longest):
    """Where in ``text`` the spin stage's automaton has to read: the spans around the places a
    pair of characters that begins a spun form occurs (every form has two characters or more;
    ``first`` marks the BMP characters that begin one (bit 1) and those that are one's second
    character (bit 2), ``pairs`` holds the sorted keys ``first << 21 | second``, ``longest`` is
    the longest form's length; ``astral``: a form begins beyond the BMP, and then a text with
    such a character is read whole).

    A span starts at such a place and ends ``longest + 1`` characters after the last place of
    its run (places closer than that share a span).  No form starts outside the places, so
    between spans the automaton is at its root with nothing pending, and reading the spans alone
    gives the matches of reading the whole text (``tests/cleaners/test_fastpaths.py``)."""
    cdef Py_ssize_t n = len(text), i, lo, hi, mid, a = -1, b = -1, reach = longest + 1
    cdef Py_UCS4 c, d
    cdef long long key
    spans = []
    for i in range(n - 1):
        c = text[i]
        if c > 0xFFFF:
            if astral:
                return [(0, n)]
            continue
        if not first[c] & 1:
            continue
        d = text[i + 1]
        if d <= 0xFFFF and not first[d] & 2:
            continue  # no form has this second character
        key = (<long long>c << 21) | <long long>d
        lo = 0
        hi = pairs.shape[0]
        while lo < hi:
            mid = (lo + hi) >> 1
            if pairs[mid] < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < pairs.shape[0] and pairs[lo] == key:
            if a >= 0 and i <= b:
                b = i + reach  # within reach of the span: it grows
            else:
                if a >= 0:
                    spans.append((a, b if b < n else n))
                a = i
                b = i + reach
    if a >= 0:
        spans.append((a, b if b < n else n))
    return spans


cdef enum:
    _BUCKETS = 1 << 12  # TwinIndex's buckets: code point & (_BUCKETS - 1)


cdef class TwinIndex:
    """Where each character of a page occurs, built once per page: the spin stage's search for
    the unspun twin of a phrase (``spin._echo``), a few dozen per page, each of which read the
    whole page with ``str.find``.

    The positions are bucketed by code point (the low 12 bits; a counting sort, positions
    ascending within a bucket).  A twin is looked for only at the positions of the phrase's rarest
    bucket, each checked character by character, so the answer is that of ``spin._twin_reference``
    (``tests/cleaners/test_fastpaths.py``).  Why by hand: no library answers "does this string
    occur here, with this character before or that one after it" from one index of a page."""

    cdef str doc
    cdef Py_ssize_t n
    cdef int* start  # _BUCKETS + 1: where each bucket's positions begin in ``order``
    cdef int* order

    def __cinit__(self, str doc):
        cdef Py_ssize_t n = len(doc), i
        cdef unsigned int b
        self.doc = doc
        self.n = n
        self.start = <int*>PyMem_Malloc((_BUCKETS + 1) * sizeof(int))
        self.order = <int*>PyMem_Malloc((n if n > 0 else 1) * sizeof(int))
        if self.start == NULL or self.order == NULL:
            raise MemoryError()
        memset(self.start, 0, (_BUCKETS + 1) * sizeof(int))
        for i in range(n):
            self.start[(<unsigned int>doc[i] & (_BUCKETS - 1)) + 1] += 1
        for b in range(_BUCKETS):
            self.start[b + 1] += self.start[b]
        cdef int* fill = <int*>PyMem_Malloc(_BUCKETS * sizeof(int))
        if fill == NULL:
            raise MemoryError()
        memcpy(fill, self.start, _BUCKETS * sizeof(int))
        for i in range(n):
            b = <unsigned int>doc[i] & (_BUCKETS - 1)
            self.order[fill[b]] = <int>i
            fill[b] += 1
        PyMem_Free(fill)

    def __dealloc__(self):
        PyMem_Free(self.start)
        PyMem_Free(self.order)

    def has(self, str core, str lc, str rc):
        """Does ``core`` occur in the page with ``lc`` right before it or ``rc`` right after it
        (an empty ``lc`` / ``rc``: no such test)?"""
        cdef Py_ssize_t size = len(core), k, best = 0, cnt, least = -1, idx, p, m
        cdef unsigned int b
        cdef str doc = self.doc
        cdef Py_ssize_t n = self.n
        cdef bint has_l = len(lc) > 0, has_r = len(rc) > 0
        cdef Py_UCS4 left = lc[0] if has_l else 0, right = rc[0] if has_r else 0
        if size == 0 or size > n or not (has_l or has_r):
            return False
        for k in range(size):
            b = <unsigned int>core[k] & (_BUCKETS - 1)
            cnt = self.start[b + 1] - self.start[b]
            if least < 0 or cnt < least:
                least = cnt
                best = k
        b = <unsigned int>core[best] & (_BUCKETS - 1)
        for idx in range(self.start[b], self.start[b + 1]):
            p = self.order[idx] - best
            if p < 0 or p + size > n:
                continue
            for m in range(size):
                if doc[p + m] != core[m]:
                    break
            else:
                if (has_l and p > 0 and doc[p - 1] == left) or (has_r and p + size < n and doc[p + size] == right):
                    return True
        return False
