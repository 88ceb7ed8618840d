# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The per-element walks of cleaners/extract.py, in C over libxml2's tree (the compiled path).

Why hand-written: extraction walks every element of a page several times, and in Python each
step of a walk makes or finds an lxml proxy object and reads text through it (~1.7 µs an element,
~500 elements a real page).  No library walks an lxml tree and hands back per-element counts in
bulk: lxml's C-API (``lxml.includes.etreepublic``, documented for extension modules) gives the
libxml2 node behind an element, and this module reads the node structs directly (headers only, no
linking against libxml2) and returns arrays indexed in document order.  Python then touches only
the few elements it decides on.

Every function here computes exactly what the pure-Python code of cleaners/extract.py computes
(that code stays the reference and the fallback: tests/cleaners/test_compiled_equivalence.py
runs both).  What lxml calls text, the walks read the same way:

- an element's ``.text`` is the run of text and CDATA nodes at the start of its children, its
  ``.tail`` the run after it (XInclude markers skipped); every text/CDATA child of an element is in
  one of the two, so "the element's text and its children's tails" is "its text/CDATA children";
- ``iter()`` yields elements, comments, processing instructions and entity references, and goes
  into the children of elements only;
- lengths are in code points (libxml2 holds UTF-8 bytes), whitespace is what ``str.split()``
  splits on.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from libc.string cimport strcmp

cimport lxml.includes.etreepublic as cetree
from lxml.includes cimport tree

cetree.import_lxml__etree()

# the lxml this module was compiled against: the struct layout it reads is that version's
# (cleaners/extract.py uses the module only when the running lxml is the same)
LXML_BUILT = (<bytes>cetree.LXML_VERSION_STRING).decode("ascii")


cdef inline bint _is_space(unsigned int c) noexcept nogil:
    # str.isspace / str.split(): the Unicode whitespace of Python's _PyUnicode_IsWhitespace
    if c < 0x80:
        return (0x09 <= c <= 0x0D) or (0x1C <= c <= 0x20)
    return (
        c == 0x85 or c == 0xA0 or c == 0x1680 or (0x2000 <= c <= 0x200A) or c == 0x2028
        or c == 0x2029 or c == 0x202F or c == 0x205F or c == 0x3000
    )


cdef inline bint _is_punct(unsigned int c) noexcept nogil:
    # extract._PUNCT: [，。；！？、：“”,;!?]
    if c < 0x80:
        return c == 0x2C or c == 0x3B or c == 0x21 or c == 0x3F
    return (
        c == 0xFF0C or c == 0x3002 or c == 0xFF1B or c == 0xFF01 or c == 0xFF1F or c == 0x3001
        or c == 0xFF1A or c == 0x201C or c == 0x201D
    )


