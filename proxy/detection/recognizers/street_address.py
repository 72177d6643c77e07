"""Street addresses: `221B Baker Street`, `Hauptstraße 5`, `Musterstr. 12a`, `Via delle Coste 41`, `Apt. 631`,
`172 Maneeži 75, Saareküla`, `10252 Μεγάλη Άμμος 184, ΠΑΦΟΣ`.

Reported as LOCATION, so any policy that covers places covers addresses too. Street words are matched on whole
words in any script; the house number is required, which keeps plain street names in prose ("Wall Street") out.
A building number before the street ("3178 254 Damvergi Street") and a capitalised town after a comma belong to
the address, with a postcode before the town (", 10115 Berlin") or a US state and ZIP after it (", Austin, TX
78701"). Multi-line address blocks are `address_block.py`.
"""

from __future__ import annotations

import faker.providers.address.en_AU
import faker.providers.address.en_NZ
import faker.providers.address.en_US
import regex

from proxy.detection.recognizers import name_lists, places
from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec, SpanMatch
from proxy.detection.recognizers.zip_code import EIRCODE, EU_POSTCODE, UK_CA_POSTCODE, US_STATES

_CAP = r"[A-ZÀ-ÖØ-ÞĀ-ſ][\w'’.-]*"
# The street types of English-speaking countries: the US Postal Service's suffixes (Knoll, Ranch, Stravenue) and the
# Australian and New Zealand ones (Parade, Byway, Quadrant), as Faker's address providers list them, less the few
# that are mostly something else after a number and capitalised words ("5 Data Center", "Top 10 Little Things",
# German "§ 1 … Land").
_NOT_STREET_TYPES = frozenset("""Access Block Break Brace Centers Center Club Common Course Cross Dip Edge Elbow End
Entrance Follow Formation Front Gap Ground Key Keys Land Light Lights Line Link Little Lower Mission Part Pocket Range
Reach Rest Ride Rise Round Run Sound Spring Springs Station Strip Top Trailer Turn Union Unions Upper Well
Wells""".split())
STREET_TYPES = tuple(sorted({t for p in (faker.providers.address.en_US.Provider, faker.providers.address.en_AU.Provider,
                                        faker.providers.address.en_NZ.Provider)
                             for t in p.street_suffixes if " " not in t and t not in _NOT_STREET_TYPES}
                            | {"Str", "St", "Ave", "Rd", "Blvd", "Ln", "Dr", "Ct", "Pl", "Sq", "Pkwy", "Hwy", "Cir"},
                            key=lambda t: (-len(t), t)))
STREET_TYPE_ALTERNATION = "|".join(regex.escape(t) for t in STREET_TYPES)
# In any case ("74678 midtvollen 130 st.") only the common types: "2 cats 3 ways" is no address.
_COMMON_TYPES = (r"Street|Str|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Square|Sq"
                 r"|Terrace|Crescent|Parkway|Pkwy|Highway|Hwy|Close|Row|Alley|Circle|Cir")
# Street-type endings glued to the name: German, Dutch, Nordic, Finnish and Estonian forms.
SUFFIXES = (r"straße|strasse|str\.|weg|gasse|allee|platz|ring|damm|ufer|chaussee|steig|pfad|markt"
             r"|vägen|gatan|gränd|katu|kuja|tie|straat|laan|gracht|gade|vej|veien|gata")
# French writes them in lower case: "12 rue de la Paix".
_PREFIXES = (r"Via|Viale|Rua|Avenida|Avda\.|Calle|Carrer|Rue|rue|Chemin|chemin|allée|impasse|Plaza|Piazza|Corso|Ulica"
             r"|ul\.|Rynek")
# An optional building number in front ("9383 ul. Chrzanowska 61"); not after a dot or comma (decimals, lists).
_BUILDING = r"(?:(?<![\d.,])\d{1,6}[ ]+)?"
# ", Saareküla", ", Turkovice u Prelouce", ", ΠΑΦΟΣ": capitalised words (short lower-case joiners between them)
# right after the street, ending the clause.
_WORD = r"\p{Lu}[\p{L}\p{M}'’-]*"
# A short lower-case joiner between a town's words ("Raabs an der Thaya", "Turkovice u Prelouce"); a day or a month
# after it ends the town instead ("00184 Roma in May", "Lichtenfels am Main on Monday").
TOWN_JOINER = (r"\p{Ll}{1,3}[ ](?!(?:"
               + "|".join(regex.escape(w) for w in sorted(name_lists.CALENDAR_WORDS, key=len, reverse=True))
               + r")\b)")
