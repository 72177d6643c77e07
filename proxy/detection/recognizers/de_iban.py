"""German IBANs in every way people write them: `DE89 3704 0044 0532 0130 00`, `DE89-3704-…`, lower case, or
run together. Presidio's IBAN recognizer covers other countries; this one makes sure German formats (including
lower case, which Presidio misses) pass. Confirmed by the ISO 13616 mod-97 check; a failed check is dropped."""

from __future__ import annotations

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec, strip_separators


def iban_is_valid(value: str) -> bool:
    """The ISO 13616 mod-97 check on an IBAN without separators."""
    iban = value.upper()
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def validate(value: str) -> Check:
    """Confirm by mod-97; reject anything else."""
    iban = strip_separators(value)
    ok = len(iban) == 22 and iban[2:].isdigit() and iban_is_valid(iban)
    return Check.CONFIRMED if ok else Check.REJECTED


SPEC = RecognizerSpec(
    name="DeIbanRecognizer",
    entity_type="IBAN_CODE",
    patterns=(PatternSpec("german iban", r"\bDE\d{2}(?:[ -]?\d{4}){4}[ -]?\d{2}\b", 0.5),),
    context=("iban", "konto", "bankverbindung", "account", "bank"),
    validate=validate,
)
