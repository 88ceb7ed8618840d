"""Where the rule tables live: ``data/`` at the top of the checkout, or ``$GUIDECRAWL_DATA``."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    env = os.environ.get("GUIDECRAWL_DATA")
    return Path(env) if env else ROOT / "data"


def data_path(*parts: str) -> Path:
    return data_dir().joinpath(*parts)
