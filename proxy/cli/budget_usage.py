"""`govproxy usage --budgets`: each budget's spend in its current period against its limits, and when it resets.

Reads the shared counters in Redis (GOVPROXY_REDIS_URL), the numbers every replica enforces. Without Redis each
replica counts for itself in memory, and there is nothing shared to read.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import typer

from proxy.budgets.ledger import Ledger, Spend
from proxy.budgets.loader import BudgetLoadError, load_budgets
from proxy.settings import Settings
from proxy.shared.connection import RedisUnavailable, connect


def _row(s: Spend) -> dict[str, object]:
    b = s.budget
    return {"budget": b.name, "scope": b.scope, "period": b.period.value, "window": s.window.id,
            "location": b.location.value if b.location else "any",
            "requests": s.requests, "requests_limit": b.requests, "tokens": s.tokens, "tokens_limit": b.tokens,
            "resets_at": s.window.resets_at.isoformat().replace("+00:00", "Z")}


def _used(used: int, limit: int | None) -> str:
    if limit is None:
        return f"{used}"
    return f"{used}/{limit} ({100 * used / limit:.0f}%)"


def budget_usage(policies_dir: Path | None, as_json: bool) -> None:
    """Show spend against budget (requests and tokens this day/month) for every budget in budgets.yaml."""
    settings = Settings(**({"policies_dir": policies_dir} if policies_dir else {}))
    try:
        budgets, version = load_budgets(settings.policies_dir)
    except BudgetLoadError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    shared = connect(settings, None)
    if shared is None:
        typer.echo("GOVPROXY_REDIS_URL is not set: without Redis each replica counts its own spend in memory, "
                   "so there is no shared spend to show.", err=True)
        raise typer.Exit(2)

    async def read() -> list[Spend]:
        try:
            return await Ledger(shared).spend(budgets.budgets)
        finally:
            await shared.close()

    try:
        rows = [_row(s) for s in asyncio.run(read())]
    except RedisUnavailable:
        typer.echo(f"Redis at GOVPROXY_REDIS_URL did not answer ({shared.last_error}).", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps({"budgets_version": version, "budgets": rows}, indent=2))
        return
    if not rows:
        typer.echo(f"No budgets in {settings.policies_dir / 'budgets.yaml'}.")
        return
    for r in rows:
        typer.echo(f"{r['budget']}  {r['scope']}  {r['location']}  {r['period']} {r['window']}  "
                   f"requests {_used(r['requests'], r['requests_limit'])}  "  # type: ignore[arg-type]
                   f"tokens {_used(r['tokens'], r['tokens_limit'])}  resets {r['resets_at']}")  # type: ignore[arg-type]
