"""Origins: the scheme, host and port a crawl stays on (and a job's folder is named after)."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url``, the port always written out (``http://a.example:80``)."""
    parts = urlsplit(url)
    scheme = (parts.scheme or "http").lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme, 0)
    except ValueError:  # a bad port: the URL check refuses it elsewhere; keep the text
        port = 0
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def origins(urls: Iterable[str]) -> list[str]:
    """The distinct origins of ``urls``, sorted."""
    return sorted({origin(u) for u in urls if u})
