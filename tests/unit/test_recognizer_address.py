"""Postal addresses (whole multi-line blocks, inline street addresses in any script with their town) and places
named after a phrase that only takes a place."""

from __future__ import annotations

import pytest

from proxy.detection.recognizers import address_block, place_cue, street_address
from tests.unit.recognizer_checks import THRESHOLD, best

BLOCKS = [
    "4844 Søndergade 52\n Apt. 656\n Brønderslev\n\n Denmark 35018",
    "935 69 Gordon Terrace\n> Suite 828\n> BASHALL TOWN\n> United Kingdom 89800",
    "66029 138 Consul Place\n??? Apt. 050\n??? Broomfield\n??? New Zealand 57006",
    "45818 P.O. Box 242\n Suite 787\n Kangerlussuaq\n\n Greenlander 54005",
    "5 Puruntie 82 Apt. 595\n   LAPPEENRANTA\n    SK\n    53650",
    "31401 ul. Słowicza 10 Apt. 360\n   Wrocław\n    nan\n    53-320",
    "2437 Main St Suite 442\n   Mill Village\n    NS\n    B0J 2H0",
    "3565 Πλατεία Συντάγματος 204\n Suite 279\n ΑΣΚΕΙΑ (ΑΣΣΕΙΑ)\n Cyprus (Greek) 13429",
    "971 Kesk 53\n Suite 343\n Pärnu\n Estonia",
    "638 2229 Wolmarans St\nCaxias do Sul, RS 24893",
    "PSC 1437, Box 3833\nAPO AA 66791",
    "USNS Møller\nFPO AA 85844",
    "688 rue du centre 320\n??? apt. 169\n??? marke\n??? belgium 97466",
    "236 Scott Access\nRD 6\nMurdochville 2249",
]


@pytest.mark.parametrize("block", BLOCKS)
def test_address_block_is_one_span(block: str) -> None:
    text = f"Please send it to:\n{block}\nThanks!"
    assert best(address_block.SPEC, text) == (block, 0.9)


@pytest.mark.parametrize(("text", "block"), [
    # The block stops before a field line, a phone line, or a second blank line.
    ("4844 Søndergade 52\n Apt. 656\n Brønderslev\n Denmark 35018\nPhone: 040 1234567",
     "4844 Søndergade 52\n Apt. 656\n Brønderslev\n Denmark 35018"),
    ("233 Erzsébet tér 19.\n Suite 282\n Domoszló\n Hungary 34796\n(37) 788-063-Office",
     "233 Erzsébet tér 19.\n Suite 282\n Domoszló\n Hungary 34796"),
])
def test_address_block_never_runs_into_the_next_line(text: str, block: str) -> None:
    assert best(address_block.SPEC, text) == (block, 0.9)


@pytest.mark.parametrize("text", [
    "2019 Revenue\nGermany 12000",  # a number and a word over a line with a number: a table, not an address
    "10 things to do\nParis\nFrance",  # no house number, unit or postcode
    "12 Main Street\nPhone: 555 1234",  # a field line is not part of an address
    "123 Fake Street\nThis is a very long line of prose that goes on\n12345",  # prose line
    "12 Main Street\n\n\nBerlin 10115",  # two blank lines end a block
    "Table 3\nrow 1 a 2\nTotal 12345",
    "Step 1 Install\nStep 2 Run 12345",
    "See section 4 of the spec\nIt covers timing 300 ms",
    "Ask for Júlia Maia at 932 833 125 tomorrow.\nTayla Blake, 450-5561",  # from the middle of a phone number
])
def test_not_address_blocks(text: str) -> None:
    assert address_block.SPEC.matches(text) == []


@pytest.mark.parametrize("filler", ["1 aa\n", "12 Main St\n", "1 ", "a\n", "> \n", "Apt. 1\n", "aa bb cc\n",
                                    "1 Aa 2, ", "9 aa 9 ", "flew to Aa ", "Aa 1\n", "Aa Bb 12\n12345 ",
                                    "Aa Bb 1234 ", "1 Aa St A12 Bb ", "1, Aa Bb\n"])
def test_address_matches_stay_bounded_on_repetitive_text(filler: str) -> None:
    """Every quantifier is bounded, so no match grows with the text (how long the patterns take on such input is
    measured by bench/pathological.py; a pattern that backtracked without end would hit the suite's timeout)."""
    text = filler * 5_000
    for spec in (address_block.SPEC, address_block.CONTINENTAL_SPEC, street_address.SPEC,
                 street_address.INTERNATIONAL_SPEC, street_address.ANY_CASE_SPEC, street_address.POSTCODE_TOWN_SPEC,
                 street_address.TOWN_POSTCODE_SPEC, address_block.INDIAN_SPEC, place_cue.SPEC):
        assert all(m.end - m.start < 400 for m in spec.matches(text)), spec.name


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


