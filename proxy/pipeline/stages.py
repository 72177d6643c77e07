"""The request's path, written once: the ordered list of stages every request runs through.

A stage is `async def stage(ctx, services) -> None`. It reads and writes the RequestContext; it stops the request
by raising a ProxyError (bad input, blocked, no compliant target). The audit stage runs whatever happened: the
runner calls `finish` for every request (see runner.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from proxy.pipeline.budget_steps import check_budgets
from proxy.pipeline.services import Services
from proxy.pipeline.steps import (
    decide,
    detect,
    forward,
    govern_storage,
    identify,
    parse,
    recall,
    record_decision,
    redact,
    restore,
)
from proxy.request.context import RequestContext

StageFn = Callable[[RequestContext, Services], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    run: StageFn


STAGES: tuple[Stage, ...] = (
    Stage("identify", identify),      # (2) who is calling (API key -> Caller)
    Stage("parse", parse),            # (1) receive: provider body -> NormalizedRequest with every text field
    Stage("detect", detect),          # (3) every text field -> findings (entity types, offsets; never values)
    Stage("recall", recall),          # (3b) values this conversation already knows are sensitive -> findings too
    Stage("decide", decide),          # (4) policy -> Decision: classification, rule, redactions, targets
    Stage("budget", check_budgets),   # (4b) the budgets of this caller and target location (429 when spent)
    Stage("redact", redact),          # (5) replace what the decision says, in every field (reversibly if asked)
    Stage("storage", govern_storage),  # (5b) no provider-side storage unless the policy allows it
    Stage("audit_decision", record_decision),  # (8a) durable before anything leaves
    Stage("route", forward),          # (6) send to the target, compliant fallbacks only
    Stage("restore", restore),        # (7) put pseudonymised values back, in plain and streamed answers
)
