"""What a recognizer is, in our own terms: data (patterns, context words) plus an optional check.

Recognizer modules describe themselves with these types and never import Presidio; `detection/analyzer.py` turns
each `RecognizerSpec` into a Presidio pattern recognizer. Keeping the seam here means a recognizer can be read,
tested and reviewed as plain data.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import regex


class Check(Enum):
    """The verdict of a recognizer's `validate` on one regex match."""

    CONFIRMED = "confirmed"  # a checksum or structure check passed: the score becomes `confirmed_score`
    REJECTED = "rejected"  # the match is not this identifier: dropped
    UNKNOWN = "unknown"  # nothing to check (or inconclusive): the pattern's own score stands


Validator = Callable[[str], Check]
# A recognizer that needs more than one regex match at a time (a word list walk, a rule over the whole text): the
# matches it finds in a text, before context words and overlap resolution.
Finder = Callable[[str], "list[SpanMatch]"]


@dataclass(frozen=True, slots=True)
class PatternSpec:
    """One regex with the score a bare match (no context, no check) gets."""

    name: str
    regex: str
    score: float


@dataclass(frozen=True, slots=True)
class RecognizerSpec:
    """A pattern or deny-list recognizer.

    `languages=None` means every configured language: identifiers and secrets look the same in any language.
    Regexes run with DOTALL and MULTILINE, plus IGNORECASE unless `case_sensitive` (most secret formats are).
    """

    name: str
    entity_type: str
    patterns: tuple[PatternSpec, ...] = ()
    context: tuple[str, ...] = ()
    deny_list: tuple[str, ...] = ()
    deny_list_score: float = 1.0
    languages: tuple[str, ...] | None = None
    case_sensitive: bool = False
    validate: Validator | None = None
    confirmed_score: float = 1.0
    finder: Finder | None = None

    def __post_init__(self) -> None:
        if not self.patterns and not self.deny_list and not self.finder:
            raise ValueError(f"recognizer {self.name} has neither patterns nor a deny-list nor a finder")

    @property
    def flags(self) -> int:
        """The regex flags the engine runs this recognizer's patterns with."""
        return regex.DOTALL | regex.MULTILINE | (0 if self.case_sensitive else regex.IGNORECASE)

    def matches(self, text: str) -> list[SpanMatch]:
        """This recognizer alone over `text`: pattern matches after the check, before context words and overlap
        resolution (which the engine adds). For tests and for explaining a finding."""
        found = []
        for p in self.patterns:
            for m in regex.finditer(p.regex, text, self.flags):
                if m.end() == m.start():
                    continue
                verdict = self.validate(m.group()) if self.validate else Check.UNKNOWN
                if verdict is Check.REJECTED:
                    continue
                score = self.confirmed_score if verdict is Check.CONFIRMED else p.score
                found.append(SpanMatch(m.start(), m.end(), score, p.name))
        if self.deny_list:
            terms = "|".join(regex.escape(t) for t in self.deny_list)
            for m in regex.finditer(rf"(?:^|(?<=\W))(?:{terms})(?:(?=\W)|$)", text, self.flags):
                found.append(SpanMatch(m.start(), m.end(), self.deny_list_score, "deny_list"))
        if self.finder:
            found.extend(self.finder(text))
        return found


@dataclass(frozen=True, slots=True)
class SpanMatch:
    """One match of one recognizer, before context and overlap resolution."""

    start: int
    end: int
    score: float
    pattern: str


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


def strip_separators(value: str, separators: str = " -./") -> str:
    """`value` without grouping separators (people write IDs as `12 345 678 901` or `DE89-3704-...`)."""
    return "".join(c for c in value if c not in separators)
