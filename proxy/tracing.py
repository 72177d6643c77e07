"""Optional OpenTelemetry traces: one trace per request, a span per pipeline stage, plus the audit write.

Off by default. `GOVPROXY_OTEL_ENDPOINT=http://collector:4318` turns on OTLP/HTTP export (the `otel` extra:
opentelemetry-sdk and opentelemetry-exporter-otlp-proto-http). Attributes are ids, names, counts and timings only:
never prompt text, response text or detected values (entity types and counts, the rule, the target alias).
The SDK is imported only when tracing is on, so the proxy runs without the extra installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from proxy.request.context import RequestContext
    from proxy.settings import Settings

MAX_OPEN = 10_000  # request spans awaiting their end; a bound so a lost finish cannot grow memory


def _ns(when: datetime) -> int:
    return int(when.timestamp() * 1_000_000_000)


class Tracing:
    """Builds spans for requests. Make with `Tracing.from_settings` (None when off) or with an exporter (tests)."""

    def __init__(self, exporter: Any, *, service_name: str = "govproxy", batch: bool = True) -> None:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

        # A provider of our own (never the global one): nothing else in the process is traced by accident.
        self.provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        processor = BatchSpanProcessor(exporter, schedule_delay_millis=1000) if batch else SimpleSpanProcessor(exporter)
        self.provider.add_span_processor(processor)
        self.tracer = self.provider.get_tracer("govproxy")
        self._open: dict[int, Any] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> Tracing | None:
        if not settings.otel_endpoint:
            return None
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError as exc:  # the extra is not installed: say so at start-up, not per request
            raise RuntimeError("GOVPROXY_OTEL_ENDPOINT is set but the OpenTelemetry packages are missing: "
                               "pip install 'govproxy[otel]'") from exc
        endpoint = settings.otel_endpoint.rstrip("/")
        if not endpoint.endswith("/v1/traces"):
            endpoint += "/v1/traces"
        return cls(OTLPSpanExporter(endpoint=endpoint, timeout=5), service_name=settings.otel_service_name)

    def start_request(self, ctx: RequestContext) -> Any:
        """The request's root span (started at the request's arrival); ended by `end_request`."""
        span = self._open.get(id(ctx))
        if span is None:
            if len(self._open) >= MAX_OPEN:
                self._open.pop(next(iter(self._open))).end()
            span = self.tracer.start_span("govproxy.request", start_time=_ns(ctx.received_at), attributes={
                "govproxy.request_id": ctx.request_id, "govproxy.endpoint": ctx.endpoint.value,
                "govproxy.dialect": ctx.dialect.value})
            self._open[id(ctx)] = span
        return span

    @contextmanager
    def stage(self, ctx: RequestContext, name: str) -> Iterator[Any]:
        """A child span of the request's span around one stage; an exception marks it failed (class only)."""
        from opentelemetry import trace
        from opentelemetry.trace import Status, StatusCode

        parent = trace.set_span_in_context(self.start_request(ctx))
        with self.tracer.start_as_current_span(f"govproxy.{name}", context=parent, record_exception=False,
                                               set_status_on_exception=False) as span:
            span.set_attribute("govproxy.stage", name)
            try:
                yield span
            except BaseException as exc:
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                span.set_attribute("error.type", type(exc).__name__)
                raise

    def end_request(self, ctx: RequestContext) -> None:
        """Describe what happened (no raw values) and end the request's span."""
        from opentelemetry.trace import Status, StatusCode

        span = self.start_request(ctx)
        self._open.pop(id(ctx), None)
        attrs: dict[str, Any] = {"govproxy.outcome": ctx.outcome.value if ctx.outcome else "unknown",
                                 "http.response.status_code": ctx.error_status or 200,
                                 "govproxy.entity_types": sorted({f.entity_type for f in ctx.findings}),
                                 "govproxy.findings": len(ctx.findings)}
        if ctx.caller is not None:
            attrs["govproxy.team"] = ctx.caller.team
        if ctx.decision is not None:
            attrs.update({"govproxy.action": ctx.decision.action.value, "govproxy.rule": ctx.decision.rule,
                          "govproxy.policy_version": ctx.decision.policy_version,
                          "govproxy.shadow_rules": [m.rule for m in ctx.decision.shadow_matches]})
        if ctx.target is not None:
            attrs.update({"govproxy.target": ctx.target.alias, "govproxy.location": ctx.target.location.value})
        if ctx.usage.total_tokens is not None:
            attrs["govproxy.total_tokens"] = ctx.usage.total_tokens
        if ctx.audit_id:
            attrs["govproxy.audit_id"] = ctx.audit_id
        span.set_attributes(attrs)
        if ctx.error_class:
            span.set_status(Status(StatusCode.ERROR, ctx.error_class))
        span.end()

    def shutdown(self) -> None:
        """Flush what is batched and stop (at server shutdown)."""
        for span in list(self._open.values()):
            span.end()
        self._open.clear()
        self.provider.shutdown()
