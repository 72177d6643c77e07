"""What looks like a secret but is not: documented example keys, placeholders, hashes, ids, images, versions.

Used by every secret recognizer (placeholders) and by the keyword-free high-entropy one (the look-alikes).
"""

from __future__ import annotations

import regex

# Keys that providers print in their own documentation; they are in every tutorial and are not credentials.
DOCUMENTED_EXAMPLES = frozenset({
    "AKIAIOSFODNN7EXAMPLE", "AKIAI44QH8DHBEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY", "sk_test_4eC39HqLyjWDarjtT1zdp7dc", "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
    "ASIAIOSFODNN7EXAMPLE", "AIDACKCEVSQ6C2EXAMPLE", "AROADBQP57FF2AEXAMPLE",
})
# Words that mark a value as a stand-in: `<your-key>`, `sk-...`, `xxxx`, `changeme`, `${API_KEY}`.
_PLACEHOLDER = regex.compile(
    r"x{4,}|\*{3,}|\.{3,}|•{3,}|#{4,}|[<>]|\$\{|\{\{|%\(|\$\(|^\$[A-Z_]|^%[A-Z_]+%$"
    r"|your[_-]?|example|changeme|change[_-]me|placeholder|redacted|dummy|replace[_-]?me|insert[_-]?here"
    r"|^(?:secret|password|passwort|kennwort|token|pass|passwd|pwd|none|null|nil|undefined|true|false|empty|test"
    r"|testing|admin|root|user|default|string|value|required|optional|tbd|todo|n/a|\*+)$"
    r"|qwertz|qwerty",
    regex.IGNORECASE)


def is_placeholder(value: str) -> bool:
    """A documented example key or a value that says it is a stand-in."""
    if value in DOCUMENTED_EXAMPLES:
        return True
    if _PLACEHOLDER.search(value):
        return True
    # One character repeated over most of the value ("aaaaaaaa1", "--------").
    return len(value) >= 6 and max(value.count(c) for c in set(value)) / len(value) > 0.5


_UUID = regex.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = regex.compile(r"(?:0x)?[0-9a-fA-F]+")
_VERSION = regex.compile(r"v?\d+(?:[._-]\d+)+(?:[-+][0-9A-Za-z.-]+)?")
# Where a run sits tells what it is: an integrity hash, a digest, a picture, a public key.
_BEFORE_LOOKALIKE = regex.compile(
    r"(?:sha(?:1|224|256|384|512)[-:~=]|md5[-:=]|h1:|zh:|sum:|;base64,|ssh-(?:rsa|ed25519|dss)\s+"
    r"|ecdsa-sha2-nistp\d+\s+|(?:integrity|hash|checksum|digest|etag|fingerprint|content-md5|sri)[\"']?\s*[:=]\s*"
    r"(?:W/)?[\"']?(?:sha\d+-)?|--hash=\w+:|@sha256:|#)$",
    regex.IGNORECASE)
# Public identifiers in base58 or base32: Bitcoin addresses (P2PKH/P2SH), IPFS CIDs (v0 `Qm…`, v1 `bafy…`).
# Typed object ids (`cus_…`, `pi_3…`, `evt_…`): a short type prefix and a short random part; provider keys with a
# prefix are longer and are the catalogue's business.
_PUBLIC_ID = regex.compile(r"[13][1-9A-HJ-NP-Za-km-z]{25,34}|Qm[1-9A-HJ-NP-Za-km-z]{44}|baf[a-z2-7]{50,}"
                           r"|[a-z]{2,6}_[A-Za-z0-9]{10,28}")
_IMAGE_OR_PUBLIC = ("iVBORw0KGg", "/9j/", "9j/4", "R0lGOD", "UklGR", "PHN2Zy", "AAAAB3NzaC1", "AAAAC3NzaC1",
                    "AAAAE2VjZHNh", "LS0tLS1CRUdJTiBDRVJU", "LS0tLS1CRUdJTiBQVUJMSUMg", "MII")
_HASH_PREFIX = regex.compile(r"(?:sha(?:1|224|256|384|512)|md5)[-:~=]", regex.IGNORECASE)  # sha512-… (yarn.lock)
_CERT_BLOCK = regex.compile(r"-----BEGIN (?:CERTIFICATE|PUBLIC KEY|RSA PUBLIC KEY|PGP PUBLIC KEY BLOCK|CERTIFICATE "
                            r"REQUEST|X509 CRL)-----.*?(?:-----END [A-Z0-9 ]+-----|\Z)", regex.DOTALL)


def public_blocks(text: str) -> list[tuple[int, int]]:
    """Certificate and public-key PEM blocks: their base64 lines are public."""
    if "-----BEGIN" not in text:
        return []
    return [m.span() for m in _CERT_BLOCK.finditer(text)]


def is_lookalike(value: str, text: str, start: int) -> bool:
    """A run that is random-looking but no secret: a UUID, a hex hash or id, a version, a hash in a lock file or
    after a digest/checksum name, a base64 image or public key, a crypto address, content id or typed object id,
    or a value inside a URL's path."""
    if _UUID.fullmatch(value) or _HEX.fullmatch(value) or _VERSION.fullmatch(value):
        return True
    if value.startswith(_IMAGE_OR_PUBLIC) or _PUBLIC_ID.fullmatch(value) or _HASH_PREFIX.match(value):
        return True
    before = text[max(0, start - 40):start]
    if _BEFORE_LOOKALIKE.search(before):
        return True
    # Inside a URL (a path segment, a document id): tokens that matter there come with a parameter name.
    word_start = max(before.rfind(" "), before.rfind("\n"), before.rfind("\t"), before.rfind("\""), before.rfind("'"))
    return "://" in before[word_start + 1:] or before.endswith(("/", "."))
