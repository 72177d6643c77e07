"""Reading the audit log: filters, keyset pagination, one record, streaming iteration, and stats.

A record and its outcome are read together (outer join): a record without an outcome is still in flight, or its
process died before the response ended (`outcome` is None then).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from proxy.audit.append import OUTCOMES_T, RECORDS_T
from proxy.audit.chain import iso_utc

_REC, _OUT = RECORDS_T, OUTCOMES_T
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """'90d', '12h', '30m', '2w', '45s' -> timedelta. Raises ValueError otherwise."""
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"Not a duration: {text!r} (use e.g. 90d, 12h, 30m, 2w).")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """A point in time: ISO 8601 (naive = UTC), or a duration meaning that long ago ('24h')."""
    now = now or datetime.now(UTC)
    if _DURATION.match(text):
        return now - parse_duration(text)
    value = datetime.fromisoformat(text.strip())
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    since: datetime | None = None
    until: datetime | None = None
    team: str | None = None
    user: str | None = None
    decision: str | None = None  # a decision action (allow, redact, block, route) or an outcome (blocked, ...)
    entity: str | None = None    # records where this entity type was detected
    target: str | None = None    # the alias the request was routed to
    rule: str | None = None      # the enforced rule or any matched (incl. shadow) rule
    kind: str | None = None      # request, security, admin, reveal, purge, erasure
    request_id: str | None = None  # the id a client saw in `x-request-id`
    hide_kinds: tuple[str, ...] = ()  # kinds left out (the review page hides reviewers' own page views)


@dataclass(frozen=True, slots=True)
class OutcomeView:
    time: datetime
    outcome: str
    target: str | None
    location: str | None
    attempted: list[str]
    redactions: dict[str, str]
    upstream_status: int | None
    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None
    timings: dict[str, float]
    error_class: str | None
    error_status: int | None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One request (or security event) as a reviewer sees it: never raw values, never the ciphertext."""

    id: str
    seq: int
    kind: str
    time: datetime
    request_id: str | None
    key_id: str | None
    team: str | None
    user: str | None
    role: str | None
    client_addr: str | None
    endpoint: str
    dialect: str | None
    requested_model: str | None
    stream: bool | None
    policy_version: str | None
    classification: str | None
    action: str | None
    rule: str | None
    matches: list[dict[str, Any]]
    entities: dict[str, int]
    strategies: dict[str, str]
    targets: list[str]
    rerouted_from: str | None
    detail: dict[str, Any] | None
    prompt_redacted: list[dict[str, Any]] | None
    has_original: bool
    erased: bool
    entry_hash: str
    outcome: OutcomeView | None = None
    shadow_rules: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["time"] = iso_utc(self.time)
        if self.outcome is not None:
            data["outcome"]["time"] = iso_utc(self.outcome.time)
        return data


def _to_record(row: Mapping[str, Any]) -> AuditRecord:
    outcome = None
    if row["o_seq"] is not None:
        outcome = OutcomeView(
            time=row["o_time"], outcome=row["outcome"], target=row["target"], location=row["location"],
            attempted=list(row["attempted"] or []), redactions=dict(row["redactions"] or {}),
            upstream_status=row["upstream_status"], prompt_tokens=row["prompt_tokens"],
            completion_tokens=row["completion_tokens"], total_tokens=row["total_tokens"],
            timings=dict(row["timings"] or {}), error_class=row["error_class"], error_status=row["error_status"])
    matches = list(row["matches"] or [])
    return AuditRecord(
        id=row["id"], seq=int(row["seq"]), kind=row["kind"], time=row["time"], request_id=row["request_id"],
        key_id=row["key_id"], team=row["team"], user=row["user"], role=row["role"], client_addr=row["client_addr"],
        endpoint=row["endpoint"], dialect=row["dialect"], requested_model=row["requested_model"],
        stream=row["stream"], policy_version=row["policy_version"], classification=row["classification"],
        action=row["action"], rule=row["rule"], matches=matches, entities=dict(row["entities"] or {}),
        strategies=dict(row["strategies"] or {}), targets=list(row["targets"] or []),
        rerouted_from=row["rerouted_from"], detail=row["detail"], prompt_redacted=row["prompt_redacted"],
        has_original=row["prompt_encrypted"] is not None, erased=row["erased_at"] is not None,
        entry_hash=row["entry_hash"], outcome=outcome,
        shadow_rules=[m.get("rule", "") for m in matches if m.get("mode") == "shadow"])


def _base() -> Select[Any]:
    cols = [c for c in _REC.c if c.name not in ("content_hash", "prev_hash", "personal_hash", "personal_salt")]
    o = _OUT.c
    ocols = [o.seq.label("o_seq"), o.time.label("o_time"), o.outcome, o.target, o.location, o.attempted,
             o.redactions, o.upstream_status, o.prompt_tokens, o.completion_tokens, o.total_tokens, o.timings,
             o.error_class, o.error_status]
    return select(*cols, *ocols).select_from(_REC.outerjoin(_OUT, _OUT.c.record_id == _REC.c.id))


