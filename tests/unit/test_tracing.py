"""Tracing with the OpenTelemetry SDK's in-memory exporter, on hand-built request contexts: one root span per
request, a child per stage, a failing stage marked by its exception class only, no raw values in any attribute."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from proxy.detection.findings import Finding
from proxy.errors import PolicyBlocked
from proxy.policy.decision import Action
from proxy.request.context import Outcome
from proxy.settings import Settings
from proxy.tracing import Tracing
from tests.audit_db import make_ctx

SECRET = "Card 5425 2334 3010 9903 for Margaret Thornton"


def test_off_by_default() -> None:
    assert Tracing.from_settings(Settings()) is None


def test_a_span_per_stage_under_one_request_span() -> None:
    exporter = InMemorySpanExporter()
    tracing = Tracing(exporter, batch=False)
    card = SECRET.index("5425")
    ctx = make_ctx(text_=SECRET, findings=[Finding(0, card, card + 19, "CREDIT_CARD", 1.0, "cc")],
                   action=Action.REDACT, rule="pseudonymise", shadow=("trial-block",), outcome=Outcome.REDACTED)
    for stage in ("identify", "parse", "detect", "decide"):
        with tracing.stage(ctx, stage):
            pass
    tracing.end_request(ctx)
    spans = {s.name: s for s in exporter.get_finished_spans()}
    root = spans.pop("govproxy.request")
    assert sorted(spans) == ["govproxy.decide", "govproxy.detect", "govproxy.identify", "govproxy.parse"]
    assert all(s.parent is not None and s.parent.span_id == root.context.span_id for s in spans.values())
    assert all(s.context.trace_id == root.context.trace_id for s in spans.values())
    assert root.attributes is not None
    assert root.attributes["govproxy.request_id"] == ctx.request_id
    assert root.attributes["govproxy.rule"] == "pseudonymise"
    assert tuple(root.attributes["govproxy.shadow_rules"]) == ("trial-block",)  # type: ignore[arg-type]
    assert tuple(root.attributes["govproxy.entity_types"]) == ("CREDIT_CARD",)  # type: ignore[arg-type]
    assert root.attributes["govproxy.outcome"] == "redacted" and root.attributes["govproxy.total_tokens"] == 17
    assert root.resource.attributes["service.name"] == "govproxy"
    values = " ".join(str(v) for s in exporter.get_finished_spans() for v in (s.attributes or {}).values())
    assert "5425" not in values and "Margaret" not in values and "Thornton" not in values


def test_a_failing_stage_is_marked_with_its_class_only() -> None:
    exporter = InMemorySpanExporter()
    tracing = Tracing(exporter, batch=False)
    ctx = make_ctx(text_=SECRET, action=Action.BLOCK, rule="no-cards", target=None, outcome=Outcome.BLOCKED)
    with pytest.raises(PolicyBlocked), tracing.stage(ctx, "decide"):
        raise PolicyBlocked(f"blocked: {SECRET}")
    ctx.error_class, ctx.error_status = "PolicyBlocked", 403
    tracing.end_request(ctx)
    spans = {s.name: s for s in exporter.get_finished_spans()}
    decide, root = spans["govproxy.decide"], spans["govproxy.request"]
    assert decide.status.status_code is StatusCode.ERROR and decide.status.description == "PolicyBlocked"
    assert decide.events == ()  # no exception event: its message could carry text
    assert root.status.status_code is StatusCode.ERROR and root.attributes is not None
    assert root.attributes["http.response.status_code"] == 403
    assert "Margaret" not in str([(s.attributes, s.status.description) for s in spans.values()])
    tracing.shutdown()
