"""Helpers for recognizer unit tests."""

from __future__ import annotations

from proxy.detection.recognizers.base import RecognizerSpec

# The detector's default score threshold: a match scoring below it is only reported with a context word nearby.
THRESHOLD = 0.4


def best(spec: RecognizerSpec, text: str) -> tuple[str, float] | None:
    """The highest-scoring (then longest) match of `spec` in `text`, as (matched text, score)."""
    ms = spec.matches(text)
    if not ms:
        return None
    m = max(ms, key=lambda x: (x.score, x.end - x.start))
    return text[m.start:m.end], m.score
