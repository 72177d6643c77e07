"""The only module that imports Presidio: builds one AnalyzerEngine and runs it over already-folded text.

Everything Presidio-shaped stays here. In: a text and a language. Out: our own `Finding`s (offsets into the text
given, `field` 0). Our recognizers arrive as `RecognizerSpec` data and are adapted to Presidio here.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence

import spacy
import tldextract
from presidio_analyzer import (
    AnalysisExplanation,
    AnalyzerEngine,
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    DeBsnrRecognizer,
    DeFuehrerscheinRecognizer,
    DeHandelsregisterRecognizer,
    DeHealthInsuranceRecognizer,
    DeKfzRecognizer,
    DeLanrRecognizer,
    DePassportRecognizer,
    DeTaxNumberRecognizer,
    DeVatIdRecognizer,
    PhoneRecognizer,
)
from spacy.tokens import Doc

from proxy.detection.findings import Finding
from proxy.detection.recognizers.base import Check, RecognizerSpec

# Presidio's conf/default.yaml `ner_model_configuration`, copied so nothing depends on its package data; without it
# spaCy's ORG/MONEY/CARDINAL labels flood out.
NER_MODEL_CONFIGURATION = {
    "model_to_presidio_entity_mapping": {
        "PER": "PERSON", "PERSON": "PERSON", "NORP": "NRP", "FAC": "LOCATION", "LOC": "LOCATION",
        "GPE": "LOCATION", "LOCATION": "LOCATION", "ORG": "ORGANIZATION", "ORGANIZATION": "ORGANIZATION",
        "DATE": "DATE_TIME", "TIME": "DATE_TIME",
    },
    "low_confidence_score_multiplier": 0.4,
    "low_score_entity_names": [],
    "labels_to_ignore": ["CARDINAL", "EVENT", "LANGUAGE", "LAW", "MONEY", "ORDINAL", "PERCENT", "PRODUCT",
                         "QUANTITY", "WORK_OF_ART"],
}
# Presidio's default also ignores ORG ("many false positives"). We keep it out of reports by default too (see
# custom.DEFAULT_DISABLED) but let it be found, so a policy owner can turn it on in recognizers.yaml.
# The small English model's NER has its own tok2vec: tagger, parser and lemmatizer feed nothing Presidio uses
# except lemmas for context words, which we replace by lower-cased tokens. Measured: same entities on 699 of 700
# dev texts (the parser's sentence boundaries cut one span), half the time per text.
UNUSED_PIPES = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter")
PHONE_REGIONS = ("DE", "US", "GB", "FR")
# spaCy's tokenizer strips prefix/suffix punctuation one character at a time, so a long run of "!" or emoji costs
# quadratic time (measured: 10,000 "!" took 7.8 s, holding the GIL). The NER reads a copy of the text, same length
# so every offset holds, with punctuation runs blanked and very long unbroken runs cut into pieces; the pattern
# recognizers still read the real text.
_PUNCTUATION_RUN = re.compile(r"[^\w\s]{8,}")
MAX_NER_TOKEN = 200
_UNBROKEN_RUN = re.compile(rf"\S{{{MAX_NER_TOKEN + 1},}}")
# spaCy refuses texts over `nlp.max_length` (1,000,000 characters). Longer texts are analysed in windows that
# overlap by more than any pattern's match (a PEM block of an 8192-bit key is about 6,500 characters).
WINDOW = 200_000
WINDOW_OVERLAP = 10_000
# Presidio's German recognizers, not loaded by default. Its tax id, id card and social security ones are left out:
# ours replace them (grouped formats, the id card's real check digit).
_GERMAN_RECOGNIZERS = (DeTaxNumberRecognizer, DeVatIdRecognizer, DeHealthInsuranceRecognizer, DeKfzRecognizer,
                       DeHandelsregisterRecognizer, DeFuehrerscheinRecognizer, DeLanrRecognizer, DeBsnrRecognizer,
                       DePassportRecognizer)


class _LeanSpacyEngine(SpacyNlpEngine):
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

    def load(self) -> None:
        self.nlp = {}
        for lang in self._languages:
            if lang in self._ner_models:
                exclude = [p for p in UNUSED_PIPES if self._lean]
                self.nlp[lang] = spacy.load(self._ner_models[lang], exclude=exclude)
            else:
                self.nlp[lang] = spacy.blank(lang)

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        return super().process_text(tokenizer_safe(text), language)

    def is_stopword(self, word: str, language: str) -> bool:
        # Presidio drops stop words before matching context; spaCy's English list holds "call", so "call me on
        # 450 0840" lost its only phone word. Our context words are never stop words.
        return word not in self._context_words and super().is_stopword(word, language)

    def _doc_to_nlp_artifact(self, doc: Doc, language: str) -> NlpArtifacts:
        artifacts = super()._doc_to_nlp_artifact(doc, language)
        # Context words are matched against lemmas; without a lemmatizer use the lower-cased token (Presidio
        # matches context as substrings, so "cards" still contains "card").
        artifacts.lemmas = [t.lemma_ or t.lower_ for t in doc]
        artifacts.keywords = artifacts.set_keywords(self, artifacts.lemmas, language)
        return artifacts


def tokenizer_safe(text: str) -> str:
    """`text` with the same length, punctuation runs blanked and unbroken runs cut every MAX_NER_TOKEN characters."""
    text = _PUNCTUATION_RUN.sub(lambda m: " " * len(m.group()), text)
    return _UNBROKEN_RUN.sub(_cut_run, text)


def _cut_run(match: re.Match[str]) -> str:
    run = list(match.group())
    run[MAX_NER_TOKEN::MAX_NER_TOKEN] = " " * len(run[MAX_NER_TOKEN::MAX_NER_TOKEN])
    return "".join(run)


def windows(text: str) -> list[tuple[int, int]]:
    """[start, end) windows covering `text`: one when it fits, else overlapping ones that
    end at whitespace where there is some near the cut."""
    length = len(text)
    if length <= WINDOW:
        return [(0, length)]
    out, start = [], 0
    while True:
        end = min(start + WINDOW, length)
        if end == length:
            out.append((start, end))
            return out
        cut = text.rfind(" ", end - WINDOW_OVERLAP // 2, end)
        end = cut if cut > start else end
        out.append((start, end))
        start = end - WINDOW_OVERLAP


# Two of Presidio's patterns backtrack in quadratic time over long runs of the characters they accept: the e-mail
# local part is unbounded (6,000 characters of "-a" before an address: 2.6 s), and the schemeless URL may start at
# every character of a dotted run and then tries its TLD list at every dot ("a." * 3,000: 5.9 s). RFC 5321 caps a
# local part at 64 characters; a hostname starts where its run starts.
_BOUNDED_PATTERNS = {
    ("EmailRecognizer", "Email (Medium)"): ("]{0,}[", "]{0,62}["),
    ("UrlRecognizer", "Non schema URL"): ("(?i)((www", r"(?i)(?<![a-z0-9.\-])((www"),
}


def bound_backtracking(recognizers: Iterable[EntityRecognizer]) -> list[str]:
    """Rewrite the patterns above in place; returns the (recognizer, pattern) names bounded."""
    done = []
    for r in recognizers:
        patterns = list(getattr(r, "patterns", ()))
        for i, pattern in enumerate(patterns):
            old_new = _BOUNDED_PATTERNS.get((r.name, pattern.name))
            if old_new and old_new[0] in pattern.regex:
                # A new Pattern in a new list: Presidio's recognizers share their default patterns class-wide.
                patterns[i] = Pattern(pattern.name, pattern.regex.replace(*old_new, 1), pattern.score)
                r.patterns = patterns
                done.append(f"{r.name}/{pattern.name}")
    return done


class _SpecRecognizer(PatternRecognizer):
    """A Presidio pattern recognizer driven by one of our `RecognizerSpec`s."""

    def __init__(self, spec: RecognizerSpec, language: str) -> None:
        flags = re.DOTALL | re.MULTILINE | (0 if spec.case_sensitive else re.IGNORECASE)
        super().__init__(
            supported_entity=spec.entity_type, name=spec.name, supported_language=language,
            patterns=[Pattern(p.name, p.regex, p.score) for p in spec.patterns],
            deny_list=list(spec.deny_list) or None, deny_list_score=spec.deny_list_score,
            context=list(spec.context) or None, global_regex_flags=flags)
        self._spec = spec

    def validate_result(self, pattern_text: str) -> bool | None:
        # Presidio: True -> score 1.0, False -> dropped, None -> pattern score. A confirmed score below 1.0 is
        # applied in `analyze` below, after Presidio has set 1.0.
        if self._spec.validate is None:
            return None
        verdict = self._spec.validate(pattern_text)
        return {Check.CONFIRMED: True, Check.REJECTED: False, Check.UNKNOWN: None}[verdict]

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None,
                regex_flags: int | None = None) -> list:
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        if self._spec.confirmed_score < 1.0:
            for r in results:
                if r.score >= EntityRecognizer.MAX_SCORE:
                    r.score = self._spec.confirmed_score
        return results


class _FinderRecognizer(EntityRecognizer):
    """A Presidio recognizer driven by a `RecognizerSpec` whose matches come from its `finder` function."""

    def __init__(self, spec: RecognizerSpec, language: str) -> None:
        super().__init__(supported_entities=[spec.entity_type, *spec.also_reports], name=spec.name,
                         supported_language=language, context=list(spec.context) or None)
        self._spec = spec

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None) -> list:
        if self._spec.finder is None or not set(self.supported_entities) & set(entities):
            return []
        results = []
        for m in self._spec.finder(text):
            entity = m.entity_type or self._spec.entity_type
            if entity not in entities:
                continue
            name = f"{self.name}:{m.pattern}" if self._spec.name_by_pattern else self.name
            meta = {RecognizerResult.RECOGNIZER_NAME_KEY: name, RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id}
            results.append(RecognizerResult(entity, m.start, m.end, m.score, recognition_metadata=meta,
                                            analysis_explanation=AnalysisExplanation(name, m.score,
                                                                                     pattern_name=m.pattern)))
        return results


class _FastContextEnhancer(LemmaContextAwareEnhancer):
    """Presidio's context enhancer with the token lookup by bisection instead of a walk over every token.

    Low-score patterns that wait for context words produce many candidates; the linear walk (one spaCy Token
    object per step) was a fifth of the analysis time on 1 KB prompts.
    """

    @staticmethod
    def _find_index_of_match_token(word: str, start: int, tokens: Doc, tokens_indices: list[int]) -> int:
        i = max(0, bisect.bisect_right(tokens_indices, start) - 1)
        if start >= tokens_indices[i] + len(tokens[i]) and i + 1 < len(tokens_indices):
            i += 1
        return i


def offline_tldextract() -> None:
    """Make the e-mail/URL recognizers' tldextract use its bundled suffix list instead of fetching one."""
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())


