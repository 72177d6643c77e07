"""Anthropic thinking-block signatures (and redacted_thinking data) that govproxy handed out, recognised when they
come back.

With extended thinking and tools, Anthropic requires the last assistant turn's thinking blocks back verbatim,
signature included; a signature is Anthropic's ciphertext, and scanned as text it reads as a high-entropy secret.
So every signature (and redacted_thinking `data`) a native Anthropic answer carries goes to the caller with a tag,
`.<HMAC>` under a key derived from the redaction key (stateless: any replica checks it). A value that comes back
with a valid tag is exactly what Anthropic produced: the tag is removed and the value is forwarded without being
scanned. Any other value is scanned like all text (fail closed). The thinking text itself is always scanned;
redacting it again with the conversation's map gives back the placeholders Anthropic wrote, and where it does not,
Anthropic refuses the block (400).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

_LABEL = b"anthropic-thinking-signature\x00"
# The field of each block kind that carries Anthropic's ciphertext.
SIGNED = {"thinking": "signature", "redacted_thinking": "data"}


def _mac(key: bytes, value: str) -> str:
    return hmac.new(key, _LABEL + value.encode(), hashlib.sha256).hexdigest()[:32]


def tag(key: bytes, value: str) -> str:
    return f"{value}.{_mac(key, value)}"


def untag(key: bytes, value: str) -> str | None:
    """The value govproxy tagged, or None when `value` carries no valid tag."""
    base, sep, mac = value.rpartition(".")
    return base if sep and base and hmac.compare_digest(mac, _mac(key, base)) else None


def tag_message(message: dict[str, Any], key: bytes) -> dict[str, Any]:
    """A native Message with the signature of each thinking block (the data of each redacted one) tagged."""
    content = message.get("content")
    if not isinstance(content, list):
        return message
    return {**message, "content": [_tag_block(block, key) for block in content]}


def _tag_block(block: Any, key: bytes) -> Any:
    if not isinstance(block, dict):
        return block
    field = SIGNED.get(str(block.get("type")))
    value = block.get(field) if field else None
    return {**block, field: tag(key, value)} if field and isinstance(value, str) and value else block


class SignatureTagger:
    """The same for a native event stream: content_block_start is tagged like a block; a block's signature_delta
    events are held and their signature, tagged, goes out as one signature_delta before the block's stop (the SDKs
    take a signature_delta as the whole signature, not a piece to append)."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._pieces: dict[int, list[str]] = {}

    def process(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        kind = event.get("type")
        index = event.get("index") if isinstance(event.get("index"), int) else 0
        if kind == "content_block_start":
            return [{**event, "content_block": _tag_block(event.get("content_block"), self._key)}]
        delta = event.get("delta")
        if kind == "content_block_delta" and isinstance(delta, dict) and delta.get("type") == "signature_delta" \
                and isinstance(delta.get("signature"), str):
            self._pieces.setdefault(index, []).append(delta["signature"])
            return []
        if kind == "content_block_stop" and index in self._pieces:
            signature = "".join(self._pieces.pop(index))
            whole = {"type": "content_block_delta", "index": index,
                     "delta": {"type": "signature_delta", "signature": tag(self._key, signature) if signature else ""}}
            return [whole, event]
        return [event]
