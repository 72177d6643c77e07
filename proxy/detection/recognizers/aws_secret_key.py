"""AWS secret access keys: 40 base64 characters, found by their assignment or by AWS words shortly before them.

A bare 40-character string is too common (SHA-1 commit hashes are 40 hex characters) to name as an AWS key on its
own: it is one when `aws` (or "secret access key") stands within a few words before it; the check rejects hex-only
and low-entropy strings and the documented example. (Without AWS words a random one is still a secret, reported by
`high_entropy`.) Texts that hold no AWS word are not searched at all.
"""

from __future__ import annotations

import regex

from proxy.detection.recognizers.base import Check, RecognizerSpec, SpanMatch, shannon_entropy
from proxy.detection.secrets.guards import is_placeholder

_KEY_NAMES = r"(?:aws_?secret_?access_?key|secret_?access_?key|aws_?secret_?key|aws_?secret)"
_VALUE = r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
_ASSIGNMENT = regex.compile(rf"(?<={_KEY_NAMES}[\"']?\s*[:=]\s*[\"']?){_VALUE}", regex.IGNORECASE)
_BARE = regex.compile(rf"(?<![A-Za-z0-9/+]){_VALUE}")
_AWS_WORDS = regex.compile(r"\baws\b|amazon|secret[ _]?access[ _]?key", regex.IGNORECASE)
_NEAR = 60  # characters before a bare value in which an AWS word counts


def validate(value: str) -> Check:
    """Random base64 mixes cases and digits and is near 5 bits/char; hex hashes are at most 4. The documented
    example key (`wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`) is no secret."""
    has_mix = any(c.islower() for c in value) and any(c.isupper() for c in value) and any(c.isdigit() for c in value)
    if not has_mix or shannon_entropy(value) < 4.2 or is_placeholder(value):
        return Check.REJECTED
    return Check.UNKNOWN


def find_aws_secrets(text: str) -> list[SpanMatch]:
    if not _AWS_WORDS.search(text):
        return []
    out = []
    assigned = set()
    for m in _ASSIGNMENT.finditer(text):
        if validate(m.group()) is not Check.REJECTED:
            out.append(SpanMatch(m.start(), m.end(), 0.95, "aws secret assignment"))
            assigned.add(m.start())
    for m in _BARE.finditer(text):
        if m.start() in assigned or not _AWS_WORDS.search(text, max(0, m.start() - _NEAR), m.start()):
            continue
        if validate(m.group()) is not Check.REJECTED:
            out.append(SpanMatch(m.start(), m.end(), 0.6, "aws secret near aws words"))
    return out


SPEC = RecognizerSpec(
    name="AwsSecretKeyRecognizer",
    entity_type="AWS_SECRET_ACCESS_KEY",
    finder=find_aws_secrets,
    case_sensitive=True,
)
