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

import importlib

import regex
from spacy.lang.en.stop_words import STOP_WORDS as EN_STOP_WORDS

from proxy.detection.recognizers import name_lists, places
from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec, SpanMatch
from proxy.detection.recognizers.places import COUNTRIES_EN
from proxy.detection.recognizers.street_address import STREET_TYPE_ALTERNATION, SUFFIXES, TOWN_JOINER
from proxy.detection.recognizers.zip_code import (
    AU_STATES,
    CA_POSTCODE_LOOSE,
    CA_PROVINCES,
    EU_POSTCODE,
    UK_CA_POSTCODE,
    US_STATES,
)

# A word of a street, city or region line: letters in any script, with inner apostrophes, dots and hyphens.
_WORD = r"[\p{L}\p{M}][\p{L}\p{M}'’.-]{0,30}"
_WORDS = rf"{_WORD}(?:(?:[ ]{{1,2}}|,[ ]?){_WORD}){{0,3}}(?:[ ]\([\p{{L}}\p{{M}} ]{{1,30}}\))?"
# The street's first word has two characters at least: "u. 12." and "Jiřího z Poděbrad" yes, "row 1 a 2" no.
_STREET_WORD = r"[\p{L}\p{M}][\p{L}\p{M}'’.-]{1,30}"
# A unit, or a New Zealand rural delivery line ("RD 6").
_UNIT = r"(?:apt|apartment|suite|ste|unit|flat|studio|level|room|rd)\.?[ ]?#?\d{1,5}[a-z]?"
_POBOX = r"(?:p\.?[ ]?o\.?[ ]?box|postbox|postfach|box)[ ]\d{1,6}"
# Building number (or two: "935 69 Gordon Terrace"; "1/134" for unit and number), up to five words, a house
# number, an inline unit; a unit may come first ("Unit 72 9 Michael Green") or stand on its own line ("Flat 49r").
# Never from the middle of a run of digit groups ("at 932 833 125 tomorrow." is a phone number and a word).
_STREET = (rf"(?<![\w.,:/+-])(?<!\d[ ])(?:{_UNIT}[ ]{{1,3}})?\d{{1,6}}[a-z]?(?:/\d{{1,5}}[a-z]?|[ ]\d{{1,5}}[a-z]?)?"
           rf"[ ]{{1,3}}"
           rf"(?:{_POBOX}|{_STREET_WORD}(?:[ ]{{1,2}}{_WORD}){{0,4}}(?:[ ]{{1,2}}\d{{1,5}}[a-z]?\.?)?)"
           rf"(?:,?[ ]{{1,3}}{_UNIT})?"
           rf"|(?<![\w.-]){_POBOX}(?:,?[ ]{{1,3}}{_UNIT})?"
           rf"|(?<![\w.-]){_UNIT}(?=[ \t]{{0,8}}\n)")
_POSTCODE = (r"(?:\d{3,5}(?:[ -]\d{2,4})?|\d{2}-\d{3}"
             r"|[a-z]{1,2}\d[a-z\d]?[ ]?\d[a-z]{2}|[a-z]\d[a-z][ ]?\d[a-z]\d)")
# Optional spaces, one optional blank line, then the next line's optional quote prefix.
_PREFIX = r"[ \t]{0,8}(?:[>?|]{1,3}[ \t]{0,4})?"
_NEXT_LINE = rf"[ \t]{{0,8}}\n(?:{_PREFIX}\n)?{_PREFIX}"
# The last line ends the line or the clause, or the sentence goes on in lower case ("…, OH 13876 on Monday").
_END = r"(?=[ \t]{0,8}(?:$|[.,;!?)])|(?-i:[ ]\p{Ll}))"
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
# Two lines are enough when one of them says "address" by its form: a street type ending the street line ("2000
# Heather Roads", "Musterweg 5"), or a state or province and its postcode (US, Canada, Australia) or a UK or
# Canadian postcode ending the last.
_STREET_LINE = regex.compile(rf"(?:\b(?:{STREET_TYPE_ALTERNATION})\.?|\p{{Ll}}(?:{SUFFIXES})(?:[ ]\d{{1,5}}[a-z]?)?)"
                             rf"(?:,?[ ]{{1,3}}{_UNIT})?[ \t]*$", regex.IGNORECASE)
_POSTAL_LAST_LINE = regex.compile(rf"(?:,?[ ](?:{US_STATES})[ ]{{1,2}}\d{{5}}(?:-\d{{4}})?|(?<![\w-]){UK_CA_POSTCODE}"
                                  rf"|,?[ ](?:{CA_PROVINCES})[ ]{{1,2}}{CA_POSTCODE_LOOSE}"
                                  rf"|,?[ ](?:{AU_STATES}),?[ ]\d{{4}})"
                                  r"[ \t.,;!?)]*$")


