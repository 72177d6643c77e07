"""German social security (pension insurance) number, Sozialversicherungsnummer / Rentenversicherungsnummer.

12 characters: area (2 digits), birth date DDMMYY (day + 50 allowed), the initial of the birth name, a serial
(2 digits) and a check digit. Written plain (`65170839J003`) or grouped (`65 170839 J 003`). The check digit
(VKVV § 4): replace the letter by its two-digit alphabet position, weight the 12 digits 2,1,2,5,7,1,2,1,2,1,2,1, add
the digit sums of the products, modulo 10.
"""

from __future__ import annotations

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec, strip_separators

_WEIGHTS = (2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1)


def check_digit(first_eleven: str) -> int:
    """Check digit for the first 11 characters (8 digits, a letter, 2 digits)."""
    letter = first_eleven[8].upper()
    digits = first_eleven[:8] + f"{ord(letter) - ord('A') + 1:02d}" + first_eleven[9:11]
    total = 0
    for ch, weight in zip(digits, _WEIGHTS, strict=True):
        product = int(ch) * weight
        total += product // 10 + product % 10
    return total % 10


def validate(value: str) -> Check:
    """Confirm by birth-date ranges and the check digit; reject anything else."""
    v = strip_separators(value).upper()
    if len(v) != 12 or not (v[:8].isdigit() and v[8].isalpha() and v[8].isascii() and v[9:].isdigit()):
        return Check.REJECTED
    day, month = int(v[2:4]), int(v[4:6])
    if not (1 <= day <= 31 or 51 <= day <= 81) or not 1 <= month <= 12:
        return Check.REJECTED
    return Check.CONFIRMED if check_digit(v[:11]) == int(v[11]) else Check.REJECTED


SPEC = RecognizerSpec(
    name="DeSocialSecurityRecognizer",
    entity_type="DE_SOCIAL_SECURITY",
    patterns=(PatternSpec("sozialversicherungsnummer", r"\b\d{2}[ ]?\d{6}[ ]?[A-Z][ ]?\d{3}\b", 0.5),),
    context=("sozialversicherungsnummer", "versicherungsnummer", "rentenversicherungsnummer", "rvnr", "svnr",
             "sozialversicherung", "rentenversicherung", "social", "security"),
    validate=validate,
    confirmed_score=0.95,
)
