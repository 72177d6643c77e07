"""`audit stats`: counts by kind, decision, outcome, target and entity type over a period (the API's
/admin/audit/stats and the CLI; the review page's charts come from trends.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from proxy.audit.chain import iso_utc
from proxy.audit.query import _OUT, _REC, AuditFilter, _where


@dataclass(frozen=True, slots=True)
class AuditStats:
    since: datetime | None
    until: datetime | None
    total: int
    by_kind: dict[str, int]
    by_decision: dict[str, int]  # decision action (requests only)
    by_outcome: dict[str, int]   # "pending" where no outcome was written yet
    by_target: dict[str, int]    # "none" where nothing was routed
    by_entity: dict[str, int]    # detections per entity type (sum of counts)
    records_with_entity: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["since"] = iso_utc(self.since) if self.since else None
        data["until"] = iso_utc(self.until) if self.until else None
        return data


async def stats(engine: AsyncEngine, since: datetime | None = None, until: datetime | None = None) -> AuditStats:
    """Counts by kind, decision, outcome, target and entity type over [since, until)."""
    flt = AuditFilter(since=since, until=until)
    join = _REC.outerjoin(_OUT, _OUT.c.record_id == _REC.c.id)

    async def grouped(col: Any, default: str) -> dict[str, int]:
        stmt = _where(select(col, func.count()).select_from(join), flt).group_by(col)
        async with engine.connect() as conn:
            return {(k if k is not None else default): int(n) for k, n in await conn.execute(stmt)}

    by_kind = await grouped(_REC.c.kind, "unknown")
    by_decision = await grouped(_REC.c.action, "none")
    by_decision.pop("none", None)
    by_outcome = await grouped(_OUT.c.outcome, "pending")
    by_target = await grouped(_OUT.c.target, "none")
    detections: Counter[str] = Counter()
    present: Counter[str] = Counter()
    after = -1
    while True:  # entity counts live in a JSON column: sum them here, portable across databases
        stmt = (_where(select(_REC.c.seq, _REC.c.entities), flt).where(_REC.c.seq > after)
                .order_by(_REC.c.seq).limit(5000))
        async with engine.connect() as conn:
            rows = list(await conn.execute(stmt))
        for seq, entities in rows:
            for etype, n in (entities or {}).items():
                detections[etype] += int(n)
                present[etype] += 1
            after = int(seq)
        if len(rows) < 5000:
            break
    return AuditStats(since, until, sum(by_kind.values()), by_kind, by_decision, by_outcome, by_target,
                      dict(detections.most_common()), dict(present.most_common()))