def validate(value: str) -> Check:
    """Keep a block that is more than "a number, some words" over a line or two: the street line has a house
    number too ("Edeby 55"), or there is a unit or box, or the street line ends in a street type, or the last line
    in a US state and ZIP or a UK or Canadian postcode, or three lines or more end in a postcode. "2019 Revenue" over
    "Germany 12000" and "10 things to do" over "Paris" over "France" are not addresses."""
    lines = [ln for ln in value.splitlines() if ln.strip(" \t>?|")]
    if len(_DIGIT_GROUP.findall(lines[0])) >= 2 or _UNIT_OR_BOX.search(value):
        return Check.UNKNOWN
    if _STREET_LINE.search(lines[0]) or _POSTAL_LAST_LINE.search(lines[-1]):
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


# The continental European form on two or three lines: the street with its house number ("Schleichstraße 19",
# "ul. Kołłątaja 79/19", "Városi utca 149.", "Praça de Ribeiro, 11", "8, avenue Lucie Fernandes"), an optional
# line (district, unit), then the postcode and town ("48337 Lichtenfels", "H-2907 Tamásifalva", "9483-378
# Reguengos de Monsaraz", "1012 TX Baard" over two lines) or the town and postcode ("Cantabria, 47999").
# Up to two short joiners between a town's words ("Raabs an der Thaya", "Turkovice u Prelouce"); a town does not
# end in a full stop ("53-320 Wrocław." ends the sentence; "St. Gallen" keeps its own).
_TOWN_WORD = r"\p{Lu}[\p{L}\p{M}'’.-]{1,30}"
_TOWN_WORDS = rf"{_TOWN_WORD}(?:[ ](?:{TOWN_JOINER}){{0,2}}{_TOWN_WORD}){{0,3}}(?<!\.)"
# "79/19" (unit and number), "32-73" (a range of house numbers), "S/N" (Spanish and Portuguese: no number).
_HOUSE_NUMBER = r"(?:\d{1,5}[a-zA-Z]?(?:[/-]\d{1,5}[a-zA-Z]?)?\.?|[Ss]/[Nn])"
# Street words of continental Europe, as Faker's address providers of those countries list them, with ours.
_EU_STREET_WORDS = frozenset(w.strip().lower().rstrip(".") for w in (
    *SUFFIXES.split("|"),
    *"""utca út tér köz körút sétány ulice třída nábřeží náměstí stigen torget gade stræde vej dreef hof pad singel
    steeg baan lei straat laan polku bulevardi cesta put ulica trieda plein kade""".split(),
    *"""rue avenue boulevard chemin impasse allée place quai via viale piazza strada borgo contrada rotonda incrocio
    stretto vicolo canale plaza calle avenida vial rambla glorieta urbanización callejón cañada alameda acceso camino
    cuesta pasaje paseo ronda travesía rua praça largo travessa estrada beco conjunto trecho setor quadra aleea
    bulevardul drumul strada aleja plac ul al os""".split()) if w.strip())
_GLUED = tuple(s for s in _EU_STREET_WORDS if len(s) >= 3)
# The street words that open a street name in Faker's Brazilian, Portuguese, Spanish, Mexican, French, Italian, Polish
# and Romanian address providers ("Praia Montenegro, 300", "Viaduto Ayla Cavalcante, 57"), as whole words only.
_PREFIX_STREET_WORDS = frozenset(
    w.lower().rstrip(".") for loc in ("pt_BR", "pt_PT", "es_ES", "es_MX", "fr_FR", "it_IT", "pl_PL", "ro_RO")
    for field in ("street_prefixes", "street_suffixes")
    for w in vars(importlib.import_module(f"faker.providers.address.{loc}").Provider).get(field, ())
    if w != "Street" and " " not in w.strip())
# Words that lead into an address on its first line ("My address is …", "Sent from …"): English stop words and a few
# verbs of sending and living. They are not part of the address.
_LEAD_WORDS = "|".join(sorted({*EN_STOP_WORDS, *"""address ship shipped sent send deliver delivered mail post moved
live lives living located based visit""".split()}, key=len, reverse=True))
_LEAD = rf"(?i:{_LEAD_WORDS})"
# A floor, flat or door after the house number: "7 Piano 4", "514 Appartamento 3", "226 Puerta 9".
_EU_UNIT = (r"(?:[ ](?:Piano|Appartamento|Interno|Scala|Puerta|Piso|Planta|Escalera|Stock|Etage|Top|Apt\.?)"
            r"[ ]\d{1,4}[a-zA-Z]?)?")
# A street word that opens the name may stand without a house number ("rue Didier", "Área de Mendes"), unless it is
# also an English word ("Via", "Diagonal", "Vale"), bar the unmistakable ones.
_OPENING_WORD = "|".join(regex.escape(w) for w in sorted(_PREFIX_STREET_WORDS, key=len, reverse=True) if len(w) > 2
                         and (not name_lists.is_english_word(w) or w in {"rue", "avenue", "boulevard", "piazza"}))
