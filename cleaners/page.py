"""The page cleaner: decode → extract → boilerplate → repair → structure, into an Article.

Never raises: an undecodable page, a page with no article and any unexpected failure come back as
an Article with ``status`` and ``reason`` set, so one bad page never stops a crawl.

Audit contract: ``apply_repairs(article.extracted_text, article.repairs) == article.body``.  The
repairs are, in order: boilerplate and metadata line removals (in extracted_text coordinates, made
sequential), then the text repairs of ``cleaners.repair.repair_text`` on the text that is left.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Sequence
from urllib.parse import urljoin, urlsplit

from cleaners import repair as _repair
from cleaners.boilerplate import meta_from_line, strip_boilerplate
from cleaners.chinese import to_simplified
from cleaners.decode import Decoded, decode_html
from cleaners.extract import Extracted, extract, parse_noted
from cleaners.model import Article, Comment, apply_repairs, sequential
from cleaners.structure import best_title, comments_from_items, comments_from_lines, outline, parse_date

MAX_BODY_CHARS = 300_000
UNSURE = 0.5  # an article below this confidence carries the reason in Article.reason
# The cleaning after extraction removes a title repeat, an info line, a disclaimer: a small share of
# the block.  When its rules remove more than this share of the block's text, the block or the rules
# are wrong for this page (a list of teasers taken for the article, or the article's own paragraphs
# read as teasers): the confidence falls in proportion to what was removed past this share.
CLEANED_AWAY = 0.5
_LABELLED_TIME = re.compile(
    r"(?:发布时间|发表时间|更新时间|时间|日期|发布于|发表于|发布|发表)\s*[:：]?\s*\d{4}"
)
_BARE_DATE = re.compile(r"^\s*\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}")


def clean_page(
    raw: bytes,
    url: str = "",
    *,
    declared_encoding: str | None = None,
    profile: dict | None = None,
) -> Article:
    """Clean one fetched page (raw bytes) into an Article; never raises."""
    return clean_parts([(raw, url, declared_encoding)], profile=profile)


def clean_parts(
    parts: Sequence[tuple[bytes, str, str | None]],
    *,
    profile: dict | None = None,
) -> Article:
    """Clean an article split over several pages: ``(raw, url, declared_encoding)`` per part, in order.

    Bodies are merged in order; title and metadata come from the first part; pager text
    (第1页/下一页) is removed by the boilerplate rules.  Never raises.
    """
    url = parts[0][1] if parts else ""
    try:
        return _clean_parts(parts, profile)
    except Exception as e:  # noqa: BLE001 - the contract: a bad page is a status, never an exception
        return Article(url=url, status="error", reason=repr(e)[:500])


def _clean_parts(parts: Sequence[tuple[bytes, str, str | None]], profile: dict | None) -> Article:
    if not parts:
        return Article(url="", status="empty", reason="no page parts given")
    url = parts[0][1]
    prof_extract = (profile or {}).get("extract") if isinstance(profile, dict) else None
    if prof_extract is not None and not isinstance(prof_extract, dict):
        prof_extract = None
    extracted: list[Extracted] = []
    notes: list[str] = []  # per parsed part: why its parse was not plain ("" if it was)
    first_dec: Decoded | None = None
    for raw, _part_url, declared in parts:
        dec = decode_html(raw if isinstance(raw, bytes | bytearray) else b"", declared)
        if first_dec is None:
            first_dec = dec
        if not dec.ok:
            if len(parts) == 1:
                return Article(url=url, status="undecodable", reason=dec.reason, encoding_reason=dec.reason)
            continue  # one bad part of a paged article: keep the others
        root, note = parse_noted(dec.text, dec.utf8)
        if root is None:
            continue
        notes.append(note)
        extracted.append(extract(root, prof_extract))
    assert first_dec is not None
    art = Article(url=url, encoding=first_dec.encoding, encoding_reason=first_dec.reason)
    if not extracted:
        art.status = "empty" if first_dec.ok else "undecodable"
        art.reason = "no HTML found" if first_dec.ok else first_dec.reason
        return art
    _build(art, extracted)
    deep = next((n for n in notes if n), "")
    if deep:  # say so: without it a page nested too deep read as a page without text
        art.reason = f"{deep}; {art.reason}" if art.reason else deep
    return art


def _build(art: Article, extracted: list[Extracted]) -> None:
    first = extracted[0]
    m = first.meta
    art.title = m.profile_title or best_title(m.title, m.h1, m.og_title)
    art.canonical_url = _canonical(art.url, m.canonical)
    paras: list[str] = []
    feats = [f for ex in extracted for f in ex.line_features]  # parallel to the paragraphs
    size = 0
    for p in (p for ex in extracted for p in ex.paragraphs):
        size += len(p) + 1
        if size > MAX_BODY_CHARS:
            # bound the work per page: guide articles are a few thousand characters; a body this
            # long is a dump or a monster page, and the repair chain's time grows with it.  The
            # paragraph that crosses the limit keeps its head (one endless <p> is not dropped whole)
            art.reason = f"article text cut at {MAX_BODY_CHARS} characters"
            room = MAX_BODY_CHARS - (size - len(p) - 1)
            if room > 0:
                paras.append(p[:room])
            break
        paras.append(p)
    text = "\n".join(paras)
    art.extracted_text = text

    stripped = strip_boilerplate(text, art.title, feats[: len(paras)])
    repairs = sequential(stripped.edits)
    fixed, text_repairs = _repair.repair_text(stripped.text)
    try:
        replays = apply_repairs(stripped.text, text_repairs) == fixed
    except ValueError:
        replays = False
    if not replays:
        # a repair chain whose record does not replay would break the audit: keep the article,
        # without the unexplained changes, and say so
        fixed, text_repairs = stripped.text, []
        art.reason = "text repairs did not replay; left out"
    # repair_text works on the whole remaining body, so its offsets already are body offsets
    repairs.extend(text_repairs)
    art.repairs = repairs
    art.body = fixed
    # The title matched the body's repeats in its own script above; analysts get one script.
    art.title = to_simplified(art.title)

    # metadata: lines lifted out of the body first, then the page around the article block
    meta = dict(stripped.meta)
    for line in reversed(first.head_lines):
        if len(line) > 160:
            continue
        for k, v in meta_from_line(line).items():
            if k == "time" and not (_LABELLED_TIME.search(line) or _BARE_DATE.match(line)):
                continue
            meta.setdefault(k, v)
    for line in first.tail_lines:
        if len(line) <= 80:
            for k, v in meta_from_line(line).items():
                if k in ("editor", "source"):
                    meta.setdefault(k, v)
    art.published_at = parse_date(meta.get("time")) or parse_date(m.published)
    art.source = meta.get("source", "") or m.source
    art.editor = meta.get("editor", "")

    art.sections = outline(art.body)
    comments: list[Comment] = []
    for ex in extracted:
        comments.extend(comments_from_items(ex.comments, art.published_at))
    comments.extend(comments_from_lines(stripped.comment_lines, art.published_at))
    seen: set[tuple[str, str]] = set()
    for c in comments:
        key = (c.author, c.text)
        if key not in seen:
            seen.add(key)
            c.author, c.role = to_simplified(c.author), to_simplified(c.role)
            # the text is repaired like the body (punctuation, Traditional → Simplified ...) and
            # audited per comment: apply_repairs(c.extracted_text, c.repairs) == c.text
            c.extracted_text = c.text
            c.text, c.repairs = _repair.repair_comment(c.text)
            try:
                replays = apply_repairs(c.extracted_text, c.repairs) == c.text
            except ValueError:
                replays = False
            if not replays:
                c.text, c.repairs = c.extracted_text, []  # unexplained changes are left out
            art.comments.append(c)
    art.spin_score = float(_repair.spin_score(art.body, art.repairs))
    # the least sure part decides: one part taken wrong makes the article wrong
    worst = min(extracted, key=lambda ex: ex.confidence)
    art.confidence = worst.confidence
    cut_reason = ""
    removed = _removed_share(text, stripped.text)
    if removed > CLEANED_AWAY:
        art.confidence = round(art.confidence * (1.0 - removed) / (1.0 - CLEANED_AWAY), 3)
        rules: Counter[str] = Counter()
        for r in repairs:
            if r.kind in ("boilerplate", "metadata"):
                rules[r.rule] += len(r.before)
        top = ", ".join(rid for rid, _ in rules.most_common(2))
        cut_reason = f"the cleaning removed {removed:.0%} of the block's text ({top})"
    if not art.body.strip():
        art.status = "empty"
        art.reason = "no article text found"
        art.confidence = 0.0
    elif art.confidence < UNSURE and not art.reason:
        # kept, but never silently: the reason says why the extractor is unsure
        why = "; ".join(x for x in (worst.confidence_reason, cut_reason) if x)
        art.reason = f"uncertain extraction (confidence {art.confidence:.2f}): {why}"


def _removed_share(before: str, after: str) -> float:
    """The share of a text's visible characters that the cleaning removed (0-1)."""
    total = _visible(before)
    return 1.0 - _visible(after) / total if total else 0.0


