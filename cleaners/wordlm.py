"""A word trigram language model of modern Chinese: the KenLM binary of Debian's
``libime-data-language-model`` (``zh_CN.lm``: 165k words, 2.0M bigrams, 0.63M trigrams, built from
the open-gram corpus), read with the ``kenlm`` module; and ``wordfreq``'s ``zh`` word frequencies as
a unigram prior.

The model is found, in this order, at ``$GUIDECRAWL_LM`` (when set, that path only: pointing it
at a missing file turns the model off), Debian's path, and the cache folder that
``scripts/fetch-lm.sh`` extracts the package into when it cannot install it
(``$GUIDECRAWL_CACHE`` or ``~/.cache/guidecrawl``, then ``lm/zh_CN.lm``).  Where there is no model,
``get_wordlm()`` returns None, says so once on stderr, and the spin and byte-loss stages fall back
to their older evidence (the character trigram model and jieba's unigram model, ``cleaners/lm.py``);
``cleaner_version()`` then carries ``+nolm``, so that rows cleaned without it can be found and
re-cleaned.

This module's top level imports nothing heavy: the crawler process asks ``model_tag()`` for the
version string without loading numpy or kenlm.

Scoring is local and exact for a trigram model.  The LM's words are its own vocabulary, so the
Han run around a candidate is segmented with a small dynamic programme over that vocabulary
(unigram costs; ``segment``); the candidate form itself is one word when the model knows it, so
every alternative shares the same context tokens, and only the form's tokens, the two tokens after
it (a trigram sees no further) and a sentence end close enough to be seen differ between them.
Sentence markers stand at punctuation and paragraph edges, none where the window is cut.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import sys
import threading
from pathlib import Path
from typing import Any

ENV = "GUIDECRAWL_LM"
# The word model is on by default ([spin_lm] enabled = true in data/repair/settings.toml; issue
# 13): combined with the character model (cleaners/spin.py) it keeps every golden restoration and
# lifts every ../shared/spin figure.  GUIDECRAWL_WORDLM=0 switches it off (=1 on, whatever the file
# says).  Where the model file cannot be had the chain falls back to the character model (+nolm).
SWITCH = "GUIDECRAWL_WORDLM"


def enabled() -> bool:
    """Is the word model switched on: ``GUIDECRAWL_WORDLM`` when set, else the settings file."""
    env = os.environ.get(SWITCH)
    if env is not None and env.strip():
        return env.strip().lower() not in ("0", "false", "no", "off")
    return _enabled_in_settings()


@functools.cache
def _enabled_in_settings() -> bool:
    try:
        from cleaners.data import repair_settings

        return bool(repair_settings().get("spin_lm", {}).get("enabled", False))
    except (OSError, ValueError):
        return False


DEBIAN_PATH = Path("/usr/lib/x86_64-linux-gnu/libime/zh_CN.lm")
_LN10 = math.log(10.0)
MAX_WORD = 7  # longest word the segmenter tries (the model's vocabulary is mostly 1-4 characters)


def _cache_dir() -> Path:
    env = os.environ.get("GUIDECRAWL_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "guidecrawl"


def model_path() -> Path | None:
    """Where the model file is, or None."""
    env = os.environ.get(ENV)
    if env is not None and env.strip():
        p = Path(env)
        return p if p.is_file() else None
    for p in (DEBIAN_PATH, _cache_dir() / "lm" / "zh_CN.lm"):
        if p.is_file():
            return p
    return None


_TAG_SPAN = 1 << 20


def _file_tag(p: Path) -> str:
    """Size and sha1 of the first and the last MiB: the model is 17 MB and read per process, and a
    KenLM binary's header (counts, sizes) sits at the front and its last n-gram order's tables at
    the end, so another build differs there; 2 MiB are read in a millisecond.  Not the mtime: the
    same model copied to another machine must keep its name (a row's version is compared across
    machines by ``guidecrawl reclean --stale``)."""
    h = hashlib.sha1()
    with open(p, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        h.update(f.read(_TAG_SPAN))
        if size > 2 * _TAG_SPAN:
            f.seek(size - _TAG_SPAN)
        h.update(f.read())  # the rest, when the file is small; else its last MiB
    return f"{size}:{h.hexdigest()[:10]}"


_TAGS: dict[str, str] = {}


def model_tag() -> str:
    """'' when the word model is switched off (``enabled``); ``+kenlm`` for the model the chain
    was tuned with, ``+lm.<hash>`` for another model file, ``+nolm`` where it is switched on but
    there is none (or kenlm cannot be imported).  Light: reads 2 MiB once."""
    if not enabled():
        return ""
    p = model_path()
    if p is None:
        return "+nolm"
    key = str(p)
    if key not in _TAGS:
        try:
            tag = _file_tag(p)
        except OSError:
            return "+nolm"
        import importlib.util

        if importlib.util.find_spec("kenlm") is None:
            _TAGS[key] = "+nolm"
        else:
            _TAGS[key] = (
                "+kenlm" if tag == KNOWN_TAG else "+lm." + hashlib.sha1(tag.encode()).hexdigest()[:10]
            )
    return _TAGS[key]


# the model this chain's margins were tuned with: libime-data-language-model 1.0.16 (Debian
# bookworm), as size and sha1 of its first and last MiB (``_file_tag``).  Another file is used all
# the same, and named in cleaner_version() (+lm.<hash>).
KNOWN_TAG = "17092050:b95a761158"


def _walk_words(score: Any, State: Any, state: Any, total: float, words: Any, end: bool) -> tuple[Any, float]:
    """Go on from ``state`` through ``words`` (and the sentence end when ``end``), adding each
    word's log10 score to ``total`` in order: the one n-gram walk of ``form_scores_tokens``."""
    for w in words:
        o = State()
        total += score(state, w, o)
        state = o
    if end:
        total += score(state, "</s>", State())
    return state, total


