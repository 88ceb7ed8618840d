"""The values that flow out of the cleaners: an article, its sections, comments and repairs.

A repair is a value, not a side effect: ``Repair(kind, rule, before, after, offset, confidence)``.
Repairs are recorded in the order they were made, and each ``offset`` is a character offset into
the text *as it stood just before that repair* (so the list replays left to right, the way
ftfy's plans do).  ``apply_repairs(input, repairs) == output`` is the audit contract: an analyst
can replay, inspect or undo every change.  Suspicions (``applied=False``) are recorded for audit
but are not part of the replay.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Repair:
    kind: str  # boilerplate | metadata | spin | garble | mojibake | t2s | punct | unrepairable ...
    rule: str  # the id of the rule or table entry in data/ that made it
    before: str
    after: str
    offset: int  # into the text as it stood before this repair
    confidence: float = 1.0
    applied: bool = True  # False: a suspicion, recorded but not applied

    def to_dict(self) -> dict:
        return _as_dict(self)


@dataclass(slots=True)
class Section:
    level: int  # 0 for text before the first heading, 1 for 一、, 2 for (一), 3 for 1. ...
    number: str  # as printed: "一", "(一)", "1", "①", "-" ; "" for an unnumbered section
    heading: str
    text: str

    def to_dict(self) -> dict:
        return _as_dict(self)


@dataclass(slots=True)
class Comment:
    author: str
    role: str
    published_at: str | None
    text: str  # repaired (``cleaners.repair.repair_comment``)
    # the comment's text before repair and the repairs made to it, in its own coordinates:
    # ``apply_repairs(comment.extracted_text, comment.repairs) == comment.text``
    extracted_text: str = ""
    repairs: list[Repair] = field(default_factory=list)

    def to_dict(self) -> dict:
        return _as_dict(self)


@dataclass(slots=True)
class Article:
    url: str
    canonical_url: str = ""  # <link rel=canonical> when the page gives one on its own site
    title: str = ""
    published_at: str | None = None  # ISO 8601, +08:00 when the page gives no zone
    source: str = ""
    editor: str = ""
    body: str = ""  # paragraphs separated by "\n"
    sections: list[Section] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)
    spin_score: float = 0.0
    encoding: str = ""
    encoding_reason: str = ""
    extracted_text: str = ""  # the content block's text before cleaning: replay repairs on it
    confidence: float = 0.0  # how sure the extractor is that body is the article (0-1)
    status: str = "ok"  # ok | empty | undecodable | error
    reason: str = ""  # why status is not ok

    def to_dict(self) -> dict:
        return _as_dict(self)


_ATOMIC = (str, int, float, bool, type(None))
_FIELDS: dict[type, tuple[str, ...]] = {}


def _as_dict(obj: object) -> dict:
    d = _plain(obj)
    assert isinstance(d, dict)  # a dataclass instance becomes a dict
    return d


def _plain(obj: Any) -> Any:
    """What ``dataclasses.asdict`` gives (dataclasses as dicts, lists and tuples rebuilt, other
    values copied), made directly: ``asdict`` sends every string through ``copy.deepcopy``, and
    an article's dict holds a few hundred of them (its repairs); the cleaning workers build one
    per article.  ``tests/cleaners/test_model_dict.py`` holds the two equal."""
    if isinstance(obj, _ATOMIC):
        return obj  # (immutable: deepcopy gives the object itself)
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    cls = type(obj)
    names = _FIELDS.get(cls)
    if names is None and is_dataclass(obj) and not isinstance(obj, type):
        names = _FIELDS[cls] = tuple(f.name for f in fields(obj))
    if names is not None:
        return {name: _plain(getattr(obj, name)) for name in names}
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return cls(_plain(v) for v in obj)
    if isinstance(obj, dict) and cls is dict:
        return {_plain(k): _plain(v) for k, v in obj.items()}
    return copy.deepcopy(obj)


def apply_repairs(text: str, repairs: Iterable[Repair]) -> str:
    """Replay recorded repairs on ``text``; raises ValueError if a repair does not fit.

    Linear in the text per left-to-right pass of the repair chain: rebuilding the whole string for
    every repair is quadratic on a long page with thousands of repairs.  Each run of repairs that
    moves left to right copies every stretch of the text once; a repair that reaches back (the
    next pass of the chain) settles the run so far and starts a new one.
    """
    cur = text
    out: list[str] = []
    out_len = 0  # length of the finished prefix of the current run (current-text coordinates)
    src = 0  # where the unread part of ``cur`` starts
    for r in repairs:
        if not r.applied:
            continue
        if r.offset < out_len:  # a new pass: settle the run so far
            cur = "".join(out) + cur[src:]
            out, out_len, src = [], 0, 0
        start = src + (r.offset - out_len)
        found = cur[start : start + len(r.before)]
        if found != r.before:
            raise ValueError(f"repair {r.rule!r} expects {r.before!r} at {r.offset}, found {found!r}")
        out.append(cur[src:start])
        out.append(r.after)
        out_len += (start - src) + len(r.after)
        src = start + len(r.before)
    out.append(cur[src:])
    return "".join(out)


def sequential(edits: Iterable[tuple[int, str, str, str, str, float]]) -> list[Repair]:
    """Turn non-overlapping edits given in *one* text's coordinates into replayable repairs.

    ``edits`` are ``(offset, before, after, kind, rule, confidence)`` with offsets into the same
    input text; they are sorted and each offset is shifted by the length change of the edits
    before it, so the result satisfies the ``apply_repairs`` contract.
    """
    out: list[Repair] = []
    delta = 0
    last_end = -1
    for off, before, after, kind, rule, conf in sorted(edits, key=lambda e: e[0]):
        if off < last_end:
            raise ValueError(f"overlapping edits at {off}")
        out.append(Repair(kind, rule, before, after, off + delta, conf))
        delta += len(after) - len(before)
        last_end = off + len(before)
    return out


def shift(repairs: Iterable[Repair], delta: int) -> list[Repair]:
    """The same repairs with offsets moved by ``delta`` (for a paragraph inside a longer text)."""
    return [
        Repair(r.kind, r.rule, r.before, r.after, r.offset + delta, r.confidence, r.applied) for r in repairs
    ]