@pytest.mark.parametrize(("text", "place"), [
    ("Mr. Pavlović flew to STAXROITH on Monday morning.", "STAXROITH"),
    ("Dr. Burke is a 53 year old man who grew up in KNIVSTA.", "KNIVSTA"),
    ("I'm Naomi Ryan, originally from ΕΓΚΩΜΗ, and i'm 31 y/o.", "ΕΓΚΩΜΗ"),
    ("the White Stripes' home city Villafranca del Cid: White", "Villafranca del Cid"),
    ("When: 2000-04-16\nWhere: Erwetegem Country Club.", "Erwetegem Country Club"),
    ("I'm in HARSTAD, at the conference", "HARSTAD"),
])
def test_place_after_a_place_cue(text: str, place: str) -> None:
    assert best(place_cue.SPEC, text) == (place, 0.6)
    assert place_cue.SPEC.languages == ("en",)


@pytest.mark.parametrize("text", ["She was born in March 1990", "I'm in LOVE with this", "moved to Anna's flat",
                                  "based in the city", "he flew to work", "I'm in Trouble now", "grew up in The 90s"])
def test_no_place_after_the_cue(text: str) -> None:
    assert place_cue.SPEC.matches(text) == []


@pytest.mark.parametrize(("text", "address"), [
    ("the bus drops you off at 74678 midtvollen 130 st.", "74678 midtvollen 130 st."),
    ("The bus drops you off at 8116 56 rue La Boétie St.", "8116 56 rue La Boétie St."),
    ("The bus drops you off at 518 Árpád fejedelem útja 62. St.", "518 Árpád fejedelem útja 62. St."),
])
def test_any_case_street_between_two_numbers(text: str, address: str) -> None:
    assert best(street_address.ANY_CASE_SPEC, text) == (address, 0.9)
    assert street_address.ANY_CASE_SPEC.languages == ("en",)


@pytest.mark.parametrize("text", ["on 2 March 2019 St. Peter's feast", "version 10 of 12 st", "we have 3 kids 2 st",
                                  "I ran 5 miles in 40 min st", "1 2 3 st", "the 74678 midtvollen st."])
def test_any_case_street_needs_street_words_and_two_numbers(text: str) -> None:
    assert street_address.ANY_CASE_SPEC.matches(text) == []


@pytest.mark.parametrize("block", [
    "2000 Heather Roads\nLake Carloston, CA 77895",  # a USPS street type ends the street line
    "6717 Jeremy Cove\nJesseton, BC L9B7L9",  # a province and a Canadian postcode end the last line
    "Level 6 92 Rivera Bypass\nHallton, SA, 8449",  # a unit first; an Australian state and postcode
    "1/134 Rogers Firetrail\nLake Jonathanport, ACT, 2975",
    "Flat 49r\nSmith Green\nSouth Louis\nL32 9HP",  # a unit alone on the first line (UK)
    "0249 Smith Gardens Suite 996\nLake Jennifer, FM 84608",
])
def test_two_line_blocks_that_say_address_by_their_form(block: str) -> None:
    text = f"Sent from {block} on Monday."
    assert best(address_block.SPEC, text) == (block, 0.9)


@pytest.mark.parametrize("block", [
    "Schleichstraße 19\n48337 Lichtenfels", "Oda-Preiß-Straße 1\n90404 Sangerhausen",
    "ul. Kołłątaja 79/19\n02-931 Kwidzyn", "Városi utca 149.\nH-2907 Tamásifalva",
    "Praça de Ribeiro, 11\n9483-378 Reguengos de Monsaraz", "25, boulevard de François\n77113 Poirier-sur-Mer",
    "Vicolo Sgalambro, 59\n30010, Campagna Lupia (VE)", "Floortjedreef 28\n1012 TX\nBaard",
    "Sigurdsvej 2\n4748 Tørring", "Na Kozinci 279\n507 48 Horní Benešov",
    "Ortmannweg 32-73\n93814 Göttingen", "Lugerplatz 00\n9261 Raabs an der Thaya",
    "Borgo Donato, 7 Piano 4\n27044, Canneto (PV)", "rue Océane Andre\n77447 Maillard",
    "Praia Montenegro, 300\nBom Jesus\n81086-201 Correia / BA", "Trevo Pacheco\nDelta\n58279401 Cunha do Norte / MS",
    "R. de Martins, S/N\n8491-316 Fundão", "Calle Mayor, s/n\n28013 Madrid",
])
def test_continental_blocks(block: str) -> None:
    assert best(address_block.CONTINENTAL_SPEC, f"Ship it to this address:\n{block}\nThanks") == (block, 0.9)


