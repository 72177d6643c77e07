"""German identity card number (Personalausweis, since 2010): 9 characters from the ICAO alphabet without
vowels and look-alikes (C F G H J K L M N P R T V W X Y Z and digits), first a letter.

The printed number carries no check digit; the machine-readable zone appends one (ICAO 9303: weights 7,3,1,
letters A=10 … Z=35, modulo 10). So: a 10-character form with a correct check digit is confirmed; the printed
9-character form needs context words (Personalausweis, Ausweisnummer, …) to be reported.
"""

from __future__ import annotations

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec

_ALPHABET = "CFGHJKLMNPRTVWXYZ0123456789"


def icao_check_digit(value: str) -> int:
    """ICAO 9303 check digit of an alphanumeric string."""
    total = 0
    for i, ch in enumerate(value):
        number = int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10
        total += number * (7, 3, 1)[i % 3]
    return total % 10


def validate(value: str) -> Check:
    """10 characters: confirm by the ICAO check digit. 9 characters: must mix letters and digits."""
    if any(ch not in _ALPHABET for ch in value[:9]):
        return Check.REJECTED
    if len(value) == 10:
        return Check.CONFIRMED if icao_check_digit(value[:9]) == int(value[9]) else Check.REJECTED
    has_digit = any(ch.isdigit() for ch in value)
    return Check.UNKNOWN if has_digit and sum(ch.isdigit() for ch in value) < 9 else Check.REJECTED


SPEC = RecognizerSpec(
    name="DeIdCardRecognizer",
    entity_type="DE_ID_CARD",
    patterns=(
        PatternSpec("personalausweis with check digit", r"\b[CFGHJKLMNPRTVWXYZ][CFGHJKLMNPRTVWXYZ0-9]{8}\d\b", 0.5),
        PatternSpec("personalausweis printed", r"\b[CFGHJKLMNPRTVWXYZ][CFGHJKLMNPRTVWXYZ0-9]{8}\b", 0.25),
    ),
    context=("personalausweis", "ausweis", "ausweisnummer", "personalausweisnummer", "dokumentennummer",
             "identity", "id"),
    case_sensitive=True,
    validate=validate,
    confirmed_score=0.9,
)
