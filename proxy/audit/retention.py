"""Retention and erasure, both under the chain lock and both audited.

Purge removes a *prefix* of the chain: every entry up to the last one before the first entry that must stay (a
record newer than the cutoff, or its outcome), moved down so no record loses its outcome. It stores a checkpoint
(the last removed entry's seq and hash) and appends a `purge` record that repeats that anchor, so `verify` starts
from the checkpoint and a forged checkpoint is caught (it has no matching purge record in the chain).

Erasure (GDPR) clears a caller's personal columns (key id, user, client address, stored prompts and the salt of
their hash) and marks the rows erased. Content hashes cover those columns only through the salted personal_hash,
which stays, so every other field of the erased records remains verifiable; the erasure itself is appended as an
`erasure` record (with the count, never the name).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from proxy.audit.append import OUTCOMES_T, RECORDS_T, Head, append_event, append_transaction
from proxy.audit.models import PERSONAL_COLUMNS, AuditCheckpoint
from proxy.audit.record import Kind, SecurityEvent
from proxy.auth.caller import Caller

CHECKPOINTS_T = AuditCheckpoint.__table__


@dataclass(frozen=True, slots=True)
class PurgeResult:
    cutoff: datetime
    purged_records: int
    purged_outcomes: int
    anchor_seq: int | None  # None when nothing was purged (no checkpoint written)
    purge_record_id: str


@dataclass(frozen=True, slots=True)
class ErasureResult:
    erased_records: int
    erasure_record_id: str


async def _boundary(conn: AsyncConnection, cutoff: datetime, head: Head, floor: int) -> int:
    """The last seq of the removable prefix (== floor when nothing can go)."""
    keep_record = (await conn.execute(select(func.min(RECORDS_T.c.seq)).where(RECORDS_T.c.time >= cutoff))).scalar()
    keep_outcome = (await conn.execute(
        select(func.min(OUTCOMES_T.c.seq)).select_from(
            OUTCOMES_T.join(RECORDS_T, RECORDS_T.c.id == OUTCOMES_T.c.record_id))
        .where(RECORDS_T.c.time >= cutoff))).scalar()
    keep = [int(v) for v in (keep_record, keep_outcome) if v is not None]
    bound = min(keep) - 1 if keep else head.seq
    while bound > floor:  # an old record whose outcome lies beyond the boundary stays, with everything after it
        split = (await conn.execute(
            select(func.min(RECORDS_T.c.seq)).select_from(
                RECORDS_T.join(OUTCOMES_T, OUTCOMES_T.c.record_id == RECORDS_T.c.id))
            .where(and_(RECORDS_T.c.seq <= bound, OUTCOMES_T.c.seq > bound)))).scalar()
        if split is None:
            break
        bound = int(split) - 1
    return max(bound, floor)


async def _entry_hash(conn: AsyncConnection, seq: int) -> str:
    for table in (RECORDS_T, OUTCOMES_T):
        value = (await conn.execute(select(table.c.entry_hash).where(table.c.seq == seq))).scalar()
        if value is not None:
            return str(value)
    raise LookupError(f"chain entry {seq} is missing: run `govproxy audit verify`")


async def purge(engine: AsyncEngine, cutoff: datetime, actor: Caller | None = None) -> PurgeResult:
    """Remove records older than `cutoff` (a chain prefix), leave a checkpoint, and audit the purge."""
    cutoff = cutoff.astimezone(UTC) if cutoff.tzinfo else cutoff.replace(tzinfo=UTC)
    async with append_transaction(engine) as (conn, head):
        floor = (await conn.execute(select(func.max(CHECKPOINTS_T.c.anchor_seq)))).scalar() or 0
        bound = await _boundary(conn, cutoff, head, int(floor))
        n_out = n_rec = 0
        anchor_hash = None
        if bound > floor:
            anchor_hash = await _entry_hash(conn, bound)
            n_out = (await conn.execute(delete(OUTCOMES_T).where(OUTCOMES_T.c.seq <= bound))).rowcount or 0
            n_rec = (await conn.execute(delete(RECORDS_T).where(RECORDS_T.c.seq <= bound))).rowcount or 0
        detail = {"cutoff": cutoff.isoformat(), "purged_records": n_rec, "purged_outcomes": n_out,
                  "anchor_seq": bound if anchor_hash else None, "anchor_hash": anchor_hash}
        event = SecurityEvent(Kind.PURGE, "cli:audit purge", caller=actor, detail=detail)
        record_id, _ = await append_event(conn, head, event)
        if anchor_hash is not None:
            await conn.execute(insert(CHECKPOINTS_T).values(
                created_at=datetime.now(UTC), anchor_seq=bound, anchor_hash=anchor_hash, cutoff=cutoff,
                purged_records=n_rec, purge_record_id=record_id))
    return PurgeResult(cutoff, n_rec, n_out, bound if anchor_hash else None, record_id)


async def erase_caller(engine: AsyncEngine, *, user: str | None = None, key_id: str | None = None,
                       reference: str | None = None, actor: Caller | None = None) -> ErasureResult:
    """Erase the personal fields of every record of a user (and/or key id). `reference` is a ticket number or
    similar, stored with the erasure record; the user name itself is not."""
    if not user and not key_id:
        raise ValueError("Name the user or the key id whose records are to be erased.")
    conds = [RECORDS_T.c.erased_at.is_(None)]
    if user:
        conds.append(RECORDS_T.c.user == user)
    if key_id:
        conds.append(RECORDS_T.c.key_id == key_id)
    async with append_transaction(engine) as (conn, head):
        cleared = {c: None for c in PERSONAL_COLUMNS}
        n = (await conn.execute(update(RECORDS_T).where(and_(*conds))
                                .values(**cleared, erased_at=datetime.now(UTC)))).rowcount or 0
        detail = {"erased_records": n, "by": "user" if user else "key_id", "reference": reference}
        record_id, _ = await append_event(conn, head, SecurityEvent(Kind.ERASURE, "cli:audit erase",
                                                                    caller=actor, detail=detail))
    return ErasureResult(n, record_id)


__all__ = ["ErasureResult", "PurgeResult", "erase_caller", "purge"]