@pytest.mark.parametrize(("text", "block"), [
    ("Sent from Schleichstraße 19\n48337 Lichtenfels am Main on Monday.",
     "Schleichstraße 19\n48337 Lichtenfels am Main"),
    ("Ship it to:\nul. Kołłątaja 79/19\n53-320 Wrocław.\nThanks", "ul. Kołłątaja 79/19\n53-320 Wrocław"),
    ("Ship it to:\nSchleichstraße 19\n9000 St. Gallen\nThanks", "Schleichstraße 19\n9000 St. Gallen"),
])
def test_continental_blocks_end_before_a_day_or_a_full_stop(text: str, block: str) -> None:
    assert best(address_block.CONTINENTAL_SPEC, text) == (block, 0.9)


@pytest.mark.parametrize(("text", "address"), [
    ("Meet me at 5 Via Roma, 00184 Roma in May.", "5 Via Roma, 00184 Roma"),
    ("Sent from Hauptstraße 5, 94469 Deggendorf an der Donau on Monday.",
     "Hauptstraße 5, 94469 Deggendorf an der Donau"),
    ("Sent from Hauptstraße 5, 3580 Raabs an der Thaya.", "Hauptstraße 5, 3580 Raabs an der Thaya"),
])
def test_a_day_or_a_month_after_a_joiner_ends_the_town(text: str, address: str) -> None:
    assert best(street_address.SPEC, text) == (address, 0.9)


@pytest.mark.parametrize(("text", "block"), [
    ("My address is Ortmannweg 32-73\n93814 Göttingen", "Ortmannweg 32-73\n93814 Göttingen"),
    ("Sent from 57, rue de Gautier\n81710 Marty-sur-Carpentier", "57, rue de Gautier\n81710 Marty-sur-Carpentier"),
    ("My address is Acceso de Lalo Naranjo 604\nGranada, 01247", "Acceso de Lalo Naranjo 604\nGranada, 01247"),
])
def test_continental_blocks_after_words_that_lead_into_them(text: str, block: str) -> None:
    # "My address is", "Sent from" are not part of the address: the placeholder leaves them to the model.
    assert best(address_block.CONTINENTAL_SPEC, text) == (block, 0.9)


@pytest.mark.parametrize("text", [
    "Order total 5 items\n10115 Berlin",  # words before the number that do not lead into an address
    "Via Email Team\n2024 Roadmap",  # a street word that is an English word needs a house number
    "Windows 11\n2024 Roadmap",  # no street word, no known town
    "See chapter 12\n2019 Results",
    "Release 3.2\n2024 Notes",
    "The report lists eleven regional sales figures for 12\n10115 Berlin",  # prose, not a street line
])
def test_not_continental_blocks(text: str) -> None:
    assert address_block.CONTINENTAL_SPEC.matches(text) == []


@pytest.mark.parametrize(("text", "address"), [
    ("Deliver to 20297 Cheryl Ranch, 11871 Fordland.", "20297 Cheryl Ranch, 11871 Fordland"),
    ("She lives at 950 Hill Locks, Kristenbury, KY 92801.", "950 Hill Locks, Kristenbury, KY 92801"),
])
def test_usps_street_types(text: str, address: str) -> None:
    assert best(street_address.SPEC, text) == (address, 0.9)


def test_uncommon_street_types_are_not_read_in_any_case() -> None:
    assert street_address.ANY_CASE_SPEC.matches("we have 2 cats 3 ways") == []


@pytest.mark.parametrize(("text", "place"), [
    ("Deliver to Finnpad 3, 8580 XP Opperdoes.", "8580 XP Opperdoes"),
    ("Deliver to Pod Srázem 1, 545 80 Dašice.", "545 80 Dašice"),
    ("Deliver to pl. Grottgera 80/73, 80-262 Zakopane.", "80-262 Zakopane"),
    ("Deliver to Feira Nogueira, 4, 58073-021 Siqueira.", "58073-021 Siqueira"),
    ("Deliver to Dunaújvárosi utca 41., H-5580 Magyarmellékfalva.", "H-5580 Magyarmellékfalva"),
    ("Deliver to Kerkstraat 3, 5907JO Venlo.", "5907JO Venlo"),
    ("Deliver to 791, Bhatia Circle, 880729 Jalgaon.", "880729 Jalgaon"),
    ("Deliver to 06\nVarughese Path, 635515 Sonipat.", "635515 Sonipat"),
])
def test_postcode_and_town_after_a_comma(text: str, place: str) -> None:
    assert best(street_address.POSTCODE_TOWN_SPEC, text) == (place, 0.6)


