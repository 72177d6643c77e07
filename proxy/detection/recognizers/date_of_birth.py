"""Dates of birth: a date right after a word that says it is one, in German or English.

`geb. 19. Okt. 1960`, `geboren am 3. März 1985`, `Geburtsdatum: 03.03.1985`, `(* 12.05.1970)`, `born 5 May 1980`,
`date of birth: March 3, 1985`, `DOB 1985-03-03`. The month may be written out, abbreviated with or without a full
stop, or given as a number. A date of birth is personal data (DATE_OF_BIRTH, in the policy's `personal` group),
unlike a date alone (DATE_TIME), which the default policy lets through. Dates in a table column named for a birth
date are found by `name_tables.py`.
"""

from __future__ import annotations

import regex

from proxy.detection.recognizers.base import RecognizerSpec, SpanMatch

_MONTHS_DE = (r"januar|jänner|jaenner|februar|feber|märz|maerz|april|mai|juni|juli|august|september|oktober"
              r"|november|dezember|jan|feb|mär|mrz|apr|jun|jul|aug|sept|sep|okt|nov|dez")
_MONTHS_EN = (r"january|february|march|april|may|june|july|august|september|october|november|december"
              r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec")
_YEAR = r"(?:19|20)\d\d"
_DATE = (rf"\d{{1,2}}\.[ ]?\d{{1,2}}\.[ ]?(?:{_YEAR}|\d\d)(?!\d)"
         rf"|\d{{1,2}}\.?[ ]?(?:{_MONTHS_DE})\.?[ ]{_YEAR}"
         rf"|\d{{1,2}}(?:st|nd|rd|th)?[ ](?:of[ ])?(?:{_MONTHS_EN})\.?,?[ ]{_YEAR}"
         rf"|(?:{_MONTHS_EN})\.?[ ]\d{{1,2}}(?:st|nd|rd|th)?,?[ ]{_YEAR}"
         rf"|{_YEAR}-\d\d-\d\d|\d{{1,2}}/\d{{1,2}}/(?:{_YEAR}|\d\d)(?!\d)")
_CUES = (r"geb\.?[ ]?-?datum|geburtsdatum|geburtstag|geboren(?:[ ]am)?|geb\.(?:[ ]am)?|gebürtig"
         r"|date[ ]of[ ]birth|birth[ ]?date|birthday|d\.?o\.?b\.?|born(?:[ ]on)?")
_CUED = regex.compile(rf"(?<![\w])(?:{_CUES})(?:[ \t]*[:,]?[ \t]*\n?[ \t]*)(?P<date>{_DATE})(?![\w])",
                      regex.IGNORECASE)
# "(* 12.05.1970)", "*12. Mai 1970": the genealogical star, never a Markdown bullet ("* 12. Mai: Termin").
_STAR = regex.compile(rf"(?:(?<=\()\*[ ]?|(?<![\w*\n ])[ ]?\*(?=\d))(?P<date>{_DATE})(?![\w])", regex.IGNORECASE)
SCORE = 0.9


def find_dates(text: str) -> list[SpanMatch]:
    """Dates of birth announced by a cue (see the module docstring)."""
    found = [SpanMatch(*m.span("date"), SCORE, "date after a birth cue") for m in _CUED.finditer(text)]
    found += [SpanMatch(*m.span("date"), SCORE, "date after a birth star") for m in _STAR.finditer(text)]
    return found


SPEC = RecognizerSpec(name="DateOfBirthRecognizer", entity_type="DATE_OF_BIRTH", finder=find_dates)
