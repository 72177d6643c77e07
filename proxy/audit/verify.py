"""`audit verify`: walk the chain in seq order and report the first altered, inserted, deleted or reordered entry.

The walk starts at the latest purge checkpoint (or the genesis hash), recomputes every row's content hash from its
columns, checks that seqs run without gaps or duplicates, that each entry's hash covers its position and its
predecessor, and that the last entry is the chain head. It reads one snapshot, so appends running meanwhile (from
any number of writers) neither disturb it nor count as tampering.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from proxy.audit.append import HEAD_T, OUTCOMES_T, RECORDS_T
from proxy.audit.chain import (
    OUTCOMES,
    PERSONAL_CONTENT,
    RECORDS,
    entry_hash,
    outcome_content_hash,
    personal_hash,
    record_content_hash,
)
from proxy.audit.models import GENESIS_HASH, AuditCheckpoint

CHECKPOINTS_T = AuditCheckpoint.__table__
# Where verify runs are recorded (as `admin` records): the API, the review page's button, the CLI.
VERIFY_ENDPOINTS = ("/admin/audit/verify", "/admin/verify", "cli:audit verify")


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str  # altered | inserted | deleted | reordered | checkpoint
    seq: int | None
    table: str | None
    record_id: str | None
    message: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    ok: bool
    entries: int
    records: int
    outcomes: int
    erased: int
    head_seq: int
    head_hash: str
    anchor_seq: int  # where the chain starts: 0, or the last entry a purge removed
    problem: Problem | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class _Walk:
    expected: int
    prev: str
    entries: int = 0
    records: int = 0
    outcomes: int = 0
    erased: int = 0


def _record_id(table: str, row: Mapping[str, Any]) -> str:
    return str(row["id"] if table == RECORDS else row["record_id"])


def _content_problem(table: str, row: Mapping[str, Any]) -> str | None:
    if table == OUTCOMES:
        return None if outcome_content_hash(row) == row["content_hash"] else "its content was changed"
    if row["erased_at"] is None:
        if personal_hash(row) != row["personal_hash"]:
            return "its caller, client address or stored prompt was changed"
    elif any(row[c] is not None for c in PERSONAL_CONTENT):
        return "it is marked erased but still holds personal fields"
    if record_content_hash(row) != row["content_hash"]:
        return "its content was changed"
    return None


async def _locate(conn: AsyncConnection, hash_: str) -> int | None:
    """The seq of the entry whose entry_hash is `hash_` (only on the failure path: no index needed)."""
    for table in (RECORDS_T, OUTCOMES_T):
        seq = (await conn.execute(select(table.c.seq).where(table.c.entry_hash == hash_).limit(1))).scalar()
        if seq is not None:
            return int(seq)
    return None


async def _link_problem(conn: AsyncConnection, table: str, row: Mapping[str, Any], *, hash_ok: bool) -> Problem:
    """Explain why an entry does not follow its predecessor: what its own prev_hash points at tells."""
    seq, rid = int(row["seq"]), _record_id(table, row)
    target = await _locate(conn, row["prev_hash"])
    if target is not None and target > seq:
        return Problem("reordered", seq, table, rid, f"entry {seq} was chained after entry {target}: rows were "
                                                     "moved out of order")
    if target is not None and target < seq - 1:
        return Problem("inserted", target + 1, None, None, f"entries {target + 1}..{seq - 1} are not part of the "
                                                           f"chain: they were inserted before entry {seq}")
    if target is not None:
        return Problem("altered", seq, table, rid, f"entry {seq}: its chain hash was changed")
    if hash_ok:
        return Problem("inserted", seq, table, rid, f"entry {seq} does not link to the chain: it was inserted "
                                                    "(or its predecessors deleted and the chain re-hashed)")
    return Problem("deleted", seq, table, rid, f"entry {seq} was renumbered: the entry it followed is gone")


async def _check(conn: AsyncConnection, walk: _Walk, table: str, row: Mapping[str, Any],
                 head_seq: int) -> Problem | None:
    seq, rid = int(row["seq"]), _record_id(table, row)
    if seq < walk.expected:
        return Problem("inserted", seq, table, rid, f"a second entry at seq {seq} (record {rid})")
    if seq > walk.expected:
        return Problem("deleted", walk.expected, None, None,
                       f"entries {walk.expected}..{seq - 1} are missing (before record {rid})")
    if seq > head_seq:
        return Problem("inserted", seq, table, rid, f"entry {seq} lies beyond the chain head ({head_seq})")
    reason = _content_problem(table, row)
    if reason is not None:
        return Problem("altered", seq, table, rid, f"record {rid} (entry {seq}): {reason}")
    hash_ok = entry_hash(table, seq, row["prev_hash"], row["content_hash"]) == row["entry_hash"]
    if not hash_ok or row["prev_hash"] != walk.prev:
        return await _link_problem(conn, table, row, hash_ok=hash_ok)
    walk.prev, walk.expected, walk.entries = row["entry_hash"], seq + 1, walk.entries + 1
    if table == RECORDS:
        walk.records += 1
        walk.erased += row["erased_at"] is not None
    else:
        walk.outcomes += 1
    return None


async def _rows(conn: AsyncConnection, lo: int, hi: int) -> list[tuple[int, str, Mapping[str, Any]]]:
    out: list[tuple[int, str, Mapping[str, Any]]] = []
    for name, table in ((RECORDS, RECORDS_T), (OUTCOMES, OUTCOMES_T)):
        result = await conn.execute(select(table).where(table.c.seq.between(lo, hi)))
        out.extend((int(r.seq), name, r._mapping) for r in result)
    out.sort(key=lambda t: (t[0], t[1]))
    return out


async def _checkpoint_problem(conn: AsyncConnection, cp: Any) -> Problem | None:
    """A checkpoint counts only if the purge that made it is itself in the (verified) chain, with its anchor."""
    row = (await conn.execute(select(RECORDS_T.c.kind, RECORDS_T.c.detail)
                              .where(RECORDS_T.c.id == cp.purge_record_id))).first()
    detail = row.detail if row is not None else None
    if row is None or row.kind != "purge" or not isinstance(detail, dict) \
            or detail.get("anchor_seq") != cp.anchor_seq or detail.get("anchor_hash") != cp.anchor_hash:
        return Problem("checkpoint", cp.anchor_seq, None, cp.purge_record_id,
                       f"the purge checkpoint at entry {cp.anchor_seq} is not backed by its purge record")
    return None


async def verify(engine: AsyncEngine, batch: int = 2000) -> VerifyReport:
    """Verify the whole (remaining) chain; `report.problem` is the first bad entry, if any.

    Use an engine from `append.audit_engine` (or `AuditWriter.engine`): on SQLite its transactions really begin,
    so the walk reads one snapshot while writers keep appending."""
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            return await _verify(conn, batch)


async def _verify(conn: AsyncConnection, batch: int) -> VerifyReport:
    head = (await conn.execute(select(HEAD_T.c.seq, HEAD_T.c.head_hash).where(HEAD_T.c.id == 1))).one()
    cp = (await conn.execute(select(CHECKPOINTS_T).order_by(CHECKPOINTS_T.c.anchor_seq.desc()).limit(1))).first()
    anchor_seq, anchor_hash = (int(cp.anchor_seq), str(cp.anchor_hash)) if cp else (0, GENESIS_HASH)
    walk = _Walk(anchor_seq + 1, anchor_hash)

    def report(problem: Problem | None) -> VerifyReport:
        return VerifyReport(problem is None, walk.entries, walk.records, walk.outcomes, walk.erased,
                            int(head.seq), str(head.head_hash), anchor_seq, problem)

    lows = [(await conn.execute(select(func.min(t.c.seq)))).scalar() for t in (RECORDS_T, OUTCOMES_T)]
    highs = [(await conn.execute(select(func.max(t.c.seq)))).scalar() for t in (RECORDS_T, OUTCOMES_T)]
    low = min((v for v in lows if v is not None), default=None)
    if low is not None and low <= anchor_seq:
        return report(Problem("inserted", int(low), None, None,
                              f"entry {low} lies before the purge checkpoint at entry {anchor_seq}"))
    top = max([int(head.seq), *(int(v) for v in highs if v is not None)])
    lo = anchor_seq + 1
    while lo <= top:
        for _seq, table, row in await _rows(conn, lo, lo + batch - 1):
            problem = await _check(conn, walk, table, row, int(head.seq))
            if problem is not None:
                return report(problem)
        lo += batch
    if walk.expected - 1 < head.seq:
        return report(Problem("deleted", walk.expected, None, None,
                              f"entries {walk.expected}..{head.seq} (the newest) are missing"))
    if walk.prev != head.head_hash:
        return report(Problem("altered", int(head.seq), None, None, "the chain head does not match the last entry"))
    orphan = (await conn.execute(
        select(OUTCOMES_T.c.seq, OUTCOMES_T.c.record_id)
        .where(~OUTCOMES_T.c.record_id.in_(select(RECORDS_T.c.id))).order_by(OUTCOMES_T.c.seq).limit(1))).first()
    if orphan is not None:
        return report(Problem("deleted", None, RECORDS, orphan.record_id,
                              f"record {orphan.record_id} is gone but its outcome (entry {orphan.seq}) remains"))
    if cp is not None and (problem := await _checkpoint_problem(conn, cp)) is not None:
        return report(problem)
    return report(None)


def verify_detail(report: VerifyReport) -> dict[str, Any]:
    """What a verify run's own audit record keeps: the result, never row content."""
    return {"ok": report.ok, "entries": report.entries, "head_seq": report.head_seq,
            "problem": report.problem.kind if report.problem else None,
            "problem_seq": report.problem.seq if report.problem else None}


@dataclass(frozen=True, slots=True)
class LastVerify:
    time: datetime
    ok: bool
    entries: int | None
    endpoint: str
    problem: str | None


async def last_verify(engine: AsyncEngine) -> LastVerify | None:
    """The newest recorded verify run (API, page or CLI), or None if the chain was never verified."""
    stmt = (select(RECORDS_T.c.time, RECORDS_T.c.endpoint, RECORDS_T.c.detail)
            .where(RECORDS_T.c.kind == "admin", RECORDS_T.c.endpoint.in_(VERIFY_ENDPOINTS))
            .order_by(RECORDS_T.c.seq.desc()).limit(20))
    async with engine.connect() as conn:
        for row in await conn.execute(stmt):
            detail = row.detail if isinstance(row.detail, dict) else {}
            if "ok" in detail:  # refused attempts carry no result
                return LastVerify(row.time, bool(detail["ok"]), detail.get("entries"), row.endpoint,
                                  detail.get("problem"))
    return None