def _visible(s: str) -> int:
    return len("".join(s.split()))


def _canonical(url: str, href: str) -> str:
    """rel=canonical resolved against the page URL, kept only when it stays on the page's site."""
    if not href:
        return ""
    full = urljoin(url, href) if url else href
    try:
        parts = urlsplit(full)
        a, b = urlsplit(url).hostname or "", parts.hostname or ""
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not b:
        return ""
    if a and _site(a) != _site(b):
        return ""
    return full


# The first bytes of a page searched by ``canonical_from_raw``: <link rel=canonical> belongs in the
# <head>, which even with inline scripts and styles is well inside this.
RAW_CANONICAL_WINDOW = 256 * 1024
# Written by hand, not with lxml: this reader runs exactly where the cleaner (lxml included) ran out
# of time or died, so it must be cheap and bounded whatever the page is -- two regexes over a fixed
# window, each tag at most 4 KB, no parse.  Attribute order, quotes and case vary; ``data-href`` and
# the like are not ``href``.
_LINK_TAG = re.compile(rb"<link\b([^<>]{0,4096})>", re.IGNORECASE)
_LINK_ATTR = re.compile(
    rb"""(?<![\w:-])(rel|href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>`]+))""", re.IGNORECASE
)


def canonical_from_raw(raw: bytes, url: str, declared: str | None = None) -> str:
    """The page's rel=canonical read straight from its raw bytes, for a page the cleaner could not
    clean (over its time budget, or its cleaning process died): "" when there is none.

    The same rule as the cleaned path -- the first <link> whose rel names ``canonical`` and that
    has an href, kept through ``_canonical`` (resolved against ``url``, same site only) -- so a
    mobile copy folds into its article whether or not cleaning succeeded.  Bounded (the first
    ``RAW_CANONICAL_WINDOW`` bytes) and never raises."""
    try:
        if not isinstance(raw, bytes | bytearray) or not raw:
            return ""
        head = bytes(raw[:RAW_CANONICAL_WINDOW])
        enc = declared or "utf-8"
        if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16: the ASCII patterns need the text
            head = head.decode("utf-16", "replace").encode("utf-8", "replace")
            enc = "utf-8"
        for tag in _LINK_TAG.finditer(head):
            attrs: dict[bytes, bytes] = {}
            for m in _LINK_ATTR.finditer(tag.group(1)):
                name = m.group(1).lower()
                if name not in attrs:  # the first of a repeated attribute counts, as in a parser
                    attrs[name] = next(g for g in m.groups()[1:] if g is not None)
            href = attrs.get(b"href", b"")
            if b"canonical" not in attrs.get(b"rel", b"").lower().split() or not href:
                continue
            return _canonical(url, html.unescape(_text(href, enc)).strip())
    except Exception:  # noqa: BLE001 - a hostile page costs its canonical, never the caller
        return ""
    return ""


def _text(b: bytes, encoding: str) -> str:
    try:
        return b.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return b.decode("utf-8", "replace")


def _site(host: str) -> str:
    """The registrable part of a host, roughly (last two labels; three for .com.cn style)."""
    parts = host.lower().split(".")
    if len(parts) >= 3 and parts[-2] in ("com", "net", "org", "gov", "edu", "co"):
        return ".".join(parts[-3:])
    return ".".join(parts[-2:])
