"""Builds the one compiled module, cleaners/_fastwalk (the rest of the project is in pyproject.toml).

The module reads libxml2's tree through lxml's C-API, so it is compiled against the headers of the
lxml that is installed (``make .venv/.installed-dev`` installs lxml first and builds without
isolation: the same lxml at build and at run time).  Without Cython or lxml's headers the project
installs without it, and cleaners/extract.py runs its pure-Python walks (the same output).
"""

import sys

from setuptools import setup


def _ext_modules() -> list:
    if "bdist_egg" in sys.argv:
        # scrapyd-deploy's egg: scrapyd imports it from the zip file, where a compiled module
        # cannot load; the pure-Python walks run there
        return []
    try:
        import lxml
        from Cython.Build import cythonize
        from setuptools import Extension
    except ImportError:
        return []
    ext = Extension(
        "cleaners._fastwalk",
        ["cleaners/_fastwalk.pyx"],
        include_dirs=lxml.get_include(),
        # float sums in the order the Python code adds them (no fused multiply-add)
        extra_compile_args=["-O2", "-ffp-contract=off"],
    )
    return cythonize([ext], quiet=True)


setup(ext_modules=_ext_modules())
