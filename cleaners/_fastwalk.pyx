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
from cpython.ref cimport PyObject
from libc.string cimport memcpy, memset, strcmp, strlen

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


cdef inline int _decode(const unsigned char* s, unsigned int* cp) noexcept nogil:
    """The code point at ``s`` (UTF-8, NUL-terminated) and its length in bytes.  A malformed
    sequence counts as one character per byte and never reads past the terminator (a NUL is no
    continuation byte).  Outside the BMP only "not whitespace" matters: cp is 0x10000."""
    cdef unsigned char b = s[0]
    if b < 0xC0:
        cp[0] = b
        return 1
    if (s[1] & 0xC0) != 0x80:
        cp[0] = b
        return 1
    if b < 0xE0:
        cp[0] = ((b & 0x1F) << 6) | (s[1] & 0x3F)
        return 2
    if (s[2] & 0xC0) != 0x80:
        cp[0] = b
        return 1
    if b < 0xF0:
        cp[0] = ((b & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F)
        return 3
    if (s[3] & 0xC0) != 0x80:
        cp[0] = b
        return 1
    cp[0] = 0x10000
    return 4


cdef void _count(const unsigned char* s, long* dense, long* punct) noexcept nogil:
    """Add the code points of the UTF-8 string ``s`` that are not whitespace, and the prose
    punctuation among them."""
    cdef unsigned int c
    if s == NULL:
        return
    while s[0] != 0:
        if 0xE4 <= s[0] <= 0xEE and (s[1] & 0xC0) == 0x80 and (s[2] & 0xC0) == 0x80:
            # U+4000-U+EFFF (most Chinese text): neither whitespace nor prose punctuation
            dense[0] += 1
            s += 3
            continue
        s += _decode(s, &c)
        if not _is_space(c):
            dense[0] += 1
            if _is_punct(c):
                punct[0] += 1


cdef bint _any_dense(const unsigned char* s) noexcept nogil:
    """Whether the UTF-8 string ``s`` holds a character that is not whitespace."""
    cdef unsigned int c
    if s == NULL:
        return False
    while s[0] != 0:
        s += _decode(s, &c)
        if not _is_space(c):
            return True
    return False


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


cdef list _tags(tree.xmlNode** nodes, Py_ssize_t count):
    """``el.tag`` of each node (elements without a namespace): libxml2 keeps one copy of each name
    in the document's dictionary, so a name is decoded once per distinct pointer (a small table;
    past 192 names the rest are decoded each time)."""
    cdef const void* keys[256]
    cdef PyObject* vals[256]
    cdef Py_ssize_t i, slot, used = 0
    cdef const void* key
    cdef list out = [None] * count
    cdef list held = []
    memset(keys, 0, sizeof(keys))
    for i in range(count):
        key = <const void*>nodes[i].name
        slot = (<size_t>key >> 3) & 255
        while keys[slot] != NULL and keys[slot] != key:
            slot = (slot + 1) & 255
        if keys[slot] == key:
            name = <object>vals[slot]
        else:
            name = (<bytes>nodes[i].name).decode("utf-8")
            if used < 192:
                held.append(name)
                keys[slot] = key
                vals[slot] = <PyObject*>name
                used += 1
        out[i] = name
    return out


def score_counts(root, list elements, Py_ssize_t cap, stuffed):
    """extract._score_tree's tags and counts, or None (see _walk; and when an element has a
    namespace: its tag would be "{ns}name").

    ``elements``: ``list(root.iter(etree.Element))[:cap]``; ``stuffed(i)``: extract._stuffed of
    element i (asked only for a paragraph of 200+ characters).  Returns (tags, up, text, link,
    punct, score, whole) as _score_tree's _Scores holds them.
    """
    cdef _Walk w = _walk(root, elements, cap)
    if w is None:
        return None
    cdef Py_ssize_t count = len(elements), i
    for i in range(count):
        if w.nodes[i].ns != NULL:
            return None
    tags = _tags(w.nodes, count)
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
            inl[i] = _inline(w.nodes[i])
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
    return tags, out_up, out_text, out_link, out_punct, out_score, whole


# ------------------------------------------------------------------ the line writer

from cpython.unicode cimport PyUnicode_DecodeUTF8

cdef extern from "Python.h":
    int PyUnicode_KIND(object o)
    void* PyUnicode_DATA(object o)
    Py_UCS4 PyUnicode_READ(int kind, void* data, Py_ssize_t index)

# extract.INLINE, by first letter (set_inline): most tags are told apart by their first byte
cdef list _inline_keep = []  # keeps the names' bytes alive
cdef const char* _inline_names[26][16]
cdef int _inline_count[26]


def set_inline(names):
    """extract.INLINE (tag names of inline elements, ASCII letters first), once at import."""
    cdef bytes b
    cdef int k
    _inline_keep.clear()
    for k in range(26):
        _inline_count[k] = 0
    for name in sorted(names):
        b = name.encode("ascii")
        k = b[0] - 97
        if not 0 <= k < 26 or _inline_count[k] >= 16:
            raise ValueError(f"unsupported inline tag name {name!r}")
        _inline_keep.append(b)
        _inline_names[k][_inline_count[k]] = <const char*>b
        _inline_count[k] += 1


cdef bint _inline(tree.xmlNode* c) noexcept nogil:
    cdef const char* name = <const char*>c.name
    cdef int k = <unsigned char>name[0] - 97
    cdef int j
    if k < 0 or k >= 26:
        return False
    for j in range(_inline_count[k]):
        if strcmp(name, _inline_names[k][j]) == 0:
            return True
    return False


cdef inline bint _is_node(tree.xmlNode* c) noexcept nogil:
    # what lxml's iter() yields
    return c.type == tree.XML_ELEMENT_NODE or _is_other(c)


cdef tree.xmlNode* _iter_next(tree.xmlNode* c, tree.xmlNode* top, bint descend) noexcept nogil:
    """The node after ``c`` in ``top.iter()`` (NULL at the end); ``descend``: c's children are
    walked (only an element's are)."""
    cdef tree.xmlNode* n
    if descend and c.type == tree.XML_ELEMENT_NODE:
        n = c.children
        while n != NULL and not _is_node(n):
            n = n.next
        if n != NULL:
            return n
    while c != top and c != NULL:
        n = c.next
        while n != NULL and not _is_node(n):
            n = n.next
        if n != NULL:
            return n
        c = c.parent
    return NULL


cdef enum:
    _CLOSE_INLINE = 0
    _CLOSE_LINK = 1
    _CLOSE_BLOCK = 2
    _CLOSE_SKIPPED = 3


cdef class _Lines:
    """extract.block_lines' state: the open elements, the line being written (UTF-8 bytes)."""

    cdef tree.xmlNode** stack
    cdef int* what
    cdef Py_ssize_t depth, cap_stack
    cdef char* buf
    cdef Py_ssize_t blen, bcap
    cdef char* out
    cdef Py_ssize_t ocap
    cdef long link_chars
    cdef int in_link
    cdef bint skip_junk, want_facts, odd
    cdef list lines, facts
    cdef object stuffed_text

    def __dealloc__(self):
        PyMem_Free(self.stack)
        PyMem_Free(self.what)
        PyMem_Free(self.buf)
        PyMem_Free(self.out)

    cdef int push(self, tree.xmlNode* c, int what) except -1:
        cdef void* p
        if self.depth == self.cap_stack:
            self.cap_stack = self.cap_stack * 2 if self.cap_stack else 256
            p = PyMem_Realloc(self.stack, self.cap_stack * sizeof(tree.xmlNode*))
            if p == NULL:
                raise MemoryError()
            self.stack = <tree.xmlNode**>p
            p = PyMem_Realloc(self.what, self.cap_stack * sizeof(int))
            if p == NULL:
                raise MemoryError()
            self.what = <int*>p
        self.stack[self.depth] = c
        self.what[self.depth] = what
        self.depth += 1
        return 0

    cdef int append(self, const char* s, Py_ssize_t k) except -1:
        cdef void* p
        if self.blen + k + 1 > self.bcap:
            self.bcap = max(2 * self.bcap, self.blen + k + 1, 4096)
            p = PyMem_Realloc(self.buf, self.bcap)
            if p == NULL:
                raise MemoryError()
            self.buf = <char*>p
        if k:
            memcpy(self.buf + self.blen, s, k)
        self.blen += k
        self.buf[self.blen] = 0
        return 0

    cdef int keep_run(self, tree.xmlNode* c) except -1:
        """keep(text) of the text run starting at ``c`` (an element's .text or a node's .tail)."""
        cdef tree.xmlNode* n
        cdef bint seen = self.blen > 0
        cdef long dense = 0, punct = 0
        cdef Py_ssize_t start = self.blen
        if not seen:
            # whitespace alone is never appended to an empty buffer
            n = c
            while n != NULL and not seen:
                if _is_text(n):
                    seen = _any_dense(<const unsigned char*>n.content)
                elif not (n.type == tree.XML_XINCLUDE_START or n.type == tree.XML_XINCLUDE_END):
                    break
                n = n.next
            if not seen:
                return 0
        n = c
        while n != NULL:
            if _is_text(n):
                if n.content != NULL:
                    self.append(<const char*>n.content, strlen(<const char*>n.content))
            elif not (n.type == tree.XML_XINCLUDE_START or n.type == tree.XML_XINCLUDE_END):
                break
            n = n.next
        if self.in_link:
            dense = 0
            _count(<const unsigned char*>(self.buf + start), &dense, &punct)
            self.link_chars += dense
        return 0

    cdef int flush(self, tree.xmlNode* shut) except -1:
        cdef Py_ssize_t i = 0, o = 0, chars = 0, spaces = 0, k
        cdef unsigned int cp
        cdef unsigned char b
        cdef bint gap = False
        cdef void* p
        cdef long dense
        if self.blen:
            if self.ocap < self.blen + 1:
                self.ocap = max(self.blen + 1, 4096)
                p = PyMem_Realloc(self.out, self.ocap)
                if p == NULL:
                    raise MemoryError()
                self.out = <char*>p
            # norm_space: whitespace runs as one space, trimmed
            while i < self.blen:  # (the buffer is NUL-terminated: _decode stops there)
                b = <unsigned char>self.buf[i]
                if 0xE4 <= b <= 0xEE and (<unsigned char>self.buf[i + 1] & 0xC0) == 0x80 and (<unsigned char>self.buf[i + 2] & 0xC0) == 0x80:
                    # U+4000-U+EFFF (most Chinese text): no whitespace
                    k = 3
                    cp = 0x4000
                else:
                    k = _decode(<const unsigned char*>(self.buf + i), &cp)
                if _is_space(cp):
                    gap = o > 0
                else:
                    if gap:
                        self.out[o] = 32
                        o += 1
                        chars += 1
                        spaces += 1
                        gap = False
                    memcpy(self.out + o, self.buf + i, k)
                    o += k
                    chars += 1
                i += k
            dense = chars - spaces
            if o:
                s = PyUnicode_DecodeUTF8(self.out, o, "strict")
                junk = self.skip_junk and (
                    (self.link_chars and self.link_chars * 2 > dense)
                    or (chars >= 200 and self.stuffed_text(s))
                )
                if not junk:
                    self.lines.append(s)
                    if self.want_facts:
                        self.facts.append(
                            self.line_facts(shut, <double>self.link_chars / <double>(dense if dense > 1 else 1))
                        )
            self.blen = 0
        self.link_chars = 0
        return 0

    cdef object line_facts(self, tree.xmlNode* shut, double link):
        # extract._line_facts
        cdef tree.xmlNode* tagged = NULL
        cdef tree.xmlNode* top = NULL
        cdef Py_ssize_t j
        if shut != NULL and not _inline(shut):
            tagged = shut
        else:
            for j in range(self.depth - 1, -1, -1):
                if not _inline(self.stack[j]):
                    tagged = self.stack[j]
                    break
        if self.depth > 1:
            top = self.stack[1]
        elif self.depth:
            top = shut
        tag = "" if tagged == NULL else (<bytes>tagged.name).decode("utf-8")
        if top == NULL:
            where = ""
        else:
            cls = self.attr(top, "class")
            where = (<bytes>top.name).decode("utf-8") + " " + ("" if cls is None else cls)
        return (link, where, tag)

    cdef object attr(self, tree.xmlNode* c, const char* name):
        """el.get(name) (None when absent); a value that is not plain text sets ``odd`` (the
        caller then takes the Python path)."""
        return _attr_text(c, name, &self.odd)

    cdef int close(self) except -1:
        # pop the innermost open element: what closing it does, then its tail
        self.depth -= 1
        cdef tree.xmlNode* shut = self.stack[self.depth]
        cdef int what = self.what[self.depth]
        if what == _CLOSE_LINK:
            self.in_link -= 1
        elif what == _CLOSE_BLOCK and self.blen:
            self.flush(shut)
        self.keep_run(shut.next)
        return 0


def block_lines(root, bint alt, bint skip_junk, bint want_facts, Py_ssize_t limit, junk, stuffed_text):
    """extract.block_lines(root, alt=, skip_junk=) as (lines, facts), facts [] unless
    ``want_facts``; None when the subtree holds what this walk does not read (a namespaced element,
    an attribute value with entity references): the caller takes the Python path.

    ``junk(el)``: extract._junk, asked only for block elements with a class or id;
    ``stuffed_text(s)``: extract._stuffed_text, asked only for lines of 200+ characters;
    ``limit``: extract.MAX_ELEMENTS (nodes walked).
    """
    cdef cetree._Element node = <cetree._Element?>root
    cdef tree.xmlNode* top = node._c_node
    cdef tree.xmlNode* c
    cdef tree.xmlNode* parent
    cdef _Lines st = _Lines()
    cdef Py_ssize_t count = 0
    cdef bint block, finished = True, descend
    cdef int what
    cdef long dense, punct
    if top == NULL or top.type != tree.XML_ELEMENT_NODE:
        return None
    st.skip_junk, st.want_facts = skip_junk, want_facts
    st.lines, st.facts = [], []
    st.stuffed_text = stuffed_text
    c = top
    while c != NULL:
        parent = c.parent
        while st.depth and st.stack[st.depth - 1] != parent:
            st.close()
        count += 1
        if count > limit:
            finished = False
            break
        descend = False
        if c.type != tree.XML_ELEMENT_NODE:
            # a comment, processing instruction or entity reference: only its tail
            if c != top:
                st.keep_run(c.next)
        elif c.ns != NULL:
            return None
        else:
            block = not _inline(c)
            if (
                skip_junk and block and c != top and c.properties != NULL
                and (_has_attr(c, "class") or _has_attr(c, "id"))
                and junk(cetree.elementFactory(node._doc, c))
            ):
                st.push(c, _CLOSE_SKIPPED)  # its subtree is passed over, its tail stays
            else:
                if st.blen and (block or strcmp(<const char*>c.name, "br") == 0):
                    st.flush(NULL)
                if strcmp(<const char*>c.name, "a") == 0 and _has_attr(c, "href"):
                    st.in_link += 1
                    what = _CLOSE_LINK
                else:
                    what = _CLOSE_BLOCK if block else _CLOSE_INLINE
                if alt and strcmp(<const char*>c.name, "img") == 0:
                    value = st.attr(c, "alt")
                    if value:
                        piece = (" " + value + " ").encode("utf-8")
                        st.append(<const char*>piece, len(piece))
                        if st.in_link:
                            dense = 0
                            punct = 0
                            _count(<const unsigned char*>piece, &dense, &punct)
                            st.link_chars += dense
                st.keep_run(c.children)
                st.push(c, what)
                descend = True
        if st.odd:
            return None
        c = _iter_next(c, top, descend)
    if finished:
        while st.depth:
            if st.depth == 1:  # the node itself: no tail
                st.depth = 0
                if st.what[0] == _CLOSE_LINK:
                    st.in_link -= 1
                elif st.what[0] == _CLOSE_BLOCK and st.blen:
                    st.flush(top)
            else:
                st.close()
    st.flush(NULL)
    if st.odd:
        return None
    return st.lines, st.facts


# ------------------------------------------------------------------ pruning


cdef object _attr_text(tree.xmlNode* c, const char* name, bint* odd):
    """el.get(name) for an attribute without a namespace (None when absent); a value that is not
    one plain text node sets ``odd``."""
    cdef tree.xmlAttr* a = c.properties
    cdef tree.xmlNode* t
    while a != NULL:
        if a.ns == NULL and strcmp(<const char*>a.name, name) == 0:
            t = a.children
            if t == NULL:
                return ""
            if t.next != NULL or t.type != tree.XML_TEXT_NODE or t.content == NULL:
                odd[0] = True
                return ""
            return (<bytes>t.content).decode("utf-8")
        a = a.next
    return None


cdef inline unsigned char _lower(unsigned char b) noexcept nogil:
    return b + 32 if 65 <= b <= 90 else b


cdef bint _zero_font(const unsigned char* s) noexcept nogil:
    # after "font": whether "-size", a colon and a "0" follow (spaces between: \s, which may be a
    # non-ASCII space)
    cdef const char* rest = "-size"
    cdef int k
    for k in range(5):
        if s[k] >= 0x80:
            return True  # (under re.I "s" also matches "ſ", "i" the Turkish i's: left to the regex)
        if _lower(s[k]) != rest[k]:
            return False
    s += 5
    while s[0] != 0 and (s[0] == 32 or 9 <= s[0] <= 13 or 28 <= s[0] <= 31 or s[0] >= 0x80):
        s += 1
    if s[0] != 58:  # ":"
        return False
    s += 1
    while s[0] != 0 and (s[0] == 32 or 9 <= s[0] <= 13 or 28 <= s[0] <= 31 or s[0] >= 0x80):
        s += 1
    return s[0] == 48  # "0"


cdef bint _may_hide(const unsigned char* s) noexcept nogil:
    """Whether extract._HIDDEN_STYLE could match the style ``s`` (UTF-8): every match holds "none",
    "hidden", "font-size: 0" or a "-" before a digit, and under re.I the letters n o e d f t match
    only themselves and their ASCII capitals (tests/cleaners/test_compiled_equivalence.py checks
    both), so a style without "none", "dden", "font-size" + spaces + ":" + spaces + "0", or "-"
    before a digit or a non-ASCII character (a Unicode digit) never matches: the regex is spared."""
    cdef unsigned char a, b, c, d
    if s == NULL:
        return False
    while s[0] != 0:
        a = _lower(s[0])
        if a == 45:  # "-"
            if (48 <= s[1] <= 57) or s[1] >= 0x80:
                return True
        elif a == 110 or a == 100 or a == 102:  # n, d, f
            b = _lower(s[1])
            if b != 0:
                c = _lower(s[2])
                if c != 0:
                    d = _lower(s[3])
                    if (
                        (a == 110 and b == 111 and c == 110 and d == 101)
                        or (a == 100 and b == 100 and c == 101 and d == 110)
                    ):
                        return True
                    if a == 102 and b == 111 and c == 110 and d == 116 and _zero_font(s + 4):
                        return True
        s += 1
    return False


def may_hide(str style):
    """_may_hide, exposed for the equivalence tests."""
    cdef bytes data = style.encode("utf-8")
    return _may_hide(<const unsigned char*>data)


cdef const unsigned char* _attr_raw(tree.xmlNode* c, const char* name) noexcept nogil:
    # the value of a plain-text attribute without a namespace (NULL: absent or not plain text)
    cdef tree.xmlAttr* a = c.properties
    cdef tree.xmlNode* t
    while a != NULL:
        if a.ns == NULL and strcmp(<const char*>a.name, name) == 0:
            t = a.children
            if t == NULL or t.next != NULL or t.type != tree.XML_TEXT_NODE:
                return NULL
            return <const unsigned char*>t.content
        a = a.next
    return NULL


def prune_marks(root, hidden_style, key_is_comment):
    """extract._prune_walk's choices on ``list(root.iter())``, without its removals: (doomed,
    named), the nodes to drop and the comment containers, in document order; None when the tree
    holds what this walk does not read (a namespaced element, an attribute value with entity
    references).

    ``hidden_style(style)``: extract._HIDDEN_STYLE.search (a match or None); ``key_is_comment(key)``:
    extract._key_is_comment, on the lower-cased "class id" of a block element that has either.
    """
    cdef cetree._Element node = <cetree._Element?>root
    cdef tree.xmlNode* top = node._c_node
    cdef tree.xmlNode* c = top
    cdef bint odd = False, hidden
    cdef const unsigned char* raw
    cdef list doomed = [], named = []
    cdef dict memo = {}, styles = {}
    if top == NULL or top.type != tree.XML_ELEMENT_NODE:
        return None
    doc = node._doc
    while c != NULL:
        if c.type != tree.XML_ELEMENT_NODE:
            doomed.append(cetree.elementFactory(doc, c))  # comments and processing instructions
        elif c.ns != NULL:
            return None
        elif c.properties != NULL:
            hidden = _has_attr(c, "hidden")
            # (a style that is absent or not plain text is read in Python: _attr_text below)
            raw = _attr_raw(c, "style")
            style = None if raw != NULL and not _may_hide(raw) else _attr_text(c, "style", &odd)
            if style and not hidden:
                # (a page repeats a few inline styles many times: each is searched once)
                got = styles.get(style)
                if got is None:
                    got = styles[style] = hidden_style(style) is not None
                hidden = got
            if hidden:
                doomed.append(cetree.elementFactory(doc, c))
            if not _inline(c):
                cls = _attr_text(c, "class", &odd)
                eid = _attr_text(c, "id", &odd)
                if cls is not None or eid is not None:
                    key = f"{cls or ''} {eid or ''}"
                    got = memo.get(key)
                    if got is None:
                        got = memo[key] = bool(key_is_comment(key.lower()))
                    if got:
                        named.append(cetree.elementFactory(doc, c))
            if odd:
                return None
        c = _iter_next(c, top, True)
    return doomed, named


# ------------------------------------------------------------------ keyword stuffing

from libc.stdint cimport uint64_t


def repetitive(str text):
    """extract._repetitive_py: fewer distinct character bigrams than 15% of the bigrams (the first
    need/0.8 characters looked at first, the rest only when they are repetitive), with the
    bigrams in a hash set of code-point pairs instead of a set of 2-character strings."""
    cdef Py_ssize_t n = len(text), k, i, size, slot
    cdef double need = 0.15 * <double>(n - 1)
    cdef Py_ssize_t distinct = 0
    cdef uint64_t key
    cdef uint64_t* table
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    if n < 2:
        return False  # (no bigrams: 0 >= need)
    k = min(n - 1, <Py_ssize_t>(need / 0.8) + 2)
    size = 64
    while size < 2 * n:
        size *= 2
    table = <uint64_t*>PyMem_Malloc(size * sizeof(uint64_t))
    if table == NULL:
        raise MemoryError()
    memset(table, 0, size * sizeof(uint64_t))
    try:
        for i in range(n - 1):
            if i == k and distinct >= need:
                return False
            key = ((<uint64_t>PyUnicode_READ(kind, data, i)) << 21 | <uint64_t>PyUnicode_READ(kind, data, i + 1)) + 1
            slot = <Py_ssize_t>((key * 0x9E3779B97F4A7C15ULL) >> 32) & (size - 1)
            while table[slot] != 0 and table[slot] != key:
                slot = (slot + 1) & (size - 1)
            if table[slot] == 0:
                table[slot] = key
                distinct += 1
        return distinct < need
    finally:
        PyMem_Free(table)


# ---------------------------------------------------------------- the spider's density test
# crawler/spiders/guide.py's five XPaths (``//body//text()``, the hidden text under
# ``//body//script`` etc., ``//body//a//text()``, its hidden part, ``count(//body//a)``) in one walk
# of the whole document, each text node's ``len(str.strip())`` counted from its UTF-8 bytes.  Why
# hand-written: the XPaths (and any lxml iteration) build every text node as a Python string only
# to measure it; no library counts stripped text lengths by subtree inside libxml2's tree.

cdef inline long _stripped_cps(const unsigned char* s) noexcept nogil:
    """``len(text.strip())`` of the UTF-8 string ``s``, in code points."""
    cdef unsigned int c
    cdef long n = 0, first = -1, last = 0
    if s == NULL:
        return 0
    while s[0] != 0:
        if 0xE4 <= s[0] <= 0xEE and (s[1] & 0xC0) == 0x80 and (s[2] & 0xC0) == 0x80:
            s += 3  # U+4000-U+EFFF: not whitespace
            c = 0x4000
        else:
            s += _decode(s, &c)
        n += 1
        if not _is_space(c):
            if first < 0:
                first = n - 1
            last = n
    return 0 if first < 0 else last - first


cdef inline int _kind(tree.xmlNode* c) noexcept nogil:
    # 1 body, 2 a, 3 a hidden tag (script, style, noscript, template), 0 other; names without a
    # namespace, compared as the XPath name tests compare them (case-sensitive)
    cdef const char* name = <const char*>c.name
    if c.ns != NULL or name == NULL:
        return 0
    if strcmp(name, "a") == 0:
        return 2
    if strcmp(name, "body") == 0:
        return 1
    if (strcmp(name, "script") == 0 or strcmp(name, "style") == 0 or strcmp(name, "noscript") == 0
            or strcmp(name, "template") == 0):
        return 3
    return 0


def density_counts(root):
    """(visible body text, visible link text, hidden link text, links) of the document that
    holds ``root``, in one walk: what crawler/spiders/guide.py's XPaths give as all body text less
    hidden body text, all link text less hidden link text, hidden link text, ``count(//body//a)``.

    A text/CDATA node counts when an element ``body`` is above it; it is hidden when a hidden
    element with a ``body`` above it is above it, link text when such an ``a`` is; hidden link
    text when both are (the XPath union takes both orders).  Hidden text outside links is not
    read at all (the subtraction cancels it; it is most of a page's text bytes: scripts).  The
    walk goes into elements only, as XPath's descendant axis goes (not into entity references)."""
    cdef cetree._Element node = <cetree._Element?>root
    cdef tree.xmlDoc* doc = node._c_node.doc
    cdef tree.xmlNode* top = <tree.xmlNode*>doc
    cdef tree.xmlNode* c
    cdef long visible = 0, link = 0, hidden_link = 0, n_links = 0, n
    cdef long in_body = 0, in_hidden = 0, in_link = 0
    cdef int k
    if doc == NULL:
        return 0, 0, 0, 0
    with nogil:
        c = doc.children
        while c != NULL:
            if c.type == tree.XML_ELEMENT_NODE:
                k = _kind(c)
                if k == 1:
                    in_body += 1
                elif in_body:
                    if k == 2:
                        in_link += 1
                        n_links += 1
                    elif k == 3:
                        in_hidden += 1
                if c.children != NULL:
                    c = c.children
                    continue
                # no children: leave it at once (below)
            elif _is_text(c) and in_body and (in_link or not in_hidden):
                n = _stripped_cps(<const unsigned char*>c.content)
                if in_hidden:
                    hidden_link += n
                else:
                    visible += n
                    if in_link:
                        link += n
            # leave c (an element whose children are done, or any other node); go to the next
            # node in document order, leaving the elements whose last child this was
            while True:
                if c.type == tree.XML_ELEMENT_NODE:
                    k = _kind(c)
                    if k == 1:
                        in_body -= 1
                    elif in_body:
                        if k == 2:
                            in_link -= 1
                        elif k == 3:
                            in_hidden -= 1
                if c.next != NULL:
                    c = c.next
                    break
                c = c.parent
                if c == NULL or c == top:
                    c = NULL
                    break
    return visible, link, hidden_link, n_links
