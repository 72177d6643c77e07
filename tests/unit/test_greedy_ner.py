"""`GreedyNer` sets the entities that spaCy's own NER sets, with both shipped models, one doc at a time and in
batches, on texts full of names, places, dates and amounts, with line breaks and sentence starts."""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
import pytest
import spacy
from faker import Faker
from spacy.tokens import Doc
from thinc.api import NumpyOps

from proxy.detection.analyzer.greedy_ner import GreedyNer
from proxy.detection.analyzer.nlp import (
    UNUSED_PIPES,
    InferenceOps,
    load_pipeline,
    shift_entity_starts,
    use_numpy_blas,
)
from proxy.detection.text_analyzer import PACKAGED_GERMAN_MODEL
from proxy.settings import Settings

MODELS = {"en": ("en_US", "en_GB"), "de": ("de_DE", "de_AT", "de_CH")}


def texts(locales: tuple[str, ...], count: int) -> list[str]:
    """Letters, notes and records of up to ~1.5 KB: people, companies, towns, dates, amounts, line breaks, blank
    lines and runs of spaces (whitespace tokens), a name as the last word."""
    r = random.Random(23)
    out = ["", " ", "\n\n", "Anna", "Dear Mr. Smith,", "Berlin, 3. März 2024 – Herr Dr. Klaus-Peter Müller"]
    for locale in locales:
        fake = Faker(locale)
        fake.seed_instance(7)
        for _ in range(count):
            parts = [f"{fake.name()} ({fake.company()}) wrote from {fake.city()} on {fake.date()}.",
                     fake.sentence(nb_words=12), f"Betrag: {r.randint(10, 99_999)},{r.randint(0, 99):02d} EUR",
                     f"{fake.street_address()}\n{fake.postcode()} {fake.city()}", fake.paragraph(nb_sentences=4),
                     f"[{r.randint(8, 18)}:{r.randint(10, 59)}] {fake.first_name()}: {fake.sentence()}",
                     f"{fake.last_name()};{fake.first_name()};{fake.city()};{fake.job()}", "  \t ",
                     f"Regards,\n\n{fake.name()}\n{fake.company()}"]
            r.shuffle(parts)
            out.append((" " if r.random() < 0.5 else "\n").join(parts[: r.randint(2, len(parts))]))
            if r.random() < 0.2:
                out[-1] += " " + fake.name()
    return out


def entities(doc: Doc) -> list[tuple[int, int, str, int]]:
    return [(t.i, t.i + 1, t.ent_type_, t.ent_iob) for t in doc]


@pytest.fixture(scope="module", params=sorted(MODELS))
def pipeline(request: pytest.FixtureRequest) -> tuple[str, spacy.language.Language]:
    model = Settings().spacy_model if request.param == "en" else str(PACKAGED_GERMAN_MODEL)
    nlp = load_pipeline(model, exclude=list(UNUSED_PIPES))
    use_numpy_blas(nlp)
    assert nlp.pipe_names == ["ner"]
    return request.param, nlp


def check(nlp: spacy.language.Language, corpus: list[str], prepare: Callable[[Doc], None] = lambda doc: None) -> int:
    ner, greedy = nlp.get_pipe("ner"), GreedyNer(nlp.get_pipe("ner"))
    found = 0
    batch = []
    for text in corpus:
        theirs, ours = nlp.make_doc(text), nlp.make_doc(text)
        prepare(theirs)
        prepare(ours)
        ner(theirs)
        greedy(ours)
        assert entities(ours) == entities(theirs), text
        found += len(theirs.ents)
        batch.append((text, theirs))
    docs = [nlp.make_doc(text) for text, _ in batch]
    for doc in docs:
        prepare(doc)
    for start in range(0, len(docs), 16):
        greedy.set_entities(docs[start:start + 16])
    for doc, (text, theirs) in zip(docs, batch, strict=True):
        assert entities(doc) == entities(theirs), text
    return found


def test_same_entities_as_spacy_one_by_one_and_in_batches(pipeline: tuple[str, spacy.language.Language]) -> None:
    language, nlp = pipeline
    corpus = texts(MODELS[language], 40)
    found = check(nlp, corpus)
    assert found > 4 * len(corpus)  # the texts do hold entities of many kinds


def test_sentence_starts_and_preset_entities_follow_spacy(pipeline: tuple[str, spacy.language.Language]) -> None:
    """A token that starts a sentence cannot continue an entity (B and I need a next token that does not), and a doc
    whose entities are already set is spaCy's to finish."""
    language, nlp = pipeline
    corpus = texts(MODELS[language], 10)

    def sentence_starts(doc: Doc) -> None:
        for token in doc[1:]:
            if token.i % 3 == 0 or token.is_title:
                token.is_sent_start = True

    assert check(nlp, corpus, sentence_starts) > len(corpus)

    def preset(doc: Doc) -> None:
        if len(doc) > 4:
            doc.set_ents([doc.char_span(doc[2].idx, doc[2].idx + len(doc[2]), label=nlp.get_pipe("ner").labels[0])])

    check(nlp, corpus, preset)


