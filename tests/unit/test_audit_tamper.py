"""Tampering with the stored audit log is caught by verify, on SQLite and PostgreSQL: edited fields, deleted rows,
inserted rows, reordered rows, forged checkpoints. verify names the first bad entry."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable

import pytest
from sqlalchemy import insert, select

from proxy.audit.append import OUTCOMES_T, RECORDS_T, audit_engine
from proxy.audit.chain import OUTCOMES, RECORDS, link, seal_outcome, seal_record
from proxy.audit.store import AuditWriter
from proxy.audit.verify import VerifyReport, verify
from proxy.policy.decision import Action
from proxy.request.context import Outcome
from proxy.settings import Settings
from tests.audit_db import execute, make_ctx, sql_engine

pytest_plugins = ["tests.audit_fixtures"]  # the audit_url / pg_database fixtures

N_REQUESTS = 6  # -> entries 1..12: record i at seq 2i-1, its outcome at seq 2i


def _seed(url: str) -> None:
    async def go() -> None:
        w = await AuditWriter.open(Settings(database_url=url))
        for i in range(N_REQUESTS):
            blocked = i % 3 == 2
            ctx = make_ctx(user=f"user{i}", action=Action.BLOCK if blocked else Action.ALLOW,
                           outcome=Outcome.BLOCKED if blocked else Outcome.ALLOWED)
            await w.record_outcome(ctx)  # one at a time: a predictable layout
        await w.close()
        assert w.failures == 0

    asyncio.run(go())


def _verify(url: str) -> VerifyReport:
    async def go() -> VerifyReport:
        engine = audit_engine(url)
        try:
            return await verify(engine)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def _renumber_from(url: str, seq: int, by: int) -> None:
    """Shift every entry at or after `seq` (two steps, so unique constraints hold on the way)."""
    for table in ("audit_records", "audit_outcomes"):
        execute(url, f"UPDATE {table} SET seq = seq + 1000000 WHERE seq >= :s", s=seq)
        execute(url, f"UPDATE {table} SET seq = seq - 1000000 + :by WHERE seq >= 1000000", by=by)


def _forge_record(url: str, copy_seq: int, at_seq: int) -> str:
    """A fake record, properly hashed and linked after entry at_seq-1: what an attacker with the code would do."""
    engine = sql_engine(url)
    with engine.begin() as conn:
        values = dict(conn.execute(select(RECORDS_T).where(RECORDS_T.c.seq == copy_seq)).one()._mapping)
        prev = None
        for table in (RECORDS_T, OUTCOMES_T):
            prev = prev or conn.execute(select(table.c.entry_hash).where(table.c.seq == at_seq - 1)).scalar()
        values.update(id=secrets.token_hex(16), team="forged")
        seal_record(values)
        link(RECORDS, values, at_seq, str(prev))
        conn.execute(insert(RECORDS_T).values(**values))
    engine.dispose()
    return str(values["id"])


def _id_at(url: str, seq: int) -> str:
    return str(execute(url, "SELECT id FROM audit_records WHERE seq = :s", s=seq)[0][0])


def edit_field(url: str) -> tuple[str, int]:
    execute(url, "UPDATE audit_records SET team = 'finance' WHERE seq = 5")
    return "altered", 5


def edit_decision(url: str) -> tuple[str, int]:
    execute(url, "UPDATE audit_records SET action = 'allow', rule = 'default-allow' WHERE seq = 5")
    return "altered", 5


def edit_personal_field(url: str) -> tuple[str, int]:
    execute(url, "UPDATE audit_records SET \"user\" = 'mallory' WHERE seq = 3")
    return "altered", 3


def edit_outcome(url: str) -> tuple[str, int]:
    execute(url, "UPDATE audit_outcomes SET outcome = 'allowed', error_status = NULL WHERE seq = 6")
    return "altered", 6


def edit_entity_counts(url: str) -> tuple[str, int]:
    execute(url, "UPDATE audit_records SET entities = :e WHERE seq = 7", e='{"PERSON": 1}')
    return "altered", 7


def delete_row(url: str) -> tuple[str, int]:
    execute(url, "DELETE FROM audit_records WHERE seq = 5")
    return "deleted", 5


def delete_and_renumber(url: str) -> tuple[str, int]:
    execute(url, "DELETE FROM audit_outcomes WHERE seq = 4")
    _renumber_from(url, 5, -1)
    execute(url, "UPDATE audit_chain SET seq = seq - 1")
    return "deleted", 4


def delete_newest(url: str) -> tuple[str, int]:
    execute(url, "DELETE FROM audit_outcomes WHERE seq = 12")
    execute(url, "DELETE FROM audit_records WHERE seq = 11")
    return "deleted", 11


def insert_row(url: str) -> tuple[str, int]:
    _renumber_from(url, 5, 1)
    _forge_record(url, copy_seq=3, at_seq=5)
    execute(url, "UPDATE audit_chain SET seq = seq + 1")
    return "inserted", 5


def insert_duplicate_position(url: str) -> tuple[str, int]:
    engine = sql_engine(url)
    with engine.begin() as conn:
        values = dict(conn.execute(select(OUTCOMES_T).where(OUTCOMES_T.c.seq == 4)).one()._mapping)
        prev = conn.execute(select(OUTCOMES_T.c.entry_hash).where(OUTCOMES_T.c.seq == 6)).scalar()
        values.update(record_id=secrets.token_hex(16), outcome="allowed")
        link(OUTCOMES, seal_outcome(values), 7, str(prev))
        conn.execute(insert(OUTCOMES_T).values(**values))
    engine.dispose()
    return "inserted", 7


def insert_after_head(url: str) -> tuple[str, int]:
    _forge_record(url, copy_seq=1, at_seq=13)
    return "inserted", 13


def reorder_records(url: str) -> tuple[str, int]:
    execute(url, "UPDATE audit_records SET seq = 100 WHERE seq = 3")
    execute(url, "UPDATE audit_records SET seq = 3 WHERE seq = 5")
    execute(url, "UPDATE audit_records SET seq = 5 WHERE seq = 100")
    return "reordered", 3


def reorder_record_and_outcome(url: str) -> tuple[str, int]:
    execute(url, "UPDATE audit_records SET seq = 100 WHERE seq = 7")
    execute(url, "UPDATE audit_outcomes SET seq = 7 WHERE seq = 8")
    execute(url, "UPDATE audit_records SET seq = 8 WHERE seq = 100")
    return "reordered", 7


def forge_checkpoint(url: str) -> tuple[str, int]:
    (anchor,) = execute(url, "SELECT entry_hash FROM audit_outcomes WHERE seq = 4")[0]
    execute(url, "DELETE FROM audit_outcomes WHERE seq <= 4")
    execute(url, "DELETE FROM audit_records WHERE seq <= 4")
    execute(url, "INSERT INTO audit_checkpoints (created_at, anchor_seq, anchor_hash, cutoff, purged_records, "
                 "purge_record_id) VALUES (CURRENT_TIMESTAMP, 4, :h, CURRENT_TIMESTAMP, 2, :rid)",
            h=anchor, rid=_id_at(url, 5))
    return "checkpoint", 4


TAMPERS: list[Callable[[str], tuple[str, int]]] = [
    edit_field, edit_decision, edit_personal_field, edit_outcome, edit_entity_counts, delete_row,
    delete_and_renumber, delete_newest, insert_row, insert_duplicate_position, insert_after_head, reorder_records,
    reorder_record_and_outcome, forge_checkpoint,
]


def test_untouched_chain_verifies(audit_url: str) -> None:
    _seed(audit_url)
    report = _verify(audit_url)
    assert report.ok and report.problem is None
    assert (report.entries, report.records, report.outcomes, report.head_seq) == (12, 6, 6, 12)


@pytest.mark.parametrize("tamper", TAMPERS, ids=[t.__name__ for t in TAMPERS])
def test_tampering_is_caught_at_the_first_bad_entry(audit_url: str, tamper: Callable[[str], tuple[str, int]]) -> None:
    _seed(audit_url)
    assert _verify(audit_url).ok
    kind, seq = tamper(audit_url)
    report = _verify(audit_url)
    assert not report.ok
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq) == (kind, seq), report.problem.message
