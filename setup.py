"""Builds the compiled modules of the repair chain (the rest of the project is in pyproject.toml;
Cython comes from its [build-system] requires): cleaners/_fastlm (the models' look-ups) and
cleaners/_fastscan (which stages can find anything in a paragraph).

Without Cython or a C compiler the project installs without them, and cleaners/lm.py and
cleaners/stagescan.py run their Python code instead (the same answers, bit for bit:
tests/cleaners/test_fastpaths.py).
"""

from setuptools import setup


def _ext_modules() -> list:
    try:
        from Cython.Build import cythonize
        from setuptools import Extension
    except ImportError:
        return []
    exts = [
        Extension(
            f"cleaners.{name}",
            [f"cleaners/{name}.pyx"],
            # float arithmetic in the order the numpy code does it (no fused multiply-add)
            extra_compile_args=["-O2", "-ffp-contract=off"],
            optional=True,  # a failed build leaves the Python code in charge, not a failed install
        )
        for name in ("_fastlm", "_fastscan")
    ]
    return cythonize(exts, quiet=True)


setup(ext_modules=_ext_modules())
