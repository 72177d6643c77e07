"""Strings a caller chose, kept out of the audit unless they name something the proxy knows.

A caller can put anything into a model name, an `X-Forwarded-For` header (uvicorn takes the client address from it
when the connection comes from a trusted proxy), a record id in a URL or an audit filter: a card number sent as a
model name would otherwise sit in `requested_model` and every export. Each such string is stored as it is only
when it is one of the proxy's own names (a catalogue or policy alias, an IP address, a record id, a rule name, an
action); anything else is stored as a keyed hash and its length, `<hmac:0123456789abcdef:len=23>`: stable under one
key (the same string gives the same value in every record and on every replica sharing the key, so records can be
grouped), not reversible, and not testable against a guess without the key.

The key is the redaction HMAC key (GOVPROXY_REDACTION_KEY) with its own domain prefix, so these hashes never equal a
`hash`-strategy token; without a configured key a random one is drawn per process.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
from collections.abc import Collection

DIGEST_HEX_CHARS = 16
_DOMAIN = b"govproxy audit caller string v1\x00"
_RECORD_ID = re.compile(r"[0-9a-f]{32}")


class CallerStrings:
    """Keeps a caller-chosen string when it is known, else replaces it by its keyed hash and length."""

    def __init__(self, hmac_key: bytes | None = None) -> None:
        self._key = hmac_key or os.urandom(32)

    def __repr__(self) -> str:  # never the key
        return "CallerStrings()"

    def digest(self, value: str) -> str:
        """`<hmac:…:len=N>` for `value`."""
        mac = hmac.new(self._key, _DOMAIN + value.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return f"<hmac:{mac.hexdigest()[:DIGEST_HEX_CHARS]}:len={len(value)}>"

    def keep_if(self, value: str | None, known: bool) -> str | None:
        """`value` when `known`, else its digest (None stays None)."""
        if value is None or known:
            return value
        return self.digest(value)

    def one_of(self, value: str | None, names: Collection[str]) -> str | None:
        """`value` when it is one of `names`, else its digest."""
        return self.keep_if(value, value is not None and value in names)

    def address(self, value: str | None) -> str | None:
        """A client address: kept when it is an IP address, else (a forwarded header's free text) its digest."""
        if value is None:
            return None
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return self.digest(value)
        return value

    def record_id(self, value: str) -> str:
        """A record id from a URL: kept when it has the shape of one (32 hex digits), else its digest."""
        return self.keep_if(value, _RECORD_ID.fullmatch(value) is not None) or ""
