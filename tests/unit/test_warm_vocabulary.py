"""The frequent words read at start-up (`warm_vocabulary`) change how fast a text is read in a memory zone, never
what comes out: the same tokens with the same attributes as a pipeline that never read them."""

from __future__ import annotations

import random

import pytest
import spacy
from faker import Faker

from proxy.detection.analyzer.nlp import UNUSED_PIPES, WARM_WORDS, load_pipeline, warm_vocabulary
from proxy.detection.ner_text import tokenizer_safe
from proxy.detection.text_analyzer import PACKAGED_GERMAN_MODEL
from proxy.settings import Settings

MODELS = {"en": (Settings().spacy_model, ("en_US", "en_GB")), "de": (str(PACKAGED_GERMAN_MODEL), ("de_DE", "de_AT"))}


def texts(locales: tuple[str, ...], count: int) -> list[str]:
    """Business-like text: sentences, names, addresses, numbers, contractions and punctuation."""
    fake = Faker(list(locales))
    fake.seed_instance(7)
    rng = random.Random(7)
    out = []
    for _ in range(count):
        parts = [fake.paragraph(nb_sentences=3), f"{fake.name()} ({fake.email()}), {fake.address()}",
                 f"Tel. {fake.phone_number()}; IBAN {fake.iban()}", "I'm sure it's fine, don't worry - e.g. 3.5 km.",
                 f"{fake.company()}: {fake.catch_phrase()}!"]
        rng.shuffle(parts)
        out.append("\n".join(parts))
    return out


def read(nlp: spacy.language.Language, corpus: list[str]) -> list[list[tuple[object, ...]]]:
    """Each token's text, offset and the lexeme attributes the NER embeds, read in a memory zone as detection does."""
    with nlp.memory_zone():
        return [[(t.text, t.idx, t.whitespace_, t.norm_, t.lower_, t.prefix_, t.suffix_, t.shape_, t.like_num,
                  t.is_stop, t.is_alpha, t.is_punct) for t in nlp.make_doc(tokenizer_safe(text))] for text in corpus]


@pytest.mark.parametrize("language", sorted(MODELS))
def test_warmed_pipeline_reads_text_as_a_cold_one(language: str) -> None:
    model, locales = MODELS[language]
    corpus = texts(locales, 60)
    cold = load_pipeline(model, exclude=list(UNUSED_PIPES))
    warm = load_pipeline(model, exclude=list(UNUSED_PIPES))
    known = len(warm.vocab)
    assert warm_vocabulary(warm, WARM_WORDS / f"{language}.txt") > 5_000
    assert len(warm.vocab) > known + 3_000  # the words' lexemes are kept

    expected = read(cold, corpus)
    assert read(warm, corpus) == expected
    assert read(warm, corpus) == expected  # and again: a zone drops what it made, never the warmed words
    assert sum(len(doc) for doc in expected) > 60 * 40


def test_a_missing_word_list_warms_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    nlp = spacy.blank("en")
    assert warm_vocabulary(nlp, tmp_path / "none.txt") == 0


def test_the_word_lists_ship_with_the_package() -> None:
    for language in MODELS:
        words = (WARM_WORDS / f"{language}.txt").read_text(encoding="utf-8").split()
        assert len(words) == 10_000 and all(w.isalpha() for w in words)
    assert {"the", "and", "you"} <= set((WARM_WORDS / "en.txt").read_text(encoding="utf-8").split()[:50])
    assert {"und", "die", "der"} <= set((WARM_WORDS / "de.txt").read_text(encoding="utf-8").split()[:50])
