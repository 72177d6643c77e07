"""Conversation pseudonym maps shared by the replicas, so any replica restores any conversation.

A map's state (tokens, raw values, numbering, reserved look-alikes) is stored as one Redis string, JSON encrypted
with AES-256-GCM under a key derived from GOVPROXY_REDACTION_KEY (the conversation key is the associated data, so a
blob cannot be moved to another conversation), with a TTL refreshed on every use. Nothing readable is stored and
the values are never logged. Redis down: the replica keeps maps in process (PseudonymStore); the numbering rule
(proxy/redaction/pseudonyms.py) makes a map rebuilt from the history agree with the one issued elsewhere.
"""

from __future__ import annotations

import os

import orjson
import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from proxy.redaction.pseudonyms import PseudonymMap, PseudonymStore
from proxy.shared.connection import RedisUnavailable, SharedRedis, derive_key

log = structlog.get_logger()
_INFO = b"govproxy-shared-pseudonym-maps-v1"


def map_key(secret: str) -> bytes:
    """The AES-256-GCM key for shared maps."""
    return derive_key(secret, _INFO, "shared pseudonym maps")


class SharedPseudonymStore:
    """The `ConversationMaps` protocol on Redis, with an in-process store as the fallback."""

    def __init__(self, shared: SharedRedis, key: bytes, *, ttl_s: float = 3600.0, max_tokens: int = 5_000,
                 fallback: PseudonymStore | None = None) -> None:
        self._shared = shared
        self._aead = AESGCM(key)
        self._ttl = max(1, int(ttl_s))
        self._max_tokens = max_tokens
        self._fallback = fallback or PseudonymStore(ttl_s=ttl_s, max_tokens=max_tokens)

    def _redis_key(self, key: str) -> str:
        return self._shared.key("pmap", key)

    async def for_conversation(self, key: str) -> PseudonymMap:
        """The conversation's map (a new empty one where Redis holds none, or one it cannot read)."""
        found = await self._load(key)
        return found if found is not None else PseudonymMap()

    async def existing(self, key: str) -> PseudonymMap | None:
        """The conversation's map if one is stored (conversation memory asks before creating one)."""
        return await self._load(key)

    async def _load(self, key: str) -> PseudonymMap | None:
        shared = self._shared
        try:
            blob = await shared.call("pseudonyms", lambda r: r.getex(self._redis_key(key), ex=self._ttl))
        except RedisUnavailable:
            return await self._fallback.existing(key)
        if not blob:
            return None
        try:
            nonce, sealed = blob[:12], blob[12:]
            pmap = PseudonymMap.from_state(orjson.loads(self._aead.decrypt(nonce, sealed, key.encode())))
        except (InvalidTag, ValueError, KeyError, TypeError):
            log.warning("shared_pseudonym_map_unreadable")  # another key, or damaged: start over from the history
            return None
        return pmap if pmap.size <= self._max_tokens else None

    async def save(self, key: str, pmap: PseudonymMap) -> None:
        nonce = os.urandom(12)
        blob = nonce + self._aead.encrypt(nonce, orjson.dumps(pmap.state()), key.encode())
        try:
            await self._shared.call("pseudonyms", lambda r: r.set(self._redis_key(key), blob, ex=self._ttl))
        except RedisUnavailable:
            await self._fallback.save(key, pmap)
