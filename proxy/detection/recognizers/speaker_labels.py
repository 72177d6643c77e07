"""Speaker labels of chat exports with time stamps, in any language: `[09:12] Heinz-Josef von der Heide: …`,
`12.03.24, 09:12 - Anna Berg: …` (WhatsApp), `Anna Berg (9:14 AM): …`, `Anna Berg [09:14]: …` (Teams, Slack).

The time stamp says the line is a chat message and the words before the colon say who wrote it, so the label is a
name whatever its other words mean elsewhere (a German "Vogel", an English "Love"), as long as one of them is a
listed first or last name (`09:00 Begrüßung:` in an agenda is none). At least two different speakers must talk in
the text. English chats without time stamps are
`name_fields.py`'s.
"""

from __future__ import annotations

import regex

from proxy.detection.recognizers.base import RecognizerSpec, SpanMatch
from proxy.detection.recognizers.name_parts import COMPANY, FULL_NAME, PARTICLES_BEFORE, is_name_word

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[ ]?[AaPp]\.?[Mm]\.?)?"
_DAY = r"\d{1,2}[./]\d{1,2}[./]\d{2,4}"
_LABEL = rf"(?P<name>{PARTICLES_BEFORE}?{FULL_NAME})"
_BEFORE = regex.compile(
    rf"^[ \t>]*(?:\[(?:{_DAY},?[ ])?{_TIME}\]|\((?:{_DAY},?[ ])?{_TIME}\)|(?:{_DAY},?[ ])?{_TIME}[ ]?[-–]?)"
    rf"[ \t]*{_LABEL}[ \t]*:(?!//)", regex.MULTILINE)
_AFTER = regex.compile(rf"^[ \t>]*{_LABEL}[ \t]*(?:\((?:{_DAY},?[ ])?{_TIME}\)|\[(?:{_DAY},?[ ])?{_TIME}\])[ \t]*:",
                       regex.MULTILINE)
SCORE = 0.6


def find_speakers(text: str) -> list[SpanMatch]:
    """Speaker labels after or before a time stamp, when two or more different speakers talk."""
    if ":" not in text or "\n" not in text:
        return []
    # A label needs one listed first or last name: an agenda with times ("09:00 Begrüßung:") has none.
    labels = [m for pattern in (_BEFORE, _AFTER) for m in pattern.finditer(text)
              if not COMPANY.search(m.group("name")) and any(is_name_word(w) for w in m.group("name").split(" "))]
    if len({m.group("name") for m in labels}) < 2:
        return []
    return [SpanMatch(*m.span("name"), SCORE, "chat speaker with time stamp") for m in labels]


SPEC = RecognizerSpec(name="ChatSpeakerRecognizer", entity_type="PERSON", finder=find_speakers)
