"""Usage from the audit log: requests and tokens per team, user, model or location over a period.

One GROUP BY over records joined with their outcomes (portable: SQLite and PostgreSQL). Only model traffic
(`kind = request`) counts; `model` is the catalogue target the request was served by, or the model the caller
asked for when nothing was routed (blocked, refused); `location` is on-prem / external, `none` when not routed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from proxy.audit.append import OUTCOMES_T, RECORDS_T
from proxy.audit.chain import iso_utc

_REC, _OUT = RECORDS_T, OUTCOMES_T
GROUPINGS = ("team", "user", "model", "location")


@dataclass(frozen=True, slots=True)
class UsageRow:
    key: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


@dataclass(frozen=True, slots=True)
class UsageReport:
    by: str
    since: datetime | None
    until: datetime | None
    rows: tuple[UsageRow, ...]  # most tokens first, then most requests

    @property
    def totals(self) -> UsageRow:
        return UsageRow("total", *(sum(getattr(r, f) for r in self.rows)
                                   for f in ("requests", "prompt_tokens", "completion_tokens", "total_tokens")))

    def to_json(self) -> dict[str, Any]:
        return {"by": self.by, "since": iso_utc(self.since) if self.since else None,
                "until": iso_utc(self.until) if self.until else None,
                "rows": [asdict(r) for r in self.rows], "totals": asdict(self.totals)}


def _key(by: str) -> Any:
    if by == "team":
        return _REC.c.team
    if by == "user":
        return _REC.c.user
    if by == "model":
        return func.coalesce(_OUT.c.target, _REC.c.requested_model)
    if by == "location":
        return _OUT.c.location
    raise ValueError(f"Unknown grouping {by!r}; use one of {', '.join(GROUPINGS)}.")


async def usage(engine: AsyncEngine, *, by: str = "team", since: datetime | None = None,
                until: datetime | None = None, team: str | None = None) -> UsageReport:
    """Requests and tokens grouped by `by` (team, user, model, location) over [since, until)."""
    key = _key(by).label("key")
    conds = [_REC.c.kind == "request"]
    if since is not None:
        conds.append(_REC.c.time >= since)
    if until is not None:
        conds.append(_REC.c.time < until)
    if team:
        conds.append(_REC.c.team == team)
    tokens = [func.coalesce(func.sum(c), 0) for c in (_OUT.c.prompt_tokens, _OUT.c.completion_tokens,
                                                      _OUT.c.total_tokens)]
    stmt = (select(key, func.count(), *tokens)
            .select_from(_REC.outerjoin(_OUT, _OUT.c.record_id == _REC.c.id))
            .where(and_(*conds)).group_by(key))
    async with engine.connect() as conn:
        result = [UsageRow("none" if k is None else str(k), int(n), int(p), int(c), int(t))
                  for k, n, p, c, t in await conn.execute(stmt)]
    result.sort(key=lambda r: (-r.total_tokens, -r.requests, r.key))
    return UsageReport(by, since, until, tuple(result))
