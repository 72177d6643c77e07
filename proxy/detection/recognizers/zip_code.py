"""Postal codes: next to a postal word (`ZIP: 94103`, `my zip code is 2200`, `PLZ 10115`, `postcode 75534-030`),
and in the address forms that say what they are without one:

- after a US state code that follows a town (`Springfield, IL 62704`, `Austin TX 78701-1234`);
- UK and Canadian postcodes written with their space (`SW1A 1AA`, `B0J 2H0`): letters and digits in an order
  that other codes rarely take; without the space (`SW1A1AA`) they need a postal word too.

A postcode between a street and its town (`Hauptstraße 5, 10115 Berlin`) is part of the street address
(`street_address.py`, LOCATION). A bare number is not a postal code; those need a postal word within five words
before them.
"""

from __future__ import annotations

from proxy.detection.recognizers.base import PatternSpec, RecognizerSpec

US_STATES = ("AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC"
              "|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|GU|VI|AS|MP|FM|MH|PW")
CA_PROVINCES = "AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT"
AU_STATES = "ACT|NSW|NT|QLD|SA|TAS|VIC|WA"
# Postcode shapes of continental Europe and Brazil, as written before a town (one constant for every address rule):
# 10115, D-10115, 1010, 1012 NX, 1012NX, 53-320, 394 13, 4700-123 (Portugal), 58073-021 and 58073021 (Brazil).
EU_POSTCODE = r"(?:[A-Z]{1,2}-)?(?:\d{5}(?:-?\d{3})?|\d{4}-\d{3}|\d{4}(?:[ ]?[A-Z]{2})?|\d{2}-\d{3}|\d{3}[ ]\d{2})"
# Royal Mail: outward code (no Q/V/X first, no I/J/Z second), space, inward code (its letters never C/I/K/M/O/V).
_UK = r"[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?[ ]\d[ABD-HJLNP-UW-Z]{2}"
# Canada Post: letter-digit-letter space digit-letter-digit, no D/F/I/O/Q/U anywhere, no W/Z first.
_CA = r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z][ ]\d[ABCEGHJ-NPRSTV-Z]\d"
# Ireland's Eircode: a routing key (letter, two digits; D6W) and a four-character unique identifier.
EIRCODE = r"(?:[AC-FHKNPRTV-Y]\d{2}|D6W)[ ]?[0-9AC-FHKNPRTV-Y]{4}"
# With or without the space, as people type them after a postal word.
LOOSE_UK_CA = r"[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2}|[A-Z]\d[A-Z][ ]?\d[A-Z]\d"
# A number next to a postal word: 3 to 8 digits (Brazil's CEP without its hyphen, 91390996), a second group
# (75534-030), Dutch letters with or without a space (1012 NX, 2752FD), Polish 42-971, a country prefix (H-6260).
_DIGITS = r"(?:[A-Z]{1,2}-)?(?:\d{2}-\d{3}|\d{3,8}(?:[ -]\d{2,4})?(?:[ ]?[A-Z]{2})?)(?![\w-]|[.,]\d)"
CA_POSTCODE_LOOSE = r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z][ ]?\d[ABCEGHJ-NPRSTV-Z]\d"
UK_CA_POSTCODE = rf"(?:{_UK}|{_CA})\b(?<!\d(?:TB|GB|MB|KB))"

SPEC = RecognizerSpec(
    name="ZipCodeRecognizer",
    entity_type="ZIP_CODE",
    patterns=(
        PatternSpec("postal code", rf"(?<![\w.,-]){_DIGITS}", 0.05),
        PatternSpec("uk, irish or canadian postcode",
                    rf"\b(?:{LOOSE_UK_CA}|{EIRCODE})\b", 0.1),
        # "post code" is two words; context words are matched one word at a time.
        PatternSpec("after 'post code'",
                    rf"(?<=\b(?i:post[ ]code)\b[^\d\n]{{0,24}})(?:{_DIGITS}|\b(?:{LOOSE_UK_CA}|{EIRCODE})\b)", 0.6,
                    keywords=("post code",)),
        PatternSpec("us town, state zip",
                    rf"(?<=\p{{Lu}}[\p{{L}}.'’-]*,?[ ](?:{US_STATES})[ ]{{1,2}})\d{{5}}(?:-\d{{4}})?"
                    r"(?![\w-]|[.,]\d)", 0.6),
        # "1TB", "2GB" after a model number ("PS4 1TB") are sizes, not inward codes.
        PatternSpec("uk or canadian postcode with space", rf"\b{UK_CA_POSTCODE}", 0.5),
    ),
    # Matched as substrings of the lower-cased words before the number: "postal" covers "postale" (code postal).
    context=("zip", "zipcode", "postal", "postcode", "plz", "postleitzahl", "pincode", "postnummer", "postinumero",
             "pocztowy"),
    case_sensitive=True,
)
