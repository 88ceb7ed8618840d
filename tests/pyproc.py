"""Run a snippet of Python in a fresh interpreter of this venv, from the repository root.

Tests that must see a module chosen at import time (a compiled module or its Python fallback,
``GUIDECRAWL_PURE_PYTHON``) cannot flip it inside the test process; they run the snippet here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_python(code: str, **env: str) -> str:
    """Run ``code`` with ``env`` added to this process's environment; return its stdout, stripped.

    A non-zero exit fails the calling test with the child's stderr.
    """
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()
