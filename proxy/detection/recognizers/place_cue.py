"""Places named right after a phrase that only takes a place: `flew to STAXROITH`, `grew up in KNIVSTA`, `based in
NAANTALI`, `originally from ΕΓΚΩΜΗ`, `home city Villafranca del Cid`, `I'm in HARSTAD`, a `Where:` field.

The small spaCy model misses towns it has not seen, most of all in capitals or in other scripts; the phrase before
them says what they are. English text only; reported as LOCATION below spaCy's 0.85, so a longer span the model
found wins. The place is one to four capitalised words (short joiners such as `del`, `u`, `nad` between them).
"""

from __future__ import annotations

from proxy.detection.recognizers.base import PatternSpec, RecognizerSpec

_WORD = r"\p{Lu}[\p{L}\p{M}-]*(?:['’](?!s\b)\p{L}+)?"
_JOINER = r"(?:de|del|da|do|dos|das|di|du|la|le|les|u|nad|pod|am|an|im|upon|sur|en)"
_CUE = (r"(?:\b(?:(?:flew|moved|relocated|travell?ed|emigrated)[ ]to"
        r"|(?:grew[ ]up|born|based|raised|living|lives|located|headquartered)[ ]in"
        r"|originally[ ]from|home[ ](?:city|town)(?:[ ]of)?|I'm[ ]in|I[ ]am[ ]in)[ ]"
        r"|^Where:[ ]{1,4})")
# "born in March", "I'm in LOVE", "based in The …": dates, states of mind and articles are not places.
_NOT_PLACES = (r"(?i:January|February|March|April|May|June|July|August|September|October|November|December"
               r"|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|The|This|That|My|Our|Your|His|Her|Their"
               r"|It|A|An|Love|Trouble|Charge|Class|Bed|Shock|Pain|Tears|Heaven|Hell|Awe|Luck|Time|Town|Public)\b")

SPEC = RecognizerSpec(
    name="PlaceCueRecognizer",
    entity_type="LOCATION",
    # Not before "'s" or "(": "moved to Anna's", "based in Acme (…)" name people and firms.
    patterns=(PatternSpec("place after cue",
                          rf"(?<={_CUE})(?!{_NOT_PLACES}){_WORD}(?:[ ](?:{_JOINER}[ ])?{_WORD}){{0,3}}(?:[ ]\d{{1,2}})?"
                          rf"(?![\w'’]|[ ]?\()", 0.6),),
    languages=("en",),
    case_sensitive=True,
)
