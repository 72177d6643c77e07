"""Strategy `mask`: hide a value behind a fixed run of mask characters, keeping a short tail (`****4242`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MaskStyle:
    """How `mask` renders: `width` mask characters, then the last `tail` letters/digits of the value.

    The run has a fixed width so the mask does not reveal the value's length. The tail is shown only when the value
    has more than twice as many letters and digits as the tail, so at least half of it always stays hidden (a card
    number keeps its last four digits; a short name is masked whole).
    """

    tail: int = 4
    char: str = "*"
    width: int = 4

    def __post_init__(self) -> None:
        if self.tail < 0 or self.width < 1:
            raise ValueError("mask tail must be >= 0 and width >= 1")
        # '<' and '>' would make masks look like the start or end of a restorable token.
        if len(self.char) != 1 or self.char in "<>" or self.char.isalnum():
            raise ValueError("the mask character must be one character, not a letter, digit, '<' or '>'")


def mask(value: str, style: MaskStyle = MaskStyle()) -> str:
    """`value` masked: `****` plus the last `style.tail` letters/digits when the value is long enough."""
    significant = [c for c in value if c.isalnum()]
    keep = "".join(significant[-style.tail:]) if style.tail and len(significant) > 2 * style.tail else ""
    return style.char * style.width + keep
