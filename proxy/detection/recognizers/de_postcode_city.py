"""German postcode + city (`10115 Berlin`, `60311 Frankfurt am Main`, `D-80331 München`).

A five-digit number before a capitalised word is everywhere in German (`50000 Euro`, `12000 Einwohner`), so: after a
street address (`Hauptstr. 5, 10115 Berlin`) or with the `D-` prefix it is reported as it stands; bare, it needs an
address word nearby (Adresse, Anschrift, wohnhaft, PLZ, …), and common nouns of quantity are rejected.
"""

from __future__ import annotations

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec

# Any letters, not only German ones: "41822 Jaén" and "12904 Skellefteå" must not lose their last letters.
_CITY = (r"\p{Lu}[\p{Ll}\p{M}]+(?:-\p{Lu}[\p{Ll}\p{M}]+)*"
         r"(?:[ ](?:am|an|im|in|ob|bei|vor|der|dem|den|an der|am See)[ ]\p{Lu}[\p{Ll}\p{M}]+"
         r"|[ ]\(\p{Lu}[\p{Ll}\p{M}]+\))?")
_CODE = r"(?:0[1-9]\d{3}|[1-9]\d{4})"
# Words a five-digit number commonly counts; they are not towns.
_NOT_CITIES = frozenset("""euro eur dollar franken pfund mark tonnen meter kilometer quadratkilometer hektar einwohner
menschen personen mitarbeiter mitglieder besucher zuschauer stück exemplare jahre tage stunden minuten sekunden
soldaten fans teilnehmer nutzer kunden fälle stimmen haushalte wohnungen studenten schüler kinder
arbeitsplätze unterschriften dokumente seiten bände titel punkte""".split())


def validate(value: str) -> Check:
    """Reject when the word after the number is a common counted noun."""
    words = value.split()
    city = words[1] if len(words) > 1 else ""
    return Check.REJECTED if city.lower() in _NOT_CITIES else Check.UNKNOWN


SPEC = RecognizerSpec(
    name="DePostcodeCityRecognizer",
    entity_type="DE_POSTCODE_CITY",
    patterns=(
        PatternSpec("postcode city after street",
                    rf"(?<=\b\d{{1,4}}[ ]?[a-z]?[ ]?(?:,[ ]?|\n[ ]*))(?:D-)?{_CODE}[ ]{_CITY}", 0.8),
        PatternSpec("postcode city with D- prefix", rf"\bD-{_CODE}[ ]{_CITY}", 0.7),
        PatternSpec("postcode city", rf"(?<![\w.,-]){_CODE}[ ]{_CITY}", 0.3),
    ),
    context=("adresse", "anschrift", "wohnhaft", "wohnort", "plz", "postleitzahl", "wohnt", "address", "sitz",
             "lieferadresse", "ort"),
    case_sensitive=True,
    validate=validate,
)
