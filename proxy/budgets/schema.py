"""budgets.yaml: validated with pydantic (unknown fields are errors), one entry per budget."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from proxy.policy.decision import Location


class Period(StrEnum):
    DAY = "day"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class Window:
    """One period of a budget: its id (part of the counter's key) and when it resets."""

    id: str
    resets_at: datetime


def window(period: Period, now: datetime | None = None) -> Window:
    now = (now or datetime.now(UTC)).astimezone(UTC)
    if period is Period.DAY:
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        from datetime import timedelta

        return Window(start.strftime("%Y-%m-%d"), start + timedelta(days=1))
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    nxt = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return Window(start.strftime("%Y-%m"), nxt)


class Budget(BaseModel):
    """One budget: whose traffic (a team or one key id), how much (requests and/or tokens), per what period, and
    optionally only traffic routed to one location (`external`: what is sent to paid outside APIs)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    team: str | None = None
    key: str | None = Field(default=None, description="a key id, as `govproxy keys list` shows it")
    period: Period
    location: Location | None = None
    requests: int | None = Field(default=None, gt=0)
    tokens: int | None = Field(default=None, gt=0)
    description: str = ""

    @model_validator(mode="after")
    def _shape(self) -> Budget:
        if (self.team is None) == (self.key is None):
            raise ValueError("a budget names exactly one of `team` or `key`")
        if self.requests is None and self.tokens is None:
            raise ValueError("a budget limits `requests`, `tokens` or both")
        return self

    @property
    def scope(self) -> str:
        return f"team {self.team}" if self.team is not None else f"key {self.key}"

    def applies(self, team: str, key_id: str, location: Location | None) -> bool:
        if self.team is not None and self.team != team:
            return False
        if self.key is not None and self.key != key_id:
            return False
        return self.location is None or self.location == location


class BudgetFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    apiVersion: str = Field(pattern=r"^govproxy/v1$")
    budgets: tuple[Budget, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> BudgetFile:
        names = [b.name for b in self.budgets]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"budget names must be unique: {', '.join(dupes)}")
        return self