# ", 10115 Berlin", ", 53-320 Wrocław": a postcode before the town says it is one, wherever the clause ends;
# ", Springfield, IL 62704": a US state code and ZIP after it.
# "72 Bernard Street SW1A 1AA London", "8 Troy Street T90 KD5R Leona Ville": a UK, Canadian or Irish postcode
# right after the street, with or without its town.
_ISLAND_POSTCODE = rf"(?:{UK_CA_POSTCODE}|\b{EIRCODE}\b)"
_TOWN = (rf"(?:,[ ](?:{EU_POSTCODE}[ ]{_WORD}(?:[ ](?:{TOWN_JOINER}){{0,2}}{_WORD})?"
         rf"|{_WORD}(?:[ ](?:{TOWN_JOINER})?{_WORD}){{0,3}}(?:,?[ ](?:{US_STATES})[ ]{{1,2}}\d{{5}}(?:-\d{{4}})?)?"
         rf"(?=[ ]?(?:[.,;:!?)]|$)))|[ ]{_ISLAND_POSTCODE}(?:[ ]{_WORD}(?:[ ]{_WORD}){{0,2}})?)?")
# "580 Parsons Gateway Apt. 215, 82145 Oneillfurt": a unit between the street and its town.
_INLINE_UNIT = r"(?:,?[ ](?:Apt|Suite|Unit|Ste|Flat)\.?[ ]?#?\d{1,5}[A-Za-z]?\b)?"
_ANY_WORDS = r"[\p{L}\p{M}][\p{L}\p{M}'’-]{1,30}(?:[ ][\p{L}\p{M}][\p{L}\p{M}'’.-]{0,30}){0,3}"
_FULL = regex.compile(r"\d+[a-z]?[ ]+\d|.*\d.*,[ ][\p{Lu}\d]", regex.IGNORECASE | regex.DOTALL)
_ENDS_IN_ISLAND_POSTCODE = regex.compile(rf".*[ ]{_ISLAND_POSTCODE}(?:[ ]{_WORD}(?:[ ]{_WORD}){{0,2}})?$")


def full_address(value: str) -> Check:
    """Confirmed when the match is more than a street: a building number and a house number ("3178 254 Damvergi
    Street", "6138 Via Roma 131"), or a town after it. spaCy often tags a piece of such an address ("Via Roma") as a
    PERSON at 0.85; the confirmed score is above that, so the whole address wins the overlap."""
    starts_with_number = value[:1].isdigit()
    has_house_number = starts_with_number and any(ch.isdigit() for ch in value.split(maxsplit=1)[-1])
    confirmed = has_house_number or _FULL.match(value) or _ENDS_IN_ISLAND_POSTCODE.match(value)
    return Check.CONFIRMED if confirmed else Check.UNKNOWN