@pytest.mark.parametrize("text", ["Revenue was up, 2023 Results.", "Order shipped, 12000 Units.",
                                  "As planned, 2024 Goals and Plans.", "In total, 3500 New Customers!",
                                  "BGHZ 12, 1198 Rdnr. 12", "vgl. Palandt, 1770 BGB.",
                                  "Wir haben 5 Filialen, 250000 Kunden.", "Im Jahr 2023, 123456 Besucher!"])
def test_a_number_and_ordinary_words_after_a_comma_are_no_town(text: str) -> None:
    assert street_address.POSTCODE_TOWN_SPEC.matches(text) == []


@pytest.mark.parametrize(("text", "address"), [
    ("Deliver to 580 Parsons Gateway Apt. 215, 82145 Oneillfurt.", "580 Parsons Gateway Apt. 215, 82145 Oneillfurt"),
    ("Deliver to Enrico-Köhler-Straße 4681, 58073 Wiedenbrück.", "Enrico-Köhler-Straße 4681, 58073 Wiedenbrück"),
])
def test_street_with_unit_or_hyphenated_type_and_its_town(text: str, address: str) -> None:
    assert best(street_address.SPEC, text) == (address, 0.9)


@pytest.mark.parametrize(("text", "address"), [
    ("My address is 72 Bernard Street SW1A 1AA London.", "72 Bernard Street SW1A 1AA London"),
    ("My address is 72 Bernard Street P26 34V8 Giles Ville.", "72 Bernard Street P26 34V8 Giles Ville"),
    ("Sent from 02 McRoarty Street V36N685 Patricia Ville on Monday.", "02 McRoarty Street V36N685 Patricia Ville"),
    ("Send it to 12 High Street B0J 2H0.", "12 High Street B0J 2H0"),
])
def test_street_with_a_uk_irish_or_canadian_postcode_and_no_comma(text: str, address: str) -> None:
    assert best(street_address.SPEC, text) == (address, 0.9)


@pytest.mark.parametrize(("text", "place"), [
    ("Diepholz 72902 is where the office is now.", "Diepholz 72902"),
    ("Sent from Bhilwara-544055 on Monday.", "Bhilwara-544055"),
    ("Deliver to Amsterdam 1012 NX tomorrow.", "Amsterdam 1012 NX"),
])
def test_a_known_town_and_its_postcode(text: str, place: str) -> None:
    assert best(street_address.TOWN_POSTCODE_SPEC, text) == (place, 0.6)


@pytest.mark.parametrize("text", ["Berlin 2019 was cold.", "Windows 11 and Office 2021 are out.",
                                  "Kristenberg 28378 is where the office is now.",
                                  "aus der Marke 305 02 291 hin", "Paris 12.5 km away", "London 2012 drew crowds",
                                  "Berlin 20240312 release", "in Berlin 1898 gegründet", "Eine 12345"])
def test_no_town_postcode_for_years_unknown_words_or_longer_numbers(text: str) -> None:
    assert street_address.TOWN_POSTCODE_SPEC.matches(text) == []


def test_german_postcode_city_keeps_every_letter_of_the_town() -> None:
    from proxy.detection.recognizers import de_postcode_city
    assert best(de_postcode_city.SPEC, "Skolvägen 36, 12904 Skellefteå.")[0] == "12904 Skellefteå"


@pytest.mark.parametrize("address", [
    "H.No. 737, Baria Path\nMuzaffarpur 039931", "69/37, Kamdar Street\nSilchar-651233",
    "034\nJani Nagar, Khammam 529413", "Flat No. 12, Green Apartments, MG Road, Bengaluru - 560001",
    "81/444, Loyal, Rohtak-373233",
])
def test_indian_addresses_up_to_the_pin(address: str) -> None:
    assert best(address_block.INDIAN_SPEC, f"Ship it to this address:\n{address}\nThanks") == (address, 0.9)


@pytest.mark.parametrize("text", ["Version 3\nRelease Notes, Build 123456", "Order 12, Batch Alpha 123456",
                                  "Chapter 5, Section Two 100001", "Total 5, Sum 123456"])
def test_numbers_and_words_before_six_digits_are_no_indian_address(text: str) -> None:
    assert address_block.INDIAN_SPEC.matches(text) == []


def test_known_places_leave_out_towns_that_are_stop_words() -> None:
    from proxy.detection.recognizers import places
    assert {"Eine", "My", "Tel", "Waren", "On"}.isdisjoint(places.KNOWN_PLACES)
    assert {"Berlin", "Tel Aviv", "Diepholz", "Amsterdam"} <= places.KNOWN_PLACES
