"""Names a letter or an e-mail puts in fixed places, in German and English: after the greeting (`Hallo Kathi,`,
`Liebe Anna,`, `Hi Ben,`) and in the signature (the line after `Mit freundlichen Grüßen`, `Viele Grüße`, `i. A.`,
`Best regards`, or after the `-- ` separator; `LG Anna` at the end of a line).

The place says a name stands there, so any capitalised word counts (a nickname, a surname that is a word), except
the few words that also stand there (`Hallo Team,`, `Hallo zusammen`, `Viele Grüße aus Berlin`). Titles and
`Frau`/`Herr` are left to `person_cue.py`. English greetings are also `name_fields.py`'s; overlaps are resolved later.
"""

from __future__ import annotations

import regex

from proxy.detection.recognizers.base import RecognizerSpec, SpanMatch
from proxy.detection.recognizers.name_parts import COMPANY, FULL_NAME, PARTICLES_BEFORE

_NAME = rf"(?P<name>{PARTICLES_BEFORE}?{FULL_NAME})"
_GREETING = regex.compile(
    rf"^[ \t>]*(?i:hallo|hi|hey|hello|liebe|lieber|liebes|servus|moin|grüß[ ]dich|guten[ ]morgen|guten[ ]tag"
    rf"|dear)[ ]+{_NAME}[ \t]*(?:[,!:]|$)", regex.MULTILINE)
_CLOSINGS = (r"mit[ ]freundlichen[ ]grüßen|mit[ ]freundlichen[ ]grüssen|freundliche[ ]grüße|viele[ ]grüße"
             r"|beste[ ]grüße|liebe[ ]grüße|herzliche[ ]grüße|schöne[ ]grüße|sonnige[ ]grüße|grüße|gruß|mfg|lg|vg"
             r"|best[ ]regards|kind[ ]regards|warm[ ]regards|regards|best[ ]wishes|best|cheers|thanks|many[ ]thanks"
             r"|sincerely|yours[ ]sincerely|yours[ ]truly|--")
_SIGNED = r"(?:(?i:i\.[ ]?a\.|i\.[ ]?v\.|ppa\.|gez\.)[ ]+)?"
_SIGNATURE = regex.compile(rf"^[ \t>]*(?i:{_CLOSINGS})[ \t]*[,!]?[ \t]*\n(?:[ \t>]*\n){{0,2}}[ \t>]*{_SIGNED}"
                           rf"(?:(?:Dr|Prof)\.[ ])*{_NAME}[ \t]*$", regex.MULTILINE)
_INLINE = regex.compile(rf"(?<![\w])(?:LG|VG|Gruß|Grüße|(?i:i\.[ ]?a\.|i\.[ ]?v\.))[ ,]+{_NAME}[ \t]*(?=$|[.!])",
                        regex.MULTILINE)
# Words that also stand after a greeting or a closing formula.
_NOT_NAMES = frozenset("""Team Zusammen Kollegen Kolleginnen Leute Alle All Everyone Everybody There Folks Guys Welt
World Frau Herr Herrn Mr Mrs Ms Dr Prof Sir Madam Damen Herren Aus Von Nach Ihr Ihre Dein Deine Euer Eure Und Sehr
Geehrte Geehrter Vielen Danke Dank Thanks Thank The Your Yours Support Vertrieb Service Kundenservice Personal
Personalabteilung Buchhaltung Einkauf Marketing Geschäftsführung Management Hr It Sales Ops Grüße Gruß Kunde Kundin
Kunden Kollege Kollegin Mitarbeitende Mitglieder Freunde Customer Customers Colleagues Friends Sir Madam Hello
Morning Afternoon Evening Abend Morgen Tag""".split())
SCORE = 0.55


def _keep(value: str) -> bool:
    return value.split(" ")[0].strip(",.") not in _NOT_NAMES and not COMPANY.search(value)


def find_names(text: str) -> list[SpanMatch]:
    """Names after a greeting, under a closing formula or after the signature separator."""
    found = []
    for pattern, label in ((_GREETING, "greeting"), (_SIGNATURE, "signature"), (_INLINE, "signed")):
        for m in pattern.finditer(text):
            if _keep(m.group("name")):
                found.append(SpanMatch(*m.span("name"), SCORE, f"name after a {label}"))
    return found


SPEC = RecognizerSpec(name="LetterNameRecognizer", entity_type="PERSON", finder=find_names)
