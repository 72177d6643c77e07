"""The budget stage (admit the request against every budget that applies, after the decision names the target) and
the spend it records when the request finishes (tokens from the upstream's usage, else litellm's counter)."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

from proxy.budgets.ledger import BudgetExceeded
from proxy.budgets.schema import Budget
from proxy.pipeline.services import Services
from proxy.policy.decision import Location
from proxy.request.context import Endpoint, RequestContext

log = structlog.get_logger()


def applicable(ctx: RequestContext, svc: Services, location: Location | None) -> list[Budget]:
    assert ctx.caller is not None
    return [b for b in svc.budgets.budgets.budgets if b.applies(ctx.caller.team, ctx.caller.key_id, location)]


async def check_budgets(ctx: RequestContext, svc: Services) -> None:
    """Counted against the primary target's location (fallbacks stay inside the decision's compliance boundary)."""
    if not svc.budgets.budgets.budgets or ctx.endpoint is Endpoint.COUNT_TOKENS:
        return  # counting tokens generates none
    assert ctx.decision is not None and ctx.snapshot is not None
    primary = next((t for a in ctx.decision.targets if (t := ctx.snapshot.catalogue.get(a)) is not None), None)
    budgets = applicable(ctx, svc, primary.location if primary else None)
    try:
        await svc.ledger.admit(budgets)
    except BudgetExceeded as exc:
        svc.metrics.budget_rejections.labels(exc.budget).inc()
        raise


def _answer_text(result: Any) -> str:
    if not isinstance(result, dict):
        return ""  # a stream without usage: only the prompt can be counted
    parts: list[str] = []
    for choice in result.get("choices") or []:
        message = choice.get("message") or {}
        parts.append(str(message.get("content") or choice.get("text") or ""))
    return "".join(parts)


async def record_spend(ctx: RequestContext, svc: Services) -> None:
    """Add the request's tokens to the budgets of the target it went to. Never raises."""
    if ctx.target is None or ctx.caller is None or ctx.upstream_status != 200 or not svc.budgets.budgets.budgets \
            or ctx.endpoint is Endpoint.COUNT_TOKENS:
        return
    budgets = [b for b in applicable(ctx, svc, ctx.target.location) if b.tokens is not None]
    if not budgets:
        return
    try:
        usage = ctx.usage
        tokens = usage.total_tokens or ((usage.prompt_tokens or 0) + (usage.completion_tokens or 0))
        if not tokens and ctx.upstream_body is not None:
            prompt, completion = await asyncio.to_thread(svc.upstream.count_tokens, ctx.target, ctx.upstream_body,
                                                         _answer_text(ctx.result))
            tokens = prompt + completion
        await svc.ledger.add_tokens(budgets, tokens)
    except Exception as exc:  # noqa: BLE001 - spend accounting must not fail the audit stage
        log.warning("budget_spend_not_recorded", error=type(exc).__name__)
