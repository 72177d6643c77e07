"""German phone numbers: international (`+49 30 1234567`, `0049 …`, `+49 (0)30 …`) and national
(`030 1234567`, `0171-1234567`, `(089) 123 45 67`, `030/123456`). A match is confirmed when libphonenumber
accepts it as a valid German number (area codes and lengths), and dropped otherwise.

The national form runs on German text only: in English text almost any digit group starting with 0 is a "valid"
German number (`078-05-1120`), and Presidio's phone recognizer (regions include DE) covers the clear cases there.
"""

from __future__ import annotations

import phonenumbers

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec

_SEP = r"[ \t./-]?"
_INTERNATIONAL = rf"(?:\+|\b00)49{_SEP}(?:\(0\){_SEP})?\(?[1-9]\d{{1,4}}\)?{_SEP}\d(?:{_SEP}\d){{2,10}}(?!\d)"
_NATIONAL = rf"(?<![\w+])(?:\(0[1-9]\d{{1,4}}\)|0[1-9]\d{{1,4}}){_SEP}\d(?:{_SEP}\d){{2,9}}(?!\d)"


def validate(value: str) -> Check:
    """libphonenumber's validity check for region DE."""
    try:
        number = phonenumbers.parse(value, "DE")
    except phonenumbers.NumberParseException:
        return Check.REJECTED
    if number.country_code == 49 and phonenumbers.is_valid_number(number):
        return Check.CONFIRMED
    return Check.REJECTED


_CONTEXT = ("telefon", "tel", "handy", "mobil", "fax", "rufnummer", "phone", "call", "anrufen", "erreichbar")

SPEC = RecognizerSpec(
    name="DePhoneRecognizer",
    entity_type="DE_PHONE",
    patterns=(PatternSpec("german phone international", _INTERNATIONAL, 0.5),),
    context=_CONTEXT,
    validate=validate,
    # +49 and a number libphonenumber accepts is as sure as a checksum; it must beat digit-group look-alikes
    # inside it (a UK NHS number passes its mod-11 check on one in eleven digit groups).
    confirmed_score=1.0,
)

NATIONAL_SPEC = RecognizerSpec(
    name="DePhoneNationalRecognizer",
    entity_type="DE_PHONE",
    patterns=(PatternSpec("german phone national", _NATIONAL, 0.4),),
    context=_CONTEXT,
    languages=("de",),
    validate=validate,
    confirmed_score=0.8,
)
