"""What a recognizer is, in our own terms: data (patterns, context words) plus an optional check.

Recognizer modules describe themselves with these types and never import Presidio; `detection/analyzer/` turns
each `RecognizerSpec` into a Presidio pattern recognizer. Keeping the seam here means a recognizer can be read,
tested and reviewed as plain data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import regex

from proxy.detection.checks import Check, char_classes, shannon_entropy

__all__ = ["Check", "PatternSpec", "RecognizerSpec", "SpanMatch", "char_classes", "shannon_entropy",
           "strip_separators"]


Validator = Callable[[str], Check]
# A recognizer that needs more than one regex match at a time (a word list walk, a rule over the whole text): the
# matches it finds in a text, before context words and overlap resolution.
Finder = Callable[[str], "list[SpanMatch]"]


@dataclass(frozen=True, slots=True)
class PatternSpec:
    """One regex with the score a bare match (no context, no check) gets.

    `keywords` (gitleaks' pre-filter): words the regex cannot match without, one of which must be in the text,
    compared case-folded; a text without any is not searched. Only for literals the regex requires.
    """

    name: str
    regex: str
    score: float
    keywords: tuple[str, ...] = ()

    def may_match(self, folded_text: str) -> bool:
        """False when `folded_text` (the text, `str.casefold`ed) holds none of the keywords."""
        return not self.keywords or any(k.casefold() in folded_text for k in self.keywords)


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
    # More entity types a finder may report (a match names its own in `SpanMatch.entity_type`).
    also_reports: tuple[str, ...] = ()
    # Findings name the pattern too (`SecretCatalogue:github-pat`), so a finding says which rule made it.
    name_by_pattern: bool = False

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
        folded = text.casefold()
        for p in self.patterns:
            if not p.may_match(folded):
                continue
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
    entity_type: str | None = None  # None: the recognizer's own `entity_type`


def strip_separators(value: str, separators: str = " -./") -> str:
    """`value` without grouping separators (people write IDs as `12 345 678 901` or `DE89-3704-...`)."""
    return "".join(c for c in value if c not in separators)
