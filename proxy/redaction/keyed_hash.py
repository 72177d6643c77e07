"""Strategy `hash`: `<EMAIL_ADDRESS:hmac:1a2b3c4d5e6f>`, a keyed HMAC-SHA256 of the value.

Stable for one key (the same value gives the same token in every request and on every replica that shares the
key), so a model can still tell two values apart; not reversible, and without the key not even testable against a
guessed value. Never restored in responses.
"""

from __future__ import annotations

import hashlib
import hmac

from proxy.redaction.tokens import entity_label

DIGEST_HEX_CHARS = 12  # 48 bits: plenty to tell the values of one conversation apart


def keyed_hash(entity_type: str, value: str, hmac_key: bytes) -> str:
    """The hash token of `value` under `hmac_key` (from RedactionKeys)."""
    label = entity_label(entity_type)
    # The "hash" prefix separates these inputs from the synthetic nonces of the encrypt strategy (same key).
    message = b"hash\x00" + label.encode() + b"\x00" + value.encode()
    digest = hmac.new(hmac_key, message, hashlib.sha256).hexdigest()[:DIGEST_HEX_CHARS]
    return f"<{label}:hmac:{digest}>"
