"""Term-list patterns (`terms_pattern`): the engine finds them with a `TermFinder` (a look-up per word start)
instead of their regex (hundreds of alternatives tried at every position); both must find the same spans."""

from __future__ import annotations

import random

import pytest
import regex

from proxy.detection.analyzer import _SpecRecognizer
from proxy.detection.recognizers import first_names, places
from proxy.detection.recognizers.base import PatternSpec, RecognizerSpec, TermFinder, terms_pattern

TERM_SPECS = [places.SPEC, places.GERMAN_SPEC, first_names.LOWERCASE_SPEC]
# What sits around terms in text: separators the before/after conditions look at, words a term is the start of,
# and the words of the place patterns' institution rule ("Landgericht Berlin", "FC Bayern München").
GLUE = [" ", "  ", "-", ".", "@", ", ", "\n", "(", ")", "_", "1", "é", "x", "'s", " – ", "Landgericht ", "FC ",
        "Universität ", "Stadt ", "Land ", "Amtsgericht ", "der ", "OLG ", "Bundesrepublik "]


def _terms(spec: RecognizerSpec) -> PatternSpec:
    (pattern,) = [p for p in spec.patterns if p.terms]
    return pattern


def _regex_spans(pattern: PatternSpec, flags: int, text: str) -> list[tuple[int, int]]:
    return [m.span() for m in regex.finditer(pattern.regex, text, flags)]


@pytest.mark.parametrize("spec", TERM_SPECS, ids=lambda s: s.name)
def test_term_finder_finds_what_the_regex_finds(spec: RecognizerSpec) -> None:
    pattern = _terms(spec)
    finder = TermFinder(pattern, spec.flags)
    rng = random.Random(f"terms-{spec.name}")
    terms = list(pattern.terms)
    found = 0
    for _ in range(2000):
        parts = []
        for _ in range(rng.randint(1, 14)):
            term = rng.choice(terms)
            parts.append(rng.choice([term, term, term.upper(), term.lower(), term + "er", term.split(" ")[0],
                                     rng.choice(GLUE), rng.choice(GLUE)]))
        text = "".join(parts)
        expected = _regex_spans(pattern, spec.flags, text)
        assert finder.spans(text) == expected, text
        found += len(expected)
    assert found > 300  # the texts exercise the terms, not only the misses


@pytest.mark.parametrize(("spec", "text", "values"), [
    (places.SPEC, "Flights from Paris to New York, then São Paulo (not Parisian) and PARIS.",
     ["Paris", "New York", "São Paulo", "PARIS"]),
    (places.SPEC, "Das Landgericht Berlin und der FC Bayern München; wir wohnen in Berlin.", ["Berlin"]),
    (places.GERMAN_SPEC, "Von Garmisch-Partenkirchen nach Rothenburg ob der Tauber, dann Thun, nicht Thuner See; "
     "Landgericht Suhl.", ["Garmisch-Partenkirchen", "Rothenburg ob der Tauber", "Thun"]),
    (first_names.LOWERCASE_SPEC, "ask michelle or @michelle or michelle.smith, cc: brandon-x and brandon", None),
])
def test_term_patterns_through_the_recognizer(spec: RecognizerSpec, text: str, values: list[str] | None) -> None:
    """`RecognizerSpec.matches` and the engine's recognizer use the finder; the spans are the regex's."""
    pattern = _terms(spec)
    expected = _regex_spans(pattern, spec.flags, text)
    assert expected, "the example must exercise the pattern"
    if values is not None:
        assert [text[s:e] for s, e in expected] == values
    assert [(m.start, m.end) for m in spec.matches(text) if m.pattern == pattern.name] == expected
    language = (spec.languages or ("en",))[0]
    recognizer = _SpecRecognizer(spec, language)
    with_finder = [(r.start, r.end, r.score) for r in recognizer.analyze(text, [spec.entity_type])]
    recognizer._term_finders = [None] * len(recognizer._term_finders)  # the regex route, as before the finder
    assert [(r.start, r.end, r.score) for r in recognizer.analyze(text, [spec.entity_type])] == with_finder
    assert [(s, e) for s, e, _ in with_finder] == expected


def test_term_patterns_refuse_what_the_finder_cannot_mirror() -> None:
    with pytest.raises(ValueError, match="word character"):
        terms_pattern("p", ["Paris"], 0.5, before=r"(?<![-])", after=r"(?![\w-])")
    with pytest.raises(ValueError, match="word character"):
        TermFinder(terms_pattern("p", ["-Paris"], 0.5, before=r"(?<![\w-])", after=""))
    with pytest.raises(ValueError, match="case-sensitively"):
        TermFinder(terms_pattern("p", ["Paris"], 0.5, before=r"(?<![\w-])", after=""), regex.IGNORECASE)
    # A case-insensitive recognizer keeps its regex (the finder compares terms as written).
    spec = RecognizerSpec("Towns", "LOCATION", patterns=(terms_pattern("t", ["Paris"], 0.5, before=r"(?<![\w-])",
                                                                       after=r"(?![\w-])"),))
    assert [(m.start, m.end) for m in spec.matches("in paris")] == [(3, 8)]
    assert _SpecRecognizer(spec, "en")._term_finders == [None]
