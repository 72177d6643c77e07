"""What goes into the audit: row values built from a RequestContext or a security event. Pure functions.

Nothing here copies a text field or a finding's span: entity types and counts only. Prompt storage (masked text,
encrypted original) is opt-in and built by prompts.py.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from proxy.audit.caller_strings import CallerStrings
from proxy.request.context import Outcome

if TYPE_CHECKING:
    from proxy.auth.caller import Caller
    from proxy.request.context import RequestContext


class Kind(StrEnum):
    """What a record is about. `request` is model traffic; the others are security events."""

    REQUEST = "request"
    SECURITY = "security"   # a model request rejected for authentication / permission
    ADMIN = "admin"         # a read of the audit log (API, review page)
    REVEAL = "reveal"       # an encrypted original was decrypted
    PURGE = "purge"         # retention removed old records (leaves a checkpoint)
    ERASURE = "erasure"     # a caller's personal fields were erased on request


@dataclass(frozen=True, slots=True)
class SecurityEvent:
    """A security-relevant action that is not model traffic (audit reads, reveals, retention)."""

    kind: Kind
    endpoint: str
    outcome: Outcome = Outcome.ALLOWED
    caller: Caller | None = None
    client_addr: str | None = None
    request_id: str | None = None
    # What was done (route, filters, record id, counts): never data values or key material.
    detail: Mapping[str, Any] = field(default_factory=dict)
    error_class: str | None = None
    error_status: int | None = None


def new_record_id() -> str:
    return uuid.uuid4().hex


def _clip(value: str | None, limit: int) -> str | None:
    # Caller-controlled strings (model names, request ids) must never make the batch's INSERT fail.
    return value[:limit] if value is not None and len(value) > limit else value


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime) -> datetime:
    # SQLite keeps no zone: store UTC so the stored text means the same instant everywhere.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _caller_values(caller: Caller | None) -> dict[str, Any]:
    if caller is None:
        return {"key_id": None, "team": None, "user": None, "role": None}
    return {"key_id": _clip(caller.key_id, 32), "team": _clip(caller.team, 128), "user": _clip(caller.user, 128),
            "role": caller.role.value}


def entity_counts(ctx: RequestContext) -> dict[str, int]:
    """Detected entity types with how often each occurred (never the values)."""
    return dict(sorted(Counter(f.entity_type for f in ctx.findings).items()))


def _rules_text(rules: list[str]) -> str:
    unique = list(dict.fromkeys(r for r in rules if r))
    return ("|" + "|".join(unique) + "|")[:2048] if unique else ""


def _storage(asked: dict[str, Any] | None, sent: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a request asked of provider-side storage (OpenAI `store`) and what was sent; None if it asked nothing."""
    if not asked or "store" not in asked:
        return None
    return {"store_requested": bool(asked.get("store")), "store_sent": bool((sent or asked).get("store"))}


def known_model(ctx: RequestContext) -> bool:
    """Whether the requested model is one of the proxy's names: a decision was made (the policy resolved it: an
    unknown model is a 404 before any decision), or the policy snapshot lists it as a catalogue or policy alias."""
    if ctx.request is None:
        return False
    if ctx.decision is not None:
        return True
    snapshot = ctx.snapshot
    model = ctx.request.model
    return snapshot is not None and (snapshot.catalogue.get(model) is not None or model in snapshot.policy.aliases)


