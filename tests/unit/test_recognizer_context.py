"""Recognizers that lean on cue words: phone numbers, card numbers, postal codes, names after cues, addresses."""

from __future__ import annotations

import pytest

from proxy.detection.recognizers import (
    age,
    card_context,
    first_names,
    person_cue,
    phone_context,
    place_cue,
    places,
    street_address,
    zip_code,
)
from tests.unit.recognizer_checks import THRESHOLD, best


def test_bare_digit_groups_need_a_phone_word() -> None:
    value, score = best(phone_context.SPEC, "call me on 0490 75 40 81")
    assert value == "0490 75 40 81" and score < THRESHOLD  # the engine adds the context boost for "call"
    assert "call" in phone_context.SPEC.context


def test_international_number_is_confirmed() -> None:
    assert best(phone_context.SPEC, "Fax +44 20 7946 0958") == ("+44 20 7946 0958", 0.9)


@pytest.mark.parametrize("text", ["in 2019-05-13", "version 1.2.3", "12:30", "ratio 3/4", "id 1111111111",
                                  "room 12-Office", "order 4711 234-Homework", "1.234.567-Office"])
def test_phone_near_misses(text: str) -> None:
    assert all(m.score < THRESHOLD for m in phone_context.SPEC.matches(text))


@pytest.mark.parametrize(("text", "number"), [
    ("Hungary 34796\n(37) 788-063-Office", "(37) 788-063"),
    ("21 253 109 8211-Office\\,+447700 208 815-Fax", "21 253 109 8211"),
    ("085 175 7641-Office\\,3660170548-Fax", "3660170548"),
    ("0171 2345678 (mobile)", "0171 2345678"),
])
def test_phone_with_its_label_after_it(text: str, number: str) -> None:
    assert number in [text[m.start:m.end] for m in phone_context.SPEC.matches(text) if m.score >= THRESHOLD]


def test_phone_words_match_inside_longer_words() -> None:
    # Presidio matches a context word as a substring of the lower-cased word: "message" also covers "messages".
    assert {"message", "registered"} <= set(phone_context.SPEC.context)
    assert {"text", "ring", "hotline", "voicemail"} <= set(phone_context.SPEC.context)


def test_card_luhn_valid_confirmed_invalid_left_to_context() -> None:
    assert card_context.luhn_ok("4111111111111111") and not card_context.luhn_ok("4111111111111112")
    assert best(card_context.SPEC, "card 4111 1111 1111 1111")[1] == 0.5
    assert best(card_context.SPEC, "card 4111111111111112")[1] < THRESHOLD


def test_card_rejects_short_and_uniform() -> None:
    assert card_context.SPEC.matches("order 12345678") == []
    assert card_context.SPEC.matches("0000 0000 0000 0000") == []


def test_zip_only_scores_with_context() -> None:
    assert all(m.score < THRESHOLD for m in zip_code.SPEC.matches("ZIP: 94103"))
    assert set(zip_code.SPEC.context) >= {"zip", "postcode", "plz"}


@pytest.mark.parametrize(("text", "code"), [
    ("Springfield, IL 62704", "62704"),
    ("Austin TX 78701-1234 is where", "78701-1234"),
    ("London SW1A 1AA", "SW1A 1AA"),
    ("Flat 2, Manchester M1 1AE", "M1 1AE"),
    ("Mill Village NS B0J 2H0", "B0J 2H0"),
])
def test_postal_codes_whose_form_says_what_they_are(text: str, code: str) -> None:
    assert best(zip_code.SPEC, text) == (code, 0.6 if code[0].isdigit() else 0.5)


@pytest.mark.parametrize("text", ["PS4 1TB for sale", "ID AB12 3CD", "version 3, 2024 Edition", "I paid 5, 2000 Euros",
                                  "OK 12345", "the id is 12345", "Invoice 2024 IL 62704"])
def test_postal_code_near_misses(text: str) -> None:
    assert all(m.score < THRESHOLD for m in zip_code.SPEC.matches(text))


@pytest.mark.parametrize(("text", "name"), [
    ("Hi, my name is Sofia Lima and I need help", "Sofia Lima"),
    ("Please ask Dr. Ken N. Fukuda", "Ken N. Fukuda"),
    ("Guten Tag, mein Name ist Hans Müller.", "Hans Müller"),
    ("Ich habe mit Frau Schmidt gesprochen", "Schmidt"),
    ("everyone calls me Christine", "Christine"),
])
def test_person_after_cue(text: str, name: str) -> None:
    assert best(person_cue.SPEC, text) == (name, 0.6)


@pytest.mark.parametrize("text", ["my name is not important", "the doctor said so", "Herr der Ringe",
                                  "it is called a day", "x = get_name(e) if name is None else name",
                                  "assert name is True"])
