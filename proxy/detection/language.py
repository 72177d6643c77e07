"""Which language a text field is in, so German text is never read by the English NER.

py3langid restricted to the configured languages; texts too short to judge get the configured default, and so do
texts where the detector is unsure. A short text the detector is nearly certain about ("Gegendarstellung") keeps
its language: on the German dev sets, one-word German lines sent to the English NER came back as people.
"""

from __future__ import annotations

from collections.abc import Sequence

import py3langid.langid as langid


class LanguagePicker:
    """Picks one of `languages` per text. Build once (loads a ~1 MB model); `pick` is cheap (~0.1 ms/KB)."""

    def __init__(self, languages: Sequence[str], default: str, *, min_chars: int = 20,
                 min_confidence: float = 0.7, short_text_confidence: float = 0.98) -> None:
        if default not in languages:
            raise ValueError(f"default language {default!r} is not one of {list(languages)}")
        self.languages = tuple(languages)
        self.default = default
        self.min_chars = min_chars
        self.min_confidence = min_confidence
        self.short_text_confidence = short_text_confidence
        self._identifier: langid.LanguageIdentifier | None = None
        if len(self.languages) > 1:
            path = langid.MODEL_DIR / langid.MODEL_FILE
            self._identifier = langid.LanguageIdentifier.from_modelpath(path, norm_probs=True)
            self._identifier.set_languages(list(self.languages))

    def pick(self, text: str) -> str:
        """The language of `text`, or the default when there is one language, little text, or doubt."""
        stripped = text.strip()
        if self._identifier is None or not any(ch.isalpha() for ch in stripped):
            return self.default
        language, confidence = self._identifier.classify(stripped)
        needed = self.min_confidence if len(stripped) >= self.min_chars else self.short_text_confidence
        return language if confidence >= needed else self.default
