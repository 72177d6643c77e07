"""Per-key rate limits across replicas: one token bucket per key in Redis, taken atomically by a Lua script on
Redis's own clock. When Redis is down each replica falls back to its own bucket (proxy/auth/ratelimit.py), so a key
may then get up to N times its limit with N replicas, for as long as the outage lasts."""

from __future__ import annotations

import math

from proxy.auth.ratelimit import RateLimiter
from proxy.errors import RateLimited
from proxy.shared.connection import RedisUnavailable, SharedRedis

# KEYS[1] the bucket; ARGV[1] capacity, ARGV[2] refill per second. Returns {taken (0/1), tokens left as a string}.
TOKEN_BUCKET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return {taken, tostring(tokens)}
"""


class Limiter:
    """`await check(key_id)`: take one request from the key's bucket or raise RateLimited (429, retry-after)."""

    def __init__(self, per_minute: int, shared: SharedRedis | None = None) -> None:
        self.local = RateLimiter(per_minute)
        self.shared = shared
        self._script = shared.client.register_script(TOKEN_BUCKET) if shared is not None else None

    @property
    def enabled(self) -> bool:
        return self.local.enabled

    async def check(self, key_id: str) -> None:
        if not self.local.enabled:
            return
        if self.shared is not None and self._script is not None:
            shared, script = self.shared, self._script
            try:
                taken, left = await shared.call("ratelimit", lambda r: script(
                    keys=[shared.key("rl", key_id)], args=[self.local.capacity, self.local.rate], client=r))
            except RedisUnavailable:
                pass  # per-replica bucket below
            else:
                if int(taken):
                    return
                self._refuse(float(left))
        self.local.check(key_id)

    def _refuse(self, tokens: float) -> None:
        wait = max(1, math.ceil((1.0 - tokens) / self.local.rate))
        raise RateLimited(f"Rate limit of {int(self.local.capacity)} requests per minute for this key exceeded; "
                          f"retry after {wait} s.", headers={"retry-after": str(wait)})
