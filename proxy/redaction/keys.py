"""Keys for keyed (hash) and reversible (encrypt) redaction, derived from one secret with HKDF."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from proxy.settings import Settings

_SALT = b"govproxy-redaction-v1"


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info).derive(secret)


@dataclass(frozen=True, slots=True)
class RedactionKeys:
    """The HMAC key (hash strategy, synthetic nonces) and the AES-256-GCM key (encrypt strategy).

    Both are derived from one secret with HKDF-SHA256 under different `info` labels, so neither reveals the other
    or the secret. `generated` is true when no secret was configured and a random one was made for this process:
    hashes are then stable and encrypted tokens decryptable only inside this process.
    """

    hmac_key: bytes = field(repr=False)
    encryption_key: bytes = field(repr=False)
    generated: bool = False

    @classmethod
    def from_secret(cls, secret: str | bytes | None) -> RedactionKeys:
        """Derive both keys from `secret`; None (or empty) draws a random 32-byte secret for this process."""
        if not secret:
            raw, generated = os.urandom(32), True
        else:
            raw, generated = (secret.encode() if isinstance(secret, str) else secret), False
        return cls(_derive(raw, b"hmac-sha256"), _derive(raw, b"aes-256-gcm"), generated)

    @classmethod
    def from_settings(cls, settings: Settings) -> RedactionKeys:
        """From `Settings.redaction_key` (GOVPROXY_REDACTION_KEY); warns once when a random key is generated."""
        secret = settings.redaction_key.get_secret_value() if settings.redaction_key else None
        keys = cls.from_secret(secret)
        if keys.generated:
            structlog.get_logger().warning(
                "redaction_key_generated",
                detail="no redaction key configured: hashes and encrypted tokens are valid in this process only")
        return keys
