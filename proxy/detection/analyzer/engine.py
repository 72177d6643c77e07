"""Presidio's analysis loop, doing per text only what differs per text (part of the analyzer package, the only place
that imports Presidio): the recognizers of a language looked up once, the NLP artifacts and keywords built once per
text, context words found once per token, no deep copy of the results.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

import regex
from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    RecognizerResult,
)
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.tokens import Doc


class BisectContextEnhancer(LemmaContextAwareEnhancer):
    """Presidio's context enhancer with the token lookup by bisection instead of a walk over every token (one spaCy
    Token object per step, a fifth of the analysis time on 1 KB prompts). What the Presidio-defaults baseline runs.
    """

    @staticmethod
    def _find_index_of_match_token(word: str, start: int, tokens: Doc, tokens_indices: list[int]) -> int:
        i = max(0, bisect.bisect_right(tokens_indices, start) - 1)
        if start >= tokens_indices[i] + len(tokens[i]) and i + 1 < len(tokens_indices):
            i += 1
        return i


class FastContextEnhancer(BisectContextEnhancer):
    """Presidio's lemma context enhancer, the same scores, with the work per text done once.

    Low-score patterns that wait for context words produce many candidates, and Presidio's walk did per candidate
    what is the same for the whole text: it deep-copied every result and looked each nearby word up in the list of
    the text's keywords. Here the keywords are a set, and the context words around a token (and whether a
    recognizer's context word is among them) are worked out once per token and text. The results are updated in
    place: they are the engine's own, made for this text.
    """

    def enhance_using_context(self, text: str, raw_results: list[RecognizerResult], nlp_artifacts: NlpArtifacts,
                              recognizers: list[EntityRecognizer], context: list[str] | None = None,
                              ) -> list[RecognizerResult]:
        by_id = {r.id: r for r in recognizers}
        extra = [w.lower() for w in context or ()]
        if nlp_artifacts is None:
            return raw_results
        tokens, indices = nlp_artifacts.tokens, nlp_artifacts.tokens_indices
        keywords = set(nlp_artifacts.keywords)
        lower = [lemma.lower() for lemma in nlp_artifacts.lemmas]
        windows_at: dict[int, list[str]] = {}
        found_at: dict[tuple[int, str], str] = {}
        for result in raw_results:
            meta = result.recognition_metadata
            recognizer = by_id.get(meta.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY)) if meta else None
            if not recognizer or not recognizer.context or meta.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
                continue
            i = self._find_index_of_match_token("", result.start, tokens, indices) if tokens else -1
            words = windows_at.get(i)
            if words is None:
                words = windows_at[i] = (self._words_around(i, lower, keywords) if tokens else [""]) + extra
            key = (i, recognizer.id)
            word = found_at.get(key)
            if word is None:
                word = found_at[key] = self._find_supportive_word_in_context(words, recognizer.context,
                                                                             self.context_matching_mode)
            if word != "":
                result.score = min(max(result.score + self.context_similarity_factor,
                                       self.min_score_with_context_similarity), self.MAX_SCORE)
                if result.analysis_explanation is not None:
                    result.analysis_explanation.set_supportive_context_word(word)
                    result.analysis_explanation.set_improved_score(result.score)
        return raw_results

    def _words_around(self, index: int, lower: list[str], keywords: set[str]) -> list[str]:
        """Presidio's `_extract_surrounding_words`: the keywords among the lemmas at and before `index` (prefix
        count + 1) and at and after it (suffix count + 1), without repeats."""
        found = []
        for step, count in ((-1, self.context_prefix_count), (1, self.context_suffix_count)):
            i, remaining = index, count + 1
            while 0 <= i < len(lower) and remaining > 0:
                if lower[i] in keywords:
                    found.append(lower[i])
                    remaining -= 1
                i += step
        return list(set(found))



class LeanAnalyzerEngine(AnalyzerEngine):
    """`AnalyzerEngine.analyze` for the one way we call it (every entity, a score threshold; no ad-hoc
    recognizers, allow list or decision trace): the same results in the same order, with what is the same for
    every text (a language's recognizers and the entities they report) looked up once instead of per text, and the
    results grouped by recognizer once instead of once per recognizer."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._per_language: dict[str, tuple[list[EntityRecognizer], list[str]]] = {}
        self._shared: frozenset[str] = frozenset()  # ids of recognizers that read every language alike
        self._own: dict[str, list[EntityRecognizer]] = {}  # per language, its recognizers less the shared ones

    def share(self, recognizer_ids: Iterable[str]) -> None:
        """Mark recognizers as the same in every language (one spec or search behind each language's copy), so a
        pass over text that another language's pass has read whole may leave them out (`only_own`)."""
        self._shared = frozenset(recognizer_ids)
        self._own.clear()

    def prepare(self, language: str) -> None:
        """Look up `language`'s recognizers and compile their patterns now, not on the first text: Presidio compiles
        a pattern on first use: the first English text took 0.8 s, the first German one 0.4 s."""
        recognizers = self.registry.get_recognizers(language=language, all_fields=True)
        self._per_language[language] = (recognizers, self.get_supported_entities(language=language))
        self._own[language] = [r for r in recognizers if r.id not in self._shared]
        for recognizer in recognizers:
            for pattern in getattr(recognizer, "patterns", None) or ():
                flags = recognizer.global_regex_flags
                if flags and (not pattern.compiled_regex or pattern.compiled_with_flags != flags):
                    pattern.compiled_with_flags = flags
                    pattern.compiled_regex = regex.compile(pattern.regex, flags=flags)

    def analyze_text(self, text: str, language: str, score_threshold: float,
                     only_own: bool = False) -> list[RecognizerResult]:
        """Presidio's results for `text`: context applied, below `score_threshold` dropped, duplicates removed.
        `only_own`: without the recognizers marked shared (`share`)."""
        if language not in self._per_language or language not in self._own:
            self.prepare(language)
        recognizers, entities = self._per_language[language]
        if only_own:
            recognizers = self._own[language]
        artifacts = self.nlp_engine.process_text(text, language)
        raw: list[RecognizerResult] = []
        for recognizer in recognizers:
            if not recognizer.is_loaded:
                recognizer.load()
                recognizer.is_loaded = True
            for r in recognizer.analyze(text=text, entities=entities, nlp_artifacts=artifacts) or ():
                if not r.recognition_metadata:
                    r.recognition_metadata = {}
                r.recognition_metadata.setdefault(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY, recognizer.id)
                r.recognition_metadata.setdefault(RecognizerResult.RECOGNIZER_NAME_KEY, recognizer.name)
                raw.append(r)
        by_id: dict[str, list[RecognizerResult]] = {}
        for r in raw:
            by_id.setdefault(r.recognition_metadata[RecognizerResult.RECOGNIZER_IDENTIFIER_KEY], []).append(r)
        results: list[RecognizerResult] = []
        for recognizer in recognizers:
            own = by_id.get(recognizer.id, [])
            if type(recognizer).enhance_using_context is not EntityRecognizer.enhance_using_context:
                others = [r for r in raw if r.recognition_metadata[RecognizerResult.RECOGNIZER_IDENTIFIER_KEY]
                          != recognizer.id]
                own = recognizer.enhance_using_context(text=text, raw_recognizer_results=own,
                                                       other_raw_recognizer_results=others, nlp_artifacts=artifacts)
            results.extend(own)
        results = self.context_aware_enhancer.enhance_using_context(text=text, raw_results=results,
                                                                    nlp_artifacts=artifacts, recognizers=recognizers)
        return EntityRecognizer.remove_duplicates([r for r in results if r.score >= score_threshold])