cdef void _count(const unsigned char* s, long* dense, long* punct) noexcept nogil:
    """Add the code points of the UTF-8 string ``s`` that are not whitespace, and the prose
    punctuation among them."""
    cdef unsigned int c
    cdef unsigned char b
    if s == NULL:
        return
    while s[0] != 0:
        b = s[0]
        if b < 0x80:
            c = b
            s += 1
        elif b < 0xE0:
            c = ((b & 0x1F) << 6) | (s[1] & 0x3F)
            s += 2
        elif b < 0xF0:
            c = ((b & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F)
            s += 3
        else:
            dense[0] += 1  # (no whitespace nor punctuation outside the BMP)
            s += 4
            continue
        if not _is_space(c):
            dense[0] += 1
            if _is_punct(c):
                punct[0] += 1


def text_counts(str text):
    """(characters that are not whitespace, prose punctuation) of ``text``, as the walks count
    them (exposed for the equivalence tests)."""
    cdef long dense = 0, punct = 0
    cdef bytes data = text.encode("utf-8")
    _count(<const unsigned char*>data, &dense, &punct)
    return dense, punct


cdef inline bint _is_text(tree.xmlNode* c) noexcept nogil:
    return c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE


cdef inline bint _is_other(tree.xmlNode* c) noexcept nogil:
    # what lxml's iter() yields besides elements
    return c.type == tree.XML_COMMENT_NODE or c.type == tree.XML_PI_NODE or c.type == tree.XML_ENTITY_REF_NODE


cdef bint _has_attr(tree.xmlNode* c, const char* name) noexcept nogil:
    # el.get(name) is not None, for an attribute without a namespace (xmlGetNsProp(.., NULL))
    cdef tree.xmlAttr* a = c.properties
    while a != NULL:
        if a.ns == NULL and strcmp(<const char*>a.name, name) == 0:
            return True
        a = a.next
    return False


cdef class _Walk:
    """The elements of a subtree in document order (``root.iter(etree.Element)``), each one's
    parent index, and per element the count of its own text (text/CDATA children)."""

    cdef tree.xmlNode** nodes
    cdef int* up
    cdef long* own_n
    cdef long* own_p
    cdef Py_ssize_t n, size
    cdef bint others

    def __dealloc__(self):
        PyMem_Free(self.nodes)
        PyMem_Free(self.up)
        PyMem_Free(self.own_n)
        PyMem_Free(self.own_p)

    cdef int _grow(self) except -1:
        cdef Py_ssize_t size = self.size * 2 if self.size else 1024
        cdef void* p
        p = PyMem_Realloc(self.nodes, size * sizeof(tree.xmlNode*))
        if p == NULL:
            raise MemoryError()
        self.nodes = <tree.xmlNode**>p
        p = PyMem_Realloc(self.up, size * sizeof(int))
        if p == NULL:
            raise MemoryError()
        self.up = <int*>p
        p = PyMem_Realloc(self.own_n, size * sizeof(long))
        if p == NULL:
            raise MemoryError()
        self.own_n = <long*>p
        p = PyMem_Realloc(self.own_p, size * sizeof(long))
        if p == NULL:
            raise MemoryError()
        self.own_p = <long*>p
        self.size = size
        return 0

    cdef int _add(self, tree.xmlNode* c, int parent) except -1:
        if self.n == self.size:
            self._grow()
        self.nodes[self.n] = c
        self.up[self.n] = parent
        self.own_n[self.n] = 0
        self.own_p[self.n] = 0
        self.n += 1
        return 0

    cdef int run(self, tree.xmlNode* root, Py_ssize_t cap) except -1:
        """Walk; text is counted only for the first ``cap`` elements (the scored ones)."""
        cdef tree.xmlNode* c
        cdef int p
        self._add(root, -1)
        p = 0
        c = root.children
        while True:
            while c != NULL:
                if c.type == tree.XML_ELEMENT_NODE:
                    self._add(c, p)
                    if c.children != NULL:
                        p = <int>(self.n - 1)
                        c = c.children
                        continue
                elif _is_text(c):
                    if p < cap:
                        _count(<const unsigned char*>c.content, &self.own_n[p], &self.own_p[p])
                elif _is_other(c):
                    self.others = True
                c = c.next
            if p == 0:
                break
            c = self.nodes[p].next
            p = self.up[p]
        return 0


cdef _Walk _walk(cetree._Element root, list elements, Py_ssize_t cap):
    """The walk of ``root``, or None when its elements are not ``elements`` (the caller's
    ``list(root.iter(etree.Element))[:cap]``): then the caller takes the Python path."""
    cdef _Walk w = _Walk()
    cdef Py_ssize_t i, m = len(elements)
    if root._c_node == NULL or root._c_node.type != tree.XML_ELEMENT_NODE:
        return None
    w.run(root._c_node, cap)
    if min(w.n, cap) != m:
        return None
    for i in range(m):
        if (<cetree._Element>elements[i])._c_node != w.nodes[i]:
            return None
    return w


def score_counts(root, list elements, list is_inline, Py_ssize_t cap, stuffed):
    """extract._score_tree's counts, or None (see _walk).

    ``elements``: ``list(root.iter(etree.Element))[:cap]``; ``is_inline``: per element, whether
    its tag is in extract.INLINE; ``stuffed(i)``: extract._stuffed of element i (asked only for a
    paragraph of 200+ characters).  Returns (up, text, link, punct, score, whole) as
    _score_tree's _Scores holds them.
    """
    cdef _Walk w = _walk(root, elements, cap)
    if w is None:
        return None
    cdef Py_ssize_t count = len(elements), i
    cdef int pi, gp
    cdef long t, m, n
    cdef double s
    cdef long* text = <long*>PyMem_Malloc((count + 1) * sizeof(long))
    cdef long* punct = <long*>PyMem_Malloc((count + 1) * sizeof(long))
    cdef long* link = <long*>PyMem_Malloc((count + 1) * sizeof(long))
    cdef long* par_link = <long*>PyMem_Malloc((count + 1) * sizeof(long))
    cdef double* score = <double*>PyMem_Malloc((count + 1) * sizeof(double))
    cdef int* paras = <int*>PyMem_Malloc((count + 1) * sizeof(int))
    cdef char* inl = <char*>PyMem_Malloc(count + 1)
    cdef char* lnk = <char*>PyMem_Malloc(count + 1)
    cdef Py_ssize_t npar = 0
    cdef long* par_n = w.own_n
    cdef long* par_p = w.own_p
    cdef int* up = w.up
    cdef tree.xmlNode* c
    try:
        if not (text and punct and link and par_link and score and paras and inl and lnk):
            raise MemoryError()
        for i in range(count):
            text[i] = par_n[i]
            punct[i] = par_p[i]
            link[i] = 0
            par_link[i] = 0
            score[i] = 0.0
            inl[i] = is_inline[i] is True
            c = w.nodes[i]
            # an <a> without href is a named anchor, not a link
            lnk[i] = c.ns == NULL and strcmp(<const char*>c.name, "a") == 0 and _has_attr(c, "href")
        # children come after their parent in document order: reversed order sees them first
        for i in range(count - 1, -1, -1):
            t = text[i]
            if lnk[i]:
                link[i] = t
            m = par_n[i]
            if m >= 10 and <double>par_link[i] <= 0.3 * <double>m and not inl[i]:
                paras[npar] = <int>i
                npar += 1
            pi = up[i]
            if pi < 0:
                continue
            text[pi] += t
            punct[pi] += punct[i]
            link[pi] += link[i]
            if inl[i]:
                par_n[pi] += t
                par_p[pi] += punct[i]
                par_link[pi] += link[i]
        # paragraph scores, in document order (float sums depend on the order)
        for k in range(npar - 1, -1, -1):
            i = paras[k]
            n = par_n[i]
            if n >= 200 and stuffed(i):
                score[i] = -1e9
                continue
            s = 1.0 + <double>par_p[i]
            s = s + (n / 50.0 if n / 50.0 < 4.0 else 4.0)
            score[i] += s
            pi = up[i]
            if pi >= 0:
                score[pi] += s
                gp = up[pi]
                if gp >= 0:
                    score[gp] += s / 2
        out_up = [None if up[i] < 0 else up[i] for i in range(count)]
        out_text = [text[i] for i in range(count)]
        out_link = [link[i] for i in range(count)]
        out_punct = [punct[i] for i in range(count)]
        out_score = [score[i] for i in range(count)]
    finally:
        PyMem_Free(text)
        PyMem_Free(punct)
        PyMem_Free(link)
        PyMem_Free(par_link)
        PyMem_Free(score)
        PyMem_Free(paras)
        PyMem_Free(inl)
        PyMem_Free(lnk)
    whole = not w.others and w.n <= cap
    return out_up, out_text, out_link, out_punct, out_score, whole
