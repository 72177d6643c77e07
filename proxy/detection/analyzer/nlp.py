"""The spaCy side of detection: Presidio's NLP engine with only the parts our recognizers need, NER read ahead in
batches, and the matrix products on numpy's OpenBLAS (one thread)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import spacy
import threadpoolctl
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from spacy.attrs import NORM
from spacy.lookups import Table
from spacy.strings import get_string_id
from spacy.tokens import Doc
from srsly.msgpack import Unpacker
from thinc.api import Model, NumpyOps
from thinc.layers import layernorm as thinc_layernorm

from proxy.detection.analyzer.greedy_ner import GreedyNer
from proxy.detection.ner_text import tokenizer_safe

# The small English model's NER has its own tok2vec: tagger, parser and lemmatizer feed nothing Presidio uses
# except lemmas for context words, which we replace by lower-cased tokens. Measured: same entities on 699 of 700
# dev texts (the parser's sentence boundaries cut one span), half the time per text.
UNUSED_PIPES = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter")
_KEYWORD_CACHE = 200_000  # words remembered per language
# The most frequent words of each language (scripts/warm_words.py), read once at start-up: `warm_vocabulary`.
WARM_WORDS = Path(__file__).resolve().parent.parent / "models" / "warm_words"
_WARM_BATCH = 500  # words per doc while warming


_PIPE_BATCH = 16


class LeanSpacyEngine(SpacyNlpEngine):
    """spaCy with only the parts Presidio needs, loaded from installed packages only (never a download).

    Languages without an NER model get a blank tokenizer pipeline: tokens for context words, no entities.
    """

    def __init__(self, ner_models: dict[str, str], languages: Sequence[str], *, lean: bool,
                 ner_config: dict[str, object], context_words: frozenset[str] = frozenset()) -> None:
        super().__init__(models=[{"lang_code": k, "model_name": v} for k, v in ner_models.items()],
                         ner_model_configuration=NerModelConfiguration.from_dict(ner_config))
        self._context_words = context_words
        self._ner_models = dict(ner_models)
        self._languages = tuple(languages)
        self._lean = lean
        self._keyword_parts: dict[str, dict[str, tuple[str, ...]]] = {}
        # (language, text) -> its doc, read ahead in a batch (`prefetch`) and taken by `process_text`
        self._ready: dict[tuple[str, str], Doc] = {}
        # language -> its NER read by `GreedyNer` (lean pipelines, whose only component is the NER)
        self._greedy: dict[str, GreedyNer] = {}

    def load(self) -> None:
        self.nlp = {}
        for lang in self._languages:
            if lang in self._ner_models:
                exclude = [p for p in UNUSED_PIPES if self._lean]
                self.nlp[lang] = load_pipeline(self._ner_models[lang], exclude=exclude)
                if self._lean:
                    use_numpy_blas(self.nlp[lang])
                    warm_vocabulary(self.nlp[lang], WARM_WORDS / f"{lang}.txt")
                    if self.nlp[lang].pipe_names == ["ner"]:
                        self._greedy[lang] = GreedyNer(self.nlp[lang].get_pipe("ner"))
            else:
                self.nlp[lang] = spacy.blank(lang)

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        safe = tokenizer_safe(text)
        doc = self._ready.pop((language, safe), None)
        if doc is None:
            doc = self._read(language, [safe])[0]
        return self._doc_to_nlp_artifact(doc, language)

    def prefetch(self, texts: Mapping[str, Sequence[str]]) -> None:
        """Read these texts (per language) now, in batches: spaCy's tok2vec and NER cost about 0.7x per 1 KB text in
        batches of 8 to 16 than one by one (measured with spaCy's own NER loop). `process_text` then takes each doc
        from here; `forget` drops what was not taken."""
        for language, batch in texts.items():
            safe = list(dict.fromkeys(tokenizer_safe(t) for t in batch))
            if len(safe) < 2 or language not in self._ner_models:
                continue
            for text, doc in zip(safe, self._read(language, safe), strict=True):
                self._ready[(language, text)] = doc

    def _read(self, language: str, texts: Sequence[str]) -> list[Doc]:
        """The docs of these texts with their entities, in batches of `_PIPE_BATCH`."""
        nlp = self.nlp[language]
        greedy = self._greedy.get(language)
        if greedy is None:
            return [nlp(texts[0])] if len(texts) == 1 else list(nlp.pipe(texts, batch_size=_PIPE_BATCH))
        docs = [nlp.make_doc(text) for text in texts]
        for start in range(0, len(docs), _PIPE_BATCH):
            greedy.set_entities(docs[start:start + _PIPE_BATCH])
        return docs

    def forget(self) -> None:
        self._ready.clear()

    def is_stopword(self, word: str, language: str) -> bool:
        # Presidio drops stop words before matching context; spaCy's English list holds "call", so "call me on
        # 450 0840" lost its only phone word. Our context words are never stop words.
        return word not in self._context_words and super().is_stopword(word, language)

    def _doc_to_nlp_artifact(self, doc: Doc, language: str) -> NlpArtifacts:
        # Presidio's own builds lemmas and keywords from `token.lemma_`; we replaced both afterwards, so they were
        # built twice. Context words are matched against lemmas; without a lemmatizer use the lower-cased token
        # (Presidio matches context as substrings, so "cards" still contains "card").
        entities, scores = self._get_updated_entities(self._get_entities(doc), self._get_scores_for_entities(doc))
        lemmas = [t.lemma_ or t.lower_ for t in doc]
        artifacts = NlpArtifacts(entities=entities, tokens=doc, tokens_indices=[t.idx for t in doc], lemmas=lemmas,
                                 nlp_engine=None, language=language, scores=scores)
        artifacts.nlp_engine = self
        artifacts.keywords = self._keywords(lemmas, language)
        return artifacts

    def _keywords(self, lemmas: list[str], language: str) -> list[str]:
        """`NlpArtifacts.set_keywords` with each word's verdict remembered (a stop-word look-up per token was a
        tenth of the NLP time); the same list, word for word."""
        known = self._keyword_parts.setdefault(language, {})
        if len(known) > _KEYWORD_CACHE:
            known.clear()
        out: list[str] = []
        for lemma in lemmas:
            parts = known.get(lemma)
            if parts is None:
                keep = (not self.is_stopword(lemma, language) and not self.is_punct(lemma, language)
                        and lemma != "-PRON-" and lemma != "be")
                parts = known[lemma] = tuple(lemma.lower().split(":")) if keep else ()
            out.extend(parts)
        return out


def use_numpy_blas(nlp: spacy.language.Language) -> None:
    """Run the pipeline's matrix products through numpy's OpenBLAS instead of thinc's default BLIS, on one thread.

    Measured here (1 KB prompts, NER alone, CPU per text): English 18.2 -> 14.2 ms, German 10.1 -> 7.0 ms; BLIS took
    about four times as long for the NER's small products. The same entities on the dev and corpus texts. OpenBLAS
    would start a thread per core for the larger products, which on a machine whose cores the detector workers
    already share made the NER slower than before (23.3 ms); one thread per process is what a worker wants anyway.
    """
    threadpoolctl.threadpool_limits(limits=1, user_api="blas")
    models = [m for _, component in nlp.pipeline if (m := getattr(component, "model", None)) is not None]
    ops = InferenceOps(node.get_param(name) for model in models for node in model.walk()
                       for name in node.param_names if node.has_param(name))
    for model in models:
        for node in model.walk():
            node.ops = ops
            if node.name == "layernorm" and node._func is thinc_layernorm.forward:
                node._func = _layernorm_forward


def _layernorm_forward(model: Model, X: np.ndarray, is_train: bool) -> tuple[np.ndarray, Callable]:
    """thinc's `LayerNorm` forward pass for inference, with numpy's own steps in numpy's own order, so the same
    values to the bit: the mean as `X.mean`, the variance as `X.var` computes it (numpy's `_methods._var`: the same
    mean, the squared differences summed and divided by the count), `(X - mu) * var ** -0.5 * G + b`. thinc took the
    difference twice (once inside `X.var`) and went through numpy's Python wrappers for the two moments; for the
    few rows of a short text those wrappers were most of the layer's time. Training keeps thinc's own pass."""
    if is_train:
        return thinc_layernorm.forward(model, X, is_train)
    mu = X.mean(axis=1, keepdims=True)
    diff = np.subtract(X, mu)
    var = np.add.reduce(np.square(diff), axis=1, keepdims=True)
    var = np.true_divide(var, np.intp(X.shape[1]), out=var, casting="unsafe", subok=False) + 1e-08
    Y = (diff * var ** (-1.0 / 2.0)) * model.get_param("G")
    Y += model.get_param("b")
    return Y, _no_backprop


def _no_backprop(dY: np.ndarray) -> np.ndarray:
    raise NotImplementedError("an inference pipeline is not trained")


class InferenceOps(NumpyOps):
    """thinc's numpy ops (OpenBLAS, `use_blis=False`) for a pipeline that only reads: every layer multiplies its
    input by a weight matrix transposed (`gemm(X, W, trans2=True)`), and numpy's product with a transposed view costs
    about 50 us more than with a C-ordered copy for the few rows of a short text (11 x 288 by 288 x 288 here: 66 ->
    21 us; the same at 250 rows). Each weight's transpose is made once, as a copy, the first time it is used, only
    for the arrays given (the pipeline's parameters, which inference never changes); any other product goes on as
    before."""

    def __init__(self, weights: Iterable[np.ndarray]) -> None:
        super().__init__(use_blis=False)
        self._weights = {w.__array_interface__["data"][0] for w in weights}
        self._transposed: dict[tuple[int, tuple[int, ...], tuple[int, ...]], np.ndarray] = {}

    def gemm(self, x: np.ndarray, y: np.ndarray, *, out: np.ndarray | None = None, trans1: bool = False,
             trans2: bool = False) -> np.ndarray:
        address = y.__array_interface__["data"][0]
        if not trans2 or trans1 or out is not None or address not in self._weights:
            return super().gemm(x, y, out=out, trans1=trans1, trans2=trans2)
        key = (address, y.shape, y.strides)
        transposed = self._transposed.get(key)
        if transposed is None:
            transposed = self._transposed[key] = np.ascontiguousarray(y.T)
        return np.dot(x, transposed)


class CompactNorms:
    """A `lexeme_norm` lookups table (hash of a word -> its norm) as two sorted numpy arrays and the distinct norms:
    12 bytes a word, which forked workers share (the German table maps its words to about 900 cluster names)."""

    __slots__ = ("codes", "keys", "names")

    def __init__(self, keys: np.ndarray, codes: np.ndarray, names: Sequence[str]) -> None:
        order = np.argsort(keys)
        self.keys, self.codes, self.names = keys[order], codes[order], tuple(names)

    @classmethod
    def read(cls, unpacker: Unpacker) -> CompactNorms:
        """The table that `unpacker` is at (a msgpack map, as spaCy saves it), one entry at a time: no Python
        object per word is ever made."""
        size = unpacker.read_map_header()
        keys = np.empty(size, dtype=np.uint64)
        codes = np.empty(size, dtype=np.uint32)
        index: dict[str, int] = {}
        for i in range(size):
            keys[i] = unpacker.unpack()
            codes[i] = index.setdefault(unpacker.unpack(), len(index))
        return cls(keys, codes, list(index))

    def get(self, word: str) -> str | None:
        key = np.uint64(get_string_id(word))
        i = int(np.searchsorted(self.keys, key))
        if i < len(self.keys) and self.keys[i] == key:
            return self.names[self.codes[i]]
        return None


def _norm_or_default(default: Callable[[str], str], norms: CompactNorms, word: str) -> str:
    found = norms.get(word)
    return default(word) if found is None else found


def shift_entity_starts(nlp: spacy.language.Language, label: str, delta: float) -> None:
    """Add `delta` to the NER's output bias for the actions that start a `label` entity (`B-` and `U-`): at every
    word the model weighs starting such an entity against its other moves, so below 0 it starts fewer of them (more
    precise, more missed), above 0 more. A decision threshold for a model that gives no scores, in this process's
    copy of the weights only."""
    ner = nlp.get_pipe("ner")
    upper = ner.model.get_ref("upper")
    bias = upper.get_param("b").copy()
    starts = [i for i, name in enumerate(ner.move_names) if name in (f"B-{label}", f"U-{label}")]
    if not starts:
        raise ValueError(f"the NER of this pipeline has no {label} entities")
    bias[starts] += delta
    upper.set_param("b", bias)


def warm_vocabulary(nlp: spacy.language.Language, words_file: Path) -> int:
    """Tokenise the language's most frequent words once, before any text is read; how many (0 without a list).

    Detection reads every text inside a spaCy memory zone (`transient_strings`), so nothing a prompt holds stays in
    the process; but then spaCy neither keeps the lexemes it makes for words it did not know at load time (each
    one's attributes are computed in Python, the German norm by a cluster look-up) nor caches how a word splits into
    tokens, and every prompt paid both again for its most common words. Read here, outside any zone, these words
    keep their lexeme and their tokenizer cache entry for the life of the process (made before a prefork parent
    forks, so its workers share them). Same tokens and attributes either way; measured, 1 KB prompts read in a
    zone: English about 1.7 -> 0.8 ms, German about 1.8 -> 1.0 ms (`bench/detection_speed.py` has the whole effect).
    Words the tokenizer has a special case for are left out: a doc holding one caches none of its words."""
    if not words_file.is_file():
        return 0
    rules = nlp.tokenizer.rules or {}
    words = [w for w in words_file.read_text(encoding="utf-8").split() if w.isalpha() and w not in rules]
    for start in range(0, len(words), _WARM_BATCH):
        nlp.tokenizer(" ".join(words[start:start + _WARM_BATCH]))
    return len(words)


def load_pipeline(model: str, exclude: Sequence[str] = ()) -> spacy.language.Language:
    """`spacy.load`, with the pipeline's `lexeme_norm` lookups table (the German one's word clusters,
    train/tokenizer.py) read straight into a `CompactNorms`: the same norm for every word. Loaded by spaCy, the German
    table of 700,000 words became an OrderedDict of Python objects: the pipeline kept 271 MiB instead of 76 MiB
    (peak 348 MiB instead of 76), and lookups touched those objects, so pages that forked workers share turned
    private."""
    nlp = spacy.load(model, exclude=[*exclude, "lookups"])
    stored = nlp.path / "vocab" / "lookups.bin" if nlp.path is not None else None
    if stored is None or not stored.exists():
        return nlp
    norms: CompactNorms | None = None
    with stored.open("rb") as f:  # spaCy's Lookups.to_disk: a msgpack map of table name -> map of hash -> value
        unpacker = Unpacker(f, raw=False)
        for _ in range(unpacker.read_map_header()):
            name = unpacker.unpack()
            if name == "lexeme_norm":
                norms = CompactNorms.read(unpacker)
            else:
                nlp.vocab.lookups.set_table(name, Table(name, unpacker.unpack()))  # as Lookups.from_bytes does
    if norms is None:
        return nlp
    getters = nlp.vocab.lex_attr_getters
    getters[NORM] = functools.partial(_norm_or_default, getters[NORM], norms)
    for lexeme in nlp.vocab:  # made while loading, before the table was in place: recompute their norm
        lexeme.norm_ = getters[NORM](lexeme.orth_)
    if nlp.vocab.lookups.has_table("lexeme_norm"):  # spaCy's norm setter writes each value into a new table
        nlp.vocab.lookups.remove_table("lexeme_norm")
    return nlp
