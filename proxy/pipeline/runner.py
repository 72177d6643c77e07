"""Runs the ordered stages for one request, times and logs each, and always finishes with the audit stage."""

from __future__ import annotations

import time

import structlog

from proxy.errors import (
    AuditUnavailable,
    BadRequest,
    Forbidden,
    NoCompliantTarget,
    NotFound,
    PayloadTooLarge,
    PolicyBlocked,
    ProxyError,
    RateLimited,
    Unauthorized,
    UpstreamError,
)
from proxy.pipeline.budget_steps import record_spend
from proxy.pipeline.services import Services
from proxy.pipeline.stages import STAGES
from proxy.request.context import Outcome, RequestContext

log = structlog.get_logger()

# Most specific first: PolicyBlocked is a Forbidden, NoCompliantTarget and AuditUnavailable are 503s.
_OUTCOMES: tuple[tuple[type[ProxyError], Outcome], ...] = (
    (PolicyBlocked, Outcome.BLOCKED),
    (NoCompliantTarget, Outcome.NO_ROUTE),
    (AuditUnavailable, Outcome.AUDIT_UNAVAILABLE),
    (Unauthorized, Outcome.REJECTED_AUTH),
    (Forbidden, Outcome.REJECTED_AUTH),
    (RateLimited, Outcome.RATE_LIMITED),
    (BadRequest, Outcome.BAD_REQUEST),
    (NotFound, Outcome.BAD_REQUEST),
    (PayloadTooLarge, Outcome.BAD_REQUEST),
    (UpstreamError, Outcome.UPSTREAM_ERROR),
)


def outcome_for(exc: ProxyError) -> Outcome:
    for cls, outcome in _OUTCOMES:
        if isinstance(exc, cls):
            return outcome
    return Outcome.ERROR


async def run_stages(ctx: RequestContext, svc: Services) -> None:
    """Run every stage in order; a stage stops the request by raising a ProxyError (the caller renders it)."""
    tracing = getattr(svc, "tracing", None)
    for stage in STAGES:
        t0 = time.perf_counter()
        try:
            if tracing is None:
                await stage.run(ctx, svc)
            else:
                with tracing.stage(ctx, stage.name):
                    await stage.run(ctx, svc)
        finally:
            ms = (time.perf_counter() - t0) * 1000.0
            ctx.timings[stage.name] = round(ms, 3)
            svc.metrics.stage_seconds.labels(stage.name).observe(ms / 1000.0)
            log.info("stage", stage=stage.name, ms=round(ms, 3))


def mark_failed(ctx: RequestContext, exc: ProxyError) -> None:
    ctx.outcome = outcome_for(exc)
    ctx.error_class = type(exc).__name__
    ctx.error_status = exc.status
    if isinstance(exc, UpstreamError) and ctx.upstream_status is None:
        ctx.upstream_status = getattr(exc, "upstream_status", None)


def mark_succeeded(ctx: RequestContext) -> None:
    ctx.outcome = Outcome.REDACTED if ctx.redactions else Outcome.ALLOWED


async def finish(ctx: RequestContext, svc: Services) -> None:
    """(8) The audit stage: runs for every request, whatever its outcome. Never raises."""
    if ctx.outcome is None:
        ctx.outcome = Outcome.CLIENT_DISCONNECT
    ctx.timings["total"] = round(ctx.elapsed_ms(), 3)
    status = ctx.error_status or 200
    try:
        svc.metrics.observe_request(ctx)
    except Exception as exc:  # noqa: BLE001 - metrics must not cost the audit
        log.warning("metrics_failed", error_class=type(exc).__name__)
    tracing = getattr(svc, "tracing", None)
    if tracing is None:
        await svc.audit.record_outcome(ctx)
    else:
        with tracing.stage(ctx, "audit"):
            await svc.audit.record_outcome(ctx)
        try:
            tracing.end_request(ctx)
        except Exception as exc:  # noqa: BLE001
            log.warning("tracing_failed", error_class=type(exc).__name__)
    await record_spend(ctx, svc)
    _done(ctx, status)


def _done(ctx: RequestContext, status: int) -> None:
    log.info("request_done", outcome=ctx.outcome.value if ctx.outcome else None, status=status, audit_id=ctx.audit_id,
             target=ctx.target.alias if ctx.target else None, ms=ctx.timings["total"],
             error_class=ctx.error_class)
