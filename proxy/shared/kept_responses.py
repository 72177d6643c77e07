"""Kept responses (`previous_response_id` chains) shared by the replicas, so any replica continues any chain.

Each response is one Redis string: its serialised form encrypted with AES-256-GCM under a key derived from
GOVPROXY_REDACTION_KEY (the entry key is the associated data, so a blob cannot be moved to another caller or
response), with the pseudonym maps' TTL, refreshed on every read. Redis down: the replica keeps them in process.
"""

from __future__ import annotations

import os

import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from proxy.redaction.kept_responses import KeptResponse, LocalKeptResponses
from proxy.shared.connection import RedisUnavailable, SharedRedis, derive_key

log = structlog.get_logger()
_INFO = b"govproxy-shared-kept-responses-v1"


def kept_key(secret: str) -> bytes:
    """The AES-256-GCM key for shared kept responses."""
    return derive_key(secret, _INFO, "kept responses")


class SharedKeptResponses:
    def __init__(self, shared: SharedRedis, key: bytes, *, ttl_s: float = 3600.0,
                 fallback: LocalKeptResponses | None = None) -> None:
        self._shared = shared
        self._aead = AESGCM(key)
        self._ttl = max(1, int(ttl_s))
        self._fallback = fallback or LocalKeptResponses(ttl_s=ttl_s)

    def _redis_key(self, key: str) -> str:
        return self._shared.key("resp", key)

    async def get(self, key: str) -> KeptResponse | None:
        try:
            blob = await self._shared.call("responses", lambda r: r.getex(self._redis_key(key), ex=self._ttl))
        except RedisUnavailable:
            return await self._fallback.get(key)
        if not blob:
            return await self._fallback.get(key)  # kept here while Redis was down
        try:
            return KeptResponse.from_bytes(self._aead.decrypt(blob[:12], blob[12:], key.encode()))
        except (InvalidTag, ValueError, KeyError, TypeError):
            log.warning("shared_kept_response_unreadable")
            return None

    async def put(self, key: str, kept: KeptResponse) -> None:
        nonce = os.urandom(12)
        blob = nonce + self._aead.encrypt(nonce, kept.to_bytes(), key.encode())
        try:
            await self._shared.call("responses", lambda r: r.set(self._redis_key(key), blob, ex=self._ttl))
        except RedisUnavailable:
            await self._fallback.put(key, kept)

    async def delete(self, key: str) -> bool:
        local = await self._fallback.delete(key)
        try:
            removed = await self._shared.call("responses", lambda r: r.delete(self._redis_key(key)))
        except RedisUnavailable:
            return local
        return bool(removed) or local
