"""The keyword pre-filter (gitleaks' `keywords`): a pattern with keywords is not searched in a text without any of
them, and finds in a text with one what the bare regex finds."""

from __future__ import annotations

import pytest
import regex

from proxy.detection.recognizers import obfuscated_email, zip_code
from proxy.detection.recognizers.base import PatternSpec, RecognizerSpec


def _pattern(spec: RecognizerSpec, name: str) -> PatternSpec:
    return next(p for p in spec.patterns if p.name == name)


def test_keywords_are_compared_case_folded() -> None:
    p = PatternSpec("p", r"(?i:post[ ]code)", 0.5, keywords=("post code",))
    assert p.may_match("my post code is")
    assert p.may_match("Poſt CODE".casefold())  # the long s folds to s, as the regex's IGNORECASE reads it
    assert not p.may_match("postal code")
    assert PatternSpec("q", r"\d+", 0.5).may_match("anything")  # no keywords: always searched


@pytest.mark.parametrize(("spec", "name", "with_keyword", "without"), [
    (zip_code.SPEC, "after 'post code'", "Post Code: 94103", "Code: 94103"),
    (obfuscated_email.SPEC, "at and dot as words", "write to john at example dot org",
     "write to john at example.org"),
    (obfuscated_email.SPEC, "at sign, bracketed dot", "john@example[dot]org", "john(at)example[dot]org"),
])
def test_a_pattern_finds_the_same_with_its_keywords(spec: RecognizerSpec, name: str, with_keyword: str,
                                                    without: str) -> None:
    pattern = _pattern(spec, name)
    plain = [m.span() for m in regex.finditer(pattern.regex, with_keyword, spec.flags)]
    assert plain, "the example must exercise the pattern"
    assert [(m.start, m.end) for m in spec.matches(with_keyword) if m.pattern == name] == plain
    assert not pattern.may_match(without.casefold())
    assert not [m for m in spec.matches(without) if m.pattern == name]