def _where(stmt: Select[Any], f: AuditFilter) -> Select[Any]:
    conds = []
    if f.since is not None:
        conds.append(_REC.c.time >= f.since)
    if f.until is not None:
        conds.append(_REC.c.time < f.until)
    if f.team:
        conds.append(_REC.c.team == f.team)
    if f.user:
        conds.append(_REC.c.user == f.user)
    if f.kind:
        conds.append(_REC.c.kind == f.kind)
    if f.hide_kinds and not f.kind:
        conds.append(_REC.c.kind.not_in(f.hide_kinds))
    if f.request_id:
        conds.append(_REC.c.request_id == f.request_id)
    if f.decision:
        conds.append(or_(_REC.c.action == f.decision, _OUT.c.outcome == f.decision))
    if f.entity:
        conds.append(_REC.c.entities[f.entity].as_integer() > 0)
    if f.target:
        conds.append(_OUT.c.target == f.target)
    if f.rule:
        conds.append(_REC.c.rules.contains(f"|{f.rule}|", autoescape=True))
    return stmt.where(and_(*conds)) if conds else stmt


@dataclass(frozen=True, slots=True)
class Page:
    records: tuple[AuditRecord, ...]
    next_cursor: int | None  # pass as `before` for the next (older) page; None on the last page
    prev_cursor: int | None = None  # pass as `after` for the previous (newer) page; None on the newest page


async def search(engine: AsyncEngine, flt: AuditFilter, *, limit: int = 50, before: int | None = None,
                 after: int | None = None) -> Page:
    """Newest first, `limit` per page (1..1000), keyset-paginated by chain position both ways: `before` pages
    towards older records, `after` towards newer ones (the page just above the cursor)."""
    limit = max(1, min(limit, 1000))
    stmt = _where(_base(), flt)
    if before is not None:
        stmt = stmt.where(_REC.c.seq < before)
    if after is not None and before is None:
        stmt = stmt.where(_REC.c.seq > after).order_by(_REC.c.seq.asc()).limit(limit + 1)
        async with engine.connect() as conn:
            rows = [r._mapping for r in await conn.execute(stmt)]
        records = tuple(_to_record(r) for r in reversed(rows[:limit]))
        older = await _exists(engine, flt, records[-1].seq) if records else False
        return Page(records, records[-1].seq if older else None,
                    records[0].seq if len(rows) > limit else None)
    stmt = stmt.order_by(_REC.c.seq.desc()).limit(limit + 1)
    async with engine.connect() as conn:
        rows = [r._mapping for r in await conn.execute(stmt)]
    records = tuple(_to_record(r) for r in rows[:limit])
    newer = before is not None and records and await _exists(engine, flt, records[0].seq, newer=True)
    return Page(records, records[-1].seq if len(rows) > limit else None, records[0].seq if newer else None)


async def _exists(engine: AsyncEngine, flt: AuditFilter, seq: int, *, newer: bool = False) -> bool:
    cond = _REC.c.seq > seq if newer else _REC.c.seq < seq
    stmt = _where(select(_REC.c.seq).select_from(_REC.outerjoin(_OUT, _OUT.c.record_id == _REC.c.id)), flt)
    async with engine.connect() as conn:
        return (await conn.execute(stmt.where(cond).limit(1))).first() is not None


async def count(engine: AsyncEngine, flt: AuditFilter, *, newer_than: int | None = None) -> int:
    """How many records match the filter (with `newer_than`: of those after that chain position, which is how
    far down the list a page starts)."""
    stmt = _where(select(func.count()).select_from(_REC.outerjoin(_OUT, _OUT.c.record_id == _REC.c.id)), flt)
    if newer_than is not None:
        stmt = stmt.where(_REC.c.seq > newer_than)
    async with engine.connect() as conn:
        return int((await conn.execute(stmt)).scalar() or 0)


async def get_record(engine: AsyncEngine, record_id: str) -> AuditRecord | None:
    """One record by its record id, or by the request id a client saw in `x-request-id` (the request's own
    record: for a request id shared with admin events, the request kind wins, then the oldest)."""
    async with engine.connect() as conn:
        row = (await conn.execute(_base().where(_REC.c.id == record_id))).first()
        if row is None:
            stmt = (_base().where(_REC.c.request_id == record_id)
                    .order_by((_REC.c.kind != "request"), _REC.c.seq).limit(1))
            row = (await conn.execute(stmt)).first()
    return _to_record(row._mapping) if row is not None else None


async def iter_records(engine: AsyncEngine, flt: AuditFilter, batch: int = 1000) -> AsyncIterator[AuditRecord]:
    """Every matching record, oldest first, read in batches (for export)."""
    after = -1
    while True:
        stmt = _where(_base(), flt).where(_REC.c.seq > after).order_by(_REC.c.seq).limit(batch)
        async with engine.connect() as conn:
            rows = [r._mapping for r in await conn.execute(stmt)]
        for row in rows:
            yield _to_record(row)
        if len(rows) < batch:
            return
        after = int(rows[-1]["seq"])


async def get_records(engine: AsyncEngine, record_ids: list[str]) -> list[AuditRecord]:
    """Records by id, in chain order (ids not found are left out)."""
    async with engine.connect() as conn:
        rows = await conn.execute(_base().where(_REC.c.id.in_(record_ids)).order_by(_REC.c.seq))
        return [_to_record(r._mapping) for r in rows]
