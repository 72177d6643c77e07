"""What the NER reads: a copy of the text that spaCy's tokenizer cannot be made slow by, and windows for texts
longer than spaCy accepts. Pure string work, no Presidio, no spaCy."""

from __future__ import annotations

import re

# spaCy's tokenizer strips prefix/suffix punctuation one character at a time, so a long run of "!" or emoji costs
# quadratic time (measured: 10,000 "!" took 7.8 s, holding the GIL). The NER reads a copy of the text, same length
# so every offset holds, with punctuation runs blanked and very long unbroken runs cut into pieces; the pattern
# recognizers still read the real text.
_PUNCTUATION_RUN = re.compile(r"[^\w\s]{8,}")
MAX_NER_TOKEN = 200
_UNBROKEN_RUN = re.compile(rf"\S{{{MAX_NER_TOKEN + 1},}}")
# spaCy refuses texts over `nlp.max_length` (1,000,000 characters). Longer texts are analysed in windows that
# overlap by more than any pattern's match (a PEM block of an 8192-bit key is about 6,500 characters).
WINDOW = 200_000
WINDOW_OVERLAP = 10_000


def tokenizer_safe(text: str) -> str:
    """`text` with the same length, punctuation runs blanked and unbroken runs cut every MAX_NER_TOKEN characters."""
    text = _PUNCTUATION_RUN.sub(lambda m: " " * len(m.group()), text)
    return _UNBROKEN_RUN.sub(_cut_run, text)


def _cut_run(match: re.Match[str]) -> str:
    run = list(match.group())
    run[MAX_NER_TOKEN::MAX_NER_TOKEN] = " " * len(run[MAX_NER_TOKEN::MAX_NER_TOKEN])
    return "".join(run)


def windows(text: str) -> list[tuple[int, int]]:
    """[start, end) windows covering `text`: one when it fits, else overlapping ones that
    end at whitespace where there is some near the cut."""
    length = len(text)
    if length <= WINDOW:
        return [(0, length)]
    out, start = [], 0
    while True:
        end = min(start + WINDOW, length)
        if end == length:
            out.append((start, end))
            return out
        cut = text.rfind(" ", end - WINDOW_OVERLAP // 2, end)
        end = cut if cut > start else end
        out.append((start, end))
        start = end - WINDOW_OVERLAP
