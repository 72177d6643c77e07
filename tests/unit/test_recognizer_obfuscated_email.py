"""Obfuscated e-mail addresses: the disguises are found whole; plain addresses and ordinary prose are not."""

from __future__ import annotations

import pytest

from proxy.detection.recognizers import builtin_specs, obfuscated_email
from tests.unit.recognizer_checks import THRESHOLD, best

SPEC = obfuscated_email.SPEC


def test_is_registered() -> None:
    assert SPEC in builtin_specs() and SPEC.entity_type == "EMAIL_ADDRESS"


@pytest.mark.parametrize("value", [
    "m.thornton.canary [at] example [dot] org",
    "m.thornton.canary(at)example(dot)org",
    "jane_doe{at}mail{dot}example{dot}co{dot}uk",
    "m.thornton.canary [AT] example.org",
    "m.thornton.canary[at]example.org",
    "m.thornton.canary@example(dot)org",
    "ops < at > example < dot > de",
])
def test_bracketed_disguises_score_on_their_own(value: str) -> None:
    assert best(SPEC, f"write to {value} please") == (value, 0.8)


def test_words_need_a_mail_word_nearby() -> None:
    value, score = best(SPEC, "ping m.thornton.canary at example dot org today")
    assert value == "m.thornton.canary at example dot org" and score < THRESHOLD
    assert "mail" in SPEC.context  # the engine adds the context boost: "mail me: … at … dot …"


@pytest.mark.parametrize("text", [
    "write to m.thornton@example.org",           # plain: Presidio's EmailRecognizer finds it
    "contact us at support.example.com",         # a bare `at` with real dots is a web address
    "we met at the office and left at noon",
    "look at this [at] the end",
    "see the dot product of a dot b",
    "price: 3 at 4.50 each",
])
def test_not_an_obfuscated_address(text: str) -> None:
    assert best(SPEC, text) is None
