"""Pure cleaning functions: bytes or text in, values out. No Scrapy, no DuckDB here.

Public API:
    clean_page(raw, url, declared_encoding=None, profile=None) -> Article
    clean_parts(parts, profile=None) -> Article        # an article split over several pages
    repair_text(text) -> (text, [Repair])
    apply_repairs(text, repairs) -> text
    cleaner_version() -> str                           # stored on every cleaned row

The names are loaded on first use (PEP 562): the crawler process needs only ``cleaners._data``
and the version, not the models, numpy and lxml trees that the cleaning processes load.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
from typing import Any

CLEANER_VERSION = "0.1.0"

_LAZY = {
    "Article": "cleaners.model",
    "Comment": "cleaners.model",
    "Repair": "cleaners.model",
    "Section": "cleaners.model",
    "apply_repairs": "cleaners.model",
    "clean_page": "cleaners.page",
    "clean_parts": "cleaners.page",
    "repair_text": "cleaners.repair",
}

__all__ = [*_LAZY, "CLEANER_VERSION", "cleaner_version"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cleaners' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def cleaner_version() -> str:
    """``CLEANER_VERSION``, plus the word model when it is switched on (``+kenlm``: the model the
    chain was tuned with; ``+nolm``: none could be had, the chain ran on its character model;
    ``+lm.<hash>``: another model file), plus a fingerprint of the run-time spinner tables when any are in use
    (``GUIDECRAWL_SPIN_TABLES``): both change the output, so a row says what it was made with
    (``0.1.0+kenlm+tables.3f9c0a1b2d``), and ``guidecrawl reclean`` can redo such rows later."""
    from cleaners.spintables import runtime_table_paths  # light: no models, no numpy
    from cleaners.wordlm import model_tag  # light: reads 64 KiB of the model file once

    return _version(model_tag(), tuple(runtime_table_paths()))


@functools.lru_cache(maxsize=8)
def _version(lm: str, paths: tuple[str, ...]) -> str:
    if not paths:
        return CLEANER_VERSION + lm
    h = hashlib.sha1()
    for p in paths:
        try:
            with open(p, "rb") as f:
                h.update(f.read())
        except OSError:
            h.update(b"missing:" + p.encode())
    return f"{CLEANER_VERSION}{lm}+tables.{h.hexdigest()[:10]}"
