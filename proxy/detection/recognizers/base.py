"""What a recognizer is, in our own terms: data (patterns, context words) plus an optional check.

Recognizer modules describe themselves with these types and never import Presidio; `detection/analyzer/` turns
each `RecognizerSpec` into a Presidio pattern recognizer. Keeping the seam here means a recognizer can be read,
tested and reviewed as plain data. The literal-word searches live here too: `TermFinder` (a recognizer's term list)
and `whole_word_occurrences` (any words, e.g. a found name's other mentions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import regex

from proxy.detection.checks import Check, char_classes, shannon_entropy

__all__ = ["Check", "PatternSpec", "RecognizerSpec", "SpanMatch", "TermFinder", "char_classes", "shannon_entropy",
           "strip_separators", "terms_pattern", "whole_word_occurrences"]


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
    # Set by `terms_pattern`: the regex is these literal terms between `before` and `after`, found by a TermFinder.
    terms: tuple[str, ...] = ()
    before: str = ""
    after: str = ""

    def may_match(self, folded_text: str) -> bool:
        """False when `folded_text` (the text, `str.casefold`ed) holds none of the keywords."""
        return not self.keywords or any(k.casefold() in folded_text for k in self.keywords)


def terms_pattern(name: str, terms: Iterable[str], score: float, *, before: str, after: str) -> PatternSpec:
    """A pattern that is a list of literal terms (towns, names) as whole words: `before` is zero-width conditions on
    what precedes a term (lookbehinds, the first of which must rule out a word character: `(?<![\\w`...), `after` one
    on what follows it (a lookahead). Its regex is `before(?:longest|...|shortest)after`; the engine finds the same
    matches with a `TermFinder` (a regex run tries every one of hundreds of alternatives at every position of a
    text: 0.3-0.5 ms per 1 KB for each such list). Case-sensitive recognizers only."""
    if not before.startswith(r"(?<![\w"):
        raise ValueError(f"pattern {name}: `before` must start by ruling out a word character before a term")
    ordered = sorted(dict.fromkeys(terms), key=len, reverse=True)
    alternatives = "|".join(regex.escape(t) for t in ordered)
    return PatternSpec(name, f"{before}(?:{alternatives}){after}", score, terms=tuple(ordered), before=before,
                       after=after)


class TermFinder:
    """What the regex of a `terms_pattern` finds, case-sensitively, without trying every term at every position.

    The first condition of `before` rules out a word character before a term, and every term starts with one, so a
    match starts where a run of word characters starts, and that run is the term's own first run (a term's first run
    is followed by a non-word character or by nothing). So only the terms whose first run is the text's run there are
    tried, longest first, as the alternation would try them; `before` and `after` are checked as the regex checks
    them (zero-width, on the whole text); the search goes on after a match, as `finditer` does.
    """

    _RUN = regex.compile(r"(?<!\w)\w+")

    def __init__(self, spec: PatternSpec, flags: int = 0) -> None:
        if not spec.terms:
            raise ValueError(f"pattern {spec.name} is no terms pattern")
        if flags & regex.IGNORECASE:
            raise ValueError(f"pattern {spec.name}: a TermFinder compares terms case-sensitively")
        self._before = regex.compile(spec.before, flags) if spec.before else None
        self._after = regex.compile(spec.after, flags) if spec.after else None
        by_run: dict[str, list[str]] = {}
        for term in spec.terms:  # longest first already (terms_pattern)
            run = regex.match(r"\w+", term)
            if run is None:
                raise ValueError(f"pattern {spec.name}: term {term!r} does not start with a word character")
            by_run.setdefault(run.group(), []).append(term)
        self._by_run = {run: tuple(ts) for run, ts in by_run.items()}

    def spans(self, text: str) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        end = 0
        for run in self._RUN.finditer(text):
            start = run.start()
            if start < end:
                continue
            candidates = self._by_run.get(run.group())
            if candidates is None or (self._before is not None and not self._before.match(text, start)):
                continue
            for term in candidates:
                stop = start + len(term)
                if text.startswith(term, start) and (self._after is None or self._after.match(text, stop)):
                    found.append((start, stop))
                    end = stop
                    break
        return found


_WORD_OR_HYPHEN = regex.compile(r"[\w-]")


def whole_word_occurrences(text: str, words: Iterable[str]) -> list[tuple[int, int]]:
    r"""Where `words` (any strings) occur in `text` with no word character or hyphen either side, left to right,
    the longest word where several start at one place, none overlapping: what
    `(?<![\w-])(?:longest|...|shortest)(?![\w-])` finds, without compiling that alternation anew for every text (the
    `regex` module's compiler is Python: ~1 ms a text). For a fixed list of terms with regex conditions around
    them, see `TermFinder`.
    """
    found = []
    size = len(text)
    for word in words:
        i = text.find(word)
        while i >= 0:
            j = i + len(word)
            if ((i == 0 or not _WORD_OR_HYPHEN.match(text, i - 1))
                    and (j == size or not _WORD_OR_HYPHEN.match(text, j))):
                found.append((i, j))
            i = text.find(word, i + 1)
    found.sort(key=lambda span: (span[0], -span[1]))
    spans: list[tuple[int, int]] = []
    for start, end in found:
        if not spans or start >= spans[-1][1]:
            spans.append((start, end))
    return spans


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
            spans = (TermFinder(p, self.flags).spans(text) if p.terms and self.case_sensitive
                     else [m.span() for m in regex.finditer(p.regex, text, self.flags)])
            for start, end in spans:
                if end == start:
                    continue
                verdict = self.validate(text[start:end]) if self.validate else Check.UNKNOWN
                if verdict is Check.REJECTED:
                    continue
                score = self.confirmed_score if verdict is Check.CONFIRMED else p.score
                found.append(SpanMatch(start, end, score, p.name))
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
