"""Authenticated encryption of stored originals (AES-256-GCM) under the audit key the proxy holds.

The key is derived from `Settings.audit_encryption_key` with HKDF-SHA256, so any high-entropy secret works
(e.g. `openssl rand -base64 32`). The record id and key id are bound in as associated data: a ciphertext copied
into another record, or presented under another key id, fails to decrypt.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from proxy.settings import Settings

_INFO = b"govproxy audit originals v1"
_NONCE = 12


class RevealError(Exception):
    """Decryption is impossible (no key, another key id, or the ciphertext was altered). No data in the message."""


class AuditCipher:
    def __init__(self, secret: str, key_id: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
        self._aead = AESGCM(key)
        self.key_id = key_id

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditCipher | None:
        """The configured cipher, or None when no audit encryption key is set."""
        if settings.audit_encryption_key is None:
            return None
        secret = settings.audit_encryption_key.get_secret_value()
        return cls(secret, settings.audit_encryption_key_id) if secret else None

    def _aad(self, record_id: str) -> bytes:
        return f"{record_id}|{self.key_id}".encode()

    def encrypt(self, record_id: str, plaintext: bytes) -> str:
        """base64(nonce || ciphertext+tag)."""
        nonce = os.urandom(_NONCE)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, plaintext, self._aad(record_id))).decode()

    def decrypt(self, record_id: str, token: str, key_id: str | None) -> bytes:
        if key_id != self.key_id:
            raise RevealError(f"The record was encrypted under key id {key_id!r}; the configured key id is "
                              f"{self.key_id!r}.")
        try:
            raw = base64.b64decode(token, validate=True)
            return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], self._aad(record_id))
        except (InvalidTag, ValueError):
            raise RevealError("The stored original does not decrypt with the configured key "
                              "(wrong key, or the ciphertext was altered).") from None
