"""AWS access key ids (`AKIA…` long-term, `ASIA…` temporary, and the other IAM unique-id prefixes)."""

from __future__ import annotations

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec, shannon_entropy

# IAM unique-id prefixes; the 16 characters after them are base32 (A-Z, 2-7).
_PREFIXES = "AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA"


def validate(value: str) -> Check:
    """Reject runs such as `AKIAAAAAAAAAAAAAAAAA`; there is no checksum to confirm."""
    return Check.REJECTED if shannon_entropy(value[4:]) < 2.5 else Check.UNKNOWN


SPEC = RecognizerSpec(
    name="AwsAccessKeyRecognizer",
    entity_type="AWS_ACCESS_KEY_ID",
    patterns=(PatternSpec("aws access key id", rf"\b(?:{_PREFIXES})[A-Z2-7]{{16}}\b", 0.85),),
    context=("aws", "access", "key", "iam", "credentials"),
    case_sensitive=True,
    validate=validate,
)
