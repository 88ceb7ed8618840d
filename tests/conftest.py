"""Shared fixtures: where ../shared is, and a real local HTTP server for crawl tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("GUIDECRAWL_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared() -> Path:
    """The ../shared folder (real pages, spin pairs, seed).  Its absence is an error, not a skip."""
    if not (SHARED / "pages" / "manifest.jsonl").exists():
        pytest.fail(f"shared test data not found at {SHARED}; set GUIDECRAWL_SHARED to its path")
    return SHARED


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
