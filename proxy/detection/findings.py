"""The project's own detection result type. Presidio's RecognizerResult never leaves detection/analyzer/."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected sensitive span in one text field of a request.

    `field` indexes `NormalizedRequest.texts`; `start`/`end` are offsets into that field's original text (after
    mapping back from the normalised form). A Finding never holds the value itself.
    """

    field: int
    start: int
    end: int
    entity_type: str
    score: float
    recognizer: str
    language: str = "en"

    def with_field(self, field: int) -> Finding:
        return Finding(field, self.start, self.end, self.entity_type, self.score, self.recognizer, self.language)
