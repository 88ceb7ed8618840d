"""Pure cleaning functions: bytes or text in, values out. No Scrapy, no DuckDB here.

Public API:
    clean_page(raw, url, declared_encoding=None, profile=None) -> Article
    clean_parts(parts, profile=None) -> Article        # an article split over several pages
    repair_text(text) -> (text, [Repair])
    apply_repairs(text, repairs) -> text
"""

from cleaners.model import Article, Comment, Repair, Section, apply_repairs
from cleaners.page import clean_page, clean_parts
from cleaners.repair import repair_text

CLEANER_VERSION = "0.1.0"

__all__ = [
    "Article",
    "Comment",
    "Repair",
    "Section",
    "apply_repairs",
    "clean_page",
    "clean_parts",
    "repair_text",
    "CLEANER_VERSION",
]
