"""Builds the one compiled module of the repair chain, cleaners/_fastlm (the rest of the project is in
pyproject.toml; Cython comes from its [build-system] requires).

Without Cython or a C compiler the project installs without it, and cleaners/lm.py runs its numpy
code instead (the same scores, bit for bit: tests/cleaners/test_fastlm.py).
"""

from setuptools import setup


def _ext_modules() -> list:
    try:
        from Cython.Build import cythonize
        from setuptools import Extension
    except ImportError:
        return []
    ext = Extension(
        "cleaners._fastlm",
        ["cleaners/_fastlm.pyx"],
        # float arithmetic in the order the numpy code does it (no fused multiply-add)
        extra_compile_args=["-O2", "-ffp-contract=off"],
        optional=True,  # a failed build leaves the numpy code in charge, it does not fail the install
    )
    return cythonize([ext], quiet=True)


setup(ext_modules=_ext_modules())
