"""Where the rule tables live, and the one way to read them.

The data folder is ``data/`` at the top of the checkout (``SHIPPED_DATA``), or ``$GUIDECRAWL_DATA``
when that is set (a deployed egg, e.g. the scrapyd route, points it at its own copy): ``data_root()``
and ``data_path()`` are the only definition of it; the cleaners, the site profiles
(``crawler/profiles.py``) and reclean all ask here.  The embedded demo sites are not rules: they
stay with the checkout (``DEMO_ROOT``).

Every file is read through ``read_bytes``, which keeps the bytes it read, per path, for the life of
the process.  The rules are compiled once per process from those bytes, and ``rules_digest()``
(part of ``cleaners.cleaner_version()``) hashes the very same bytes, so a row's version names the
rules that made it even if a file is edited while a crawl runs.

One reader per file: ``repair_settings()`` below for ``repair/settings.toml``; each other file has
its reader next to the code that compiles it (``boilerplate.rules``, ``extract._config``,
``spin._load``, ``garble._check_rules``, ``chinese._punct_table``; site profiles
``crawler.profiles.read_profile_toml``).  ``tests/cleaners/test_data_owners.py`` keeps it so.

Light on purpose (no numpy, no models): the crawling process imports it for profiles and the
version.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_DATA = ROOT / "data"
DEMO_ROOT = SHIPPED_DATA / "demo_site"
ENV = "GUIDECRAWL_DATA"

# The rule and dictionary files the cleaners read, relative to the data root ("repair/" means
# every file in it).  Site profiles are not here: a profile's [extract] table reaches the cleaners
# per article and is named in the version per article (``cleaners.cleaner_version(profile)``).
RULE_FILES = ("boilerplate.toml", "edge_model.toml", "extract.toml", "repair/")


def data_root() -> Path:
    """``$GUIDECRAWL_DATA`` when set, else the checkout's ``data/``."""
    env = os.environ.get(ENV)
    return Path(env) if env else SHIPPED_DATA


def data_path(*parts: str) -> Path:
    return data_root().joinpath(*parts)


@functools.cache
def _bytes_at(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def read_bytes(*parts: str) -> bytes:
    """The bytes of a data file, read once per process (see the module docstring)."""
    return _bytes_at(str(data_path(*parts)))


def read_toml(*parts: str) -> dict[str, Any]:
    return tomllib.loads(read_bytes(*parts).decode("utf-8"))


def read_tsv(*parts: str) -> list[dict[str, str]]:
    """The rows of a table in ``data/``: tab-separated, ``#`` comment lines and blank lines
    skipped, the first other line naming the columns; a row with the wrong number of fields is
    an error (a table is data the code trusts)."""
    path = data_path(*parts)
    rows: list[dict[str, str]] = []
    header: list[str] | None = None
    # a text stream over the bytes splits lines exactly as open() does (universal newlines; not
    # str.splitlines, which also splits at U+2028, U+0085 and friends a table may hold)
    with io.TextIOWrapper(io.BytesIO(read_bytes(*parts)), encoding="utf-8") as f:
        lines = list(f)
    for n, line in enumerate(lines, 1):
        if line.startswith("#") or not line.strip():
            continue
        cols = line.rstrip("\n").split("\t")
        if header is None:
            header = cols
        elif len(cols) != len(header):
            raise ValueError(f"{path}:{n}: {len(cols)} fields, the header names {len(header)}")
        else:
            rows.append(dict(zip(header, cols, strict=True)))
    return rows


def repair_settings() -> dict[str, Any]:
    """``repair/settings.toml``: the repair chain's thresholds, one table per stage (parsed once
    per data root; callers must not change the dict)."""
    return _repair_settings(str(data_root()))


@functools.cache
def _repair_settings(root: str) -> dict[str, Any]:
    return read_toml("repair", "settings.toml")


def rule_files(root: Path | None = None) -> list[str]:
    """The rule files in use, relative to the data root, sorted (``RULE_FILES`` expanded)."""
    root = data_root() if root is None else root
    out: list[str] = []
    for name in RULE_FILES:
        if name.endswith("/"):
            d = root / name
            out += sorted(f"{name}{p.name}" for p in d.iterdir() if p.is_file()) if d.is_dir() else []
        else:
            out.append(name)
    return sorted(out)


def rules_digest() -> str:
    """sha1 (10 hex digits) over the name and bytes of every rule file (``rule_files``); a missing
    file counts as such, never raises.  Cached per data root: the files are small (~70 KB) and
    read once anyway."""
    return _digest(str(data_root()))


@functools.cache
def _digest(root: str) -> str:
    h = hashlib.sha1()
    for name in rule_files(Path(root)):
        h.update(name.encode() + b"\0")
        try:
            data = read_bytes(*name.split("/"))
        except OSError:
            data = b"\0missing"
        h.update(len(data).to_bytes(8, "big") + data)
    return h.hexdigest()[:10]


def clear() -> None:
    """Forget what was read (tests that edit a data file in place)."""
    _bytes_at.cache_clear()
    _repair_settings.cache_clear()
    _digest.cache_clear()
