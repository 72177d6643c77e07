"""Anthropic API keys: `sk-ant-api03-…`, admin keys `sk-ant-admin01-…` and other `sk-ant-` credentials."""

from __future__ import annotations

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec, shannon_entropy


def validate(value: str) -> Check:
    """Reject placeholders such as `sk-ant-xxxxxxxx…`; real keys are random."""
    body = value.rsplit("-", 1)[-1] if len(value.rsplit("-", 1)[-1]) >= 20 else value[7:]
    return Check.REJECTED if shannon_entropy(body) < 3.0 else Check.UNKNOWN


SPEC = RecognizerSpec(
    name="AnthropicKeyRecognizer",
    entity_type="ANTHROPIC_API_KEY",
    patterns=(
        PatternSpec("anthropic versioned key", r"\bsk-ant-(?:api|admin|oat|sid)\d{2}-[A-Za-z0-9_-]{20,}", 0.95),
        PatternSpec("anthropic key", r"\bsk-ant-[A-Za-z0-9_-]{20,}", 0.8),
    ),
    context=("anthropic", "claude", "api", "key"),
    case_sensitive=True,
    validate=validate,
)
