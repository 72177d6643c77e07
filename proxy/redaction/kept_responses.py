"""Responses kept for `previous_response_id` chains (POST /v1/responses), and GET/DELETE of a response.

govproxy translates the Responses API to chat for whichever target the policy picks, so no provider keeps the
conversation; the proxy does, for as long as it keeps a conversation's pseudonym map (GOVPROXY_PSEUDONYM_TTL_S
after the last use): for each response, the input items of its request (the chain before it included, as the
caller sent them), its output items (as the caller received them, pseudonyms restored), the response object and
the conversation key its pseudonym map lives under. A later request naming it as `previous_response_id` gets
those items prepended to its own input, and the whole body is then scanned and redacted like any other, with the
same pseudonym map.

What is kept holds raw values, like the pseudonym maps: in process memory (bounded in bytes, least recently used
first out) or, with GOVPROXY_REDIS_URL, in Redis encrypted under a key derived from GOVPROXY_REDACTION_KEY
(proxy/shared/kept_responses.py). It is never logged, never written to the audit. A response created with
`store: false` is not kept (as at OpenAI, it cannot be chained on or retrieved).

Entries are found by `entry_key(caller key id, response id)`: a caller can only reach responses made with its own
key; another key's response id is simply unknown to it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from cachetools import TTLCache


@dataclass(frozen=True, slots=True)
class KeptResponse:
    conversation: str              # the pseudonym map's conversation key
    input: list[Any]               # the request's input items, the chain before it included (raw values)
    output: list[dict[str, Any]]   # the response's output items, as the caller received them
    response: dict[str, Any]       # the response object (GET /v1/responses/{id})

    def to_bytes(self) -> bytes:
        return orjson.dumps({"v": 1, "conversation": self.conversation, "input": self.input, "output": self.output,
                             "response": self.response})

    @classmethod
    def from_bytes(cls, blob: bytes) -> KeptResponse:
        data = orjson.loads(blob)
        if data.get("v") != 1:
            raise ValueError("unknown kept response version")
        return cls(str(data["conversation"]), list(data["input"]), list(data["output"]), dict(data["response"]))


def entry_key(caller_key_id: str, response_id: str) -> str:
    """The store key of a response: the caller's key id and the response id, hashed (opaque, fixed length)."""
    digest = hashlib.sha256(b"govproxy-kept-response-v1\x00" + caller_key_id.encode() + b"\x00" +
                            response_id.encode())
    return digest.hexdigest()


class KeptResponses(Protocol):
    """What the request path needs from the store: in process below, shared by replicas in proxy/shared."""

    async def get(self, key: str) -> KeptResponse | None: ...

    async def put(self, key: str, kept: KeptResponse) -> None: ...

    async def delete(self, key: str) -> bool: ...


class LocalKeptResponses:
    """In process: at most `max_bytes` of serialised responses (least recently used go first), each `ttl_s` after
    its last use."""

    def __init__(self, ttl_s: float = 3600.0, max_bytes: int = 256 * 1024 * 1024,
                 timer: Callable[[], float] = time.monotonic) -> None:
        self._entries: TTLCache[str, bytes] = TTLCache(maxsize=max_bytes, ttl=ttl_s, timer=timer, getsizeof=len)

    async def get(self, key: str) -> KeptResponse | None:
        blob = self._entries.get(key)
        if blob is None:
            return None
        self._entries[key] = blob  # refreshes its expiry, as a conversation's map is refreshed by use
        return KeptResponse.from_bytes(blob)

    async def put(self, key: str, kept: KeptResponse) -> None:
        blob = kept.to_bytes()
        if len(blob) <= self._entries.maxsize:  # one larger than the whole store is not kept (chaining on it 400s)
            self._entries[key] = blob

    async def delete(self, key: str) -> bool:
        return self._entries.pop(key, None) is not None

    def __len__(self) -> int:
        return len(self._entries)
