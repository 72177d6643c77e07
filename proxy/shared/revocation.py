"""Key revocation pushed to every replica at once: `govproxy keys revoke` publishes the key id on a Redis channel,
every replica's listener drops its cached lookup, so the next request with that key asks the database and is refused.

Without Redis (or while it is down) revocation still takes effect within GOVPROXY_KEY_CACHE_TTL_S. A listener that
(re)subscribes clears the whole cache, since announcements sent while it was away are lost.
"""

from __future__ import annotations

import asyncio

import structlog

from proxy.auth.keys import KeyStore
from proxy.shared.connection import RedisUnavailable, SharedRedis

log = structlog.get_logger()
CHANNEL = "key-revoked"


async def announce_revocation(shared: SharedRedis, key_id: str) -> bool:
    """Tell every replica; False when Redis did not take it (the key cache TTL still bounds the lag)."""
    try:
        await shared.call("revocation", lambda r: r.publish(shared.key(CHANNEL), key_id))
    except RedisUnavailable:
        return False
    return True


async def listen_for_revocations(shared: SharedRedis, keys: KeyStore, ready: asyncio.Event | None = None) -> None:
    """Runs for the life of the app (a lifespan task): subscribe, forget announced keys, resubscribe after failures."""
    from redis.asyncio import Redis

    channel = shared.key(CHANNEL)
    while True:
        client = Redis.from_url(shared.url, socket_connect_timeout=shared.timeout_s, health_check_interval=5)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(channel)
            keys.forget()  # whatever was announced while we were not listening
            if ready is not None:
                ready.set()
            while True:
                message = await pubsub.get_message(timeout=5.0)
                if message is None:
                    await pubsub.ping()  # notices a dead connection even when nothing is published
                    continue
                data = message.get("data")
                if message.get("type") == "message" and isinstance(data, bytes) and data:
                    keys.forget(data.decode("ascii", "replace"))
                    log.info("key_revocation_received", key_id=data.decode("ascii", "replace"))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - keep listening after Redis comes back
            log.warning("revocation_listener_lost", error=type(exc).__name__)
            await asyncio.sleep(max(shared.retry_after_s, 0.5))
        finally:
            try:
                await pubsub.aclose()
                await client.aclose()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