def test_person_cue_without_a_capitalised_name(text: str) -> None:
    assert person_cue.SPEC.matches(text) == []


@pytest.mark.parametrize(("text", "address"), [
    ("We live at 221 Baker Street now", "221 Baker Street"),
    ("Lieferung an Hauptstraße 5 bitte", "Hauptstraße 5"),
    ("Musterstr. 12a, 10115 Berlin", "Musterstr. 12a, 10115 Berlin"),  # a postcode before the town
    ("Hauptstraße 5, 10115 Berlin bitte", "Hauptstraße 5, 10115 Berlin"),
    ("12 rue de la Paix, 75002 Paris", "12 rue de la Paix, 75002 Paris"),
    ("ul. Słowicza 10, 53-320 Wrocław", "ul. Słowicza 10, 53-320 Wrocław"),
    ("Kalverstraat 1, 1012 NX Amsterdam.", "Kalverstraat 1, 1012 NX Amsterdam"),
    ("Ship to 123 Main St, Springfield, IL 62704.", "123 Main St, Springfield, IL 62704"),  # town, state, ZIP
    ("2274 Via delle Coste 41", "2274 Via delle Coste 41"),  # the building number belongs to the address
    ("Suite 824", "Suite 824"),
    ("Send it to P.O. Box 104", "P.O. Box 104"),
    ("Antwort an Postfach 1234", "Postfach 1234"),
])
def test_street_addresses(text: str, address: str) -> None:
    assert address in [text[m.start:m.end] for m in street_address.SPEC.matches(text) if m.score >= THRESHOLD]


@pytest.mark.parametrize("text", ["He works on Wall Street.", "the main road was closed", "Straße der Einheit"])
def test_street_names_without_numbers(text: str) -> None:
    assert street_address.SPEC.matches(text) == []


def test_place_names_in_german_and_english() -> None:
    text = "Er zog von Köln nach Österreich; she moved to New York, then FINLAND."
    assert [text[m.start:m.end] for m in places.SPEC.matches(text)] == ["Köln", "Österreich", "New York", "FINLAND"]


@pytest.mark.parametrize("text", ["Das OLG Köln entschied", "Urteil des Landgerichts Paderborn", "FC Bayern München",
                                  "LSG Berlin-Brandenburg", "the word chad", "in Essen gehen"])
def test_place_names_inside_institutions_or_ambiguous(text: str) -> None:
    assert places.SPEC.matches(text) == []


def test_title_after_title_is_not_a_name() -> None:
    text = "Gutachten von Prof. Dr. Hacker"
    assert [text[m.start:m.end] for m in person_cue.SPEC.matches(text)] == ["Hacker"]


@pytest.mark.parametrize(("text", "name"), [
    ("Bitte leite das an Sabine Schneider weiter.", "Sabine Schneider"),
    ("Meeting with Jennifer tomorrow", "Jennifer"),
    ("Grüße, Jürgen", "Jürgen"),
])
def test_first_names_with_surname(text: str, name: str) -> None:
    assert [text[m.start:m.end] for m in first_names.SPEC.matches(text)] == [name]


def test_lowercase_first_names_are_english_only_and_not_words() -> None:
    text = "wow emma and jessica are here, will you mark it"
    assert [text[m.start:m.end] for m in first_names.LOWERCASE_SPEC.matches(text)] == ["emma", "jessica"]
    assert first_names.LOWERCASE_SPEC.languages == ("en",)
    assert first_names.SPEC.matches("Die Mark und der Wolf im Ernst") == []


@pytest.mark.parametrize(("text", "value"), [
    ("and i'm 31 y/o.", "31"), ("My brother just turned 60", "60"), ("a 19 year old man", "19"),
    ("Er ist 45 Jahre alt", "45"), ("im Alter von 45 Jahren", "45"), ("aged 7, she moved", "7"),
    ("Written when he was 78.", "78"), ("when I was 5, we moved", "5"), ("when they were 12.", "12"),
])
def test_ages(text: str, value: str) -> None:
    assert [text[m.start:m.end] for m in age.SPEC.matches(text) if m.score >= THRESHOLD] == [value]


@pytest.mark.parametrize("text", ["turn 2 pages", "version 3.10 was released", "the total is 42.",
                                  "it was 500.", "aged 300", "when it was 42.", "when he was 200.",
                                  "when he was 5 minutes late", "when she was 3.5 km away"])
def test_numbers_that_are_not_ages(text: str) -> None:
    assert [m for m in age.SPEC.matches(text) if m.score >= THRESHOLD] == []


