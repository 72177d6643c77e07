"""Many small texts analysed as one: the cost of a request follows its characters, not its number of fields.

Each analysis has a fixed cost (language pick, spaCy doc, every recognizer's set-up) that dominates for short
texts: 10,000 two-word fields cost half a minute one by one. Small texts are joined into packs, separated by a
blank line, analysed once, and each finding is cut back to the texts it covers (a finding across a separator
becomes one finding per text it touches, so nothing of it is lost). Long texts are analysed on their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from proxy.detection.findings import Finding

SEPARATOR = "\n\n"
# Only requests with more texts than this are packed: a pack has one language for the whole text, so packing a
# few fields of different languages would read some of them with the wrong model; below this the per-text cost is
# small anyway.
PACK_MIN_TEXTS = 32
# A text shorter than this is packed with its neighbours; packs grow up to about PACK_CHARS characters.
SMALL_TEXT = 500
PACK_CHARS = 4000


@dataclass(frozen=True, slots=True)
class Pack:
    """Texts analysed together: their indices in the input and where each starts in `text`."""

    text: str
    members: tuple[int, ...]
    starts: tuple[int, ...]


def plan(texts: Sequence[str]) -> list[Pack]:
    """The packs covering `texts`, each text in exactly one, in order; a long text is a pack of its own, and so is
    every text when there are few."""
    if len(texts) <= PACK_MIN_TEXTS:
        return [Pack(text, (i,), (0,)) for i, text in enumerate(texts)]
    packs: list[Pack] = []
    members: list[int] = []
    pieces: list[str] = []
    size = 0

    def close() -> None:
        nonlocal members, pieces, size
        if members:
            starts, at = [], 0
            for piece in pieces:
                starts.append(at)
                at += len(piece) + len(SEPARATOR)
            packs.append(Pack(SEPARATOR.join(pieces), tuple(members), tuple(starts)))
        members, pieces, size = [], [], 0

    for i, text in enumerate(texts):
        if len(text) >= SMALL_TEXT:
            packs.append(Pack(text, (i,), (0,)))
            continue
        if size + len(text) > PACK_CHARS:
            close()
        members.append(i)
        pieces.append(text)
        size += len(text) + len(SEPARATOR)
    close()
    return packs


def unpack(pack: Pack, findings: Sequence[Finding], lengths: Sequence[int]) -> list[tuple[Finding, ...]]:
    """Per member (in `pack.members` order), the findings cut to that member, offsets into the member's text.
    `lengths` are the members' text lengths."""
    if len(pack.members) == 1:
        return [tuple(findings)]
    out: list[list[Finding]] = [[] for _ in pack.members]
    for f in findings:
        for k, (start, length) in enumerate(zip(pack.starts, lengths, strict=True)):
            lo, hi = max(f.start, start), min(f.end, start + length)
            if lo < hi:
                out[k].append(Finding(0, lo - start, hi - start, f.entity_type, f.score, f.recognizer, f.language))
    return [tuple(sorted(fs, key=lambda f: (f.start, f.end))) for fs in out]