def _near_words(lt: tuple[str, ...], rt: tuple[str, ...]) -> tuple[int, int]:
    """``(a, b)``: ``lt[a:]`` and ``rt[:b]`` are the context words within three characters of the
    form, which a joint reading re-segments with it (an idiom such as 听之任之 spans them)."""
    a, taken = len(lt), 0
    while a > 0 and taken < 3:
        a -= 1
        taken += len(lt[a])
    b, taken = 0, 0
    while b < len(rt) and taken < 3:
        taken += len(rt[b])
        b += 1
    return a, b


class WordLM:
    """The KenLM word trigram model with memoised unigram costs, segmentations and scores."""

    def __init__(self, path: Path) -> None:
        import kenlm

        self.path = path
        self.model = kenlm.Model(str(path))
        self._kenlm = kenlm
        self._uni: dict[str, float | None] = {}  # log10 P(w); None for a word the model does not know
        self._seg: dict[str, tuple[str, ...]] = {}
        self._scores: dict[tuple, list[float]] = {}
        self._diffs: dict[tuple, list[float]] = {}
        self._forms: dict[str, tuple[tuple[str, ...], ...]] = {}
        self._windows: dict[tuple, float] = {}
        self._states: dict[tuple, tuple[Any, float]] = {}
        self._null = kenlm.State()
        self.model.NullContextWrite(self._null)
        self._bos = kenlm.State()
        self.model.BeginSentenceWrite(self._bos)
        self.unk = self.model.score("<unk>", bos=False, eos=False)
        # the vocabulary for the segmenter: as the compiled module's keys where it is built (~2.7
        # MB), else as frozensets of strings (~35 MB per process; the reference)
        self._index: Any = None
        self._vocab: frozenset[str] | None = None
        self._prefixes: frozenset[str] = frozenset()
        words = _read_words(path, self.model)
        if words is not None:
            from cleaners import compiled

            fast = compiled.load("_fastlm")
            if fast is not None:
                self._index = fast.WordIndex(*fast.vocab_keys(words))
            else:
                self._vocab, self._prefixes = _vocab_sets(words)
        del words

    def clear_cache(self) -> None:
        self._seg.clear()
        self._scores.clear()
        self._diffs.clear()
        self._states.clear()
        self._windows.clear()

    def unigram(self, w: str) -> float | None:
        """log10 P(w) with no context, None if the model does not know ``w``."""
        v: float | None = self._uni.get(w, 0.0)
        if v == 0.0:
            v = self.model.score(w, bos=False, eos=False) if w in self.model else None
            if len(self._uni) > 200_000:
                self._uni.clear()
            self._uni[w] = v
        return v

    def segment(self, s: str, longest: int = MAX_WORD) -> tuple[str, ...]:
        """The most probable split of ``s`` into the model's words (unigram costs; an unknown
        character is a word of its own at the cost of <unk>).  Why by hand: KenLM scores given
        words and jieba's dictionary is not the model's vocabulary, so no library segments into it."""
        key = s if longest == MAX_WORD else f"{longest}\x00{s}"
        got = self._seg.get(key)
        if got is not None:
            return got
        n = len(s)
        uni, unigram = self._uni, self.unigram
        vocab, prefixes = self._vocab, self._prefixes
        unk_char = self.unk - 1.0  # an unknown character: worse than any known word
        if self._index is not None:
            best, back = self._index.dp(s, longest, uni, unigram, unk_char)
        elif vocab is not None:
            best, back = self._dp_vocab(s, longest, uni, unigram, vocab, prefixes, unk_char)
        else:
            best = [0.0] * (n + 1)
            back = [0] * (n + 1)
            for j in range(1, n + 1):
                # the single character first (always allowed), then longer words ending at j
                u = uni.get(s[j - 1], 0.0)
                if u == 0.0:
                    u = unigram(s[j - 1])
                bj, bk = best[j - 1] + (unk_char if u is None else u), j - 1
                for k in range(max(0, j - longest), j - 1):
                    w = s[k:j]
                    u = uni.get(w, 0.0)
                    if u == 0.0:
                        u = unigram(w)
                    if u is not None and best[k] + u > bj:
                        bj, bk = best[k] + u, k
                best[j], back[j] = bj, bk
        out: list[str] = []
        j = n
        while j > 0:
            out.append(s[back[j] : j])
            j = back[j]
        seg = tuple(reversed(out))
        if len(self._seg) > 50_000:
            self._seg.clear()
        self._seg[key] = seg
        return seg

    def _score_tokens(self, toks: tuple[str, ...], bos: bool, eos: bool) -> float:
        m, State = self.model, self._kenlm.State
        s = self._bos if bos else self._null
        total = 0.0
        for w in toks:
            o = State()
            total += m.BaseScore(s, w, o)
            s = o
        if eos:
            total += m.BaseScore(s, "</s>", State())
        return total

    def window_score(self, left: str, form: str, right: str, bos: bool, eos: bool) -> float:
        """Natural-log probability of the window ``left + form + right`` under its best reading
        of three: the whole window segmented at once; the form kept as one unit between its
        segmented neighbours (a spinner swaps whole words); the form split into shorter words
        (都会 reads 都 + 会 in 他们都会来, 才能 reads 才 + 能 in 思维才能保持).  A small beam in
        place of a full search over segmentations: the readings differ only around the form.
        Memoised: the chain asks about the same window again in its later passes."""
        key = (left, form, right, bos, eos)
        got = self._windows.get(key)
        if got is None:
            got = self._window_score(left, form, right, bos, eos)
            if len(self._windows) > 50_000:
                self._windows.clear()
            self._windows[key] = got
        return got

    def window_scores(self, left: str, forms: list[str], right: str, bos: bool, eos: bool) -> list[float]:
        """``window_score`` of each form in the same window, the same floats: the context is
        segmented once, and the context words between the shared state and the form are walked
        once, each reading going on from the state after them (``_window_score`` walks them again
        for every reading; the partial sums are the same additions in the same order).  The GBK
        stage weighs a garbled character's ~70 twins in one window (``garble._add_wordlm``)."""
        memo = self._windows
        todo = [f for f in dict.fromkeys(forms) if (left, f, right, bos, eos) not in memo]
        if todo and len(memo) + len(todo) > 50_000:
            memo.clear()  # bounded memory; a cleared memo only costs time
            todo = list(dict.fromkeys(forms))
        if todo:
            lt = self.segment(left) if left else ()
            rt = self.segment(right) if right else ()
            a, b = _near_words(lt, rt)
            state, head = self._state_after(lt[:a], bos)
            near_l = "".join(lt[a:])
            near_r = "".join(rt[:b])
            score, State = self.model.BaseScore, self._kenlm.State
            head_state, walked = _walk_words(score, State, state, 0.0, lt[a:], False)
            for form in todo:
                best = self._best_reading(form, state, head_state, walked, near_l, near_r, rt, rt[b:], eos)
                memo[(left, form, right, bos, eos)] = (head + best) * _LN10
        return [memo[(left, f, right, bos, eos)] for f in forms]

    def _window_score(self, left: str, form: str, right: str, bos: bool, eos: bool) -> float:
        lt = self.segment(left) if left else ()
        rt = self.segment(right) if right else ()
        # the joint reading re-segments only the form with the context words within three
        # characters of it (an idiom such as 听之任之 spans them): the rest of the context is
        # shared by every form, so segmented once (and memoised)
        a, b = _near_words(lt, rt)
        # every reading starts with lt[:a]: scored once (memoised), the rest from its state
        readings = {lt[a:] + r + rt for r in self._form_readings(form)}
        near_l = "".join(lt[a:])
        mid = near_l + form + "".join(rt[:b])
        if not self._by_vocab() or self._crossing(mid, len(near_l), len(near_l) + len(form)):
            # the joint reading is another only where a word spans an edge of the form
            readings.add(self.segment(mid) + rt[b:])
        state, head = self._state_after(lt[:a], bos)
        return (head + max(self._score_from(state, r, eos) for r in readings)) * _LN10

    def _score_from(self, state, toks: tuple[str, ...], eos: bool) -> float:
        score, State = self.model.BaseScore, self._kenlm.State
        total = 0.0
        for w in toks:
            o = State()
            total += score(state, w, o)
            state = o
        if eos:
            total += score(state, "</s>", State())
        return total

    @staticmethod
    def _dp_vocab(s, longest, uni, unigram, vocab, prefixes, unk_char) -> tuple[list[float], list[int]]:
        """The segmenter's programme where the vocabulary is known, run forwards: each start
        is extended only while the substring is the prefix of a word (most stop after one
        step), so the model is asked only about words.  The same result as the backward loop,
        ties included: the single character wins a tie, then the word that starts first."""
        n = len(s)
        best = [-math.inf] * (n + 1)
        best[0] = 0.0
        back = [0] * (n + 1)
        for k in range(n):
            here = best[k]
            c = s[k]
            u = uni.get(c, 0.0)
            if u == 0.0:
                u = unigram(c)
            v = here + (unk_char if u is None else u)
            if v >= best[k + 1]:  # every longer word into k + 1 was offered already
                best[k + 1], back[k + 1] = v, k
            stop = k + longest if k + longest < n else n
            j = k + 2
            while j <= stop:
                w = s[k:j]
                if w not in prefixes:
                    break
                if w in vocab:
                    u = uni.get(w, 0.0)
                    if u == 0.0:
                        u = unigram(w)
                    if u is not None and here + u > best[j]:
                        best[j], back[j] = here + u, k
                j += 1
        return best, back

    def _form_readings(self, form: str) -> tuple[tuple[str, ...], ...]:
        """The form as the model's words: its best split, and its best split into shorter words
        (a property of the form alone: kept across ``clear_cache``, bounded)."""
        got = self._forms.get(form)
        if got is None:
            got = (self.segment(form),)
            if len(form) > 1:
                got += (self.segment(form, len(form) - 1),)
            if len(self._forms) > 100_000:
                self._forms.clear()
            self._forms[form] = got
        return got

    def _by_vocab(self) -> bool:
        """Does the segmenter know the vocabulary (else it asks the model about every substring)?"""
        return self._index is not None or self._vocab is not None

    def _crossing(self, s: str, lo: int, hi: int) -> bool:
        """Does a word of the model of two characters or more span s[lo] | s[lo - 1] or
        s[hi] | s[hi - 1] (start before the edge, end after it)?"""
        if self._index is not None:
            return bool(self._index.crossing(s, lo, hi, MAX_WORD, self.model.__contains__))
        prefixes, vocab = self._prefixes, self._vocab
        n = len(s)
        for k in range(max(0, lo - MAX_WORD + 1), hi):
            # a word from k must end past the nearer edge ahead of k to cross anything
            edge = lo if k < lo else hi
            stop = k + MAX_WORD if k + MAX_WORD < n else n
            j = k + 2
            while j <= stop:
                w = s[k:j]
                if w not in prefixes:
                    break
                if j > edge and w in vocab:  # type: ignore[operator]
                    return True
                j += 1
        return False

    def _state_after(self, toks: tuple[str, ...], bos: bool) -> tuple[object, float]:
        """KenLM's state after ``toks`` (from <s> or from no context) and their log10
        probability, memoised: the context left of a candidate is the same for every form put in
        its place."""
        key = (toks, bos)
        got = self._states.get(key)
        if got is None:
            m, State = self.model, self._kenlm.State
            state, total = self._bos if bos else self._null, 0.0
            for w in toks:
                o = State()
                total += m.BaseScore(state, w, o)
                state = o
            got = (state, total)
            if len(self._states) > 50_000:
                self._states.clear()
            self._states[key] = got
        return got

    def _best_reading(
        self,
        form: str,
        state: Any,
        head_state: Any,
        head_score: float,
        near_l: str,
        near_r: str,
        tail: tuple[str, ...],
        after: tuple[str, ...],
        end: bool,
    ) -> float:
        """The best of ``form``'s readings, in log10: each unit reading walked from ``head_state``
        (the state after the context words before the form, ``head_score`` their sum) through
        ``tail``; the joint reading (``near_l + form + near_r`` segmented at once) walked from
        ``state`` through ``after``.  The joint reading differs from the unit readings only where a
        word of the model spans an edge of the form (its context is segmented the best way
        already), so it is walked only there."""
        score, State = self.model.BaseScore, self._kenlm.State
        best = -math.inf
        for r in self._form_readings(form):
            total = _walk_words(score, State, head_state, head_score, r + tail, end)[1]
            if total > best:
                best = total
        mid = near_l + form + near_r
        lo = len(near_l)
        if not self._by_vocab() or self._crossing(mid, lo, lo + len(form)):
            total = _walk_words(score, State, state, 0.0, self.segment(mid) + after, end)[1]
            if total > best:
                best = total
        return best

    def form_scores(self, left: str, forms: list[str], right: str, bos: bool, eos: bool) -> list[float]:
        """``window_score`` of each form in the same window, less a constant shared by all of
        them (so only their differences mean anything), memoised.  The readings are those of
        ``window_score``; the shared part is left out instead of scored: the context words before
        the re-segmented span (their state is computed once, ``_state_after``) and the context
        words more than two words after it (a trigram sees no further back; the sentence end
        counts when it is within reach).  Exact, and a fraction of the n-gram look-ups."""
        lt = self.segment(left) if left else ()
        rt = self.segment(right) if right else ()
        return self.form_scores_tokens(lt, forms, rt, bos, eos)

    def form_scores_tokens(
        self, lt: tuple[str, ...], forms: list[str], rt: tuple[str, ...], bos: bool, eos: bool
    ) -> list[float]:
        """``form_scores`` with the context already segmented into the model's words."""
        key = (lt, tuple(forms), rt, bos, eos)
        got = self._diffs.get(key)
        if got is not None:
            return got
        a, b = _near_words(lt, rt)
        state = self._state_after(lt[:a], bos)[0]
        near_l, near_r = "".join(lt[a:]), "".join(rt[:b])
        rest = rt[b : b + 2]
        end = eos and len(rt) - b <= 2
        score, State = self.model.BaseScore, self._kenlm.State
        # the context words between the shared state and the form: scored once, every unit
        # reading goes on from the state after them
        head_state, head_score = _walk_words(score, State, state, 0.0, lt[a:], False)
        got = []
        tail = rt[:b] + rest
        for form in forms:
            best = self._best_reading(form, state, head_state, head_score, near_l, near_r, tail, rest, end)
            got.append(best * _LN10)
        if len(self._diffs) > 50_000:
            self._diffs.clear()
        self._diffs[key] = got
        return got

    def gains(self, left: str, forms: list[str], right: str, bos: bool, eos: bool) -> list[float]:
        """``window_score`` of each form in the same window (memoised)."""
        key = (left, tuple(forms), right, bos, eos)
        got = self._scores.get(key)
        if got is None:
            got = [self.window_score(left, f, right, bos, eos) for f in forms]
            if len(self._scores) > 50_000:
                self._scores.clear()
            self._scores[key] = got
        return got


