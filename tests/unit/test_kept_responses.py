"""Responses kept for previous_response_id chains: scoped to the caller's key, bounded in bytes, expiring; in Redis
encrypted (a wrong key reads nothing, the blob holds no readable value) and falling back to process memory."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator

import pytest
import redis

from proxy.redaction.kept_responses import KeptResponse, LocalKeptResponses, entry_key
from proxy.shared.connection import SharedRedis
from proxy.shared.kept_responses import SharedKeptResponses, kept_key

URL = "redis://127.0.0.1:6379/0"
NAME = "Margaret Thornton"


def _kept(text: str = f"Hello {NAME}") -> KeptResponse:
    output = [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "ok"}]}]
    return KeptResponse("conv-key", [{"type": "message", "role": "user", "content": text}], output,
                        {"id": "resp_1", "object": "response", "output": output})


def test_entry_keys_separate_callers_and_responses() -> None:
    assert entry_key("key_a", "resp_1") != entry_key("key_b", "resp_1") != entry_key("key_a", "resp_2")
    assert entry_key("key_a", "resp_1") == entry_key("key_a", "resp_1") and len(entry_key("k", "r")) == 64


def test_local_store_round_trips_expires_and_is_bounded() -> None:
    now = [0.0]
    store = LocalKeptResponses(ttl_s=10, max_bytes=2_000, timer=lambda: now[0])

    async def go() -> None:
        await store.put("a", _kept())
        got = await store.get("a")
        assert got == _kept()
        now[0] = 9.0
        assert await store.get("a") is not None  # reading refreshes the expiry
        now[0] = 18.0
        assert await store.get("a") is not None
        now[0] = 30.0
        assert await store.get("a") is None
        await store.put("huge", _kept("x" * 5_000))  # larger than the whole store: not kept
        assert await store.get("huge") is None
        for i in range(20):  # the oldest go first once the bytes are spent
            await store.put(f"k{i}", _kept())
        assert await store.get("k19") is not None and await store.get("k0") is None
        assert await store.delete("k19") and not await store.delete("k19")

    asyncio.run(go())


@pytest.fixture()
def prefix() -> Iterator[str]:
    p = f"govproxy-unit-{secrets.token_hex(4)}:"
    yield p
    with redis.Redis.from_url(URL) as r:
        for key in r.scan_iter(p + "*"):
            r.delete(key)


@pytest.mark.redis
def test_shared_store_encrypts_and_refuses_a_wrong_key(prefix: str) -> None:
    async def go() -> None:
        shared = SharedRedis(URL, prefix)
        store = SharedKeptResponses(shared, kept_key("secret-one"), ttl_s=60)
        await store.put("entry", _kept())
        assert await store.get("entry") == _kept()
        other = SharedKeptResponses(shared, kept_key("secret-two"), ttl_s=60)
        assert await other.get("entry") is None
        assert await store.delete("entry") and await store.get("entry") is None
        await shared.close()

    asyncio.run(go())
    with redis.Redis.from_url(URL) as r:
        assert all(NAME.encode() not in (r.get(k) or b"") for k in r.scan_iter(prefix + "*"))


def test_shared_store_falls_back_to_process_memory_when_redis_is_down() -> None:
    async def go() -> None:
        shared = SharedRedis("redis://127.0.0.1:1/0", "x:", timeout_s=0.05)
        store = SharedKeptResponses(shared, kept_key("secret"), ttl_s=60)
        await store.put("entry", _kept())
        assert await store.get("entry") == _kept()
        await shared.close()

    asyncio.run(go())


def test_shared_store_needs_a_redaction_key() -> None:
    with pytest.raises(ValueError, match="GOVPROXY_REDACTION_KEY"):
        kept_key("")
