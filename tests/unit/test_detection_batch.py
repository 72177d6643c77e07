"""NER in batches: the texts of one call, and of concurrent requests, go through spaCy together (`nlp.pipe`), with
the same findings as one text at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from proxy.detection.detector import Detector
from proxy.settings import Settings

REPO = Path(__file__).resolve().parents[2]

TEXTS = [
    "Please call Jane Miller at +1 415 555 0100 about invoice 2024-0042.",
    "Sehr geehrte Frau Annika Vogelsang, bitte überweisen Sie den Betrag an die Musterstraße 12 in 10115 Berlin.",
    "Remind Annika Vogelsang and Bernd Kowalczyk tomorrow.",
    "Vorname;Nachname;Ort\nJanus;Müller-Lüdenscheidt;Köln\nHans-Henning;von der Groeben;Potsdam",
    "",
    "   ",
    "The meeting with Dr. Robert Chen from Boston went well; Maria Gonzalez will send the notes. " * 40,  # windows
    "no names here at all, just a lower-case note about the build",
]


@pytest.fixture(scope="module")
def detector() -> Iterator[Detector]:
    settings = Settings()
    d = Detector.build(spacy_model=settings.spacy_model, policies_dir=REPO / "policies",
                       german_model=settings.german_spacy_model, cache_size=0)
    yield d
    d.close()


def test_a_batch_finds_what_one_text_at_a_time_finds(detector: Detector) -> None:
    analyzer = detector._local
    assert analyzer is not None
    one_by_one = [analyzer.analyze(t) for t in TEXTS]
    assert analyzer.analyze_many(TEXTS) == one_by_one
    assert analyzer.analyze_many(TEXTS, "de") == [analyzer.analyze(t, "de") for t in TEXTS]
    assert any(f.entity_type == "PERSON" for f in one_by_one[3])  # the German model read the CSV rows
    # nothing read ahead is left behind for a later call
    assert not analyzer._plans and not analyzer.presidio.engine.nlp_engine._ready


def test_concurrent_requests_are_analysed_together_with_the_same_findings(detector: Detector) -> None:
    texts = [f"{i}: {t}" for i in range(4) for t in TEXTS if t.strip()]
    alone = [[f.with_field(0) for f in detector.analyze(t)] for t in texts]
    batches: list[int] = []
    run = detector._run

    def recording(packs: list[str], language: str | None) -> list:
        batches.append(len(packs))
        return run(packs, language)

    detector._run = recording  # type: ignore[method-assign]
    try:
        async def all_at_once() -> list:
            return await asyncio.gather(*(detector.detect([t]) for t in texts))
        together = asyncio.run(all_at_once())
    finally:
        del detector._run
    assert together == alone
    assert sum(batches) == len(texts) and max(batches) > 1 and len(batches) < len(texts)


def test_an_analysis_error_reaches_every_waiting_request_and_the_next_one_works(detector: Detector) -> None:
    def broken(packs: list[str], language: str | None) -> list:
        raise RuntimeError("model crashed")

    detector._run = broken  # type: ignore[method-assign]
    try:
        async def two() -> list:
            return await asyncio.gather(detector.detect(["Jane Miller, 1"]), detector.detect(["Jane Miller, 2"]),
                                        return_exceptions=True)
        errors = asyncio.run(two())
    finally:
        del detector._run
    assert [str(e) for e in errors] == ["model crashed", "model crashed"]
    found = asyncio.run(detector.detect(["Please call Jane Miller tomorrow."]))
    assert [f.entity_type for f in found] == ["PERSON"]


def test_the_words_of_analysed_texts_do_not_stay_in_spacys_vocabulary(detector: Detector) -> None:
    # Every token string spaCy sees is added to its vocabulary; without memory zones a long-running proxy would
    # keep every id, hash and name of every prompt for the life of the process.
    engine = detector._local.presidio.engine.nlp_engine  # type: ignore[union-attr]
    detector.analyze_many(["Please call Jane Miller. Bitte rufen Sie Frau Vogelsang an."])  # warm: lazy strings
    before = {lang: len(nlp.vocab.strings) for lang, nlp in engine.nlp.items()}
    texts = [f"Ticket {i}: user x{i:06d}q{i * 7919:08x} wrote to Zorblax{i}nik about Qwertuvian{i} Hallström{i}; "
             f"Kunde Ybrimel{i}stein aus Flumpenhausen{i} meldet Fehler {i:x}f9c." for i in range(40)]
    found = detector.analyze_many(texts)
    assert len(found) == len(texts) and any(found)
    assert {lang: len(nlp.vocab.strings) for lang, nlp in engine.nlp.items()} == before
    assert asyncio.run(detector.detect(texts[:3]))  # and the detector still works (the cache is off here)
    assert {lang: len(nlp.vocab.strings) for lang, nlp in engine.nlp.items()} == before
