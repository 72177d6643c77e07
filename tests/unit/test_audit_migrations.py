"""Migration 0002 (the audit tables): up from 0001 with data in place, down again, and up once more, on SQLite and
on a fresh PostgreSQL database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from proxy.audit.store import AuditWriter
from proxy.audit.verify import verify
from proxy.migrate import current_heads, downgrade, upgrade
from proxy.settings import Settings
from tests.audit_db import create_pg_database, drop_pg_database, execute, make_ctx, sql_engine

AUDIT_TABLES = {"audit_records", "audit_outcomes", "audit_chain", "audit_checkpoints"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/migrate.db"
        return
    url = create_pg_database("govproxy_test_mig_")
    yield url
    drop_pg_database(url)


def _tables(url: str) -> set[str]:
    engine = sql_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _write_one(url: str) -> bool:
    async def go() -> bool:
        w = await AuditWriter.open(Settings(database_url=url))
        await w.record_outcome(make_ctx())
        report = await verify(w.engine)
        await w.close()
        return report.ok and report.records == 1 and w.failures == 0

    return asyncio.run(go())


def test_upgrade_from_0001_downgrade_and_upgrade_again(empty_url: str) -> None:
    upgrade(empty_url, "0001")
    assert current_heads(empty_url) == {"0001"} and not AUDIT_TABLES & _tables(empty_url)
    execute(empty_url, "INSERT INTO api_keys (key_id, secret_hash, team, \"user\", role, labels, description, "
                       "created_at) VALUES ('k1', :h, 'eng', 'alice', 'caller', '[]', '', CURRENT_TIMESTAMP)",
            h="0" * 64)

    upgrade(empty_url)
    assert current_heads(empty_url) == {"0003_audit_request_id"} and AUDIT_TABLES <= _tables(empty_url)
    assert execute(empty_url, "SELECT id, seq, head_hash FROM audit_chain") == [(1, 0, "0" * 64)]
    assert _write_one(empty_url)

    downgrade(empty_url, "0001")
    assert current_heads(empty_url) == {"0001"} and not AUDIT_TABLES & _tables(empty_url)
    assert execute(empty_url, "SELECT key_id FROM api_keys") == [("k1",)]  # 0001's data survives

    upgrade(empty_url)
    assert _write_one(empty_url)  # a fresh chain from genesis
