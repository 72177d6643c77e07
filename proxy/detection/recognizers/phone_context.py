"""Phone numbers in any national format when phone words are near (`Phone: 0490 75 40 81`, `call me on
9472 7916`), plus `+`-prefixed international numbers that libphonenumber accepts.

Presidio's phone recognizer only knows a handful of regions; digit groups without a country code are everywhere
(amounts, ids, dates), so a bare group scores below the threshold and needs a phone word within five words before it,
or a label right after it, as contact lists write them (`(37) 788-063-Office`, `3660170548-Fax`).
"""

from __future__ import annotations

import phonenumbers

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec

_GROUPS = r"(?:\(\d{1,4}\)[ .-]?)?\d{2,5}(?:[ .-]?\d{2,5}){0,4}"
_LABELS = r"(?i:office|fax|home|work|mobile|cell|phone|tel|landline)"


def validate(value: str) -> Check:
    """7-15 digits; `+` numbers are confirmed when libphonenumber calls them valid; no date-like groups."""
    digits = [c for c in value if c.isdigit()]
    if not 7 <= len(digits) <= 15 or len(set(digits)) == 1:
        return Check.REJECTED
    if value.startswith("+"):
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            return Check.UNKNOWN
        return Check.CONFIRMED if phonenumbers.is_valid_number(number) else Check.UNKNOWN
    return Check.UNKNOWN


SPEC = RecognizerSpec(
    name="PhoneContextRecognizer",
    entity_type="PHONE_NUMBER",
    patterns=(
        PatternSpec("international phone", rf"(?<![\w+])\+\d{{1,3}}[ .-]?(?:\(0\)[ .-]?)?{_GROUPS}(?!\w)", 0.5),
        PatternSpec("phone digit groups", rf"(?<![\w+.,/:-]){_GROUPS}(?![\w/:]|[.,]\d)", 0.1),
        # Contact lists put the label after the number: "(37) 788-063-Office", "…,3660170548-Fax".
        PatternSpec("phone before its label", rf"(?<![\w+./:-]){_GROUPS}(?=[ ]?[-–(][ ]?{_LABELS}\b)", 0.6),
    ),
    # Matched as substrings of the lower-cased words before the number: "message" covers "messages".
    context=("phone", "telephone", "tel", "mobile", "cell", "call", "fax", "dial", "sms", "whatsapp", "reach",
             "contact", "message", "registered", "answering", "text", "txt", "ring", "hotline", "helpline",
             "landline", "voicemail", "telefon", "handy", "mobil", "rufnummer", "anrufen", "erreichbar"),
    validate=validate,
    confirmed_score=0.9,
)
