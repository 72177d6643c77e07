"""One process's detection of one text: fold Unicode, decide the language per segment, run Presidio once per
language over the segments that language must read, clean up, map back; then the same once more over the text with
its hidden runs (base64, digits one by one) decoded, if it has any.

`TextAnalyzer` is what each detector worker holds (one per process, built once). It is synchronous and
CPU-bound; `Detector` decides where it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from proxy.detection import url_review
from proxy.detection.analyzer import PresidioAnalyzer
from proxy.detection.custom import CustomRecognizers, load_recognizers
from proxy.detection.findings import Finding
from proxy.detection.hidden import decoded_view
from proxy.detection.language import LanguagePicker
from proxy.detection.name_forms import extend_names
from proxy.detection.normalise import NormalisedText, normalise
from proxy.detection.recognizers import builtin_specs
from proxy.detection.resolve import (
    allow_list_regions,
    drop_allowed,
    drop_false_positives,
    phones_after_names,
    postcodes_after_places,
    propagate_names,
    resolve_overlaps,
    review_model_names,
    streets_named_after_people,
)
from proxy.detection.secret_spans import SECRET_TYPES, secrets_first

# Languages with an NER model: English from PyPI (`spacy_model`), German trained by the project (train/) and
# shipped as package data (`german_model`).
NER_LANGUAGES = ("en", "de")
PACKAGED_GERMAN_MODEL = Path(__file__).resolve().parent / "models" / "de_ner"


def german_model_path(setting: str) -> str | None:
    """The German pipeline to load: "" is the packaged one, "off" none (German text then gets patterns and name
    lists only), anything else a path or an installed package name."""
    if setting.strip().lower() == "off":
        return None
    return setting.strip() or str(PACKAGED_GERMAN_MODEL)


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """Everything needed to build a `TextAnalyzer`; plain values, so it can be sent to worker processes."""

    spacy_model: str
    policies_dir: Path
    languages: tuple[str, ...] = ("en", "de")
    default_language: str = "en"
    score_threshold: float = 0.4
    lean_pipeline: bool = True
    # Evaluation only: Presidio's defaults (full pipeline, default recognizers, every text read as English).
    presidio_defaults: bool = False
    ner_languages: tuple[str, ...] = field(default=NER_LANGUAGES)
    # The custom recognizers to run (the policy snapshot's, parsed once); None: read policies_dir/recognizers.yaml.
    custom: CustomRecognizers | None = None
    # "" = the packaged German pipeline, "off" = none, else a path or package name (see `german_model_path`).
    german_model: str = ""
    # Added to the German model's score for starting a PERSON (settings.german_person_bias); 0: as trained.
    german_person_bias: float = 0.0

    def ner_models(self) -> dict[str, str]:
        """Language -> spaCy pipeline to load, for the configured languages that have one."""
        models = {"en": self.spacy_model}
        german = german_model_path(self.german_model)
        if german is not None:
            models["de"] = german
        return {lang: m for lang, m in models.items() if lang in self.ner_languages and lang in self.languages}


class TextAnalyzer:
    """Detection for one text at a time. Build once per process: it loads the spaCy model."""

    def __init__(self, config: DetectorConfig) -> None:
        self.config = config
        # text -> (its folded form, its language plan), made once by analyze_many for the texts it is analysing
        self._plans: dict[str, tuple[NormalisedText, dict[str, list[tuple[int, int]]]]] = {}
        url_review.TLD("example.com")  # reads its suffix list now, not during the first text with a URL
        custom = config.custom if config.custom is not None else load_recognizers(config.policies_dir)
        self.allow_list = custom.allow_list
        self.disabled_entities = custom.disabled_entities
        # The recognizers' context words are field labels ("Steuer-ID", "Telefon", "IBAN"): a model finding that is
        # exactly one of them names no one (the German model took "Steuer-ID" for a hyphenated surname).
        self.labels = frozenset(w.lower() for spec in builtin_specs() + custom.specs for w in spec.context)
        if config.presidio_defaults:
            self.presidio = PresidioAnalyzer(spacy_model=config.spacy_model, languages=("en",), specs=(),
                                             lean_pipeline=False, presidio_defaults_only=True)
            self.picker = LanguagePicker(("en",), "en")
        else:
            specs = builtin_specs() + custom.specs
            self.presidio = PresidioAnalyzer(spacy_model=config.spacy_model, languages=config.languages,
                                             specs=specs, ner_models=config.ner_models(),
                                             lean_pipeline=config.lean_pipeline)
            if config.german_person_bias:
                self.presidio.shift_entity_starts("de", "PER", config.german_person_bias)
            self.picker = LanguagePicker(config.languages, config.default_language)

    def pick_language(self, text: str, language: str | None) -> str:
        """The requested language (checked) or the detected one."""
        if language is None:
            return self.picker.pick(text)
        if language not in self.picker.languages:
            raise ValueError(f"language {language!r} is not configured (configured: {list(self.picker.languages)})")
        return language

    def analyze_many(self, texts: Sequence[str], language: str | None = None) -> list[tuple[Finding, ...]]:
        """`analyze` of each text, with the NER of all of them run first in batches (cheaper per text than one at
        a time); same findings. What spaCy learns of the texts' words is forgotten afterwards, so a long-running
        process does not grow with every token it has seen."""
        with self.presidio.transient_strings():
            return self._analyze_many(texts, language)

    def _analyze_many(self, texts: Sequence[str], language: str | None) -> list[tuple[Finding, ...]]:
        if len(texts) < 2 or self.config.presidio_defaults:
            return [self.analyze(t, language) for t in texts]
        regions: dict[str, list[str]] = {}
        for text in texts:
            if not text or not text.strip():
                continue
            folded = normalise(text)
            plan = {language: [(0, len(folded.text))]} if language is not None else self.picker.plan(folded.text)
            self._plans[text] = (folded, plan)
            for lang, spans in plan.items():
                regions.setdefault(lang, []).append(only_regions(folded.text, spans))
        try:
            self.presidio.prefetch(regions)
            return [self.analyze(t, language) for t in texts]
        finally:
            self.presidio.forget()
            self._plans.clear()

    def analyze(self, text: str, language: str | None = None) -> tuple[Finding, ...]:
        """Non-overlapping findings in `text`, offsets into the original text, `field` 0, sorted by start."""
        if not text or not text.strip():
            return ()
        ahead = self._plans.pop(text, None)  # folded and planned by analyze_many
        folded, plan = ahead if ahead is not None else (normalise(text), None)
        if language is not None:
            self.pick_language(folded.text, language)  # checked
        if self.config.presidio_defaults:
            # The baseline is Presidio as it comes: no clean-up, overlaps left in, nothing decoded.
            lang = self.pick_language(folded.text, language)
            raw = self.presidio.analyze(folded.text, lang, self.config.score_threshold)
            return tuple(self._to_original(f, folded) for f in sorted(raw, key=lambda f: (f.start, f.end)))
        found = self._detect(folded.text, language, plan)
        hidden = decoded_view(folded.text)
        if hidden is not None:
            # What a hidden run spells wins over what its encoded form looked like (base64 read as a name), except
            # over a secret: a Kubernetes Secret's base64 value stays a secret whatever it decodes to.
            inside = [self._to_original(f, hidden.view) for f in self._detect(hidden.view.text, language)
                      if hidden.touches_decoded(f.start, f.end)]
            kept = [f for f in found if f.entity_type in SECRET_TYPES]
            inside = [g for g in inside if g.entity_type in SECRET_TYPES
                      or not any(f.start < g.end and g.start < f.end for f in kept)]
            outside = [f for f in found if f.entity_type in SECRET_TYPES
                       or not any(f.start < g.end and g.start < f.end for g in inside)]
            found = resolve_overlaps(secrets_first(inside + outside), folded.text)
        return tuple(self._to_original(f, folded) for f in found)

    def _detect(self, text: str, language: str | None,
                plan: dict[str, list[tuple[int, int]]] | None = None) -> list[Finding]:
        """Presidio plus clean-up over already-folded text: offsets into `text`, no overlaps. Without a `language`,
        each language's pipeline reads the segments planned for it (`LanguagePicker.plan`)."""
        if plan is None:
            plan = {language: [(0, len(text))]} if language is not None else self.picker.plan(text)
        raw: list[Finding] = []
        for i, (lang, regions) in enumerate(plan.items()):
            # A language reads from its first region to its last, blank between them (the whole text's language:
            # all of it); the blank margins outside would only cost time.
            first, last = regions[0][0], regions[-1][1]
            found = self.presidio.analyze(only_regions(text, regions)[first:last], lang, self.config.score_threshold,
                                          again=i > 0)
            if first:
                found = [replace(f, start=f.start + first, end=f.end + first) for f in found]
            # The whole text's language comes first; where another language's finding overlaps one of its
            # findings with a different type, its type stands (on the English dev sets the German model called
            # some English places people).
            raw += found if i == 0 else [f for f in found if not any(
                g.start < f.end and f.start < g.end and g.entity_type != f.entity_type for g in raw)]
        kept = [f for f in raw if f.entity_type not in self.disabled_entities
                and not (f.recognizer == "SpacyRecognizer" and text[f.start:f.end].lower() in self.labels)]
        kept = streets_named_after_people(review_model_names(drop_false_positives(kept, text), text), text)
        # A name found in part covers the whole name; its mentions are searched again, and widened in turn.
        kept = extend_names(propagate_names(extend_names(kept, text), text), text)
        kept = phones_after_names(postcodes_after_places(kept, text), text)
        kept = [f for f in kept if f.entity_type not in self.disabled_entities]
        kept = drop_allowed(kept, allow_list_regions(text, self.allow_list))
        return resolve_overlaps(secrets_first(kept), text)

    @staticmethod
    def _to_original(f: Finding, folded: NormalisedText) -> Finding:
        start, end = folded.to_original(f.start, f.end)
        if (start, end) == (f.start, f.end):
            return f
        return Finding(f.field, start, end, f.entity_type, f.score, f.recognizer, f.language)


def only_regions(text: str, regions: list[tuple[int, int]]) -> str:
    """`text` with everything outside `regions` blanked (line breaks kept), so offsets hold and lines stay lines."""
    if regions == [(0, len(text))]:
        return text
    out, pos = [], 0
    for start, end in regions:
        out.append(_blank(text[pos:start]))
        out.append(text[start:end])
        pos = end
    out.append(_blank(text[pos:]))
    return "".join(out)


def _blank(piece: str) -> str:
    return "".join("\n" if ch == "\n" else " " for ch in piece)
