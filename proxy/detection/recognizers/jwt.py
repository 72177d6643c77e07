"""JSON Web Tokens: three base64url parts whose header decodes to a JSON object with an `alg`."""

from __future__ import annotations

import base64
import binascii
import json

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec


def _b64url_json(part: str) -> object:
    padded = part + "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(padded))


def validate(value: str) -> Check:
    """Confirm when header and payload decode to JSON objects and the header names an algorithm."""
    parts = value.split(".")
    try:
        header, payload = _b64url_json(parts[0]), _b64url_json(parts[1])
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return Check.REJECTED
    if isinstance(header, dict) and "alg" in header and isinstance(payload, dict):
        return Check.CONFIRMED
    return Check.REJECTED


SPEC = RecognizerSpec(
    name="JwtRecognizer",
    entity_type="JWT",
    patterns=(
        # The header and payload are JSON objects, so both start with base64url("{\"") = "eyJ".
        PatternSpec("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?![A-Za-z0-9_.-])", 0.8),
        PatternSpec("jwt unsigned", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.(?![A-Za-z0-9_-])", 0.6),
    ),
    context=("jwt", "token", "bearer", "authorization"),
    case_sensitive=True,
    validate=validate,
)
