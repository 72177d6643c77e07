"""Long random strings anywhere are secrets, with no name or provider prefix to give them away.

A candidate is a run of 20+ base64/base64url characters that mixes upper case, lower case and digits (at least two
of each) at near-maximal entropy for its length. The guards (`secrets/guards.py`) keep look-alikes out: UUIDs,
hex hashes and ids (git SHAs, digests), version strings, lock-file integrity hashes (`sha512-…`, `h1:…`),
base64 images and public keys, certificate blocks, and ids inside URLs. Identifiers made of words
(`getUserProfileV2Async`), ids joined from hex pieces and words (`i-0abc…`, `…-FRA`) and base64 that decodes to
readable text are not random.
"""

from __future__ import annotations

import base64
import binascii
import math

import regex

from proxy.detection.recognizers import name_lists
from proxy.detection.recognizers.base import RecognizerSpec, SpanMatch, shannon_entropy
from proxy.detection.secrets.guards import is_lookalike, is_placeholder, public_blocks

MIN_LENGTH = 20
# A run starts with a letter or digit: `//Qm…` after `ipfs:` is a URL's, not a token's start.
_RUN = regex.compile(r"(?<![A-Za-z0-9+/=_\-.@])[A-Za-z0-9][A-Za-z0-9+/_\-]{19,999}={0,2}(?![A-Za-z0-9+/=_\-@])")
_LETTERS = regex.compile(r"[A-Z]?[a-z]{3,}|[A-Z]{3,}(?![a-z])")


def _wordy(value: str) -> bool:
    """Half or more of the characters are in ordinary words: an identifier, not a random string."""
    covered = sum(len(w) for w in _LETTERS.findall(value) if name_lists.is_english_word(w, plurals=True))
    return covered * 2 >= len(value)


def _readable_base64(value: str) -> bool:
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=False)
        decoded = raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    return bool(decoded) and all(c.isprintable() for c in decoded) and " " in decoded.strip()


_PIECES = regex.compile(r"[-_./+:]")
_HEX_PIECE = regex.compile(r"[0-9a-fA-F]+")


def _composed(value: str) -> bool:
    """Made of pieces none of which is random on its own: hex ids, numbers and words joined by `-`, `_`, `/`
    (`i-0abc…`, `cf-ray` values like `8d2f…-FRA`, `<uuid>/resourceGroups/rg-prod`), or a path of words with one
    short hash in it."""
    pieces = [p for p in _PIECES.split(value.rstrip("=")) if p]
    if len(pieces) < 2:
        return False
    if all(_HEX_PIECE.fullmatch(p) or p.isdigit() or p.isalpha() for p in pieces):
        return True
    # A path with a content hash (`dist/assets/index-Q9HMhvX2`): mostly alphabetic pieces of four letters or more.
    return sum(len(p) for p in pieces if len(p) >= 4 and p.isalpha()) * 2 >= len(value)


def random_enough(value: str) -> bool:
    body = value.rstrip("=")
    if len(body) < MIN_LENGTH:
        return False
    lower = sum(c.islower() for c in body)
    upper = sum(c.isupper() for c in body)
    digits = sum(c.isdigit() for c in body)
    if min(lower, upper, digits) < 2:
        return False
    return shannon_entropy(body) >= min(4.2, 0.8 * math.log2(len(body)))


def find_random_tokens(text: str) -> list[SpanMatch]:
    blocks = public_blocks(text)
    out = []
    for m in _RUN.finditer(text):
        value = m.group()
        if not random_enough(value) or is_placeholder(value) or is_lookalike(value, text, m.start()):
            continue
        if any(s <= m.start() < e for s, e in blocks) or _wordy(value) or _composed(value) \
                or _readable_base64(value):
            continue
        out.append(SpanMatch(m.start(), m.end(), 0.7, "random token"))
    return out


SPEC = RecognizerSpec(
    name="HighEntropyRecognizer",
    entity_type="HIGH_ENTROPY_TOKEN",
    finder=find_random_tokens,
    case_sensitive=True,
)
