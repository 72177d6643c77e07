"""Verdicts and measures that recognizers and the secret catalogue share (no imports from either, so both can
use them)."""

from __future__ import annotations

import math
from collections import Counter
from enum import Enum


class Check(Enum):
    """The verdict of a recognizer's `validate` on one regex match."""

    CONFIRMED = "confirmed"  # a checksum or structure check passed: the score becomes `confirmed_score`
    REJECTED = "rejected"  # the match is not this identifier: dropped
    UNKNOWN = "unknown"  # nothing to check (or inconclusive): the pattern's own score stands


def shannon_entropy(value: str) -> float:
    """Bits per character of `value`'s own character distribution (0 for an empty string)."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def char_classes(value: str) -> int:
    """How many of lower-case, upper-case, digit and other (symbol) character classes `value` uses."""
    return (any(c.islower() for c in value) + any(c.isupper() for c in value) + any(c.isdigit() for c in value)
            + any(not c.isalnum() for c in value))
