"""A found name covers the whole name: extend PERSON findings over the parts of the name next to them.

Whatever found a name (the model, the name lists, a cue, a table column, a later mention of a known surname), the
finding often covers only part of what people write:

- hyphen parts: "Hans" of "Hans-Henning", "Müller" of "Müller-Lüdenscheidt";
- particles and the surname after them: "Bozena" -> "Bozena van der Berg"; "Heide" -> "von der Heide";
- a nickname in quotes and what follows it: "Katharina" -> `Katharina "Kathi" Beer`;
- a first name right before a found surname: "Schenk" -> "Ewa-Traudel Schenk".

Titles (Dr., Frau, Prof.) stay outside. Pure functions over `Finding`s, run before overlaps are resolved.
"""

from __future__ import annotations

from collections.abc import Iterable

import regex

from proxy.detection.findings import Finding
from proxy.detection.recognizers.name_parts import (
    NAME_PARTICLE,
    NAME_WORD,
    NICKNAME,
    STRONG_PARTICLE,
    WEAK_PARTICLE,
    is_first_name_word,
    is_surname_word,
)

_CAP_STRONG = rf"(?:{STRONG_PARTICLE}|Von|Van|Vom|Von[ ]der|Van[ ]der|Von[ ]dem|Van[ ]den)"
# What may follow a name and still be part of it. After a weak particle ("zu", "de") only a listed surname.
_HYPHEN_TAIL = regex.compile(rf"-{NAME_WORD}")
_PARTICLE_TAIL = regex.compile(rf"[ ]{STRONG_PARTICLE}[ ]{NAME_WORD}")
_WEAK_TAIL = regex.compile(rf"[ ]{WEAK_PARTICLE}[ ]({NAME_WORD})")
_NICK_TAIL = regex.compile(rf"[ ]{NICKNAME}(?:[ ]{NAME_PARTICLE})?[ ]{NAME_WORD}")
# What may precede a name and still be part of it (matched right before the finding).
_HYPHEN_HEAD = regex.compile(rf"(?<![\w-]){NAME_WORD}-$")
_PARTICLE_HEAD = regex.compile(rf"(?<![\w-])(?:{_CAP_STRONG}|{WEAK_PARTICLE})[ ]$")
_NICK_HEAD = regex.compile(rf"(?<![\w-])({NAME_WORD})[ ]{NICKNAME}[ ]$")
_FIRST_HEAD = regex.compile(rf"(?<![\w-])({NAME_WORD})[ ]$")


def _extend(f: Finding, text: str) -> Finding:
    start, end = f.start, f.end
    for _ in range(6):  # a handful of steps covers the longest names ("Hans-Henning von der Groeben-Hauffer")
        moved = False
        if text[end - 1:end].isalpha():
            m = _HYPHEN_TAIL.match(text, end) or _NICK_TAIL.match(text, end) or _PARTICLE_TAIL.match(text, end)
            if m is None and (weak := _WEAK_TAIL.match(text, end)) and is_surname_word(weak.group(1)):
                m = weak
            if m:
                end, moved = m.end(), True
        head = text[max(0, start - 60):start]
        # A hyphen part or a particle joins a capitalised word; a first name or nickname also joins a surname that
        # starts with its particle ("Tom" + "van der Frei").
        m = None
        if text[start:start + 1].isupper():
            m = _HYPHEN_HEAD.search(head)
            # A particle opens a surname, not a first name and surname: "von Robert Murjahn" is "by Robert Murjahn".
            words = text[start:end].split(" ")
            if m is None and not (len(words) > 1 and is_first_name_word(words[0], loose=True)):
                m = _PARTICLE_HEAD.search(head)
        m = m or _NICK_HEAD.search(head)
        if m is None and (first := _FIRST_HEAD.search(head)) and is_first_name_word(first.group(1), loose=True):
            m = first
        if m:
            start, moved = start - (len(head) - m.start()), True
        if not moved:
            break
    if (start, end) == (f.start, f.end):
        return f
    return Finding(f.field, start, end, f.entity_type, f.score, f.recognizer, f.language)


def extend_names(findings: Iterable[Finding], text: str) -> list[Finding]:
    """PERSON findings widened over the name parts next to them (see the module docstring); others as they are."""
    return [_extend(f, text) if f.entity_type == "PERSON" else f for f in findings]
