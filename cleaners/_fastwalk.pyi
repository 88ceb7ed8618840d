# Types of the compiled module cleaners/_fastwalk.pyx (see its docstring; used by cleaners/extract.py).
from collections.abc import Callable
from typing import Any

from lxml import etree

LXML_BUILT: str

def text_counts(text: str) -> tuple[int, int]: ...
def set_inline(names: Any) -> None: ...
def may_hide(style: str) -> bool: ...
def score_counts(
    root: etree._Element,
    elements: list[etree._Element],
    cap: int,
    stuffed: Callable[[int], bool],
) -> tuple[list[str], list[int | None], list[int], list[int], list[int], list[float], bool] | None: ...
def block_lines(
    root: etree._Element,
    alt: bool,
    skip_junk: bool,
    want_facts: bool,
    limit: int,
    junk: Callable[[etree._Element], bool],
    stuffed_text: Callable[[str], bool],
) -> tuple[list[str], list[tuple[float, str, str]]] | None: ...
def prune_marks(
    root: etree._Element,
    hidden_style: Callable[[str], object],
    key_is_comment: Callable[[str], bool],
) -> tuple[list[etree._Element], list[etree._Element]] | None: ...
def density_counts(root: etree._Element) -> tuple[int, int, int, int]: ...
