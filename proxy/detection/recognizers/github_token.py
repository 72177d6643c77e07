"""GitHub tokens: classic (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` + 36) and fine-grained (`github_pat_…`).

Classic tokens end in a CRC32 checksum of their random part, base62-encoded in six characters (GitHub's 2021 token
format). A token that passes is confirmed; one that fails is still reported at the pattern's score, because test and
canary tokens are often hand-made and leaking them is worse than a false alarm.
"""

from __future__ import annotations

import zlib

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def base62(number: int, width: int = 6) -> str:
    """`number` in base62 (digits, upper, lower), left-padded with zeros to `width`."""
    out = ""
    while number:
        number, rem = divmod(number, 62)
        out = _BASE62[rem] + out
    return out.rjust(width, "0")


def validate(value: str) -> Check:
    """Confirm a classic token whose last six characters are the CRC32 of the thirty before them."""
    if value.startswith("github_pat_"):
        return Check.UNKNOWN
    body = value[4:]
    if len(body) == 36 and base62(zlib.crc32(body[:30].encode())) == body[30:]:
        return Check.CONFIRMED
    return Check.UNKNOWN


SPEC = RecognizerSpec(
    name="GitHubTokenRecognizer",
    entity_type="GITHUB_TOKEN",
    patterns=(
        PatternSpec("github classic token", r"\bgh[pousr]_[A-Za-z0-9]{36}\b", 0.8),
        PatternSpec("github fine-grained token", r"\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\b", 0.95),
    ),
    context=("github", "token", "pat"),
    case_sensitive=True,
    validate=validate,
)