SPEC = RecognizerSpec(
    name="StreetAddressRecognizer",
    entity_type="LOCATION",
    patterns=(
        PatternSpec("number street-type", rf"\b\d{{1,6}}[A-Za-z]?(?:[ ]\d{{1,5}}[A-Za-z]?)?[ ]+(?:{_CAP}[ ]+){{1,3}}"
                                          rf"(?:{STREET_TYPE_ALTERNATION})\b\.?{_INLINE_UNIT}{_TOWN}", 0.7),
        # "Hauptstraße 5", "Enrico-Köhler-Straße 4681": the type glued on, or capitalised after a hyphen.
        PatternSpec("name-suffix number",
                    rf"\b{_BUILDING}\p{{Lu}}[\w-]*(?:{SUFFIXES}|-(?i:{SUFFIXES}))[ ]+\d{{1,5}}[a-z]?\b{_TOWN}", 0.7),
        PatternSpec("prefix name number",
                    rf"\b{_BUILDING}(?:{_PREFIXES})[ ]+(?:[\w'’.-]+[ ]+){{1,4}}?\d{{1,5}}[a-z]?\b{_TOWN}", 0.6),
        # "846 31 Rue Al Imam Al Bakri", "10963 Rua Vinte e Cinco de Setembro": the house number comes first.
        PatternSpec("number prefix name",
                    rf"(?<![\d.,])\d{{1,6}}(?:[ ]\d{{1,5}})?[ ]{{1,2}}(?:{_PREFIXES})"
                    rf"(?:[ ]{{1,2}}(?:\p{{Ll}}{{1,3}}[ ]){{0,2}}{_CAP}){{1,4}}{_TOWN}", 0.6),
        PatternSpec("unit", r"\b(?i:apt|apartment|suite|unit|flat|wohnung)\.?[ ]*#?\d{1,5}[A-Za-z]?\b", 0.5),
        PatternSpec("po box", r"\b(?:P\.?[ ]?O\.?[ ]?Box|PO[ ]Box|Postfach)[ ]+\d{1,6}\b", 0.6),
    ),
    case_sensitive=True,
    validate=full_address,
    confirmed_score=0.9,
)

# Words that sit between two numbers without being a street ("1 Satz 2", "10 Pro 2", "3 Chapter 4").
_COUNTED = frozenset("""satz absatz nummer seite teil kapitel artikel anlage band jahr jahre zeile ziffer buchstabe
chapter section page pages version article volume figure table step part item level room row line verse pro
edition series season episode abs halbs halbsatz sätze satzes anm anl art nr stufe punkt alternative zeilen""".split())


def _not_counted(value: str) -> Check:
    words = value.split()[1:-1]
    if any(w.lower().strip(".,") in _COUNTED for w in words):
        return Check.REJECTED
    # Only a town or a second building number confirms: "4596 Tylova 285" alone could still be a citation.
    return Check.CONFIRMED if _FULL.match(value) else Check.UNKNOWN


# Building number, street name, house number: the international form "2274 Via delle Coste 41". English text
# only: in German legal and technical text the same shape is a citation ("1 BvR 383", "14 Abs. 2").
INTERNATIONAL_SPEC = RecognizerSpec(
    name="StreetAddressNumberedRecognizer",
    entity_type="LOCATION",
    patterns=(PatternSpec("number name number",
                          rf"(?<![\d.,])\d{{1,6}}(?:[ ]\d{{1,5}})?[ ]+(?:\p{{Lu}}[\p{{Ll}}\p{{M}}'’]{{2,}}"
                          rf"(?:-\p{{Lu}}?[\p{{Ll}}\p{{M}}]{{2,}})?[ ]+){{1,3}}"
                          rf"\d{{1,5}}[a-z]?\b{_TOWN}", 0.5),),
    languages=("en",),
    case_sensitive=True,
    validate=_not_counted,
    confirmed_score=0.9,
)


# Words that do not name a street: "on 2 March 2019 St. Peter", "10 of 12 st", "3 kids 2 st".
_NOT_STREET_WORDS = _COUNTED | frozenset("""of the and or in on at to for with by from a an my our your his her their
january february march april may june july august september october november december kids years days times
minutes hours miles km""".split())


def _street_words(value: str) -> Check:
    words = [w.lower().strip(".,") for w in value.split() if not w[:1].isdigit()][:-1]
    return Check.REJECTED if any(w in _NOT_STREET_WORDS for w in words) else Check.CONFIRMED


# Written in any case, a street between a building and a house number and before its type: "74678 midtvollen 130
# st.", "8116 56 rue La Boétie St.", "518 Árpád fejedelem útja 62. St.". Two numbers and a street type make it an
# address; English text only, like the numbered form above.
ANY_CASE_SPEC = RecognizerSpec(
    name="StreetAddressAnyCaseRecognizer",
    entity_type="LOCATION",
    patterns=(PatternSpec("numbers around any-case street",
                          rf"(?<![\d.,])\d{{1,6}}[ ](?:\d{{1,5}}[ ]{_ANY_WORDS}|{_ANY_WORDS}[ ]\d{{1,5}}\.?)[ ]"
                          rf"(?i:{_COMMON_TYPES})\b\.?", 0.6),),
    languages=("en",),
    case_sensitive=True,
    validate=_street_words,
    confirmed_score=0.9,
)


