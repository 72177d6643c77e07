"""apply_redactions: which spans are replaced, in what order, and with what."""

from __future__ import annotations

import pytest

from proxy.detection.findings import Finding
from proxy.redaction.apply import apply_redactions
from proxy.redaction.encrypt import decrypt
from proxy.redaction.keys import RedactionKeys
from proxy.redaction.mask import MaskStyle
from proxy.redaction.pseudonyms import PseudonymMap

KEYS = RedactionKeys.from_secret("test-secret-for-apply")
TEXT = "Mail anna@example.com or call Anna Berg, card 4111 1111 1111 4242."


def f(text: str, value: str, entity: str, field: int = 0, score: float = 0.9, nth: int = 0) -> Finding:
    start = -1
    for _ in range(nth + 1):
        start = text.index(value, start + 1)
    return Finding(field, start, start + len(value), entity, score, "test")


FINDINGS = [f(TEXT, "anna@example.com", "EMAIL_ADDRESS"), f(TEXT, "Anna Berg", "PERSON"),
            f(TEXT, "4111 1111 1111 4242", "CREDIT_CARD")]
ALL = ("EMAIL_ADDRESS", "PERSON", "CREDIT_CARD")


def redact(strategy: str, pmap: PseudonymMap | None = None) -> str:
    return apply_redactions([TEXT], FINDINGS, dict.fromkeys(ALL, strategy),
                            PseudonymMap() if pmap is None else pmap, KEYS).texts[0]


def test_each_strategy_through_apply() -> None:
    assert redact("placeholder") == "Mail <EMAIL_ADDRESS_1> or call <PERSON_1>, card <CREDIT_CARD_1>."
    assert redact("mask") == "Mail ****ecom or call ****, card ****4242."
    assert redact("drop") == "Mail  or call , card ."
    hashed = redact("hash")
    assert hashed == redact("hash") and hashed.startswith("Mail <EMAIL_ADDRESS:hmac:")
    assert "anna" not in hashed.lower() and "4242" not in hashed


def test_mixed_strategies_counts_and_applied() -> None:
    result = apply_redactions([TEXT, "Anna Berg again"], [*FINDINGS, f("Anna Berg again", "Anna Berg", "PERSON", 1)],
                              {"EMAIL_ADDRESS": "hash", "PERSON": "placeholder", "CREDIT_CARD": "mask"},
                              PseudonymMap(), KEYS)
    assert result.texts[1] == "<PERSON_1> again"
    assert result.applied == {"EMAIL_ADDRESS": "hash", "PERSON": "placeholder", "CREDIT_CARD": "mask"}
    assert result.counts == {"EMAIL_ADDRESS": 1, "PERSON": 2, "CREDIT_CARD": 1}


def test_only_entity_types_with_a_strategy_are_redacted() -> None:
    result = apply_redactions([TEXT], FINDINGS, {"PERSON": "placeholder"}, PseudonymMap(), KEYS)
    assert result.texts == [TEXT.replace("Anna Berg", "<PERSON_1>")]
    assert result.applied == {"PERSON": "placeholder"} and result.counts == {"PERSON": 1}
    untouched = apply_redactions([TEXT], FINDINGS, {}, PseudonymMap(), KEYS)
    assert untouched.texts == [TEXT] and untouched.applied == {} and untouched.counts == {}


def test_encrypt_tokens_are_registered_and_decrypt() -> None:
    pmap = PseudonymMap()
    out = redact("encrypt", pmap)
    tokens = [t + ">" for t in out.split(">")[:-1]]
    tokens = [t[t.index("<"):] for t in tokens]
    assert [decrypt(t, KEYS)[1] for t in tokens] == ["anna@example.com", "Anna Berg", "4111 1111 1111 4242"]
    assert pmap.tokens == frozenset(tokens) and pmap.restore(out) == TEXT


def test_overlapping_findings_are_merged_and_cover_the_union() -> None:
    text = "Contact Anna Berg now please"
    findings = [f(text, "Anna Berg", "PERSON", score=0.8), f(text, "Berg now", "LOCATION", score=0.5),
                f(text, "Anna", "PERSON", score=0.6)]  # nested too
    res = apply_redactions([text], findings, {"PERSON": "placeholder", "LOCATION": "placeholder"},
                           PseudonymMap(), KEYS)
    assert res.texts == ["Contact <PERSON_1> please"] and res.counts == {"PERSON": 1}
    # The higher score decides the type of the merged span.
    res = apply_redactions([text], [f(text, "Anna Berg", "PERSON", score=0.4), f(text, "Berg now", "LOCATION")],
                           {"PERSON": "placeholder", "LOCATION": "drop"}, PseudonymMap(), KEYS)
    assert res.texts == ["Contact  please"] and res.applied == {"LOCATION": "drop"}


