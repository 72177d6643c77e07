"""Google API keys (`AIza` + 35 characters), used by Maps, Gemini, Firebase and other Google Cloud APIs."""

from __future__ import annotations

from proxy.detection.recognizers.base import PatternSpec, RecognizerSpec

SPEC = RecognizerSpec(
    name="GoogleApiKeyRecognizer",
    entity_type="GOOGLE_API_KEY",
    patterns=(PatternSpec("google api key", r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])", 0.9),),
    context=("google", "gcp", "gemini", "firebase", "maps", "key"),
    case_sensitive=True,
)
