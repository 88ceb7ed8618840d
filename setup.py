"""Builds the compiled modules (the rest of the project is in pyproject.toml; Cython and lxml come
from its [build-system] requires):

- cleaners/_fastwalk: the extractor's per-element walks.  It reads libxml2's tree through lxml's
  C-API, so it is compiled against the headers of the lxml that is installed (``make
  .venv/.installed-dev`` installs lxml first and builds without isolation: the same lxml at build and
  at run time; cleaners/extract.py checks the version at import).
- cleaners/_fastlm (the models' look-ups) and cleaners/_fastscan (which stages can find anything in a
  paragraph): the repair chain.

Each is optional: without Cython, lxml's headers or a C compiler the project installs without it,
and the Python code it stands in for runs instead, with the same output
(tests/cleaners/test_compiled_equivalence.py, tests/cleaners/test_fastpaths.py).
"""

import sys

from setuptools import setup


def _ext_modules() -> list:
    if "bdist_egg" in sys.argv:
        # scrapyd-deploy's egg: scrapyd imports it from the zip file, where a compiled module
        # cannot load; the Python code runs there
        return []
    try:
        from Cython.Build import cythonize
        from setuptools import Extension
    except ImportError:
        return []
    # float arithmetic in the order the Python/numpy code does it (no fused multiply-add)
    flags = ["-O2", "-ffp-contract=off"]
    exts = [
        Extension(f"cleaners.{name}", [f"cleaners/{name}.pyx"], extra_compile_args=flags, optional=True)
        for name in ("_fastlm", "_fastscan")
    ]
    try:
        import lxml
    except ImportError:
        pass
    else:
        exts.append(
            Extension(
                "cleaners._fastwalk",
                ["cleaners/_fastwalk.pyx"],
                include_dirs=lxml.get_include(),
                extra_compile_args=flags,
                optional=True,
            )
        )
    return cythonize(exts, quiet=True)


setup(ext_modules=_ext_modules())
