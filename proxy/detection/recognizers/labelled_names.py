"""Names after a label that says people follow, in German and English: `Teilnehmer: Anna Berg, Jost zu Dohna`,
`Anwesend: … / … / …`, `Kunde: …`, `Bearbeiterin: …`, `Von: Anna Berg <a.berg@…>`, `Attendees: …`.

Each item of the list (split at commas, semicolons, slashes and "und"/"and") that is written like a name
(capitalised words, particles and hyphens allowed, a nickname in quotes) is a PERSON, whatever its words mean
elsewhere: the label puts it in a name position. The label must open its line. English labels of single names are
also `name_fields.py`'s; overlaps are resolved later.
"""

from __future__ import annotations

import regex

from proxy.detection.recognizers.base import RecognizerSpec, SpanMatch
from proxy.detection.recognizers.name_parts import COMPANY, FULL_NAME, PARTICLES_BEFORE

_LABELS = (r"teilnehmer(?:innen)?|teilnehmende|anwesend(?:e)?|abwesend|entschuldigt|gäste|verteiler|moderation"
           r"|protokoll(?:führung)?|protokollant(?:in)?|kunde|kundin|mitarbeiter(?:in)?|bearbeiter(?:in)?"
           r"|sachbearbeiter(?:in)?|ansprechpartner(?:in)?|kontakt(?:person)?|verantwortlich(?:e|er)?|zuständig"
           r"|bewerber(?:in)?|antragsteller(?:in)?|mieter(?:in)?|vermieter(?:in)?|patient(?:in)?|absender(?:in)?"
           r"|empfänger(?:in)?|von|an|cc|bcc|vertretung|name|vorname|nachname|geburtsname|ehepartner(?:in)?"
           r"|attendees|participants|present|absent|apologies|owner|assignee|reporter|requester|from|to|cc"
           r"|customer|employee|contact|candidate")
_ITEM = rf"{PARTICLES_BEFORE}?{FULL_NAME}"
_LINE = regex.compile(rf"^[ \t>*-]*(?i:{_LABELS})[ \t]*:[ \t]*(?P<list>[^\n]+)", regex.MULTILINE)
_ITEMS = regex.compile(rf"(?:^|(?<=[,;/]|[ ]und|[ ]and|[ ]&))[ \t]*(?:(?:Dr|Prof)\.[ ])*(?P<name>{_ITEM})"
                       rf"[ \t]*(?:<[^>\n]{{0,200}}>|\([^)\n]{{0,200}}\))?[ \t]*(?=$|[,;/]|[ ](?:und|and|&)[ ])")
_NOT_NAMES = frozenset("""Frau Herr Herrn Team Alle Keine Niemand None Nobody All Everyone Kein Keiner Support
Vertrieb Einkauf Personal Buchhaltung Geschäftsführung Marketing Sales Ops Leitung Abteilung Service""".split())
SCORE = 0.6


def find_names(text: str) -> list[SpanMatch]:
    """The names in label: list lines."""
    if ":" not in text:
        return []
    found = []
    for line in _LINE.finditer(text):
        value = line.group("list")
        for m in _ITEMS.finditer(value):
            name = m.group("name")
            if name.split(" ")[0] in _NOT_NAMES or COMPANY.search(name):
                continue
            found.append(SpanMatch(line.start("list") + m.start("name"), line.start("list") + m.end("name"),
                                   SCORE, "labelled list of names"))
    return found


SPEC = RecognizerSpec(name="LabelledNameRecognizer", entity_type="PERSON", finder=find_names)