def _read_words(path: Path, model) -> list[str] | None:
    """The model's vocabulary, read from the list KenLM writes at the end of its binary file
    (NUL-separated, from ``<unk>`` on): the segmenter then asks the model only about substrings
    that are words or begin one.  The kenlm module cannot list its vocabulary, hence the file.
    None where the tail is not such a list (another format): the segmenter then asks the model
    about every substring (2.5x slower)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            f.seek(max(0, size - (8 << 20)))
            tail = f.read()
    except OSError:
        return None
    at = tail.rfind(b"\x00<unk>\x00")
    if at < 0:
        return None
    words = [w.decode("utf-8", "replace") for w in tail[at + 7 :].split(b"\x00") if w]
    # a sanity check, not a proof: the words read must be the model's (it knows every one)
    probe = words[:: max(1, len(words) // 50)]
    if len(words) < 1000 or not all(w in model for w in probe):
        return None
    return words


def _vocab_sets(words: list[str]) -> tuple[frozenset[str], frozenset[str]]:
    """The words of two characters or more, and every prefix of them (two characters or more):
    the segmenter's vocabulary where the compiled module is not built (~35 MB per process)."""
    vocab = frozenset(w for w in words if len(w) > 1)
    prefixes = frozenset(w[:k] for w in vocab for k in range(2, len(w) + 1))
    return vocab, prefixes


