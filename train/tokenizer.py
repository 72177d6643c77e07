"""The German pipeline's tokenizer: spaCy's German rules plus ';' and '|' as separators inside a token, so CSV and
table cells ("Müller-Lüdenscheidt;Janus;Köln") are tokens of their own. The rules are saved with the pipeline's
tokenizer, so loading it needs no code; `spacy train --code train/tokenizer.py` registers the callback."""

from __future__ import annotations

from collections.abc import Callable

import spacy
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
