"""The connection to Redis, and what a replica does when Redis is down.

Every call goes through `SharedRedis.call`: a short timeout, and after a failure Redis is skipped for
`retry_after_s` (callers use their per-replica fallback meanwhile), so a dead Redis costs a request at most one
timeout and usually nothing. The change of state is logged once each way (a warning when lost) and mirrored in the
metrics govproxy_redis_up and govproxy_redis_errors_total.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import structlog

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from proxy.metrics import Metrics

log = structlog.get_logger()
T = TypeVar("T")


class RedisUnavailable(Exception):
    """Redis did not answer (or is being skipped after a recent failure): use the fallback."""


class SharedRedis:
    def __init__(self, url: str, prefix: str = "govproxy:", *, timeout_s: float = 0.25, retry_after_s: float = 1.0,
                 metrics: Metrics | None = None) -> None:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self.url = url
        self.prefix = prefix
        self.timeout_s = timeout_s
        self.retry_after_s = retry_after_s
        self.client: Redis = Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
                                            retry=Retry(NoBackoff(), 0))
        self._metrics = metrics
        self._skip_until = 0.0
        self.up: bool | None = None  # unknown until the first call
        self.last_error: str | None = None

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    @property
    def skipping(self) -> bool:
        return time.monotonic() < self._skip_until

    async def call(self, operation: str, fn: Callable[[Redis], Awaitable[T]]) -> T:
        """`fn(client)` within the timeout, or RedisUnavailable (counted, logged on the change of state)."""
        if self.skipping:
            if self._metrics is not None:
                self._metrics.redis_fallbacks.labels(operation).inc()
            raise RedisUnavailable(self.last_error or "redis unavailable")
        try:
            result = await asyncio.wait_for(fn(self.client), self.timeout_s * 2)
        except Exception as exc:  # noqa: BLE001 - any failure of the shared store means: use the fallback
            self._failed(operation, exc)
            raise RedisUnavailable(self.last_error or "redis unavailable") from None
        if self.up is not True:
            if self.up is False:
                log.info("redis_recovered", operation=operation)
            self.up = True
            self.last_error = None
            if self._metrics is not None:
                self._metrics.redis_up.set(1)
        return result

    def _failed(self, operation: str, exc: BaseException) -> None:
        self._skip_until = time.monotonic() + self.retry_after_s
        self.last_error = type(exc).__name__
        if self._metrics is not None:
            self._metrics.redis_errors.labels(operation).inc()
            self._metrics.redis_fallbacks.labels(operation).inc()
            self._metrics.redis_up.set(0)
        if self.up is not False:
            # Once per outage, not per request; the per-replica fallbacks take over.
            log.warning("redis_unavailable", operation=operation, error=self.last_error,
                        fallback="per-replica limits, budgets and pseudonym maps")
        self.up = False

    async def ping(self) -> bool:
        """For /readyz: ignores the skip window, so readiness sees a recovery at once."""
        self._skip_until = 0.0
        try:
            await self.call("ping", lambda r: r.ping())
        except RedisUnavailable:
            return False
        return True

    async def close(self) -> None:
        await self.client.aclose()


def connect(settings: Any, metrics: Metrics | None) -> SharedRedis | None:
    """The shared connection when GOVPROXY_REDIS_URL is set, else None (single node, nothing shared)."""
    if settings.redis_url is None:
        return None
    return SharedRedis(settings.redis_url.get_secret_value(), settings.redis_prefix,
                       timeout_s=settings.redis_timeout_s, retry_after_s=settings.redis_retry_after_s,
                       metrics=metrics)


def derive_key(secret: str, info: bytes, holds: str) -> bytes:
    """An AES-256-GCM key for what replicas share in Redis, derived from the redaction secret (HKDF-SHA256, one
    label per use). `holds` names what it protects, for the error raised when no secret is configured."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    if not secret:
        raise ValueError(f"GOVPROXY_REDIS_URL is set but GOVPROXY_REDACTION_KEY is not: {holds} hold raw values and "
                         "must be encrypted with a key every replica shares")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"govproxy-redis-v1", info=info).derive(secret.encode())