@pytest.mark.parametrize("delta", [20.0, 4.0, -3.0])
def test_a_shifted_person_threshold_gives_what_spacy_gives(delta: float) -> None:
    """With the model pushed to start persons everywhere (or hardly anywhere), the rules on which tokens may start,
    continue or end an entity decide most moves: whitespace tokens, a text's last token, sentence starts."""
    for language, locales in MODELS.items():
        nlp = load_pipeline(Settings().spacy_model if language == "en" else str(PACKAGED_GERMAN_MODEL),
                            exclude=list(UNUSED_PIPES))
        use_numpy_blas(nlp)
        shift_entity_starts(nlp, "PERSON" if language == "en" else "PER", delta)
        corpus = texts(locales, 6)
        assert check(nlp, corpus) > 0
        assert check(nlp, corpus, middle_sentence_start) > 0


def middle_sentence_start(doc: Doc) -> None:
    if len(doc) > 3:
        doc[len(doc) // 2].is_sent_start = True


def test_other_transition_systems_are_refused() -> None:
    nlp = spacy.blank("en")
    parser = nlp.add_pipe("parser")
    parser.add_label("nsubj")
    nlp.initialize()
    with pytest.raises(ValueError, match="BILUO"):
        GreedyNer(parser)  # type: ignore[arg-type]


def test_weights_transposed_once_give_the_entities_of_plain_numpy_ops(
        pipeline: tuple[str, spacy.language.Language]) -> None:
    """`InferenceOps` (each weight's transpose copied once) sets the same entities as thinc's numpy ops with numpy's
    BLAS, on short and long texts, and multiplies arrays that are not weights as those ops do."""
    language, nlp = pipeline
    ner = nlp.get_pipe("ner")
    ours = ner.model.ops
    assert isinstance(ours, InferenceOps)
    plain = NumpyOps(use_blis=False)
    greedy = GreedyNer(ner)
    sample = texts(MODELS[language], 12)

    def with_ops(ops: NumpyOps) -> list[list[tuple[int, int, str, int]]]:
        for node in ner.model.walk():
            node.ops = ops
        docs = [nlp.make_doc(t) for t in sample]
        for doc in docs:
            greedy(doc)
        return [entities(doc) for doc in docs]

    try:
        before, after = with_ops(plain), with_ops(ours)
    finally:
        with_ops(ours)
    assert after == before
    assert any(any(e[2] for e in doc) for doc in after)  # the texts do hold entities
    assert ours._transposed  # the weights were multiplied through their copies
    x, y = np.ones((3, 4), dtype="f"), np.arange(20, dtype="f").reshape(5, 4)
    assert np.array_equal(ours.gemm(x, y, trans2=True), x @ y.T)
    y[:] = 1  # not a weight: a buffer whose content changes is read as it is now
    assert np.array_equal(ours.gemm(x, y, trans2=True), x @ y.T)


def test_layer_norm_for_inference_gives_thinc_values_to_the_bit(pipeline: tuple[str, spacy.language.Language]) -> None:
    """`use_numpy_blas` puts our layer norm in place of thinc's in every layer; the network's state features for
    short and long texts, one by one and in a batch, are the same arrays as with thinc's own pass."""
    from thinc.layers import layernorm as thinc_layernorm

    from proxy.detection.analyzer.nlp import _layernorm_forward

    language, nlp = pipeline
    model = nlp.get_pipe("ner").model
    norms = [node for node in model.walk() if node.name == "layernorm"]
    assert len(norms) >= 5 and all(node._func is _layernorm_forward for node in norms)
    tok2vec, lower = model.get_ref("tok2vec"), model.get_ref("lower")
    sample = texts(MODELS[language], 8)
    batches = [[nlp.make_doc(t)] for t in sample if t.strip()] + [[nlp.make_doc(t) for t in sample]]

    def features(forward: Callable) -> list[np.ndarray]:
        for node in norms:
            node._func = forward
        return [lower.predict(tok2vec.predict(docs)) for docs in batches]

    try:
        theirs, ours = features(thinc_layernorm.forward), features(_layernorm_forward)
    finally:
        features(_layernorm_forward)
    assert all(np.array_equal(a, b) for a, b in zip(theirs, ours, strict=True))
    with pytest.raises(NotImplementedError):
        _layernorm_forward(norms[0], np.ones((2, norms[0].get_dim("nI")), dtype="f"), False)[1](None)