# The street line starts a line (or follows a label's colon, or words that lead into it, which are not part of the
# address): "Contact John Smith 12" is not a street.
_EU_STREET = (rf"(?!{_LEAD}[ ])(?:\d{{1,5}}[a-z]?,?[ ]{_WORD}(?:[ ]{_WORD}){{0,5}}"
              rf"|{_WORD}(?:[ ]{_WORD}){{0,5}},?[ ]{_HOUSE_NUMBER}{_EU_UNIT}"
              rf"|(?i:{_OPENING_WORD})[ ](?:\p{{Ll}}{{1,3}}[ ]){{0,2}}\p{{Lu}}[\p{{L}}\p{{M}}'’-]*"
              rf"(?:[ ]{_WORD}){{0,4}})")
# The town may end in its province or state: "Canneto (PV)", "Oliveira / RN".
_EU_LAST = (rf"(?:{EU_POSTCODE}(?:,?[ ]|[ \t]{{0,8}}\n{_PREFIX}){_TOWN_WORDS}(?:[ ]\([A-Z]{{2}}\)|[ ]/[ ][A-Z]{{2}})?"
            rf"|{_TOWN_WORDS},[ ]\d{{4,5}})")
_WORD_RE = regex.compile(r"[\p{L}\p{M}]+")


def _continental(value: str) -> Check:
    """A street word on the street line, or a town the place lists know: "Windows 11" over "2024 Roadmap" is none."""
    lines = [ln.strip(" \t>?|") for ln in value.splitlines() if ln.strip(" \t>?|")]
    for word in _WORD_RE.findall(lines[0].lower()):
        if (word in _EU_STREET_WORDS or word in _PREFIX_STREET_WORDS
                or any(word.endswith(s) and len(word) > len(s) + 2 for s in _GLUED)):
            return Check.UNKNOWN
    town = " ".join(_WORD_RE.findall(lines[-1]))
    if town in places.KNOWN_PLACES or any(w in places.KNOWN_PLACES for w in town.split() if len(w) > 3):
        return Check.UNKNOWN
    return Check.REJECTED


_CONTINENTAL = regex.compile(rf"(?<=(?:^|\n|:)[ \t>?|]{{0,8}})(?:{_LEAD}[ ]){{0,5}}(?P<block>{_EU_STREET}"
                             rf"(?:{_NEXT_LINE}{_MIDDLE_LINE}){{0,2}}{_NEXT_LINE}{_EU_LAST}{_END})",
                             regex.DOTALL | regex.MULTILINE)


def find_continental(text: str) -> list[SpanMatch]:
    """Continental blocks that pass `_continental`, without the words that lead into them."""
    return [SpanMatch(m.start("block"), m.end("block"), 0.9, "continental address block")
            for m in _CONTINENTAL.finditer(text) if _continental(m.group("block")) is not Check.REJECTED]


CONTINENTAL_SPEC = RecognizerSpec(name="ContinentalAddressRecognizer", entity_type="LOCATION", finder=find_continental)


# The Indian form: a house number ("H.No. 737", "81/444", "Flat No. 12"), up to two parts on their own lines or after
# commas (street, locality), then the town and its six-digit PIN ("Muzaffarpur 039931", "Silchar-651233",
# "Bengaluru - 560001"). Faker's en_IN addresses take these forms.
_IN_HOUSE = r"(?:(?:H\.?[ ]?No\.?|(?:Flat|House|Plot|Door)[ ]No\.?)[ ]?)?\d{1,4}[A-Za-z]?(?:/\d{1,4})?"
_IN_PART = r"\p{Lu}[\p{L}\p{M}'’.-]{0,30}(?:[ ]\p{Lu}[\p{L}\p{M}'’.-]{0,30}){0,3}"
_IN_SEP = r"(?:,[ ]?|[ \t]{0,8}\n[ \t]{0,8})"
_IN_STREET_WORDS = frozenset(w.split()[-1].lower() for w in
                             importlib.import_module("faker.providers.address.en_IN").Provider.street_name_formats
                             if " " in w) | {"colony", "sector", "lane", "apartments", "layout", "cross", "main"}
_IN_LABEL = regex.compile(r"^(?:H\.?[ ]?No|(?:Flat|House|Plot|Door)[ ]No)", regex.IGNORECASE)


def _indian(value: str) -> Check:
    """A house-number label, a street word of the Indian forms, or a town the place lists know before the PIN."""
    town = regex.split(r"[,\n]", regex.sub(r"[ ]?-?[ ]?\d{6}$", "", value))[-1].strip()
    words = {w.lower() for w in _WORD_RE.findall(value)}
    if _IN_LABEL.match(value) or words & _IN_STREET_WORDS or town in places.KNOWN_PLACES:
        return Check.CONFIRMED
    return Check.REJECTED


INDIAN_SPEC = RecognizerSpec(
    name="IndianAddressRecognizer",
    entity_type="LOCATION",
    patterns=(PatternSpec("indian address", rf"(?<![\w./-]){_IN_HOUSE}{_IN_SEP}(?:{_IN_PART}{_IN_SEP}){{0,2}}"
                                            rf"{_IN_PART}(?:[ ]?-[ ]?|[ ])\d{{6}}(?![\w-])", 0.9),),
    case_sensitive=True,
    validate=_indian,
    confirmed_score=0.9,
)
