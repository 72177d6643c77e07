"""Values hidden by an encoding a reader undoes in their head: base64 runs (a key or an address encoded in a tool
argument) and digits written one by one (`5 4 2 5 2 3 3 4 …`).

`decoded_view` returns the text with each such run replaced by what it spells, as a `NormalisedText` whose every
decoded character maps back to the whole run. A finding anywhere inside decoded text therefore maps back to the
whole run, so the run is redacted or blocked as a unit, with the entity type of what it hides. Cost is bounded: at
most `MAX_RUNS` runs of at most `MAX_BASE64_CHARS` characters per text; no runs, no second pass.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import regex

from proxy.detection.normalise import NormalisedText

MIN_BASE64_CHARS = 16
MAX_BASE64_CHARS = 4096
MAX_RUNS = 16
# Share of printable characters a decoded run needs: random bytes (a key's own body, a hash) are not text.
MIN_PRINTABLE = 0.9

# Runs are found as maximal runs of the characters either alphabet uses, then checked whole: a pattern with
# lookarounds around a repeated group backtracks over every start in a long run (1,000,000 "a": 74 s).
_RUN = regex.compile(rf"[A-Za-z0-9+/=_-]{{{MIN_BASE64_CHARS},}}")
_BASE64 = regex.compile(r"(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_BASE64URL = regex.compile(r"(?:[A-Za-z0-9_-]{4})+(?:[A-Za-z0-9_-]{2}==|[A-Za-z0-9_-]{3}=)?")
# Nine or more single digits, each separated by one space, dash or dot; found as maximal runs, then bounded.
_DIGIT_RUN = regex.compile(r"\d(?:[ .-]\d)+")
MIN_SPACED_DIGITS = 9


@dataclass(frozen=True, slots=True)
class DecodedView:
    """The text with hidden runs decoded; `view.to_original` maps back; `decoded` lists the decoded spans (in view
    offsets)."""

    view: NormalisedText
    decoded: tuple[tuple[int, int], ...]

    def touches_decoded(self, start: int, end: int) -> bool:
        return any(start < e and s < end for s, e in self.decoded)


def _printable(text: str) -> bool:
    if not text:
        return False
    ok = sum(ch.isprintable() or ch in "\n\r\t" for ch in text)
    return ok / len(text) >= MIN_PRINTABLE


def _decode_base64(run: str) -> str | None:
    if not MIN_BASE64_CHARS <= len(run) <= MAX_BASE64_CHARS:
        return None
    try:
        raw = base64.b64decode(run, validate=True) if "-" not in run and "_" not in run \
            else base64.urlsafe_b64decode(run)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return text if _printable(text) else None


def hidden_runs(text: str) -> list[tuple[int, int, str]]:
    """(start, end, decoded) for each hidden run in `text`, in order, not overlapping, at most `MAX_RUNS`."""
    runs: list[tuple[int, int, str]] = []
    for m in _RUN.finditer(text):
        run = m.group()
        if len(run) <= MAX_BASE64_CHARS and (_BASE64.fullmatch(run) or _BASE64URL.fullmatch(run)):
            decoded = _decode_base64(run)
            if decoded is not None:
                runs.append((m.start(), m.end(), decoded))
    for m in _DIGIT_RUN.finditer(text):
        span = _spaced_digits(text, m.start(), m.end())
        if span is not None:
            runs.append((*span, "".join(ch for ch in text[span[0]:span[1]] if ch.isdigit())))
    kept: list[tuple[int, int, str]] = []
    for run in sorted(runs):
        if not kept or run[0] >= kept[-1][1]:
            kept.append(run)
    return kept[:MAX_RUNS]


def _spaced_digits(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The run of single digits at [start, end) if it stands alone: not inside a word or a longer number."""
    if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "._-"):
        return None
    if end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end -= 2  # "… 8 9 0a": the last digit belongs to the word after it
    elif end + 1 < len(text) and text[end] in ".-" and text[end + 1].isdigit():
        return None  # part of a longer number ("1 2 … 9-10")
    return (start, end) if (end - start + 1) // 2 >= MIN_SPACED_DIGITS else None


def decoded_view(text: str) -> DecodedView | None:
    """`text` with its hidden runs decoded in place, or None when it has none."""
    runs = hidden_runs(text)
    if not runs:
        return None
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    decoded: list[tuple[int, int]] = []
    pos = 0
    for start, end, value in runs:
        out.append(text[pos:start])
        starts.extend(range(pos, start))
        ends.extend(range(pos + 1, start + 1))
        begin = len(starts)
        out.append(value)
        starts.extend([start] * len(value))
        ends.extend([end] * len(value))
        decoded.append((begin, len(starts)))
        pos = end
    out.append(text[pos:])
    starts.extend(range(pos, len(text)))
    ends.extend(range(pos + 1, len(text) + 1))
    return DecodedView(NormalisedText("".join(out), tuple(starts), tuple(ends)), tuple(decoded))
