# Types of the compiled module cleaners/_fastscan.pyx (for mypy; the module itself is optional).
from collections.abc import Callable

import numpy as np

def scan(text: str, table: bytes, astral: frozenset[str], prefix_ok: Callable[[str], bool]) -> int: ...
def form_spans(
    text: str, first: bytes, pairs: np.ndarray, astral: bool, longest: int
) -> list[tuple[int, int]]: ...
