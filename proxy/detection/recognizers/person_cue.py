"""Names after cues that announce a name: `my name is …`, `call me …`, titles (Mr, Dr, Frau, Herr, …),
`mein Name ist …`, `ich heiße …`. Works without an NER model, so it also finds names in German text.

The cue is matched case-insensitively; the name must be capitalised (one to three words, middle initials allowed).
"""

from __future__ import annotations

from proxy.detection.recognizers.base import PatternSpec, RecognizerSpec
from proxy.detection.recognizers.name_parts import NAME_PARTICLE

_UPPER = "A-ZÀ-ÖØ-ÞĀ-ſ"
_WORD = rf"[{_UPPER}][\w'’-]+"
# Particles may open the name ("Herr von der Heide", "Frau zu Dohna") and sit between its words.
_NAME = (rf"(?:{NAME_PARTICLE}[ ])?{_WORD}(?:[ ][{_UPPER}]\.?(?!\w))?(?:[ ](?:{NAME_PARTICLE}[ ])?{_WORD}){{0,2}}")
_CUES = (r"my name is|my name's|name is|call me|calls me|named|is called|was called|called me|last name is"
         r"|first name is|full name is|mein name ist|ich heiße|ich heisse|heißt|heisst|namens"
         r"|assigned to|reported by|requested by|approved by|owned by|handled by|zugewiesen an"
         r"|ansprechpartner ist|ansprechpartnerin ist"
         r"|mr\.?|mrs\.?|ms\.?|miss|mx\.?|dr\.?|prof\.?|sir|madam|herr|herrn|frau")

# A title after a title ("Prof. Dr. Hacker") is not the name.
# Nor are code literals: "if name is None", "name is Null".
_NOT_A_TITLE = (r"(?!(?i:dr|prof|mr|mrs|ms|mx|herr|herrn|frau|sir|med|dipl|ing)\b)"
                r"(?!(?:None|True|False|Null|NULL|Nil|NaN|Undefined|Nothing|Empty)\b)")

SPEC = RecognizerSpec(
    name="PersonCueRecognizer",
    entity_type="PERSON",
    patterns=(PatternSpec("name after a cue", rf"(?<=\b(?i:{_CUES})[ ]+){_NOT_A_TITLE}{_NAME}", 0.6),),
    case_sensitive=True,
)
