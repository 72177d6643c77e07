"""Per-key request rate limits (a token bucket per key, in this process).

Each replica enforces the limit on its own: with N replicas behind a load balancer a key gets up to N times the
limit. This is the fallback when no Redis is configured or it is down; proxy/shared/ratelimit.py shares the buckets.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from proxy.errors import RateLimited


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, per_minute: int, max_keys: int = 100_000) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def check(self, key_id: str, now: float | None = None) -> None:
        """Take one token for `key_id` or raise RateLimited with a retry-after in whole seconds."""
        if not self.enabled:
            return
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(key_id)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._buckets.clear()
            bucket = self._buckets[key_id] = _Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return
        wait = max(1, math.ceil((1.0 - bucket.tokens) / self.rate))
        raise RateLimited(f"Rate limit of {int(self.capacity)} requests per minute for this key exceeded; "
                          f"retry after {wait} s.", headers={"retry-after": str(wait)})
