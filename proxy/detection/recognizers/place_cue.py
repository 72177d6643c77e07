"""Places named right after a phrase that only takes a place: `flew to STAXROITH`, `grew up in KNIVSTA`, `based in
NAANTALI`, `originally from ΕΓΚΩΜΗ`, `home city Villafranca del Cid`, `I'm in HARSTAD`, a `Where:` field.

Chat writes places in lower case and states as codes (`i live in amsterdam`, `come to philippines`, `we're in
NJ`). After a place preposition, a lower-case word whose capitalised form is one of our countries and cities or a
US state, or a place in Faker's address lists that is no ordinary English word, is a place too; so is a US state
code in capitals (`LOWER_SPEC`).

The small spaCy model misses towns it has not seen, most of all in capitals or in other scripts; the phrase before
them says what they are. English text only; reported as LOCATION below spaCy's 0.85, so a longer span the model
found wins. The place is one to four capitalised words (short joiners such as `del`, `u`, `nad` between them).
"""

from __future__ import annotations

import faker.providers.address.en_US
import regex

from proxy.detection.recognizers import places
from proxy.detection.recognizers.base import PatternSpec, RecognizerSpec, SpanMatch
from proxy.detection.recognizers.name_lists import PLACE_NAMES, is_english_word

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

# Our curated countries and cities, and the US states, count even when WordNet lists them as words (it lists
# Amsterdam and Alabama); Faker's longer lists hold words too (Best, Born, Jersey), so from them only non-words.
_CURATED = frozenset({*places.COUNTRIES_EN, *places.CITIES_WORLD, *places.CITIES_DACH,
                      *faker.providers.address.en_US.Provider.states})
# US state codes (and LA, NYC, SF), upper case only; those that spell an English word in capitals ("in OR", "in ME",
# "in HI", "in OK", "in IN", "in OH", "in ID") are left out.
_STATE_CODES = ("NJ|NY|CA|TX|FL|WI|WA|MN|MI|NC|SC|GA|VA|WV|AZ|NV|NM|UT|KS|KY|TN|NE|ND|SD|MT|WY|AK|AR|IA|CT|RI|NH"
                "|VT|DC|MD|MO|CO|PA|MA|IL|NYC|LA|SF")
_PREPOSITION = r"\b(?i:in|from|to|near|around|visit|visiting|visited|across)[ ]+"
_LOWER_PLACE = regex.compile(rf"{_PREPOSITION}(?:the[ ]+)?([a-z][a-z'-]{{2,}}(?:[ ][a-z][a-z'-]{{2,}})?)\b")
_STATE = regex.compile(rf"{_PREPOSITION}((?:{_STATE_CODES}))\b(?![.-]?\w)")


def find_lower_places(text: str) -> list[SpanMatch]:
    """Lower-case listed places and US state codes after a place preposition (see the module docstring)."""
    found = [SpanMatch(m.start(1), m.end(1), 0.5, "state code after preposition") for m in _STATE.finditer(text)]
    for m in _LOWER_PLACE.finditer(text):
        words = m.group(1).split(" ")
        # The longest listed place: "new zealand", else its first word ("amsterdam but …" is cut by the regex).
        for n in (len(words), 1) if len(words) > 1 else (1,):
            value = " ".join(words[:n])
            place = value.title()
            if place in _CURATED or (place in PLACE_NAMES and not any(is_english_word(w) for w in words[:n])):
                found.append(SpanMatch(m.start(1), m.start(1) + len(value), 0.5, "lower-case place"))
                break
    return found


LOWER_SPEC = RecognizerSpec(name="PlaceCueLowercaseRecognizer", entity_type="LOCATION", finder=find_lower_places,
                            languages=("en",))
