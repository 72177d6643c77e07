"""Conversation memory: remembered values are found again, as whole words, through whitespace, case (long values),
Unicode and markup disguises, with offsets in the original text; nothing raw in the map's repr."""

from __future__ import annotations

import asyncio
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.detection.findings import Finding
from proxy.redaction.memory import RECOGNIZER, fold_value, recall, remember
from proxy.redaction.pseudonyms import PseudonymMap, PseudonymStore


def found(text: str, value: str, entity: str = "PERSON", score: float = 0.85) -> Finding:
    start = text.index(value)
    return Finding(0, start, start + len(value), entity, score, "spacy")


def spans(texts: list[str], findings: list[Finding]) -> list[tuple[int, str, str, float]]:
    return [(f.field, texts[f.field][f.start:f.end], f.entity_type, f.score) for f in findings]


def map_with(text: str, *values: tuple[str, str]) -> PseudonymMap:
    pmap = PseudonymMap()
    remember(pmap, [text], [found(text, v, e) for v, e in values])
    return pmap


def test_a_value_found_once_is_found_again_in_other_texts() -> None:
    turn1 = "My colleague Quentin Zabrowski will join the call."
    pmap = map_with(turn1, ("Quentin Zabrowski", "PERSON"))
    texts = ["Please send the agenda to Quentin Zabrowski and to quentin zabrowski's deputy.",
             "QUENTIN\n  ZABROWSKI signed it", "nothing here"]
    hits = recall(pmap, texts, [])
    assert spans(texts, hits) == [
        (0, "Quentin Zabrowski", "PERSON", 0.85), (0, "quentin zabrowski", "PERSON", 0.85),
        (1, "QUENTIN\n  ZABROWSKI", "PERSON", 0.85)]
    assert all(h.recognizer == RECOGNIZER for h in hits)


def test_whole_words_only_and_short_values_exactly() -> None:
    pmap = map_with("ask Ann and Zed now", ("Ann", "PERSON"))
    texts = ["Annual report for Ann, by ANN and ann", "Joann writes to Ann."]
    assert spans(texts, recall(pmap, texts, [])) == [(0, "Ann", "PERSON", 0.85), (1, "Ann", "PERSON", 0.85)]


def test_values_under_the_minimum_are_not_remembered() -> None:
    pmap = map_with("hi Al and Bo", ("Al", "PERSON"))
    assert pmap.remembered() == {} and recall(pmap, ["Al again"], []) == []


def test_disguised_occurrences_map_back_to_the_original_characters() -> None:
    pmap = map_with("mail anna.vogt@firma.de today", ("anna.vogt@firma.de", "EMAIL_ADDRESS"))
    texts = ["write anna.vogt&#64;firma.de or anna.vogt%40firma.de or ａｎｎａ.vogt@firma.de"]
    assert [s[1] for s in spans(texts, recall(pmap, texts, []))] == [
        "anna.vogt&#64;firma.de", "anna.vogt%40firma.de", "ａｎｎａ.vogt@firma.de"]


def test_spans_the_detector_already_found_are_not_doubled() -> None:
    pmap = map_with("codename Quokka42 ok", ("Quokka42", "PROJECT_CODENAME"))
    text = "Quokka42 and Quokka42"
    detector = [Finding(0, 0, 8, "PROJECT_CODENAME", 0.55, "custom")]
    hits = recall(pmap, [text], detector)
    assert [(h.start, h.end) for h in hits] == [(13, 21)]
    # Another entity type over the same span is added (the redaction merges overlapping spans).
    other = [Finding(0, 0, 8, "LOCATION", 0.6, "spacy")]
    assert [(h.start, h.entity_type) for h in recall(pmap, [text], other)] == [(0, "PROJECT_CODENAME"),
                                                                               (13, "PROJECT_CODENAME")]


def test_a_value_remembered_as_two_types_gives_both_and_the_best_score() -> None:
    pmap = PseudonymMap()
    text = "Jordan Tamsworth, Jordan Tamsworth"
    remember(pmap, [text], [Finding(0, 0, 16, "PERSON", 0.6, "a"), Finding(0, 18, 34, "PERSON", 0.9, "b"),
                            Finding(0, 0, 16, "LOCATION", 0.5, "c")])
    assert pmap.remembered() == {"Jordan Tamsworth": {"PERSON": 0.9, "LOCATION": 0.5}}
    hits = recall(pmap, ["see Jordan Tamsworth"], [])
    assert sorted((h.entity_type, h.score) for h in hits) == [("LOCATION", 0.5), ("PERSON", 0.9)]


