"""OpenAI API keys: project/service-account/admin keys (`sk-proj-…`) and legacy user keys (`sk-…T3BlbkFJ…`)."""

from __future__ import annotations

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec, shannon_entropy

# "T3BlbkFJ" is base64 for "OpenAI": OpenAI embeds it in the middle of its keys.
_MARKER = "T3BlbkFJ"


def validate(value: str) -> Check:
    """Confirm keys carrying OpenAI's marker; reject low-entropy look-alikes such as `sk-proj-XXXXXXXX…`."""
    if _MARKER in value:
        return Check.CONFIRMED
    body = value.split("-", 2)[-1]
    return Check.REJECTED if shannon_entropy(body) < 3.0 else Check.UNKNOWN


SPEC = RecognizerSpec(
    name="OpenAiKeyRecognizer",
    entity_type="OPENAI_API_KEY",
    patterns=(
        PatternSpec("openai scoped key", r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}", 0.9),
        PatternSpec("openai legacy key", r"\bsk-(?!ant-)[A-Za-z0-9]{32,}\b", 0.7),
    ),
    context=("openai", "api", "key", "token", "secret"),
    case_sensitive=True,
    validate=validate,
)
