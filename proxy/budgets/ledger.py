"""Budget counters: requests and tokens used per budget and period, in Redis (every replica sees the same numbers)
or, without Redis or while it is down, in this process (each replica then enforces its own share of traffic).

A request is admitted atomically (one Lua script checks every budget that applies and counts the request in all of
them, or in none), so a request limit holds exactly across replicas. Tokens are known only after the answer, so
they are added when the request finishes and a token budget refuses the next request once it is spent (the last
admitted request may overshoot it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from proxy.budgets.schema import Budget, Window, window
from proxy.errors import RateLimited
from proxy.shared.connection import RedisUnavailable, SharedRedis

# KEYS: one counter hash per budget. ARGV: per key (expire-at epoch, request limit or -1, token limit or -1).
# Returns {0} when admitted (the request counted in every key), else {i, "requests"|"tokens"} for the first refusal.
ADMIT = """
for i, key in ipairs(KEYS) do
  local rl = tonumber(ARGV[(i - 1) * 3 + 2])
  local tl = tonumber(ARGV[(i - 1) * 3 + 3])
  local used = redis.call('HMGET', key, 'requests', 'tokens')
  if rl >= 0 and (tonumber(used[1]) or 0) + 1 > rl then return {i, 'requests'} end
  if tl >= 0 and (tonumber(used[2]) or 0) >= tl then return {i, 'tokens'} end
end
for i, key in ipairs(KEYS) do
  redis.call('HINCRBY', key, 'requests', 1)
  redis.call('EXPIREAT', key, tonumber(ARGV[(i - 1) * 3 + 1]))
end
return {0}
"""


class BudgetExceeded(RateLimited):
    code = "budget_exceeded"
    budget = ""


@dataclass(frozen=True, slots=True)
class Spend:
    budget: Budget
    window: Window
    requests: int
    tokens: int


def _refusal(budget: Budget, win: Window, what: str) -> BudgetExceeded:
    limit = budget.requests if what == "requests" else budget.tokens
    wait = max(1, int(win.resets_at.timestamp() - time.time()))
    where = f" for {budget.location.value} models" if budget.location else ""
    exc = BudgetExceeded(f"Budget '{budget.name}' ({budget.scope}{where}) is spent: {limit} {what} per "
                         f"{budget.period.value}; it resets at {win.resets_at.isoformat().replace('+00:00', 'Z')}.",
                         headers={"retry-after": str(wait)})
    exc.budget = budget.name
    return exc


class Ledger:
    def __init__(self, shared: SharedRedis | None = None) -> None:
        self.shared = shared
        self._admit = shared.client.register_script(ADMIT) if shared is not None else None
        self._local: dict[tuple[str, str], list[int]] = {}  # (budget, window) -> [requests, tokens]

    def _key(self, budget: Budget, win: Window) -> str:
        assert self.shared is not None
        # One hash tag for all counters, so the admission script's keys share a slot on a Redis Cluster too.
        return self.shared.key("{budgets}", budget.name, win.id)

    async def admit(self, budgets: list[Budget], now: datetime | None = None) -> None:
        """Count one request in every budget, or raise BudgetExceeded naming the first that is spent."""
        if not budgets:
            return
        wins = [window(b.period, now) for b in budgets]
        if self.shared is not None and self._admit is not None:
            args: list[int] = []
            for b, w in zip(budgets, wins, strict=True):
                args += [int(w.resets_at.timestamp()) + 3600, b.requests or -1, b.tokens or -1]
            keys = [self._key(b, w) for b, w in zip(budgets, wins, strict=True)]
            script = self._admit
            try:
                result = await self.shared.call("budgets", lambda r: script(keys=keys, args=args, client=r))
            except RedisUnavailable:
                pass
            else:
                if int(result[0]) == 0:
                    return
                i = int(result[0]) - 1
                what = result[1].decode() if isinstance(result[1], bytes) else str(result[1])
                raise _refusal(budgets[i], wins[i], what)
        counters = [self._local.setdefault((b.name, w.id), [0, 0]) for b, w in zip(budgets, wins, strict=True)]
        for b, w, (requests, tokens) in zip(budgets, wins, counters, strict=True):
            if b.requests is not None and requests + 1 > b.requests:
                raise _refusal(b, w, "requests")
            if b.tokens is not None and tokens >= b.tokens:
                raise _refusal(b, w, "tokens")
        for c in counters:
            c[0] += 1

    async def add_tokens(self, budgets: list[Budget], tokens: int, now: datetime | None = None) -> None:
        if not budgets or tokens <= 0:
            return
        wins = [window(b.period, now) for b in budgets]
        if self.shared is not None:
            shared = self.shared

            async def add(r: object) -> None:
                pipe = r.pipeline(transaction=False)  # type: ignore[attr-defined]
                for b, w in zip(budgets, wins, strict=True):
                    pipe.hincrby(self._key(b, w), "tokens", tokens)
                    pipe.expireat(self._key(b, w), int(w.resets_at.timestamp()) + 3600)
                await pipe.execute()

            try:
                await shared.call("budgets", add)
                return
            except RedisUnavailable:
                pass
        for b, w in zip(budgets, wins, strict=True):
            self._local.setdefault((b.name, w.id), [0, 0])[1] += tokens

    async def spend(self, budgets: tuple[Budget, ...], now: datetime | None = None) -> list[Spend]:
        """What each budget has used in its current period (shared counters, or this process's)."""
        out: list[Spend] = []
        for b in budgets:
            w = window(b.period, now)
            requests, tokens = self._local.get((b.name, w.id), [0, 0])
            if self.shared is not None:
                key = self._key(b, w)
                values = await self.shared.call("budgets", lambda r, k=key: r.hmget(k, "requests", "tokens"))
                requests, tokens = (int(v or 0) for v in values)
            out.append(Spend(b, w, requests, tokens))
        return out
