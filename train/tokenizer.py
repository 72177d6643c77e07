"""The German pipeline's tokenizer: spaCy's German rules plus ';' and '|' as separators inside a token, so CSV and
table cells ("Müller-Lüdenscheidt;Janus;Köln") are tokens of their own. The rules are saved with the pipeline's
tokenizer, so loading it needs no code; `spacy train --code train/tokenizer.py` registers the callback."""

from __future__ import annotations

import gzip
import importlib.resources
import json
from collections.abc import Callable

import spacy
from spacy.attrs import NORM
from spacy.language import Language
from spacy.util import compile_infix_regex

EXTRA_INFIXES = (r"[;|]",)


def add_separators(nlp: Language) -> Language:
    infixes = list(nlp.Defaults.infixes or ()) + list(EXTRA_INFIXES)
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    return nlp


@spacy.registry.callbacks("govproxy.de_separators.v1")
def make_add_separators() -> Callable[[Language], Language]:
    return add_separators


# -- word clusters --------------------------------------------------------------------------------------------------
# Brown clusters of about a million German words (spacy-lookups-data, MIT), computed by Explosion on a large corpus: a
# word's cluster says what kind of word it is (surname, first name, town, noun of some field, adverb) even when the
# training corpora never show it. They become the words' NORM (a lookups table saved with the pipeline, so loading
# it needs no code); the model also embeds LOWER, so it still tells the words of one cluster apart.
CLUSTER_WORDS = 700_000  # the most frequent words (by the package's own probabilities) keep their cluster


def cluster_norms(limit: int = CLUSTER_WORDS) -> dict[str, str]:
    data = importlib.resources.files("spacy_lookups_data") / "data"
    clusters = json.loads(gzip.decompress((data / "de_lexeme_cluster.json.gz").read_bytes()))
    probs = json.loads(gzip.decompress((data / "de_lexeme_prob.json.gz").read_bytes()))
    words = sorted((w for w in clusters if w in probs), key=lambda w: (-probs[w], w))[:limit]
    return {w: f"__c{clusters[w]}" for w in words}


def add_separators_and_clusters(nlp: Language) -> Language:
    add_separators(nlp)
    lookups = nlp.vocab.lookups
    if lookups.has_table("lexeme_norm"):
        lookups.remove_table("lexeme_norm")
    lookups.add_table("lexeme_norm", cluster_norms())
    nlp.vocab.lookups = lookups  # the setter makes NORM read the table
    norm = nlp.vocab.lex_attr_getters[NORM]
    for lexeme in nlp.vocab:  # lexemes made before this keep the norm they got then
        lexeme.norm_ = norm(lexeme.orth_)
    return nlp


@spacy.registry.callbacks("govproxy.de_separators_clusters.v1")
def make_add_separators_and_clusters() -> Callable[[Language], Language]:
    return add_separators_and_clusters
