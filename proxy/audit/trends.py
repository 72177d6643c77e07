"""What the statistics page shows: requests by outcome over time, top entity types, teams, users and rules
(shadow hits beside enforced ones), and the on-prem / external share, over one period.

Every figure is one GROUP BY in the database (nothing is summed row by row in Python), so the page stays fast on a
large log: time buckets use date_trunc on PostgreSQL and the ISO text prefix on SQLite; the JSON columns (entity
counts, matched rules) are expanded with json_each / json_each_text / json_array_elements. Only model traffic
(`kind = request`) counts.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Select, Text, and_, cast, func, select, true
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from proxy.audit.append import OUTCOMES_T, RECORDS_T
from proxy.audit.usage import UsageReport, usage

_REC, _OUT = RECORDS_T, OUTCOMES_T
BUCKETS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
TOP = 10


@dataclass(frozen=True, slots=True)
class RuleHits:
    rule: str
    enforced: int
    shadow: int


@dataclass(frozen=True, slots=True)
class Trends:
    since: datetime
    until: datetime
    bucket: str
    starts: tuple[datetime, ...]             # bucket starts, oldest first, every bucket in the period
    outcomes: dict[str, tuple[int, ...]]     # outcome -> count per bucket ("pending" where none was written)
    entities: tuple[tuple[str, int], ...]    # entity type -> detections, most first
    teams: tuple[tuple[str, int], ...]
    users: tuple[tuple[str, int], ...]
    rules: tuple[RuleHits, ...]
    locations: dict[str, int]                # onprem / external / none (not routed)
    usage: UsageReport                       # requests and tokens by team

    @property
    def total(self) -> int:
        return sum(sum(v) for v in self.outcomes.values())


def _floor(when: datetime, bucket: str) -> datetime:
    when = when.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return when.replace(hour=0) if bucket == "day" else when


def _bucket_expr(dialect: str, bucket: str) -> Any:
    if dialect == "postgresql":
        return func.date_trunc(bucket, func.timezone("UTC", _REC.c.time))
    return func.substr(_REC.c.time, 1, 13 if bucket == "hour" else 10)  # SQLite keeps UTC text: '2026-12-06 20'


def _parse_bucket(value: Any, bucket: str) -> datetime:
    if isinstance(value, datetime):
        return _floor(value.replace(tzinfo=UTC) if value.tzinfo is None else value, bucket)
    text = str(value) + (":00" if bucket == "hour" else "")
    return _floor(datetime.fromisoformat(text).replace(tzinfo=UTC), bucket)


async def _rows(conn: AsyncConnection, stmt: Select[Any]) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in await conn.execute(stmt)]


async def trends(engine: AsyncEngine, *, since: datetime, until: datetime | None = None,
                 bucket: str = "hour") -> Trends:
    """The statistics page's figures over [since, until): five queries, run side by side on their own
    connections (one scan gives the series, the locations and the enforced rules; the JSON columns are expanded
    only on rows that hold something)."""
    if bucket not in BUCKETS:
        raise ValueError(f"Unknown bucket {bucket!r}; use hour or day.")
    until = until or datetime.now(UTC)
    period = and_(_REC.c.kind == "request", _REC.c.time >= since, _REC.c.time < until)
    joined = _REC.outerjoin(_OUT, _OUT.c.record_id == _REC.c.id)
    pg = engine.dialect.name == "postgresql"
    b = _bucket_expr(engine.dialect.name, bucket).label("b")
    ents = (func.json_each_text if pg else func.json_each)(_REC.c.entities).table_valued("key", "value").alias("e")
    ent_sum = func.sum(cast(ents.c.value, Integer) if pg else ents.c.value)
    if pg:
        ms = func.json_array_elements(_REC.c.matches).table_valued("value").alias("m")
        m_rule, m_mode = ms.c.value.op("->>")("rule"), ms.c.value.op("->>")("mode")
    else:
        ms = func.json_each(_REC.c.matches).table_valued("value").alias("m")
        m_rule, m_mode = func.json_extract(ms.c.value, "$.rule"), func.json_extract(ms.c.value, "$.mode")
    n = func.count()
    queries: list[Select[Any]] = [
        select(b, _OUT.c.outcome, _OUT.c.location, _REC.c.rule, n).select_from(joined).where(period)
        .group_by(b, _OUT.c.outcome, _OUT.c.location, _REC.c.rule),
        select(ents.c.key, ent_sum).select_from(_REC).join(ents, true())
        .where(period, cast(_REC.c.entities, Text) != "{}").group_by(ents.c.key).order_by(ent_sum.desc()).limit(TOP),
        select(m_rule, n).select_from(_REC).join(ms, true())
        .where(period, cast(_REC.c.matches, Text).contains('"shadow"'), m_mode == "shadow").group_by(m_rule),
        select(_REC.c.user, n).where(period).group_by(_REC.c.user).order_by(n.desc(), _REC.c.user).limit(TOP),
    ]

    async def run(stmt: Select[Any]) -> list[tuple[Any, ...]]:
        async with engine.connect() as conn:
            return await _rows(conn, stmt)

    (series, entities, shadows, users), by_team = await asyncio.gather(
        asyncio.gather(*(run(q) for q in queries)), usage(engine, by="team", since=since, until=until))
    step = BUCKETS[bucket]
    starts: list[datetime] = []
    at = _floor(since, bucket)
    while at < until and len(starts) < 1000:
        starts.append(at)
        at += step
    index = {s: i for i, s in enumerate(starts)}
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(starts))
    locations: Counter[str] = Counter()
    hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for when, outcome, location, rule, k in series:
        i = index.get(_parse_bucket(when, bucket))
        if i is not None:
            counts[outcome or "pending"][i] += int(k)
        locations[location or "none"] += int(k)
        if rule:
            hits[str(rule)][0] += int(k)
    for rule, k in shadows:
        hits[str(rule)][1] += int(k)
    ranked = sorted((RuleHits(r, e, s) for r, (e, s) in hits.items()), key=lambda h: (-h.enforced - h.shadow, h.rule))
    teams = sorted(((r.key, r.requests) for r in by_team.rows), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    return Trends(
        since=since, until=until, bucket=bucket, starts=tuple(starts),
        outcomes={k: tuple(v) for k, v in sorted(counts.items(), key=lambda kv: -sum(kv[1]))},
        entities=tuple((str(k), int(v)) for k, v in entities),
        teams=tuple(teams), users=tuple((k or "erased/none", int(v)) for k, v in users),
        rules=tuple(ranked[:TOP]), locations=dict(locations.most_common()), usage=by_team)