def test_numbered_international_address_is_english_only_and_not_a_citation() -> None:
    spec = street_address.INTERNATIONAL_SPEC
    assert spec.languages == ("en",)
    assert [m.score for m in spec.matches("ship to 4596 Tylova 285 please")] == [0.5]
    for text in ["1 BvR 383", "§ 14 Abs. 2", "1 Satz 2", "Windows 10 Pro 2", "see 3 Chapter 4", "§ 124 Abs 2, Nr. 3",
                 "2 Halbs 2", "§ 240 Abs 1"]:
        assert spec.matches(text) == []


@pytest.mark.parametrize(("text", "place"), [
    ("i live in the nederlands but not in amsterdam", "amsterdam"),
    ("when you two come to philippines ?", "philippines"),
    ("we moved to new zealand last year", "new zealand"),
    ("Damn so you we're in WI ? Thats where", "WI"),
    ("from georgia with love", "georgia"),
])
def test_lower_case_places_and_state_codes_after_a_preposition(text: str, place: str) -> None:
    assert [text[m.start:m.end] for m in place_cue.LOWER_SPEC.matches(text)] == [place]
    assert place_cue.LOWER_SPEC.languages == ("en",)


@pytest.mark.parametrize("text", ["for x in items: print(x)", "talk to sofia", "in time", "born in jersey",
                                  "in best shape", "for i in range(10)", "we are in OR and OK", "in CAPS"])
def test_lower_case_words_after_a_preposition_that_are_no_places(text: str) -> None:
    assert place_cue.LOWER_SPEC.matches(text) == []


def test_german_towns_from_fakers_lists() -> None:
    text = "Wir fahren über Bamberg nach Passau, dann in die Schweiz nach Glarus."
    assert [text[m.start:m.end] for m in places.GERMAN_SPEC.matches(text)] == ["Bamberg", "Passau", "Glarus"]
    assert places.GERMAN_SPEC.languages == ("de",)


@pytest.mark.parametrize("text", ["Der Zug hielt im Wald bei Regen.", "Die Waren kamen aus dem Norden.",
                                  "des Freistaates Sachsen", "die Staatskanzleien der Länder Niedersachsen"])
def test_german_town_names_that_are_words_or_institutions(text: str) -> None:
    assert places.GERMAN_SPEC.matches(text) == []


@pytest.mark.parametrize(("text", "number"), [
    ("Jerome Brooks, (723) 324-9351", "(723) 324-9351"),  # North American forms need no phone word
    ("Ask at 962-401-6849x340 please", "962-401-6849x340"),
    ("Dial 1-717-047-1874 now", "1-717-047-1874"),
    ("or 783.375.7628 ext. 12", "783.375.7628 ext. 12"),
])
def test_north_american_numbers_are_confirmed_by_their_form(text: str, number: str) -> None:
    assert best(phone_context.SPEC, text) == (number, 0.9)


@pytest.mark.parametrize(("text", "number"), [
    ("Phone: (03)-1982-9657", "(03)-1982-9657"),  # a labelled field outscores the NER's date reading (0.85)
    ("Tel.:\n+43 (0) 2114 89364390", "+43 (0) 2114 89364390"),
    ("My number is 0631 706690.", "0631 706690"),
    ("Contact: (+358) 111489364", "(+358) 111489364"),
    ("Phone: +64-7-168-2889", "+64-7-168-2889"),
    ("Phone: (29)/841-5377", "(29)/841-5377"),  # Hungarian: a slash after the area code
])
def test_labelled_and_announced_numbers(text: str, number: str) -> None:
    value, score = best(phone_context.SPEC, text)
    assert value == number and score >= THRESHOLD


@pytest.mark.parametrize("text", ["My driver's license number is 6940579", "Your order number is 4471 2210 93",
                                  "version 2024-03-12", "1.234.567-Office"])
def test_other_numbers_are_not_phone_numbers(text: str) -> None:
    assert all(m.score < THRESHOLD for m in phone_context.SPEC.matches(text))


@pytest.mark.parametrize(("text", "code"), [
    ("Please update the post code on file to 71369.", "71369"),
    ("post code: A18T7V4", "A18T7V4"),
])
def test_postcode_after_post_code(text: str, code: str) -> None:
    assert best(zip_code.SPEC, text) == (code, 0.6)


@pytest.mark.parametrize(("text", "code"), [("postal code: H26 D2EV", "H26 D2EV"),
                                            ("My postcode is 913909.", "913909"), ("My postcode is 2752FD.", "2752FD"),
                                            ("postal code: 74-600", "74-600"), ("postal code: 91390996", "91390996"),
                                            ("My postcode is H-9219.", "H-9219")])
def test_eircodes_and_six_digit_codes_need_a_postal_word(text: str, code: str) -> None:
    value, score = best(zip_code.SPEC, text)
    assert value == code and score < THRESHOLD  # the engine adds the context boost for "postal"/"postcode"
    assert best(zip_code.SPEC, text.replace("postal code", "batch").replace("postcode", "batch"))[1] < THRESHOLD
