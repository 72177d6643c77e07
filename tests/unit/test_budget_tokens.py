"""Where the upstream reports no usage, a budget's tokens come from litellm's token counter (through the
Upstream seam); where it does, its numbers are used as they are."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest

from proxy.auth.caller import Caller
from proxy.budgets.ledger import Ledger
from proxy.budgets.loader import BudgetHolder
from proxy.pipeline.budget_steps import record_spend
from proxy.policy.decision import Location
from proxy.request.context import Dialect, Endpoint, RequestContext, Usage
from proxy.routing.catalogue import Target
from proxy.routing.upstream import Upstream


@pytest.fixture(scope="module")
def upstream() -> Upstream:
    return Upstream()  # imports litellm once for the module


def _ctx(usage: Usage) -> RequestContext:
    ctx = RequestContext("r1", Endpoint.CHAT, Dialect.OPENAI)
    ctx.caller = Caller(key_id="k1", team="eng", user="u")
    ctx.target = Target(alias="ext", model="openai/gpt-4o-mini", location=Location.EXTERNAL)
    ctx.upstream_status = 200
    ctx.upstream_body = {"model": "ext", "messages": [{"role": "user", "content": "Summarise the quarterly report."}]}
    ctx.result = {"choices": [{"message": {"role": "assistant", "content": "Revenue grew by four percent."}}]}
    ctx.usage = usage
    return ctx


def test_tokens_from_usage_else_litellms_counter(upstream: Upstream, tmp_path: Path) -> None:
    (tmp_path / "budgets.yaml").write_text("apiVersion: govproxy/v1\nbudgets:\n"
                                           "  - {name: t, team: eng, period: day, location: external, tokens: 1000}\n")
    holder = BudgetHolder(tmp_path)
    budget = holder.budgets.budgets[0]

    async def spent(usage: Usage) -> int:
        ledger = Ledger(None)
        svc = SimpleNamespace(budgets=holder, ledger=ledger, upstream=upstream)
        await record_spend(_ctx(usage), svc)  # type: ignore[arg-type]
        return (await ledger.spend((budget,)))[0].tokens

    assert asyncio.run(spent(Usage(11, 7, 18))) == 18
    prompt, completion = upstream.count_tokens(_ctx(Usage()).target, _ctx(Usage()).upstream_body,  # type: ignore[arg-type]
                                               "Revenue grew by four percent.")
    assert prompt > 5 and completion > 3
    assert asyncio.run(spent(Usage())) == prompt + completion
