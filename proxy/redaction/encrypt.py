"""Strategy `encrypt`: `<PERSON:enc:…>`, the value sealed with AES-256-GCM under the redaction key.

Authenticated: a token that was altered, truncated or sealed under another key does not decrypt. The entity label
is bound in as associated data, so a token cannot be relabelled either.

Deterministic by design: the 96-bit nonce is an HMAC of (label, value) (a synthetic IV, as in SIV modes). The same
value therefore gives the same token in every turn and on every replica that shares the key, which keeps
placeholders stable for the model without any shared state. A nonce repeats only for the same plaintext, where it
reveals only that the two values are equal -- which the placeholder and hash strategies reveal as well; distinct
values get distinct nonces (a collision needs about 2^48 values under one key). Decryption recomputes the nonce and
rejects a token whose nonce does not match its plaintext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from proxy.redaction.keys import RedactionKeys
from proxy.redaction.tokens import entity_label

_NONCE = 12
_TAG = 16
_TOKEN = re.compile(r"<([A-Z0-9_]+):enc:([A-Za-z0-9_\-]+)>")


class InvalidRedactionToken(ValueError):
    """The token is not one this key sealed (altered, truncated, malformed, or another key)."""


def _nonce(label: str, value: bytes, keys: RedactionKeys) -> bytes:
    return hmac.new(keys.hmac_key, b"nonce\x00" + label.encode() + b"\x00" + value, hashlib.sha256).digest()[:_NONCE]


def encrypt(entity_type: str, value: str, keys: RedactionKeys) -> str:
    """The encrypt token of `value`: `<LABEL:enc:base64url(nonce || ciphertext || tag)>`."""
    label = entity_label(entity_type)
    plain = value.encode()
    nonce = _nonce(label, plain, keys)
    sealed = AESGCM(keys.encryption_key).encrypt(nonce, plain, label.encode())
    body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return f"<{label}:enc:{body}>"


def decrypt(token: str, keys: RedactionKeys) -> tuple[str, str]:
    """(entity label, value) of an encrypt token; raises InvalidRedactionToken unless it is intact and ours."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        raise InvalidRedactionToken("not an encrypt token")
    label, body = match.groups()
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise InvalidRedactionToken("the token is not valid base64url") from None
    if len(raw) < _NONCE + _TAG:
        raise InvalidRedactionToken("the token is truncated")
    nonce, sealed = raw[:_NONCE], raw[_NONCE:]
    try:
        plain = AESGCM(keys.encryption_key).decrypt(nonce, sealed, label.encode())
    except InvalidTag:
        raise InvalidRedactionToken("the token was altered or sealed under another key") from None
    if not hmac.compare_digest(nonce, _nonce(label, plain, keys)):
        raise InvalidRedactionToken("the token's nonce does not belong to its value")
    return label, plain.decode()
