"""Search filters, pagination, stats and export over a known set of records, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta

from proxy.audit.append import audit_engine
from proxy.audit.export import CSV_COLUMNS, export_lines
from proxy.audit.query import AuditFilter, search
from proxy.audit.stats import stats
from proxy.audit.store import AuditWriter
from proxy.detection.findings import Finding
from proxy.policy.decision import Action
from proxy.request.context import Outcome
from proxy.settings import Settings
from tests.audit_db import make_ctx

pytest_plugins = ["tests.audit_fixtures"]  # the audit_url / pg_database fixtures

NOW = datetime.now(UTC)
EMAIL = Finding(0, 0, 5, "EMAIL_ADDRESS", 1.0, "email")
PERSON = Finding(0, 6, 9, "PERSON", 0.8, "spacy")


def _seed(url: str) -> dict[str, list[str]]:
    """Eight records with known teams, users, decisions, entities, targets, rules and times."""
    specs = [
        dict(team="eng", user="alice", findings=[EMAIL, EMAIL], action=Action.REDACT, rule="mask-email",
             target="onprem-chat", outcome=Outcome.REDACTED, shadow=("strict-email",), days=0),
        dict(team="eng", user="bob", findings=[], action=Action.ALLOW, rule="default-allow",
             target="external-chat", outcome=Outcome.ALLOWED, days=0),
        dict(team="eng", user="alice", findings=[PERSON], action=Action.ALLOW, rule="default-allow",
             target="external-chat", outcome=Outcome.UPSTREAM_ERROR, days=1),
        dict(team="sales", user="carl", findings=[EMAIL, PERSON], action=Action.BLOCK, rule="no-pii-external",
             target=None, outcome=Outcome.BLOCKED, days=2),
        dict(team="sales", user="carl", findings=[], action=Action.ALLOW, rule="default-allow",
             target="onprem-chat", outcome=Outcome.ALLOWED, days=10),
        dict(team="sales", user="dana", findings=[PERSON, PERSON, PERSON], action=Action.ROUTE,
             rule="pii-onprem", target="onprem-chat", outcome=Outcome.ALLOWED, shadow=("strict-email",), days=10),
        dict(team="ops", user="erin", findings=[], action=Action.ALLOW, rule="default-allow",
             target="external-chat", outcome=Outcome.CLIENT_DISCONNECT, days=30),
        dict(team="ops", user="erin", findings=[EMAIL], action=Action.BLOCK, rule="no-pii-external", target=None,
             outcome=Outcome.BLOCKED, days=30),
    ]
    ids: dict[str, list[str]] = {}

    async def go() -> None:
        w = await AuditWriter.open(Settings(database_url=url))
        for spec in specs:
            days = spec.pop("days")
            ctx = make_ctx(received_at=NOW - timedelta(days=days, minutes=1), **spec)  # type: ignore[arg-type]
            await w.record_outcome(ctx)
            ids.setdefault(str(spec["user"]), []).append(str(ctx.audit_id))
        await w.close()

    asyncio.run(go())
    return ids


def _search(url: str, flt: AuditFilter, **kw: object) -> list:  # type: ignore[type-arg]
    async def go():  # type: ignore[no-untyped-def]
        engine = audit_engine(url)
        try:
            return (await search(engine, flt, **kw)).records  # type: ignore[arg-type]
        finally:
            await engine.dispose()

    return list(asyncio.run(go()))


def test_filters(audit_url: str) -> None:
    _seed(audit_url)

    def users(**f: object) -> list[str]:
        return [r.user for r in _search(audit_url, AuditFilter(**f))]  # type: ignore[arg-type]

    assert users() == ["erin", "erin", "dana", "carl", "carl", "alice", "bob", "alice"]  # newest written first
    assert users(team="eng") == ["alice", "bob", "alice"]
    assert users(user="carl") == ["carl", "carl"]
    assert users(decision="block") == ["erin", "carl"]           # decision action
    assert users(decision="upstream_error") == ["alice"]         # or outcome
    assert users(entity="PERSON") == ["dana", "carl", "alice"]
    assert users(entity="EMAIL_ADDRESS", team="sales") == ["carl"]
    assert users(target="onprem-chat") == ["dana", "carl", "alice"]
    assert users(rule="no-pii-external") == ["erin", "carl"]
    assert users(rule="strict-email") == ["dana", "alice"]       # shadow matches count
    assert users(rule="strict") == []                            # whole rule names only
    assert users(since=NOW - timedelta(days=5)) == ["carl", "alice", "bob", "alice"]
    assert users(until=NOW - timedelta(days=5)) == ["erin", "erin", "dana", "carl"]
    assert users(since=NOW - timedelta(days=15), until=NOW - timedelta(days=5)) == ["dana", "carl"]
    assert users(kind="admin") == []


def test_keyset_pagination_walks_everything_once(audit_url: str) -> None:
    _seed(audit_url)

    async def go():  # type: ignore[no-untyped-def]
        engine = audit_engine(audit_url)
        seen, cursor, pages = [], None, 0
        while True:
            page = await search(engine, AuditFilter(), limit=3, before=cursor)
            seen += [r.id for r in page.records]
            pages += 1
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        await engine.dispose()
        return seen, pages

    seen, pages = asyncio.run(go())
    assert len(seen) == 8 == len(set(seen)) and pages == 3


def test_stats(audit_url: str) -> None:
    _seed(audit_url)

    async def go():  # type: ignore[no-untyped-def]
        engine = audit_engine(audit_url)
        try:
            return await stats(engine), await stats(engine, since=NOW - timedelta(days=5))
        finally:
            await engine.dispose()

    everything, recent = asyncio.run(go())
    assert everything.total == 8 and everything.by_kind == {"request": 8}
    assert everything.by_decision == {"redact": 1, "allow": 4, "block": 2, "route": 1}
    assert everything.by_outcome == {"redacted": 1, "allowed": 3, "upstream_error": 1, "blocked": 2,
                                     "client_disconnect": 1}
    assert everything.by_target == {"onprem-chat": 3, "external-chat": 3, "none": 2}
    assert everything.by_entity == {"PERSON": 5, "EMAIL_ADDRESS": 4}
    assert everything.records_with_entity == {"PERSON": 3, "EMAIL_ADDRESS": 3}
    assert recent.total == 4 and recent.by_entity == {"EMAIL_ADDRESS": 3, "PERSON": 2}


def test_export_jsonl_and_csv(audit_url: str) -> None:
    ids = _seed(audit_url)

    async def go(fmt: str, flt: AuditFilter) -> str:
        engine = audit_engine(audit_url)
        try:
            return "".join([line async for line in export_lines(engine, flt, fmt)])
        finally:
            await engine.dispose()

    lines = asyncio.run(go("jsonl", AuditFilter())).splitlines()
    records = [json.loads(x) for x in lines]
    assert len(records) == 8 and records[0]["id"] == ids["alice"][0]  # oldest written first
    assert records[0]["entities"] == {"EMAIL_ADDRESS": 2} and records[0]["outcome"]["outcome"] == "redacted"
    assert "prompt_encrypted" not in records[0] and "personal_salt" not in records[0]

    rows = list(csv.DictReader(io.StringIO(asyncio.run(go("csv", AuditFilter(team="sales"))))))
    assert [r["user"] for r in rows] == ["carl", "carl", "dana"]
    assert set(rows[0]) == set(CSV_COLUMNS)
    assert rows[0]["outcome"] == "blocked" and json.loads(rows[0]["entities"]) == {"EMAIL_ADDRESS": 1, "PERSON": 1}
