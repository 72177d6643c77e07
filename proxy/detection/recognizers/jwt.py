"""JSON Web Tokens (and JWE), one span from `eyJ` to the end of the signature.

A token whose header decodes to a JSON object naming an `alg` (or `enc`, `typ`, `kid`) is a JWT even when its
payload is truncated or corrupt: the header is what identifies it, and a broken payload still carries a signature.
"""

from __future__ import annotations

import base64
import binascii
import json

import regex

from proxy.detection.recognizers.base import Check, RecognizerSpec, SpanMatch

# Header, then up to four more dot-separated base64url parts (payload, signature; JWE has five parts). A part may
# be empty (unsigned tokens end in a dot).
_TOKEN = regex.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,}={0,2}(?:\.[A-Za-z0-9_-]*={0,2}){1,4}"
                       r"(?![A-Za-z0-9_-])")
_HEADER_KEYS = frozenset({"alg", "enc", "typ", "kid"})


def _b64url_json(part: str) -> object:
    padded = part.rstrip("=") + "=" * (-len(part.rstrip("=")) % 4)
    return json.loads(base64.urlsafe_b64decode(padded))


def validate(value: str) -> Check:
    """Confirm when the header decodes to a JSON object with a JOSE header field; reject anything else."""
    try:
        header = _b64url_json(value.split(".", 1)[0])
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return Check.REJECTED
    if isinstance(header, dict) and ("alg" in header or "enc" in header) and set(header) <= _HEADER_KEYS | {
            "cty", "x5t", "x5c", "jku", "jwk", "crit", "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c",
            "x5u", "x5t#S256", "b64", "url", "nonce"}:
        return Check.CONFIRMED
    return Check.REJECTED


def find_jwts(text: str) -> list[SpanMatch]:
    out = []
    for m in _TOKEN.finditer(text):
        value = m.group()
        if value.count(".") == 1 and value.endswith("."):
            continue  # `eyJ….` alone: a header and nothing else
        if validate(value) is Check.CONFIRMED:
            out.append(SpanMatch(m.start(), m.end(), 1.0, "jwt"))
    return out


SPEC = RecognizerSpec(
    name="JwtRecognizer",
    entity_type="JWT",
    finder=find_jwts,
    case_sensitive=True,
)