def _read_vocab(path: Path, model) -> tuple[frozenset[str] | None, frozenset[str]]:
    """``_vocab_sets`` of the model file's vocabulary, or (None, {}) where it has none."""
    words = _read_words(path, model)
    return (None, frozenset()) if words is None else _vocab_sets(words)


_LM: WordLM | None = None
_TRIED = False
_LOCK = threading.Lock()


def get_wordlm() -> WordLM | None:
    """The shared model, or None where it is switched off or cannot be had (said once on stderr)."""
    global _LM, _TRIED
    if not enabled():
        return None
    if _TRIED:
        return _LM
    with _LOCK:
        if not _TRIED:
            p = model_path()
            why = ""
            if p is None:
                where = os.environ.get(ENV) or f"{DEBIAN_PATH} or {_cache_dir() / 'lm' / 'zh_CN.lm'}"
                why = f"no model at {where} (run scripts/fetch-lm.sh)"
            else:
                try:
                    _LM = WordLM(p)
                except ImportError:
                    why = "the kenlm module is not installed (pip install -e .)"
                except (OSError, RuntimeError) as e:  # kenlm raises OSError on a bad file
                    why = f"cannot read {p}: {e}"
            if why:
                print(
                    f"guidecrawl: word language model off, repairs use the character model only: {why}",
                    file=sys.stderr,
                    flush=True,
                )
            _TRIED = True
    return _LM


