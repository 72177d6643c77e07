"""Shared pieces for the audit tests: a fresh PostgreSQL database per test session, migrated SQLite/PostgreSQL
URLs per test, hand-built request contexts, and raw SQL for tampering.

The fixtures live in tests/audit_fixtures.py: `pytest_plugins = ["tests.audit_fixtures"]` in a test module.
"""

from __future__ import annotations

import secrets
import subprocess
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, text

from proxy.auth.caller import Caller, Role
from proxy.detection.findings import Finding
from proxy.policy.decision import Action, Decision, Location, Mode, RuleMatch
from proxy.request.context import (
    Dialect,
    Endpoint,
    NormalizedRequest,
    Outcome,
    RequestContext,
    TextField,
    Usage,
)
from proxy.routing.catalogue import Target

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
AUDIT_TABLES = ("audit_outcomes", "audit_records", "audit_checkpoints")


def create_pg_database(prefix: str = "govproxy_test_") -> str:
    """A new, empty database; returns its URL."""
    name = prefix + secrets.token_hex(4)
    engine = create_engine(PG_SERVER.replace("postgresql://", "postgresql+psycopg://") + "/postgres",
                           isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{PG_SERVER}/{name}"


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    engine = create_engine(PG_SERVER.replace("postgresql://", "postgresql+psycopg://") + "/postgres",
                           isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def reset_audit(url: str) -> None:
    """Empty the audit tables and put the chain head back to genesis."""
    engine = sql_engine(url)
    with engine.begin() as conn:
        for table in AUDIT_TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(text("UPDATE audit_chain SET seq = 0, head_hash = :h WHERE id = 1"), {"h": "0" * 64})
    engine.dispose()


def sql_engine(url: str) -> Any:
    """A plain sync engine for raw SQL (tampering, inspection)."""
    from proxy.db import sync_engine

    return sync_engine(url)


def execute(url: str, sql: str, **params: Any) -> list[Any]:
    engine = sql_engine(url)
    with engine.begin() as conn:
        result = conn.execute(text(sql), params)
        rows = list(result) if result.returns_rows else []
    engine.dispose()
    return rows


def pg_dump(url: str) -> bytes:
    name = url.rsplit("/", 1)[1]
    return subprocess.run(["pg_dump", "-h", "127.0.0.1", "-U", "postgres", "--data-only", name],
                          check=True, capture_output=True).stdout


CATALOGUE = {
    "onprem-chat": Target("onprem-chat", "openai/fake-onprem", Location.ONPREM, "restricted"),
    "external-chat": Target("external-chat", "openai/fake-external", Location.EXTERNAL, "internal"),
}


def make_ctx(*, text_: str = "hello there", findings: list[Finding] | None = None, team: str = "eng",
             user: str = "alice", action: Action | None = Action.ALLOW, rule: str = "default-allow",
             shadow: tuple[str, ...] = (), target: str | None = "external-chat",
             outcome: Outcome | None = Outcome.ALLOWED, model: str = "external-chat",
             strategies: tuple[tuple[str, str], ...] = (), received_at: datetime | None = None,
             role: Role = Role.CALLER) -> RequestContext:
    """A request as the pipeline would leave it, built by hand."""
    ctx = RequestContext(request_id="req-" + secrets.token_hex(4), endpoint=Endpoint.CHAT, dialect=Dialect.OPENAI,
                         client_addr="10.1.2.3")
    if received_at is not None:
        ctx.received_at = received_at.astimezone(UTC)
    ctx.caller = Caller(key_id="k" + secrets.token_hex(3), team=team, user=user, role=role)
    ctx.request = NormalizedRequest(Dialect.OPENAI, Endpoint.CHAT, model, False,
                                    {"model": model, "messages": [{"role": "user", "content": text_}]},
                                    [TextField(("messages", 0, "content"), text_, "message", "user")])
    ctx.findings = list(findings or [])
    if action is not None:
        shadows = [RuleMatch(s, Action.BLOCK, Mode.SHADOW) for s in shadow]
        matches = (RuleMatch(rule, action, Mode.ENFORCE), *shadows)
        ctx.decision = Decision("v-test", "internal", action, rule, matches, strategies,
                                (target,) if target and action is not Action.BLOCK else ())
    if target is not None and action is not Action.BLOCK:
        ctx.target = CATALOGUE[target]
        ctx.attempted_targets = [target]
        ctx.upstream_status = 200
        ctx.usage = Usage(12, 5, 17)
    ctx.redactions = dict(strategies)
    ctx.timings = {"identify": 0.5, "detect": 3.25, "decide": 0.125, "route": 12.0}
    ctx.outcome = outcome
    return ctx
