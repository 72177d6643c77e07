"""Strategy `drop`: the value is removed and nothing marks where it was."""

from __future__ import annotations


def drop(value: str) -> str:
    """Nothing: the span is cut out of the text."""
    return ""