class PresidioAnalyzer:
    """One AnalyzerEngine with Presidio's defaults, Presidio's German recognizers for German, and our specs."""

    def __init__(self, *, spacy_model: str, languages: Sequence[str], specs: Iterable[RecognizerSpec],
                 ner_languages: Sequence[str] = ("en",), lean_pipeline: bool = True,
                 presidio_defaults_only: bool = False, ner_models: Mapping[str, str] | None = None) -> None:
        """`ner_models` (language -> spaCy pipeline name or path) replaces `spacy_model` for `ner_languages`."""
        offline_tldextract()
        languages = list(languages)
        ner_config = dict(NER_MODEL_CONFIGURATION)
        if presidio_defaults_only:
            ner_config["labels_to_ignore"] = ["ORGANIZATION", *NER_MODEL_CONFIGURATION["labels_to_ignore"]]
        specs = tuple(specs)
        context_words = frozenset(w.lower() for spec in specs for w in spec.context)
        if ner_models is None:
            ner_models = {lang: spacy_model for lang in ner_languages}
        ner_models = {lang: m for lang, m in ner_models.items() if lang in languages}
        ner_languages = tuple(ner_models)
        nlp_engine = _LeanSpacyEngine(ner_models,
                                      languages, lean=lean_pipeline, ner_config=ner_config,
                                      context_words=context_words)
        nlp_engine.load()
        registry = RecognizerRegistry(supported_languages=languages)
        registry.load_predefined_recognizers(languages=languages, nlp_engine=nlp_engine)
        self.bounded: list[str] = []
        if not presidio_defaults_only:
            self.bounded = bound_backtracking(registry.recognizers)
        for lang in languages:
            if lang not in ner_languages:
                # A blank pipeline finds no entities; keep NER recognizers off languages without a model.
                registry.remove_recognizer("SpacyRecognizer", language=lang)
        if not presidio_defaults_only:
            # libphonenumber's matcher runs once per region and was a fifth of the time per prompt with Presidio's
            # eight; numbers with a + prefix or a phone word nearby are ours (phone_context) in any region.
            registry.remove_recognizer("PhoneRecognizer")
            for lang in languages:
                registry.add_recognizer(PhoneRecognizer(supported_language=lang, supported_regions=PHONE_REGIONS))
            if "de" in languages:
                for cls in _GERMAN_RECOGNIZERS:
                    registry.add_recognizer(cls(supported_language="de"))
            for spec in specs:
                for lang in spec.languages or languages:
                    if lang in languages:
                        cls = _FinderRecognizer if spec.finder else _SpecRecognizer
                        registry.add_recognizer(cls(spec, lang))
        self.languages = tuple(languages)
        self.engine = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=languages,
                                     context_aware_enhancer=_FastContextEnhancer())

    def recognizer_names(self, language: str) -> list[str]:
        """Names of the recognizers that run for `language` (for `govproxy scan --list` and tests)."""
        return sorted({r.name for r in self.engine.registry.get_recognizers(language=language, all_fields=True)})

    def analyze(self, text: str, language: str, score_threshold: float) -> list[Finding]:
        """Presidio's findings for `text` (overlaps not yet resolved), offsets into `text`."""
        found: dict[tuple[int, int, str], Finding] = {}
        for start, end in windows(text):
            results = self.engine.analyze(text=text[start:end], language=language, score_threshold=score_threshold)
            for r in results:
                f = Finding(0, start + r.start, start + r.end, r.entity_type, round(float(r.score), 4),
                            (r.recognition_metadata or {}).get("recognizer_name", "unknown"), language)
                key = (f.start, f.end, f.entity_type)
                if key not in found or found[key].score < f.score:
                    found[key] = f  # the same value seen by two overlapping windows
        return list(found.values())
