"""Shared fixtures: where ../shared is, and a real local HTTP server for crawl tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _find_shared() -> Path:
    """``$GUIDECRAWL_SHARED``, else ``shared`` beside this checkout, else beside the checkout this
    one was cloned from (``git clone /work/main /tmp/x`` keeps finding /work/shared): the data is
    not ours to ship, so a clone elsewhere must still reach it."""
    env = os.environ.get("GUIDECRAWL_SHARED")
    if env:
        return Path(env)
    here = REPO.parent / "shared"
    if here.exists():
        return here
    try:
        origin = subprocess.run(
            ["git", "-C", str(REPO), "config", "--get", "remote.origin.url"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        origin = ""
    if origin and Path(origin).is_dir():
        beside_origin = Path(origin).resolve().parent / "shared"
        if beside_origin.exists():
            return beside_origin
    return here


SHARED = _find_shared()


@pytest.fixture(scope="session")
def shared() -> Path:
    """The ../shared folder (real pages, spin pairs, seed).  Its absence is an error, not a skip."""
    if not (SHARED / "pages" / "manifest.jsonl").exists():
        pytest.fail(
            f"shared test data not found at {SHARED} (nor beside the checkout this one was cloned "
            "from); set GUIDECRAWL_SHARED to its path"
        )
    return SHARED


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
