"""AWS secret access keys: 40 base64 characters, found by their assignment or by AWS words nearby.

A bare 40-character string is too common (SHA-1 commit hashes are 40 hex characters) to report on its own: the bare
pattern scores below the threshold and needs context words; the check rejects hex-only and low-entropy strings.
"""

from __future__ import annotations

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec, shannon_entropy
from proxy.detection.secrets.guards import is_placeholder

_KEY_NAMES = r"(?:aws_?secret_?access_?key|secret_?access_?key|aws_?secret_?key|aws_?secret)"
_VALUE = r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"


def validate(value: str) -> Check:
    """Random base64 mixes cases and digits and is near 5 bits/char; hex hashes are at most 4. The documented
    example key (`wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`) is no secret."""
    has_mix = any(c.islower() for c in value) and any(c.isupper() for c in value) and any(c.isdigit() for c in value)
    if not has_mix or shannon_entropy(value) < 4.2 or is_placeholder(value):
        return Check.REJECTED
    return Check.UNKNOWN


SPEC = RecognizerSpec(
    name="AwsSecretKeyRecognizer",
    entity_type="AWS_SECRET_ACCESS_KEY",
    patterns=(
        PatternSpec("aws secret assignment", rf"(?<={_KEY_NAMES}[\"']?\s*[:=]\s*[\"']?){_VALUE}", 0.95),
        PatternSpec("aws secret bare", rf"(?<![A-Za-z0-9/+]){_VALUE}", 0.2),
    ),
    context=("aws", "secret", "credentials"),
    validate=validate,
)