def record_values(ctx: RequestContext, record_id: str, kind: Kind = Kind.REQUEST,
                  strings: CallerStrings | None = None) -> dict[str, Any]:
    """The request/decision part of a record (what is written before anything is forwarded). Strings the caller
    chose (model name, client address) are kept only when known, else hashed by `strings` (caller_strings.py)."""
    decision, request = ctx.decision, ctx.request
    strings = strings or CallerStrings()
    values: dict[str, Any] = {
        "id": record_id, "kind": kind.value, "time": _utc(ctx.received_at), "request_id": _clip(ctx.request_id, 64),
        **_caller_values(ctx.caller), "client_addr": _clip(strings.address(ctx.client_addr), 64),
        "endpoint": ctx.endpoint.value, "dialect": ctx.dialect.value,
        "requested_model": _clip(strings.keep_if(request.model, known_model(ctx)), 256) if request else None,
        "stream": request.stream if request else None,
        "policy_version": None, "classification": None, "action": None, "rule": None, "rules": "",
        "matches": [], "entities": entity_counts(ctx), "strategies": {}, "targets": [], "rerouted_from": None,
        "detail": _storage(request.body if request else None, ctx.upstream_body),
        "prompt_redacted": None, "prompt_encrypted": None, "prompt_key_id": None,
    }
    if decision is not None:
        values.update({
            "policy_version": _clip(decision.policy_version, 64),
            "classification": _clip(decision.classification, 64),
            "action": decision.action.value, "rule": _clip(decision.rule, 128),
            "rules": _rules_text([decision.rule, *(m.rule for m in decision.matches)]),
            "matches": [{"rule": m.rule, "action": m.action.value, "mode": m.mode.value} for m in decision.matches],
            "strategies": dict(decision.strategies), "targets": list(decision.targets),
            "rerouted_from": _clip(decision.rerouted_from, 256),
            "detail": {**(values["detail"] or {}), **(_decision_inputs(ctx) or {})} or None,
        })
    return values


def _decision_inputs(ctx: RequestContext) -> dict[str, Any] | None:
    """What the policy read besides the caller's team and user, the model and the entity counts, so that
    `govproxy policy replay` can decide the request again: the key's labels and the classification header (a
    level name; the request was refused before any decision if it named none). Never text."""
    out: dict[str, Any] = {}
    if ctx.caller is not None and ctx.caller.labels:
        out["labels"] = sorted(_clip(label, 64) for label in ctx.caller.labels)[:32]
    header = ctx.headers.get("x-data-classification", "").strip().lower()
    if header:
        out["classification_header"] = _clip(header, 64)
    return out or None


def outcome_values(ctx: RequestContext, record_id: str) -> dict[str, Any]:
    """The completion part: what finally happened (written when the response or stream ended)."""
    outcome = ctx.outcome or Outcome.CLIENT_DISCONNECT
    return {
        "record_id": record_id, "time": _now(), "outcome": outcome.value,
        "target": _clip(ctx.target.alias, 128) if ctx.target else None,
        "location": ctx.target.location.value if ctx.target else None,
        "attempted": list(ctx.attempted_targets), "redactions": dict(sorted(ctx.redactions.items())),
        "upstream_status": ctx.upstream_status, "prompt_tokens": ctx.usage.prompt_tokens,
        "completion_tokens": ctx.usage.completion_tokens, "total_tokens": ctx.usage.total_tokens,
        "timings": {k: round(float(v), 3) for k, v in ctx.timings.items()},
        "error_class": _clip(ctx.error_class, 64), "error_status": ctx.error_status,
    }


def kind_for(ctx: RequestContext) -> Kind:
    """A request turned away before any decision for who it came from is a security event."""
    if ctx.decision is None and ctx.outcome is Outcome.REJECTED_AUTH:
        return Kind.SECURITY
    return Kind.REQUEST


def event_values(event: SecurityEvent, record_id: str,
                 strings: CallerStrings | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Record and outcome values for a security event (written together). Its `detail` must hold no caller string
    (the routes pass them through CallerStrings); the client address is checked here."""
    now = _now()
    strings = strings or CallerStrings()
    record: dict[str, Any] = {
        "id": record_id, "kind": event.kind.value, "time": now, "request_id": _clip(event.request_id, 64),
        **_caller_values(event.caller), "client_addr": _clip(strings.address(event.client_addr), 64),
        "endpoint": _clip(event.endpoint, 64) or "", "dialect": None, "requested_model": None, "stream": None,
        "policy_version": None, "classification": None, "action": None, "rule": None, "rules": "", "matches": [],
        "entities": {}, "strategies": {}, "targets": [], "rerouted_from": None, "detail": dict(event.detail),
        "prompt_redacted": None, "prompt_encrypted": None, "prompt_key_id": None,
    }
    outcome: dict[str, Any] = {
        "record_id": record_id, "time": now, "outcome": event.outcome.value, "target": None, "location": None,
        "attempted": [], "redactions": {}, "upstream_status": None, "prompt_tokens": None,
        "completion_tokens": None, "total_tokens": None, "timings": {},
        "error_class": _clip(event.error_class, 64), "error_status": event.error_status,
    }
    return record, outcome
