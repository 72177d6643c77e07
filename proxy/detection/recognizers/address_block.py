"""Postal address blocks, reported whole as one LOCATION: the street (or P.O. box) line through unit, city and
region lines down to the postcode line.

    4844 Søndergade 52            > 935 69 Gordon Terrace        PSC 1437, Box 3833
     Apt. 656                     > Suite 828                    APO AA 66791
     Brønderslev                  > BASHALL TOWN
                                  > United Kingdom 89800
     Denmark 35018

Line by line the pieces are weak (a bare `53650`, a city name the NER does not know, `SK`), together they are an
address. A block needs a street line that starts with a building number or is a P.O. box, and a last line that
ends in a postcode or is a country; the lines between are short runs of words or a unit (`Apt. 656`). Lines may
carry a quote prefix (`> `, `??? `) and be separated by one blank line; a line with other punctuation (`Phone: …`)
or more than four words ends the search, so a block never runs into prose or form fields. Military addresses
(`PSC 1437, Box 3833` / `USNS Møller` over `APO AA 66791`) are the second pattern.

Every quantifier is bounded, so the patterns stay linear in the text length (`bench/pathological.py`).
"""

from __future__ import annotations

import regex

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec
from proxy.detection.recognizers.places import COUNTRIES_EN

# A word of a street, city or region line: letters in any script, with inner apostrophes, dots and hyphens.
_WORD = r"[\p{L}\p{M}][\p{L}\p{M}'’.-]{0,30}"
_WORDS = rf"{_WORD}(?:(?:[ ]{{1,2}}|,[ ]?){_WORD}){{0,3}}(?:[ ]\([\p{{L}}\p{{M}} ]{{1,30}}\))?"
# The street's first word has two characters at least: "u. 12." and "Jiřího z Poděbrad" yes, "row 1 a 2" no.
_STREET_WORD = r"[\p{L}\p{M}][\p{L}\p{M}'’.-]{1,30}"
_UNIT = r"(?:apt|apartment|suite|ste|unit|flat|room)\.?[ ]?#?\d{1,5}[a-z]?"
_POBOX = r"(?:p\.?[ ]?o\.?[ ]?box|postbox|postfach|box)[ ]\d{1,6}"
# Building number (or two: "935 69 Gordon Terrace"), up to five words, a house number, an inline unit.
_STREET = (rf"(?<![\w.,:/+-])\d{{1,6}}[a-z]?(?:[ ]\d{{1,5}}[a-z]?)?[ ]{{1,3}}"
           rf"(?:{_POBOX}|{_STREET_WORD}(?:[ ]{{1,2}}{_WORD}){{0,4}}(?:[ ]{{1,2}}\d{{1,5}}[a-z]?\.?)?)"
           rf"(?:,?[ ]{{1,3}}{_UNIT})?"
           rf"|(?<![\w.-]){_POBOX}(?:,?[ ]{{1,3}}{_UNIT})?")
_POSTCODE = (r"(?:\d{3,5}(?:[ -]\d{2,4})?|\d{2}-\d{3}"
             r"|[a-z]{1,2}\d[a-z\d]?[ ]?\d[a-z]{2}|[a-z]\d[a-z][ ]?\d[a-z]\d)")
# Optional spaces, one optional blank line, then the next line's optional quote prefix.
_PREFIX = r"[ \t]{0,8}(?:[>?|]{1,3}[ \t]{0,4})?"
_NEXT_LINE = rf"[ \t]{{0,8}}\n(?:{_PREFIX}\n)?{_PREFIX}"
_END = r"(?=[ \t]{0,8}(?:$|[.,;!?)]))"
_MIDDLE_LINE = rf"(?:{_UNIT}|,?[ ]?{_WORDS})(?=[ \t]{{0,8}}\n)"
# A block ends in a postcode ("Denmark 35018", "Lyss, nan 50662", "53-320", "B0J 2H0") or a bare country name.
_COUNTRY = "|".join(regex.escape(c) for c in sorted(COUNTRIES_EN, key=len, reverse=True))
_LAST_LINE = rf"(?:(?:{_WORDS}(?:[ ]{{1,2}}|,[ ]?))?{_POSTCODE}|(?:{_COUNTRY})(?![\w-])){_END}"

_MILITARY_FIRST = (r"(?:psc|unit|cmr)[ ]\d{3,5},?[ ]box[ ]\d{3,5}"
                   rf"|(?:usns|usnv|uss|usc?gc)[ ]{_WORD}(?:[ ]{_WORD}){{0,2}}")
_MILITARY = rf"(?<![\w.-])(?:{_MILITARY_FIRST}){_NEXT_LINE}[afd]po[ ]a[aep][ ]\d{{5}}(?!\w)"

_DIGIT_GROUP = regex.compile(r"\d+")
_UNIT_OR_BOX = regex.compile(rf"(?<![\w-])(?:{_UNIT}|{_POBOX})|[afd]po[ ]a[aep][ ]\d{{5}}", regex.IGNORECASE)
_ENDS_IN_POSTCODE = regex.compile(rf"{_POSTCODE}[ \t.,;!?)]*$", regex.IGNORECASE)


def validate(value: str) -> Check:
    """Keep a block that is more than "a number, some words" over a line or two: the street line has a house
    number too ("Edeby 55"), or there is a unit or box, or three lines or more end in a postcode. "2019 Revenue" over
    "Germany 12000" and "10 things to do" over "Paris" over "France" are not addresses."""
    lines = [ln for ln in value.splitlines() if ln.strip(" \t>?|")]
    if len(_DIGIT_GROUP.findall(lines[0])) >= 2 or _UNIT_OR_BOX.search(value):
        return Check.UNKNOWN
    return Check.UNKNOWN if len(lines) >= 3 and _ENDS_IN_POSTCODE.search(value) else Check.REJECTED


SPEC = RecognizerSpec(
    name="AddressBlockRecognizer",
    entity_type="LOCATION",
    patterns=(
        # Above spaCy's 0.85: the NER tags a lone city line as a PERSON, which would otherwise win the block.
        PatternSpec("address block",
                    rf"(?:{_STREET})(?={_NEXT_LINE})(?:{_NEXT_LINE}{_MIDDLE_LINE}){{0,4}}{_NEXT_LINE}{_LAST_LINE}",
                    0.9),
        PatternSpec("military address", _MILITARY, 0.9),
    ),
    validate=validate,
)
