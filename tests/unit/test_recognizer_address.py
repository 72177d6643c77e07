"""Postal addresses: inline street addresses in any script with their town."""

from __future__ import annotations

import pytest

from proxy.detection.recognizers import street_address
from tests.unit.recognizer_checks import THRESHOLD, best


@pytest.mark.parametrize(("text", "address"), [
    ("Tosh Olsen lives at 172 Maneeži 75, Saareküla", "172 Maneeži 75, Saareküla"),
    ("Tilly Nicholson lives at 10252 Μεγάλη Άμμος 184, ΠΑΦΟΣ", "10252 Μεγάλη Άμμος 184, ΠΑΦΟΣ"),
    ("We'll meet at Locavore, 641 Dašická 688, Turkovice u Prelouce", "641 Dašická 688, Turkovice u Prelouce"),
    ("She lives at 3178 254 Damvergi Street, Nicosia", "3178 254 Damvergi Street, Nicosia"),
    ("His address: 6138 Via Roma 131", "6138 Via Roma 131"),
    ("at 846 31 Rue Al Imam Al Bakri, Cite Merzgui", "846 31 Rue Al Imam Al Bakri, Cite Merzgui"),
    ("The bus drops you off at 9383 ul. Chrzanowska 61 St.", "9383 ul. Chrzanowska 61"),
])
def test_inline_addresses_with_building_number_and_town(text: str, address: str) -> None:
    found = [text[m.start:m.end] for spec in (street_address.SPEC, street_address.INTERNATIONAL_SPEC)
             for m in spec.matches(text) if m.score >= THRESHOLD]
    assert address in found


def test_full_address_outscores_the_ner() -> None:
    # spaCy tags "Via Roma" as a PERSON at 0.85; a building number, street and house number is confirmed above it.
    assert best(street_address.SPEC, "his address: 6138 Via Roma 131") == ("6138 Via Roma 131", 0.9)
    assert best(street_address.SPEC, "We live at 221 Baker Street now") == ("221 Baker Street", 0.7)


@pytest.mark.parametrize(("text", "address"), [
    ("I live at 221 Baker Street, John said so", "221 Baker Street"),  # no town: the clause goes on
    ("Hauptstraße 5, die Klägerin wohnt dort", "Hauptstraße 5"),
])
def test_town_only_when_the_clause_ends(text: str, address: str) -> None:
    assert best(street_address.SPEC, text)[0] == address


@pytest.mark.parametrize("text", ["In 2019 Microsoft 365 launched, 3 Chapter 4", "version 3.10 Beta 2",
                                  "grew 12.5 Prozent 2019"])
def test_numbers_around_words_are_not_confirmed_addresses(text: str) -> None:
    for spec in (street_address.SPEC, street_address.INTERNATIONAL_SPEC):
        assert all(m.score < 0.9 for m in spec.matches(text))
