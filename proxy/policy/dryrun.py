"""A request decided without sending it anywhere: parse -> detect -> evaluate -> redact.

What `govproxy policy explain` and `govproxy policy test` run. Detection and redaction are passed in as plain
functions, so this module needs neither spaCy nor a key, and its tests can use hand-built findings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from proxy.auth.caller import Caller
from proxy.detection.findings import Finding
from proxy.detection.unscannable import unscannable_findings
from proxy.policy.decision import Decision
from proxy.policy.evaluate import RequestFacts, evaluate
from proxy.policy.loader import PolicySnapshot
from proxy.request.anthropic import anthropic_to_openai
from proxy.request.context import Endpoint, NormalizedRequest
from proxy.request.schemas import parse_openai

# texts -> every finding, `field` = the index of its text.
DetectFn = Callable[[Sequence[str]], list[Finding]]
# (texts, findings, entity type -> strategy) -> the texts with those entity types redacted.
RedactFn = Callable[[Sequence[str], Sequence[Finding], dict[str, str]], list[str]]

ENDPOINTS = {"chat": Endpoint.CHAT, "completions": Endpoint.COMPLETIONS, "embeddings": Endpoint.EMBEDDINGS,
             "messages": Endpoint.MESSAGES}


@dataclass(frozen=True, slots=True)
class DryRun:
    request: NormalizedRequest
    findings: tuple[Finding, ...]
    decision: Decision
    # The texts as they would leave for decision.targets[0]; None when nothing would be sent.
    redacted: tuple[str, ...] | None = field(default=None, repr=False)
    facts: RequestFacts | None = field(default=None, repr=False)  # what the policy read (for explain's trace)

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(t.text for t in self.request.texts)


def body_for(endpoint: str, model: str, prompt: str | None = None,
             messages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An OpenAI-shaped request body for a prompt (chat: one user message) or a message list."""
    if endpoint in ("chat", "messages"):
        return {"model": model, "messages": messages or [{"role": "user", "content": prompt or ""}]}
    if endpoint == "completions":
        return {"model": model, "prompt": prompt or ""}
    return {"model": model, "input": prompt or ""}


def parse_body(endpoint: str, body: dict[str, Any]) -> NormalizedRequest:
    """Validate a request body as the proxy would (BadRequest on a malformed one)."""
    if endpoint == "messages":
        if "max_tokens" in body:  # Anthropic's shape, converted the way the request path does it
            body = anthropic_to_openai(body)
        request = parse_openai(Endpoint.CHAT, body)
        request.endpoint = Endpoint.MESSAGES
        return request
    return parse_openai(ENDPOINTS[endpoint], body)


def dry_run(snapshot: PolicySnapshot, caller: Caller, endpoint: str, body: dict[str, Any], *,
            header_classification: str | None, detect: DetectFn, redact: RedactFn) -> DryRun:
    """Decide one request exactly as the proxy would, without contacting any upstream."""
    request = parse_body(endpoint, body)
    texts = [t.text for t in request.texts]
    # As the detect stage does: what detection finds, plus content it cannot read (unscannable.py).
    findings = (*(detect(texts) if any(texts) else ()), *unscannable_findings(request.texts))
    facts = RequestFacts(caller=caller, endpoint=ENDPOINTS[endpoint], model=request.model, findings=findings,
                         header_classification=header_classification, texts=tuple(texts))
    decision = evaluate(snapshot.policy, facts, snapshot.catalogue)
    redacted: tuple[str, ...] | None = None
    if decision.targets:
        strategies = decision.strategy_map
        redacted = tuple(redact(texts, findings, strategies)) if strategies else tuple(texts)
    return DryRun(request, findings, decision, redacted, facts)