def test_the_longest_remembered_value_wins_where_two_start_together() -> None:
    pmap = PseudonymMap()
    remember(pmap, ["Maria Okonkwo-Berg and Maria"], [Finding(0, 0, 18, "PERSON", 0.9, "a"),
                                                     Finding(0, 23, 28, "PERSON", 0.5, "a")])
    texts = ["Maria Okonkwo-Berg called; Maria too"]
    assert [s[1] for s in spans(texts, recall(pmap, texts, []))] == ["Maria Okonkwo-Berg", "Maria"]


def test_values_are_folded_before_they_are_remembered() -> None:
    assert fold_value("  Anna\u200b  Müller\n") == "Anna Müller"
    assert fold_value("anna&#64;firma.de") == "anna@firma.de"


def test_the_map_never_shows_remembered_values() -> None:
    pmap = map_with("Quentin Zabrowski", ("Quentin Zabrowski", "PERSON"))
    assert "Quentin" not in repr(pmap) and "1 remembered" in repr(pmap)


def test_the_store_counts_remembered_values_towards_its_bound() -> None:
    async def go() -> None:
        store = PseudonymStore(max_tokens=2)
        assert await store.existing("k") is None
        pmap = await store.for_conversation("k")
        assert await store.existing("k") is pmap
        for i in range(3):
            pmap.remember(f"value {i}", "PERSON", 0.9)
        assert pmap.size == 3 and await store.for_conversation("k") is not pmap  # replaced past the bound

    asyncio.run(go())


def test_values_that_start_or_end_with_punctuation() -> None:
    pmap = PseudonymMap()
    for value in ("+49 30 9076 5432", "O'Brien-Walsh", "#ops-payroll"):
        pmap.remember(value, "THING", 0.9)
    texts = ["call +49 30  9076 5432 or +4930 9076 5432", "ask o'brien-walsh; join #ops-payrolls, #OPS-PAYROLL."]
    assert [s[1] for s in spans(texts, recall(pmap, texts, []))] == [
        "+49 30  9076 5432", "o'brien-walsh", "#OPS-PAYROLL"]
    # A word boundary is where a word character meets another character: `-eu` is another word.
    assert [s[1] for s in spans(["#ops-payroll-eu"], recall(pmap, ["#ops-payroll-eu"], []))] == ["#ops-payroll"]


def _reference(memory: list[str], text: str) -> list[tuple[int, int]]:
    """The matching rule written as regular expressions (what recall implements without compiling values)."""
    found: list[tuple[int, int, int]] = []
    for value in memory:
        body = r"\s+".join(re.escape(w) for w in value.split(" "))
        flags = re.IGNORECASE if len(value) >= 4 else 0
        lead = r"(?<!\w)" if re.match(r"\w", value) else ""
        tail = r"(?!\w)" if re.match(r"\w", value[-1]) else ""
        found += [(m.start(), -m.end(), m.end()) for m in re.finditer(lead + body + tail, text, flags)]
    kept: list[tuple[int, int]] = []
    for start, _neg, end in sorted(found):
        if not kept or start >= kept[-1][1]:
            kept.append((start, end))
    return kept


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["Ann", "ann", "Anna Berg", "anna  berg", "Berg", "x_1", "+49 30", "a.b@c.de",
                                 "Bergmann", "ANNA\nBERG", "-", "+49  30", ",", "Zoë Ruiz", "zoë ruiz"]),
                max_size=12),
       st.lists(st.sampled_from(["Ann", "Anna Berg", "Berg", "+49 30", "a.b@c.de", "Zoë Ruiz", "x_1"]),
                min_size=1, max_size=4, unique=True))
def test_recall_agrees_with_the_rule_written_as_regular_expressions(words: list[str], values: list[str]) -> None:
    text = " ".join(words)
    pmap = PseudonymMap()
    for value in values:
        pmap.remember(value, "PERSON", 0.9)
    got = sorted((f.start, f.end) for f in recall(pmap, [text], []))
    assert got == _reference(values, text)
