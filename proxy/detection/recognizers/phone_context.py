"""Phone numbers in any national format when phone words are near (`Phone: 0490 75 40 81`, `call me on
9472 7916`), plus `+`-prefixed international numbers that libphonenumber accepts.

Presidio's phone recognizer only knows a handful of regions; digit groups without a country code are everywhere
(amounts, ids, dates), so a bare group scores below the threshold and needs a phone word within five words before it,
or a label right after it, as contact lists write them (`(37) 788-063-Office`, `3660170548-Fax`).
"""

from __future__ import annotations

import phonenumbers
import regex

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec

# A country or trunk digit may come first ("1 (976) 283-3125", "1-717-047-1874"); an extension may follow
# ("962-401-6849x340", "621-014-1561 x836", "… ext. 12"). Hungarian numbers put a slash after the area code:
# "(29)/841-5377".
_EXTENSION = r"(?:[ ]?(?i:x|ext\.?)[ ]?\d{1,5}\b)?"
_GROUPS = (rf"(?:(?:\d{{1,3}}[ .-]?)?\(\d{{1,4}}\)[ ./-]?|1[ -](?=\d{{3}}[ .-]))?"
           rf"\d{{2,5}}(?:[ .-]?\d{{2,5}}){{0,4}}{_EXTENSION}")
# After a `+` country code the next group may be one digit ("+64-7-168-2889").
_INTL_GROUPS = rf"(?:\(\d{{1,4}}\)[ .-]?)?\d{{1,5}}(?:[ .-]?\d{{1,5}}){{1,5}}{_EXTENSION}"
# The North American forms, which are phone numbers by their punctuation alone: (723) 324-9351, 723-324-9351,
# 723.324.9351, with an optional 1, +1 or 001 in front.
_NANP = regex.compile(r"(?:(?:\+?1|001)[ .-]?)?(?:\(\d{3}\)[ ]?\d{3}-|\d{3}-\d{3}-|\d{3}\.\d{3}\.)\d{4}"
                      r"(?:[ ]?(?:x|ext\.?)[ ]?\d{1,5})?", regex.IGNORECASE)
_TRAILING_EXTENSION = regex.compile(r"[ ]?(?:x|ext\.?)[ ]?\d+$", regex.IGNORECASE)
# A whole number after a cue that says what it is (a field label, "my number is"): `+` international or groups.
_CUED_NUMBER = (rf"(?:\+\d{{1,3}}[ .-]?(?:\(0\)[ .-]?)?{_INTL_GROUPS}|{_GROUPS})(?![\w/:]|[.,]\d)")
_LABELS = r"(?i:office|fax|home|work|mobile|cell|phone|tel|landline)"


def validate(value: str) -> Check:
    """7-15 digits (an extension aside); `+` numbers are confirmed when libphonenumber calls them valid, North
    American forms by their punctuation."""
    digits = [c for c in _TRAILING_EXTENSION.sub("", value) if c.isdigit()]
    if not 7 <= len(digits) <= 15 or len(set(digits)) == 1:
        return Check.REJECTED
    if _NANP.fullmatch(value):
        return Check.CONFIRMED
    if value.startswith(("+", "(+")):
        try:
            number = phonenumbers.parse(value.replace("(+", "+", 1).replace(")", "", 1) if value[0] == "(" else value,
                                        None)
        except phonenumbers.NumberParseException:
            return Check.UNKNOWN
        return Check.CONFIRMED if phonenumbers.is_valid_number(number) else Check.UNKNOWN
    return Check.UNKNOWN


SPEC = RecognizerSpec(
    name="PhoneContextRecognizer",
    entity_type="PHONE_NUMBER",
    patterns=(
        PatternSpec("international phone",
                    rf"(?<![\w+])(?:\+\d{{1,3}}|\(\+\d{{1,3}}\))[ .-]?(?:\(0\)[ .-]?)?{_INTL_GROUPS}(?!\w)", 0.5),
        PatternSpec("phone digit groups", rf"(?<![\w+.,/:-]){_GROUPS}(?![\w/:]|[.,]\d)", 0.1),
        # A labelled field ("Phone: (03)-1982-9657", "Tel.:\n+43 …") says what the number is; the score is above the
        # NER's 0.85, which reads some of these as dates.
        PatternSpec("phone after its label",
                    r"(?<=\b(?i:phone|telephone|tel|mobile|mob|cell|fax|telefon|handy|mobil)\.?"
                    rf"(?:[ ](?i:no|nr|number|nummer)\.?)?[ ]?:[ \t]*\n?[ \t]*){_CUED_NUMBER}", 0.9),
        # "My number is …" means a phone number; "licence number", "order number" do not, so "number" is no
        # context word.
        PatternSpec("phone after 'my number'",
                    r"(?<=\b(?i:(?:my|our|his|her|their|your)[ ](?:mobile[ ]|cell[ ]|home[ ]|work[ ])?number)"
                    rf"(?:[ ](?i:is|was))?:?[ ]{{1,3}}){_CUED_NUMBER}", 0.6),
        # Contact lists put the label after the number: "(37) 788-063-Office", "…,3660170548-Fax".
        PatternSpec("phone before its label", rf"(?<![\w+./:-]){_GROUPS}(?=[ ]?[-–(][ ]?{_LABELS}\b)", 0.6),
    ),
    # Matched as substrings of the lower-cased words before the number: "message" covers "messages".
    context=("phone", "telephone", "tel", "mobile", "cell", "call", "fax", "dial", "sms", "whatsapp",
             "reach", "contact", "message", "registered", "answering", "text", "txt", "ring", "hotline", "helpline",
             "landline", "voicemail", "telefon", "handy", "mobil", "rufnummer", "anrufen", "erreichbar"),
    validate=validate,
    confirmed_score=0.9,
)
