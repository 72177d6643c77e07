"""Payment card numbers next to card words, including ones that fail the Luhn check.

Presidio's card recognizer drops numbers with a wrong Luhn digit. A mistyped card number is still a card number
someone meant to share, so with a card word (card, credit, visa, Kreditkarte, …) nearby 12-19 digits are reported;
a Luhn-valid number is confirmed.
"""

from __future__ import annotations

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec, strip_separators


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check used by payment card numbers."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def validate(value: str) -> Check:
    """12-19 digits; Luhn-valid ones confirmed, others left to context."""
    digits = strip_separators(value)
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or len(set(digits)) == 1:
        return Check.REJECTED
    return Check.CONFIRMED if luhn_ok(digits) else Check.UNKNOWN


SPEC = RecognizerSpec(
    name="CardContextRecognizer",
    entity_type="CREDIT_CARD",
    patterns=(PatternSpec("card number with context", r"(?<![\w.-])\d{4}(?:[ -]?\d{2,4}){2,4}(?![\w-]|[.,]\d)", 0.1),),
    context=("card", "credit", "debit", "visa", "mastercard", "amex", "maestro", "kreditkarte", "karte",
             "kartennummer"),
    validate=validate,
    confirmed_score=0.5,
)
