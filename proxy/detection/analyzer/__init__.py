"""The only package that imports Presidio: builds one AnalyzerEngine and runs it over already-folded text (its lean
analysis loop and context enhancer are in engine.py, its spaCy engine in nlp.py, the NER's moves in greedy_ner.py).

Everything Presidio-shaped stays here. In: a text and a language. Out: our own `Finding`s (offsets into the text
given, `field` 0). Our recognizers arrive as `RecognizerSpec` data and are adapted to Presidio here.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

import regex
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
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.pattern_recognizer import REGEX_TIMEOUT_SECONDS
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
)

from proxy.detection.analyzer.engine import BisectContextEnhancer, FastContextEnhancer, LeanAnalyzerEngine
from proxy.detection.analyzer.nlp import LeanSpacyEngine, shift_entity_starts
from proxy.detection.analyzer.phones import OnePassPhoneRecognizer
from proxy.detection.findings import Finding
from proxy.detection.ner_text import (  # noqa: F401 (the NER's text helpers lived here; still importable from here)
    MAX_NER_TOKEN,
    WINDOW,
    WINDOW_OVERLAP,
    tokenizer_safe,
    windows,
)
from proxy.detection.recognizers.base import Check, RecognizerSpec, TermFinder

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
PHONE_REGIONS = ("DE", "US", "GB", "FR")
logger = logging.getLogger("presidio-analyzer")
# Presidio's German recognizers, not loaded by default. Its tax id, id card and social security ones are left out:
# ours replace them (grouped formats, the id card's real check digit).
_GERMAN_RECOGNIZERS = (DeTaxNumberRecognizer, DeVatIdRecognizer, DeHealthInsuranceRecognizer, DeKfzRecognizer,
                       DeHandelsregisterRecognizer, DeFuehrerscheinRecognizer, DeLanrRecognizer, DeBsnrRecognizer,
                       DePassportRecognizer)


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
        # Per Presidio pattern (ours, then the deny list's if any): the spec's keyword pre-filter, if it has one.
        self._prefilters = [p.may_match if p.keywords else None for p in spec.patterns]
        # Per pattern: a TermFinder for term lists (case-sensitive ones), which finds what their regex finds.
        self._term_finders = [TermFinder(p, spec.flags) if p.terms and spec.case_sensitive else None
                              for p in spec.patterns]

    def validate_result(self, pattern_text: str) -> bool | None:
        # Presidio: True -> score 1.0, False -> dropped, None -> pattern score. A confirmed score below 1.0 is
        # applied in `analyze` below, after Presidio has set 1.0.
        if self._spec.validate is None:
            return None
        verdict = self._spec.validate(pattern_text)
        return {Check.CONFIRMED: True, Check.REJECTED: False, Check.UNKNOWN: None}[verdict]

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None,
                regex_flags: int | None = None) -> list:
        """Presidio's `PatternRecognizer.analyze` without what we never read (a textual explanation per match, a
        clock reading and a debug log per pattern): the same results, scores and order."""
        flags = regex_flags or self.global_regex_flags
        results = []
        meta = {RecognizerResult.RECOGNIZER_NAME_KEY: self.name, RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id}
        entity = self.supported_entities[0]
        folded: str | None = None
        for i, pattern in enumerate(self.patterns):
            prefilter = self._prefilters[i] if i < len(self._prefilters) else None
            if prefilter is not None:
                folded = text.casefold() if folded is None else folded
                if not prefilter(folded):
                    continue
            finder = self._term_finders[i] if i < len(self._term_finders) and flags == self.global_regex_flags \
                else None
            if finder is None and (not pattern.compiled_regex or pattern.compiled_with_flags != flags):
                pattern.compiled_with_flags = flags
                pattern.compiled_regex = regex.compile(pattern.regex, flags=flags)
            try:
                spans = finder.spans(text) if finder is not None else (
                    m.span() for m in pattern.compiled_regex.finditer(text, timeout=REGEX_TIMEOUT_SECONDS))
                for start, end in spans:
                    if start == end:
                        continue
                    verdict = self.validate_result(text[start:end])
                    score = pattern.score if verdict is None else (self.MAX_SCORE if verdict else self.MIN_SCORE)
                    if score > self.MIN_SCORE:
                        results.append(RecognizerResult(entity, start, end, score, recognition_metadata=dict(meta)))
            except TimeoutError:
                logger.warning("Regex pattern '%s' timed out after %s seconds, skipping.", pattern.name,
                               REGEX_TIMEOUT_SECONDS)
        results = EntityRecognizer.remove_duplicates(results)
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


def offline_tldextract() -> None:
    """Make the e-mail/URL recognizers' tldextract use its bundled suffix list instead of fetching one, read now
    rather than by the first text with an address in it (which paid about 0.1 s for it)."""
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())
    tldextract.tldextract.TLD_EXTRACTOR("example.com")


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
        nlp_engine = LeanSpacyEngine(ner_models, languages, lean=lean_pipeline, ner_config=ner_config,
                                     context_words=context_words)
        nlp_engine.load()
        registry = RecognizerRegistry(supported_languages=languages)
        registry.load_predefined_recognizers(languages=languages, nlp_engine=nlp_engine)
        self.bounded: list[str] = []
        # The recognizers every language runs alike (one spec or search for all): a pass over segments that the
        # whole text's language has read already need not run them again (`analyze(..., again=True)`).
        shared: list[str] = []
        if not presidio_defaults_only:
            self.bounded = bound_backtracking(registry.recognizers)
        for lang in languages:
            if lang not in ner_languages:
                # A blank pipeline finds no entities; keep NER recognizers off languages without a model.
                registry.remove_recognizer("SpacyRecognizer", language=lang)
        if not presidio_defaults_only:
            # libphonenumber's matcher ran once per region and was a fifth of the time per prompt with Presidio's
            # eight; numbers with a + prefix or a phone word nearby are ours (phone_context) in any region. Four
            # regions, one search of the text for all of them (phones.py).
            registry.remove_recognizer("PhoneRecognizer")
            for lang in languages:
                phones = OnePassPhoneRecognizer(supported_language=lang, supported_regions=PHONE_REGIONS)
                registry.add_recognizer(phones)
                shared.append(phones.id)
            if "de" in languages:
                for cls in _GERMAN_RECOGNIZERS:
                    registry.add_recognizer(cls(supported_language="de"))
            for spec in specs:
                for lang in spec.languages or languages:
                    if lang in languages:
                        cls = _FinderRecognizer if spec.finder else _SpecRecognizer
                        recognizer = cls(spec, lang)
                        registry.add_recognizer(recognizer)
                        if spec.languages is None:
                            shared.append(recognizer.id)
        self.languages = tuple(languages)
        # Presidio's defaults run as they come (the baseline); ours through the lean engine, same results.
        self._lean = not presidio_defaults_only
        engine_class = LeanAnalyzerEngine if self._lean else AnalyzerEngine
        enhancer = FastContextEnhancer() if self._lean else BisectContextEnhancer()
        self.engine = engine_class(registry=registry, nlp_engine=nlp_engine, supported_languages=languages,
                                   context_aware_enhancer=enhancer)
        if isinstance(self.engine, LeanAnalyzerEngine):
            self.engine.share(shared)
            for lang in languages:
                self.engine.prepare(lang)

    def recognizer_names(self, language: str) -> list[str]:
        """Names of the recognizers that run for `language` (for `govproxy scan --list` and tests)."""
        return sorted({r.name for r in self.engine.registry.get_recognizers(language=language, all_fields=True)})

    def prefetch(self, texts: Mapping[str, Sequence[str]]) -> None:
        """Run the NER of these texts (per language) now, in batches; `analyze` of each then reuses its doc.
        Call `forget` when done."""
        if self._lean:
            engine = self.engine.nlp_engine
            assert isinstance(engine, LeanSpacyEngine)
            engine.prefetch({lang: [t[s:e] for t in batch for s, e in windows(t)] for lang, batch in texts.items()})

    @contextlib.contextmanager
    def transient_strings(self) -> Iterator[None]:
        """The strings and lexemes spaCy adds while this block reads text are dropped at its end (spaCy's memory
        zones): without it every token ever seen (each id, hash and name in every prompt) stays in the vocabulary
        for the life of the process. No doc, token or span may outlive the block; findings are plain values."""
        with contextlib.ExitStack() as stack:
            for nlp in self.engine.nlp_engine.nlp.values():  # type: ignore[attr-defined]
                stack.enter_context(nlp.memory_zone())
            yield

    def shift_entity_starts(self, language: str, label: str, delta: float) -> None:
        """Add `delta` to the score with which `language`'s NER starts a `label` entity (see nlp.shift_entity_starts);
        nothing where that language has no NER model."""
        nlp = self.engine.nlp_engine.nlp.get(language)  # type: ignore[attr-defined]
        if nlp is not None and "ner" in nlp.pipe_names:
            shift_entity_starts(nlp, label, delta)

    def forget(self) -> None:
        engine = self.engine.nlp_engine
        if isinstance(engine, LeanSpacyEngine):
            engine.forget()

    def analyze(self, text: str, language: str, score_threshold: float, again: bool = False) -> list[Finding]:
        """Presidio's findings for `text` (overlaps not yet resolved), offsets into `text`. `again`: every character
        of `text` was read by another language's pass already, so the recognizers all languages share are left out
        (their matches there were found then)."""
        found: dict[tuple[int, int, str], Finding] = {}
        for start, end in windows(text):
            piece = text[start:end]
            results = (self.engine.analyze_text(piece, language, score_threshold, only_own=again) if self._lean else
                       self.engine.analyze(text=piece, language=language, score_threshold=score_threshold))
            for r in results:
                f = Finding(0, start + r.start, start + r.end, r.entity_type, round(float(r.score), 4),
                            (r.recognition_metadata or {}).get("recognizer_name", "unknown"), language)
                key = (f.start, f.end, f.entity_type)
                if key not in found or found[key].score < f.score:
                    found[key] = f  # the same value seen by two overlapping windows
        return list(found.values())
