"""Named checks a catalogue entry may ask for: checksums and structure where the format has one.

Each takes the secret's text and returns a `Check`: CONFIRMED (checksum or structure holds), REJECTED (this is not
the format), UNKNOWN (nothing to check). Test and canary tokens are often hand-made, so a failed checksum is
UNKNOWN, not REJECTED: leaking a real token is worse than a false alarm.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Callable

from proxy.detection.checks import Check, shannon_entropy

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def base62(number: int, width: int = 6) -> str:
    """`number` in base62 (digits, upper, lower), left-padded with zeros to `width`."""
    out = ""
    while number:
        number, rem = divmod(number, 62)
        out = _BASE62[rem] + out
    return out.rjust(width, "0")


def crc32_suffix(value: str) -> Check:
    """GitHub's 2021 token format (also npm's): prefix `_`, 30 random characters, then the CRC32 of those 30 in six
    base62 characters."""
    body = value.split("_", 1)[-1]
    if len(body) == 36 and base62(zlib.crc32(body[:30].encode())) == body[30:]:
        return Check.CONFIRMED
    return Check.UNKNOWN


def openai(value: str) -> Check:
    """OpenAI puts base64("OpenAI") = `T3BlbkFJ` in its keys; a run like `sk-proj-XXXXXXXX…` is a placeholder."""
    if "T3BlbkFJ" in value:
        return Check.CONFIRMED
    body = value.split("-", 2)[-1]
    return Check.REJECTED if shannon_entropy(body) < 3.0 else Check.UNKNOWN


def slack_structure(value: str) -> Check:
    """Bot and user tokens carry the numeric workspace and user ids between dashes."""
    parts = value.split("-")
    if len(parts) >= 3 and parts[1].isdigit() and len(parts[1]) >= 9:
        return Check.CONFIRMED
    return Check.UNKNOWN


def bech32(value: str) -> Check:
    """age secret keys are Bech32 strings (BIP-173) with the human-readable part `age-secret-key-`."""
    lowered = value.lower()
    hrp, _, data = lowered.rpartition("1")
    try:
        values = [_BECH32.index(c) for c in data]
    except ValueError:
        return Check.REJECTED
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return Check.CONFIRMED if chk == 1 else Check.UNKNOWN


def base64_json(value: str) -> Check:
    """Grafana Cloud tokens: the part after the prefix is base64 of a JSON object."""
    body = value.split("_", 1)[-1]
    try:
        decoded = json.loads(base64.b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return Check.UNKNOWN
    return Check.CONFIRMED if isinstance(decoded, dict) else Check.UNKNOWN


VALIDATORS: dict[str, Callable[[str], Check]] = {
    "github_crc32": crc32_suffix,
    "openai": openai,
    "slack_structure": slack_structure,
    "bech32": bech32,
    "base64_json": base64_json,
}
