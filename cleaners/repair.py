"""Placeholder until the repair chain lands: identity."""

from __future__ import annotations

from cleaners.model import Repair


def repair_text(text: str) -> tuple[str, list[Repair]]:
    return text, []


def spin_score(text: str, repairs: list[Repair]) -> float:
    return 0.0
