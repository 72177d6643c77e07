"""Secrets named by their surroundings (see `detection/secrets/context.py` and `syntaxes.py`): values after
password / secret / token / key names in any assignment syntax, in English and German prose, in authorization
headers, PowerShell secure strings, password flags, Kubernetes Secret manifests and `.pgpass` lines."""

from __future__ import annotations

from proxy.detection.recognizers.base import RecognizerSpec, SpanMatch
from proxy.detection.secrets import context, syntaxes


def find_context_secrets(text: str) -> list[SpanMatch]:
    spans = [*context.assignments(text), *context.prose(text), *syntaxes.headers(text), *syntaxes.tool_syntax(text)]
    best: dict[tuple[int, int], str] = {}
    for start, end, rule in spans:
        best.setdefault((start, end), rule)
    return [SpanMatch(s, e, 0.85, rule) for (s, e), rule in sorted(best.items())]


SPEC = RecognizerSpec(
    name="GenericSecretRecognizer",
    entity_type="GENERIC_SECRET",
    finder=find_context_secrets,
    case_sensitive=True,
)