def test_an_overlap_with_an_unredacted_type_does_not_widen_the_span() -> None:
    text = "Contact Anna Berg now"
    res = apply_redactions([text], [f(text, "Anna Berg", "PERSON"), f(text, "Berg now", "LOCATION", score=0.99)],
                           {"PERSON": "placeholder"}, PseudonymMap(), KEYS)
    assert res.texts == ["Contact <PERSON_1> now"]


def test_spans_outside_the_text_are_clamped_and_bad_fields_ignored() -> None:
    text = "key AKIA1234"
    findings = [Finding(0, 4, 99, "AWS_ACCESS_KEY_ID", 0.9, "t"), Finding(0, 5, 5, "PERSON", 0.9, "t"),
                Finding(7, 0, 3, "PERSON", 0.9, "t"), Finding(-1, 0, 3, "PERSON", 0.9, "t")]
    res = apply_redactions([text], findings, {"AWS_ACCESS_KEY_ID": "drop", "PERSON": "drop"}, PseudonymMap(), KEYS)
    assert res.texts == ["key "] and res.counts == {"AWS_ACCESS_KEY_ID": 1}


def test_offsets_stay_valid_whatever_the_replacement_lengths() -> None:
    text = "A Bo, Cy Dee and Ed"
    names = ["A", "Bo", "Cy", "Dee", "Ed"]
    findings = [f(text, n, "PERSON") for n in reversed(names)]  # any order in, left to right out
    res = apply_redactions([text], findings, {"PERSON": "placeholder"}, PseudonymMap(), KEYS)
    assert res.texts == ["<PERSON_1> <PERSON_2>, <PERSON_3> <PERSON_4> and <PERSON_5>"]
    assert apply_redactions([text], findings, {"PERSON": "drop"}, PseudonymMap(), KEYS).texts == [" ,   and "]


def test_numbering_follows_first_appearance_across_fields() -> None:
    texts = ["Bob and Anna", "nothing here", "Anna again, then Carl and Bob"]
    findings = [f(texts[2], "Carl", "PERSON", 2), f(texts[2], "Anna", "PERSON", 2), f(texts[0], "Anna", "PERSON"),
                f(texts[2], "Bob", "PERSON", 2), f(texts[0], "Bob", "PERSON")]
    out = apply_redactions(texts, findings, {"PERSON": "placeholder"}, PseudonymMap(), KEYS).texts
    assert out == ["<PERSON_1> and <PERSON_2>", "nothing here", "<PERSON_2> again, then <PERSON_3> and <PERSON_1>"]


def test_placeholder_lookalikes_in_the_request_are_never_issued() -> None:
    texts = ["Template: Dear <PERSON_1>,", "Write to Anna and Bob"]
    findings = [f(texts[1], "Anna", "PERSON", 1), f(texts[1], "Bob", "PERSON", 1)]
    pmap = PseudonymMap()
    out = apply_redactions(texts, findings, {"PERSON": "placeholder"}, pmap, KEYS).texts
    assert out == ["Template: Dear <PERSON_1>,", "Write to <PERSON_2> and <PERSON_3>"]
    # The model answers with both: the user's own <PERSON_1> stays, ours come back.
    assert pmap.restore("<PERSON_1>, <PERSON_2> and <PERSON_3>") == "<PERSON_1>, Anna and Bob"


def test_mask_style_is_passed_through() -> None:
    res = apply_redactions([TEXT], FINDINGS, {"CREDIT_CARD": "mask"}, PseudonymMap(), KEYS,
                           mask_style=MaskStyle(tail=3, char="#", width=2))
    assert res.texts[0].endswith("card ##242.")


def test_an_unknown_strategy_fails_closed() -> None:
    with pytest.raises(ValueError, match="scramble"):
        apply_redactions([TEXT], FINDINGS, {"PERSON": "scramble"}, PseudonymMap(), KEYS)
