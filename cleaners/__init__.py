"""Pure cleaning functions: bytes or text in, values out. No Scrapy, no DuckDB here.

Public API:
    clean_page(raw, url, declared_encoding=None, profile=None) -> Article
    clean_parts(parts, profile=None) -> Article        # an article split over several pages
    repair_text(text) -> (text, [Repair])
    apply_repairs(text, repairs) -> text
    cleaner_version(profile=None) -> str               # stored on every cleaned row

The names are loaded on first use (PEP 562): the crawler process needs only ``cleaners.data``
and the version, not the models, numpy and lxml trees that the cleaning processes load.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import os
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


def cleaner_version(profile: dict | None = None) -> str:
    """What made a cleaned row, stored on it: ``CLEANER_VERSION`` (the code), then

    - ``+data.<hash>``: the rule and dictionary files in use (``cleaners.data.rule_files``:
      ``boilerplate.toml``, ``extract.toml``, ``repair/*`` of the data root, by content) and the
      chain's own language models (``cleaners.lmsource.models_fingerprint``);
    - the word model when it is switched on (``+kenlm``: the model the chain was tuned with;
      ``+nolm``: none could be had, the chain ran on its character model; ``+lm.<hash>``: another
      model file; ``cleaners.wordlm.model_tag``);
    - ``+site.<hash>``: the site profile's ``[extract]`` selectors, when ``profile`` has any (the
      only part of a profile the cleaners read: its links, health and settings change no row);
    - ``+tables.<hash>``: the run-time spinner tables, when any are in use
      (``GUIDECRAWL_SPIN_TABLES``).

    e.g. ``0.1.0+data.3f9c0a1b2d+kenlm+tables.9a8b7c6d5e``.  Each part changes the output, so a row
    says what it was made with, and ``guidecrawl reclean --stale`` redoes the rows of another
    version.  Cheap after the first call (per article in a crawl): the files are read and hashed
    once per process and data root, as the cleaners compile them once per process.
    """
    from cleaners.data import ENV  # light: no models, no numpy
    from cleaners.spintables import runtime_table_paths
    from cleaners.wordlm import model_tag  # light: reads 2 MiB of the model file once

    # keyed on the data root's setting, not on a Path made of it: this runs once per article
    root = os.environ.get(ENV, "")
    return _version(root, model_tag(), tuple(runtime_table_paths())) + _site_tag(profile)


@functools.lru_cache(maxsize=8)
def _version(root: str, lm: str, paths: tuple[str, ...]) -> str:
    from cleaners.data import rules_digest
    from cleaners.lmsource import models_fingerprint

    # the word model's prior (wordfreq) is read only when the word model is there to use it
    models = models_fingerprint(word_model=lm not in ("", "+nolm"))
    data = hashlib.sha1(f"{rules_digest()};{models}".encode()).hexdigest()[:10]
    base = f"{CLEANER_VERSION}+data.{data}{lm}"
    if not paths:
        return base
    h = hashlib.sha1()
    for p in paths:
        try:
            with open(p, "rb") as f:
                h.update(f.read())
        except OSError:
            h.update(b"missing:" + p.encode())
    return f"{base}+tables.{h.hexdigest()[:10]}"


def _site_tag(profile: dict | None) -> str:
    extract = profile.get("extract") if isinstance(profile, dict) else None
    if not isinstance(extract, dict):
        return ""
    # the selectors that are set (an empty one and a missing one both mean "none"), in key order
    used = sorted((str(k), str(v)) for k, v in extract.items() if v)
    return _site_hash(tuple(used)) if used else ""


@functools.lru_cache(maxsize=64)
def _site_hash(used: tuple[tuple[str, str], ...]) -> str:
    return "+site." + hashlib.sha1(repr(used).encode()).hexdigest()[:8]
