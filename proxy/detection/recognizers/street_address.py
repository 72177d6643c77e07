"""Street addresses: `221B Baker Street`, `Hauptstraße 5`, `Musterstr. 12a`, `Via delle Coste 41`, `Apt. 631`.

Reported as LOCATION, so any policy that covers places covers addresses too. Street words are matched on whole
words; the house number is required, which keeps plain street names in prose ("Wall Street") out.
"""

from __future__ import annotations

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec

_CAP = r"[A-ZÀ-ÖØ-ÞĀ-ſ][\w'’.-]*"
_EN_TYPES = (r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Square|Sq"
             r"|Terrace|Crescent|Parkway|Pkwy|Highway|Hwy|Close|Row|Alley|Circle|Cir")
# Street-type endings glued to the name: German, Dutch, Nordic, Finnish and Estonian forms.
_SUFFIXES = (r"straße|strasse|str\.|weg|gasse|allee|platz|ring|damm|ufer|chaussee|steig|pfad|markt"
             r"|vägen|gatan|gränd|katu|kuja|tie|straat|laan|gracht|gade|vej|veien|gata")
_PREFIXES = r"Via|Viale|Rua|Avenida|Avda\.|Calle|Carrer|Rue|Chemin|Plaza|Piazza|Corso|Ulica|ul\.|Rynek"

SPEC = RecognizerSpec(
    name="StreetAddressRecognizer",
    entity_type="LOCATION",
    patterns=(
        PatternSpec("number street-type", rf"\b\d{{1,6}}[A-Za-z]?[ ]+(?:{_CAP}[ ]+){{1,3}}(?:{_EN_TYPES})\b\.?", 0.7),
        PatternSpec("name-suffix number", rf"\b[A-ZÀ-ÖØ-Þ][\w-]*(?:{_SUFFIXES})[ ]+\d{{1,5}}[a-z]?\b", 0.7),
        PatternSpec("prefix name number", rf"\b(?:{_PREFIXES})[ ]+(?:[\w'’.-]+[ ]+){{1,4}}?\d{{1,5}}[a-z]?\b", 0.6),
        PatternSpec("unit", r"\b(?i:apt|apartment|suite|unit|flat|wohnung)\.?[ ]*#?\d{1,5}[A-Za-z]?\b", 0.5),
        PatternSpec("po box", r"\b(?:P\.?[ ]?O\.?[ ]?Box|PO[ ]Box|Postfach)[ ]+\d{1,6}\b", 0.6),
    ),
    case_sensitive=True,
)

# Words that sit between two numbers without being a street ("1 Satz 2", "10 Pro 2", "3 Chapter 4").
_COUNTED = frozenset("""satz absatz nummer seite teil kapitel artikel anlage band jahr jahre zeile ziffer buchstabe
chapter section page pages version article volume figure table step part item level room row line verse pro
edition series season episode""".split())


def _not_counted(value: str) -> Check:
    words = value.split()[1:-1]
    return Check.REJECTED if any(w.lower().strip(".,") in _COUNTED for w in words) else Check.UNKNOWN


# Building number, street name, house number: the international form "2274 Via delle Coste 41". English text
# only: in German legal and technical text the same shape is a citation ("1 BvR 383", "14 Abs. 2").
INTERNATIONAL_SPEC = RecognizerSpec(
    name="StreetAddressNumberedRecognizer",
    entity_type="LOCATION",
    patterns=(PatternSpec("number name number",
                          r"\b\d{1,6}[ ]+(?:[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’-]{2,}[ ]+){1,3}\d{1,5}[a-z]?\b", 0.5),),
    languages=("en",),
    case_sensitive=True,
    validate=_not_counted,
)
