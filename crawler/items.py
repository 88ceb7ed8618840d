"""What the spider hands to the item pipeline: raw fetched pages, never cleaned text.

The spider only fetches and selects (``crawler/`` is a thin adapter over Scrapy); decoding and
cleaning happen in ``pipelines/item/pipeline.py`` in worker processes.  Items are dataclasses
(Scrapy accepts them as items) so their fields are typed and fixed.

Each has a short ``repr``: Scrapy logs an item with ``%s`` when a pipeline fails on it ("Error
processing ..."), and the generated one would print every raw page byte -- megabytes of stderr
per failed item, and the page's content in the log.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Fetched:
    """One fetched URL as it came off the wire (or out of the stage, when ``replayed``)."""

    url: str  # the URL that was requested (before redirects): the key of page state
    final_url: str  # where redirects ended
    status: int  # HTTP status; 0 when nothing was received (timeout, refused ...)
    fetched_at: str  # ISO 8601, UTC
    content_type: str = ""
    header_charset: str | None = None  # charset= of Content-Type, passed to the decoder as declared
    etag: str = ""
    last_modified: str = ""
    body: bytes = b""
    replayed: bool = False  # served from this job's stage by a resumed run, not fetched again

    def __repr__(self) -> str:
        return f"<Fetched {self.url} status={self.status} {len(self.body)} bytes>"


@dataclass(slots=True)
class PageItem:
    """A fetched URL that is not (part of) an article to clean: a listing, a 404, a drop ..."""

    site: str
    page: Fetched
    outcome: str  # listing | unchanged | gone | error | dropped
    reason: str = ""

    def __repr__(self) -> str:
        return (
            f"<PageItem {self.site} {self.page.url} {self.outcome}{' ' + self.reason if self.reason else ''}>"
        )


@dataclass(slots=True)
class ArticleItem:
    """An article page and the further pages of a multi-page article, in reading order."""

    site: str
    parts: list[Fetched] = field(default_factory=list)
    reason: str = ""  # "incomplete: ..." when a later part could not be fetched

    def __repr__(self) -> str:
        size = sum(len(p.body) for p in self.parts)
        return f"<ArticleItem {self.site} {self.url} parts={len(self.parts)} {size} bytes>"

    @property
    def url(self) -> str:
        return self.parts[0].url if self.parts else ""

    @property
    def replayed(self) -> bool:
        return bool(self.parts) and all(p.replayed for p in self.parts)