# A postcode and town after a comma, ending the clause, say "address" whatever came before them (a street form the
# patterns above do not know): "Pasadizo de Ambrosio Solana 30, 41822 Jaén", "Pod Srázem 1, 545 80 Dašice",
# "Finnpad 3, 8580 XP Opperdoes". The postcode forms of Europe and Brazil, and six digits before a known town.
_VOWEL = regex.compile(r"[aeiouyäöüåæøéèêáàâíìîóòôúùûőűąęěı]", regex.IGNORECASE)
_TOWN_START = regex.compile(r"[\d -]+(?:[A-Z]{2}[ ])?(?=\p{Lu}\p{Ll})|[A-Z]{1,2}-[\d]+[ ]")
_SIX_DIGITS = regex.compile(r"\d{6}[ ]")


def _postcode_town(value: str) -> Check:
    """A number and ordinary words are no town ("…, 2023 Results.", "…, 12000 Units."), unless a known place; nor
    is a word without a vowel (citations: "…, 1198 Rdnr. 12", "…, 1770 BGB"). Six digits (India's PIN, Romania's
    and Russia's codes) only before a town the lists know ("…, 880729 Jalgaon.", not "…, 250000 Kunden.")."""
    start = _TOWN_START.match(value)
    town = value[start.end():] if start else value
    if not _VOWEL.search(town):
        return Check.REJECTED
    if town in places.KNOWN_PLACES:
        return Check.UNKNOWN
    if _SIX_DIGITS.match(value):
        return Check.REJECTED
    words = town.split()
    return Check.REJECTED if all(name_lists.is_english_word(w, plurals=True) for w in words) else Check.UNKNOWN


POSTCODE_TOWN_SPEC = RecognizerSpec(
    name="PostcodeTownRecognizer",
    entity_type="LOCATION",
    patterns=(PatternSpec("postcode and town after a comma",
                          rf"(?<=,[ ])(?:{EU_POSTCODE}|\d{{6}})[ ]{_WORD}(?:[ ](?:{TOWN_JOINER}){{0,2}}{_WORD}){{0,3}}"
                          r"(?=[ ]?(?:[.,;!?)\n]|$))", 0.6),),
    case_sensitive=True,
    validate=_postcode_town,
)


# A town the place lists know and its postcode, no comma: "Diepholz 72902", "Sankt Valentin 5018", "Meerut-571727"
# (an Indian PIN after a hyphen). Unknown words before a number are products, models and chapters ("Windows 11",
# "Kapitel 12345"); four digits alone are years here ("Berlin 1898"), eight that start with a year a date ("Berlin
# 20240312"); no digit group follows ("Marke 305 02 291"); a stop word is no town, whatever the lists say ("Eine").
_TOWN_THEN_CODE = regex.compile(rf"(?<![\w-])(?P<town>{_WORD}(?:[ ]{_WORD}){{0,3}})(?:[ ]|-(?=\d{{6}}\b))"
                                rf"(?!\d{{4}}(?!\d|[ ]?[A-Z]{{2}}|-\d)|(?:19|20)\d{{6}}\b)(?:{EU_POSTCODE}|\d{{6}})"
                                r"(?![\w-]|[.,]\d|[ ]\d)")


def find_town_postcodes(text: str) -> list[SpanMatch]:
    """The known town (the longest run of the words before the number that the lists know) and its postcode."""
    found = []
    for m in _TOWN_THEN_CODE.finditer(text):
        words = list(regex.finditer(r"\S+", m.group("town")))
        for i, word in enumerate(words):
            town = " ".join(w.group() for w in words[i:])
            if town in places.KNOWN_PLACES:
                found.append(SpanMatch(m.start("town") + word.start(), m.end(), 0.6, "known town and postcode"))
                break
    return found


TOWN_POSTCODE_SPEC = RecognizerSpec(name="TownPostcodeRecognizer", entity_type="LOCATION", finder=find_town_postcodes)
