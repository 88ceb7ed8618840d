"""Which compiled modules run: the one place that decides.

setup.py builds ``cleaners/_fast*.pyx`` (``_fastwalk``: the extractor's and the crawler's walks of
libxml2's tree; ``_fastlm``, ``_fastscan``: the repair chain's look-ups and scans).  Each stands in
for Python code that stays the reference and the fallback, with the same output
(tests/cleaners/test_compiled_equivalence.py, test_fastpaths.py, tests/crawler/test_density.py).
A module is not used when it was not built, when it was built against another lxml than the one
running (it reads lxml's structs; such a module names its lxml in ``LXML_BUILT``), or when
``GUIDECRAWL_PURE_PYTHON`` is set (tests and benches compare the two paths).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType


def load(name: str) -> ModuleType | None:
    """``cleaners.<name>`` if it may run here, else None (the caller runs its Python code)."""
    if os.environ.get("GUIDECRAWL_PURE_PYTHON"):
        return None
    try:
        module = importlib.import_module(f"cleaners.{name}")
    except ImportError:
        return None
    built = getattr(module, "LXML_BUILT", None)
    if built is not None:
        from lxml import etree

        if built != etree.__version__:
            return None
    return module