def reset() -> None:
    """Look for the model again (after ``GUIDECRAWL_LM`` changed in this process)."""
    global _LM, _TRIED
    with _LOCK:
        _LM, _TRIED = None, False
        _TAGS.clear()
        _enabled_in_settings.cache_clear()


# --------------------------------------------------------------------------- unigram prior
_PRIOR_VERSION = "wordfreq-zh-v1"
_PRIOR_SCALE = 1e9  # frequencies stored as integers per 10^9 words (wordfreq's floor is 1e-8)
_PRIOR = None


def _build_prior() -> dict:
    import numpy as np
    import wordfreq

    from cleaners.lm import _word_key

    freq = wordfreq.get_frequency_dict("zh", "best")
    keys = np.fromiter((_word_key(w) for w in freq), dtype=np.uint64, count=len(freq))
    vals = np.fromiter(
        (max(1, round(f * _PRIOR_SCALE)) for f in freq.values()), dtype=np.int64, count=len(freq)
    )
    order = np.argsort(keys, kind="stable")
    keys, vals = keys[order], vals[order]
    dup = np.flatnonzero(keys[1:] == keys[:-1])
    if len(dup):  # wordfreq lists a few words twice under one normalisation: keep the larger
        vals[dup + 1] = np.maximum(vals[dup], vals[dup + 1])
        keys, vals = np.delete(keys, dup), np.delete(vals, dup)
    return {
        "keys": keys,
        "freq": vals.astype(np.int32),
        "meta": np.array([int(_PRIOR_SCALE), max(map(len, freq))], dtype=np.int64),
    }


def get_prior():
    """``wordfreq``'s zh word frequencies as a memory-mapped table (``lm.WordFreq``: 4 MB shared
    by every worker instead of a 40 MB dict in each), or None when wordfreq is not installed.
    ``get_many`` gives frequencies per 10^9 words, 0 for a word it does not list."""
    global _PRIOR
    if _PRIOR is None:
        import importlib.metadata

        from cleaners.lm import _WORD_ARRAYS, WordFreq, _cached

        try:
            version = importlib.metadata.version("wordfreq")
        except importlib.metadata.PackageNotFoundError:
            return None
        _PRIOR = WordFreq(
            _cached(f"{_PRIOR_VERSION}-{version}", _WORD_ARRAYS, _build_prior, "the wordfreq prior table")
        )
    return _PRIOR


def prior_logratio(prior, originals: list[str], spun: str) -> list[float]:
    """ln f(original) - ln f(spun) under the prior, each frequency floored at wordfreq's 1e-8."""
    f = prior.get_many([spun, *originals])
    base = math.log(max(10, f[0]))
    return [math.log(max(10, x)) - base for x in f[1:]]
