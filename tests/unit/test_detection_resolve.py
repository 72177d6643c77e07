"""Clean-up rules: false positives, allow-list, name propagation and one span per region."""

from __future__ import annotations

import itertools

import pytest
import regex

from proxy.detection.findings import Finding
from proxy.detection.recognizers.base import whole_word_occurrences
from proxy.detection.resolve import (
    allow_list_regions,
    drop_allowed,
    drop_false_positives,
    phones_after_names,
    postcodes_after_places,
    propagate_names,
    resolve_overlaps,
    review_model_names,
    streets_named_after_people,
)


def f(start: int, end: int, kind: str, score: float, rec: str = "r") -> Finding:
    return Finding(0, start, end, kind, score, rec, "en")


def test_named_entity_without_letters_is_dropped() -> None:
    text = "Meet on 09/27 with Ann"
    kept = drop_false_positives([f(8, 13, "PERSON", 0.85), f(19, 22, "PERSON", 0.85),
                                 f(8, 13, "DATE_TIME", 0.85)], text)
    assert [(x.start, x.entity_type) for x in kept] == [(19, "PERSON"), (8, "DATE_TIME")]


def test_model_spans_over_table_cells_are_cut_into_cells_not_dropped() -> None:
    # The German model read "Hans-Jürgen;Huber" as one name; a ";" inside made it look like code and it was dropped,
    # after Presidio had removed the name-column findings inside it: both names went out. Now each cell stays.
    text = "Nr;Vorname;Nachname\n9718;Hans-Jürgen;Huber\n| Anna | Weber |\nX\tLena Roth\tIT"
    spans = [(text.index("Hans"), text.index(";Huber") + 6), (text.index("Anna"), text.index("Weber |") + 5),
             (text.index("Lena"), len(text)), (0, 2)]
    kept = drop_false_positives([f(s, e, "PERSON", 0.85, "SpacyRecognizer") for s, e in spans], text)
    assert [text[x.start:x.end] for x in kept] == ["Hans-Jürgen", "Huber", "Anna", "Weber", "Lena Roth", "IT", "Nr"]
    # Other recognizers' findings are left as they are.
    assert [text[x.start:x.end] for x in drop_false_positives([f(0, 10, "PERSON", 0.6)], text)] == ["Nr;Vorname"]


def test_higher_score_wins_then_longer() -> None:
    # An IBAN (1.0) swallows the digit group spaCy called a date; an e-mail swallows the URL inside it.
    out = resolve_overlaps([f(0, 27, "IBAN_CODE", 1.0), f(5, 14, "DATE_TIME", 0.85),
                            f(30, 46, "EMAIL_ADDRESS", 1.0), f(35, 46, "URL", 0.5)])
    assert [(x.start, x.end, x.entity_type) for x in out] == [(0, 27, "IBAN_CODE"), (30, 46, "EMAIL_ADDRESS")]
    tie = resolve_overlaps([f(0, 5, "A", 0.8), f(0, 9, "B", 0.8)])
    assert [(x.end, x.entity_type) for x in tie] == [(9, "B")]


def test_same_type_overlaps_merge() -> None:
    out = resolve_overlaps([f(0, 6, "PERSON", 0.6, "cue"), f(4, 12, "PERSON", 0.85, "ner")])
    assert [(x.start, x.end, x.score, x.recognizer) for x in out] == [(0, 12, 0.85, "ner")]


def test_result_has_no_overlaps_and_is_sorted() -> None:
    spans = [f(i, i + 5, "T" + str(i % 3), 0.5 + (i % 4) / 10) for i in range(0, 40, 2)]
    out = resolve_overlaps(spans)
    assert all(a.end <= b.start for a, b in itertools.pairwise(out))


def test_allow_list_covers_inner_findings() -> None:
    text = "Write to info@example.com or bob@example.com"
    regions = allow_list_regions(text, ["INFO@example.com"])
    assert regions == [(9, 25)]
    kept = drop_allowed([f(9, 25, "EMAIL_ADDRESS", 1.0), f(14, 25, "URL", 0.5), f(29, 44, "EMAIL_ADDRESS", 1.0)],
                        regions)
    assert [x.start for x in kept] == [29]


def test_allow_list_matches_whole_values_only() -> None:
    assert allow_list_regions("Acme Analytics GmbH and Acme Analyticsx", ["Acme Analytics"]) == [(0, 14)]


def test_model_names_holding_code_are_dropped() -> None:
    text = "param_convertors: dict[str, Convertor]\nclass Match(Enum):\nif inspect.isfunction(handler): Ann Lee"
    spans = [(text.index(v), text.index(v) + len(v)) for v in ("dict[str", "Match(Enum", "inspect.isfunction(handler",
                                                                "Ann Lee")]
    kept = drop_false_positives([f(s, e, "PERSON", 0.85, "SpacyRecognizer") for s, e in spans], text)
    assert [text[x.start:x.end] for x in kept] == ["Ann Lee"]
    # On an import line the model's "names" are modules and classes; in prose starting with "using" they are not.
    text = "from starlette.requests import Request\nusing the car, Ann Lee left"
    kept = drop_false_positives([f(31, 38, "PERSON", 0.85, "SpacyRecognizer"),
                                 f(text.index("Ann"), len(text) - 5, "PERSON", 0.85, "SpacyRecognizer")], text)
    assert [text[x.start:x.end] for x in kept] == ["Ann Lee"]
    # Identifiers: snake case, camel case made of ordinary words; camel-case names stay.
    text = "USE_CLIENT_DEFAULT or HeaderTypes or SessionTransactionOrigin; ask McDonald, MacArthur, LeBlanc, VanHorn"
    values = ("USE_CLIENT_DEFAULT", "HeaderTypes", "SessionTransactionOrigin", "McDonald", "MacArthur", "LeBlanc",
              "VanHorn")
    spans = [(text.index(v), text.index(v) + len(v)) for v in values]
    kept = drop_false_positives([f(s, e, "PERSON", 0.85, "SpacyRecognizer") for s, e in spans], text)
    assert [text[x.start:x.end] for x in kept] == ["McDonald", "MacArthur", "LeBlanc", "VanHorn"]
    # Other recognizers' places may hold brackets: "Halle (Saale)".
    text = "nach Halle (Saale)"
    assert len(drop_false_positives([f(5, 18, "LOCATION", 0.6, "PlaceNameRecognizer")], text)) == 1


@pytest.mark.parametrize(("text", "value", "expected"), [
    # URLs are reported when they carry credentials or tokens, or are a site's home page (issue 17: on technical
    # text, host and file names were almost all of the URL findings and almost none was worth reporting).
    ("visit example.com today", "example.com", "example.com"),  # a home page
    ("read it on stern.de today", "stern.de", "stern.de"),  # a site's home page
    ("see mycompany.company now", "mycompany.com", "mycompany.company"),  # widened to the whole domain
    ("run deploy.sh now", "deploy.sh", None),  # a file name
    ("push it to ghcr.io", "ghcr.io", None),  # developer infrastructure
    ("see www.mycompany.company now", "www.mycompany.company", "www.mycompany.company"),
    ("p = self.path", "self.pa", None),  # the start of a longer word, no public suffix
    ("if self.app is None", "self.app", None),  # attribute access on a code receiver
    ("m = match.group(1)", "match.gr", None),
    ("x = cfg.name(1)", "cfg.name", None),  # a call
    ("go to https://self.app/x", "https://self.app/x", None),  # a path, no credentials
    ("docs at https://github.com/acme/infra/blob/main/deploy.sh", "https://github.com/acme/infra/blob/main/deploy.sh",
     None),
    ("my site https://www.jana-krueger.de/", "https://www.jana-krueger.de/", "https://www.jana-krueger.de/"),
    ("GET https://api.acme.io/v1?token=9fK2mZx7Lq", "https://api.acme.io/v1?token=9fK2mZx7Lq",
     "https://api.acme.io/v1?token=9fK2mZx7Lq"),
    ("blob https://acme.blob.core.windows.net/x?sv=2022&sig=Qx7Lq9fK2mZ%3D", "https://acme.blob.core.windows.net/x?sv"
     "=2022&sig=Qx7Lq9fK2mZ%3D", "https://acme.blob.core.windows.net/x?sv=2022&sig=Qx7Lq9fK2mZ%3D"),
    ("clone https://ci:s3cret9@git.acme.io/x.git", "https://ci:s3cret9@git.acme.io/x.git",
     "https://ci:s3cret9@git.acme.io/x.git"),
])
def test_bare_urls_in_code_are_reviewed(text: str, value: str, expected: str | None) -> None:
    start = text.index(value)
    kept = drop_false_positives([f(start, start + len(value), "URL", 0.5, "UrlRecognizer")], text)
    assert [text[x.start:x.end] for x in kept] == ([expected] if expected else [])


def test_propagation_skips_ordinary_words() -> None:
    # spaCy's guess "Request" on code does not spread; a listed surname that is also a word ("Baker") does.
    text = "from x import Request\nRequest(scope)\nAsk Tom Baker. Baker said no."
    person = text.index("Tom Baker")
    out = propagate_names([f(14, 21, "PERSON", 0.85), f(person, person + 9, "PERSON", 0.85)], text)
    added = sorted((x.start, text[x.start:x.end]) for x in out if x.recognizer == "NamePropagation")
    assert [value for _, value in added] == ["Tom Baker", "Baker"]
    assert added[-1][0] == text.index("Baker said")
    # A whole span spreads as it is, lower case too: chat writes names in lower case.
    text = "the reporter asked trump; trump said no"
    out = propagate_names([f(19, 24, "PERSON", 0.85)], text)
    assert [x.start for x in out if x.recognizer == "NamePropagation"] == [19, 26]


def test_propagate_person_mentions() -> None:
    text = "Directed by Joakim Westgård and starring Westgård."
    out = resolve_overlaps(propagate_names([f(12, 27, "PERSON", 0.85)], text))
    assert [(text[x.start:x.end], x.recognizer) for x in out] == [("Joakim Westgård", "r"),
                                                                   ("Westgård", "NamePropagation")]


def test_whole_word_occurrences_are_what_the_alternation_finds() -> None:
    # The search that replaced a regex compiled per text: the same spans as that regex on texts built to stress it
    # (names that prefix one another, hyphens and apostrophes either side, letters with diacritics, digits and
    # underscores as word characters, a name at the very start and end, overlapping candidates).
    import random

    rng = random.Random(20261207)
    names = ["Ann", "Anna", "Anna Lee", "Lee", "Lee-Ann", "Müller", "Müller-Lüdenscheidt", "O'Neil", "Øst", "Żak",
             "Ann Anna"]
    glue = [" ", "-", "_", "'", "’", ".", ", ", "\n", "1", "é", "x", "  ", "(", ")", "—", "\u0301"]
    for _ in range(3000):
        parts = [rng.choice(names + glue) for _ in range(rng.randint(1, 12))]
        text = "".join(parts)
        words = rng.sample(names, rng.randint(1, 5))
        alternatives = "|".join(regex.escape(w) for w in sorted(words, key=len, reverse=True))
        expected = [m.span() for m in regex.finditer(rf"(?<![\w-])(?:{alternatives})(?![\w-])", text)]
        assert whole_word_occurrences(text, words) == expected, (text, words)
    assert whole_word_occurrences("Anna Lee met Lee-Ann and Lee.", ["Lee", "Anna Lee", "Anna"]) == [(0, 8), (25, 28)]


def _review(text: str, value: str, kind: str = "LOCATION", rec: str = "SpacyRecognizer") -> str:
    start = text.index(value)
    [out] = review_model_names([f(start, start + len(value), kind, 0.85, rec)], text)
    assert (out.start, out.end, out.score, out.recognizer) == (start, start + len(value), 0.85, rec)
    return out.entity_type


def test_model_location_on_a_listed_name_is_a_person() -> None:
    assert _review("Why is Rebecca so impulsive?", "Rebecca") == "PERSON"
    assert _review("I'm so jealous! said Maslin to Antonio", "Antonio") == "PERSON"
    assert _review("Leverett: What a wife. Danielle: Remember me?", "Danielle") == "PERSON"


def test_model_location_stays_a_place_when_it_reads_as_one() -> None:
    # Listed places (Faker's and ours), a place word after it, a place preposition or motion verb before it.
    assert _review("We met in Victoria last year", "Victoria") == "LOCATION"
    assert _review("Our office is in Berlin", "Berlin") == "LOCATION"
    assert _review("He grew up in Shelly Park.", "Shelly Park") == "LOCATION"
    assert _review("Mr. Rednjak flew to Phoenix on Tuesday morning.", "Phoenix") == "LOCATION"
    assert _review("She lives near Maxwell", "Maxwell") == "LOCATION"
    # A word that is no listed name stays what the model said.
    assert _review("Trump will make the Universe great again.", "Universe") == "LOCATION"


def test_review_leaves_other_recognizers_and_persons_alone() -> None:
    assert _review("Why is Rebecca so impulsive?", "Rebecca", rec="PlaceNameRecognizer") == "LOCATION"
    assert _review("I live in Wellington", "Wellington", kind="PERSON") == "PERSON"
    text = "Warum ist Rebecca so impulsiv?"
    start = text.index("Rebecca")
    german = Finding(0, start, start + 7, "LOCATION", 0.85, "SpacyRecognizer", "de")
    assert review_model_names([german], text) == [german]


@pytest.mark.parametrize(("text", "name", "street"), [
    ("The bus station is on Villacher Strasse 89", "Villacher Strasse", "Villacher Strasse"),
    ("the corner of Jesionowa 127 and Philip Bypass", "Philip", "Philip Bypass"),
    ("at the corner of Martinez Mall St. and 5th", "Martinez Mall St.", "Martinez Mall St."),
    ("shows on Isaac Lodge Street were important", "Isaac Lodge", "Isaac Lodge Street"),
])
def test_a_name_that_ends_in_or_runs_into_a_street_word_is_a_street(text: str, name: str, street: str) -> None:
    start = text.index(name)
    [found] = streets_named_after_people([f(start, start + len(name), "PERSON", 0.6, "FirstNameRecognizer")], text)
    assert (text[found.start:found.end], found.entity_type, found.recognizer) == (street, "LOCATION",
                                                                                  "FirstNameRecognizer")


@pytest.mark.parametrize(("text", "name"), [("Call Anna Berg at the office.", "Anna Berg"),
                                             ("Ask Tom Streeter or Ann Roads.", "Tom Streeter"),
                                             ("Ask Tom Streeter or Ann Roads.", "Ann Roads")])
def test_names_near_no_street_word_stay_persons(text: str, name: str) -> None:
    start = text.index(name)
    person = f(start, start + len(name), "PERSON", 0.85, "SpacyRecognizer")
    assert streets_named_after_people([person], text) == [person]


def test_a_span_that_loses_part_of_its_region_keeps_the_rest() -> None:
    text = "3 Alice Stravenue, Watsonfurt KY7 7GA"
    # A person (0.95) inside a lower-scored location that it does not absorb: the location keeps both sides.
    out = resolve_overlaps([f(0, 37, "ZIP_CODE", 0.5), f(2, 17, "PERSON", 0.95)], text)
    assert [(text[x.start:x.end], x.entity_type) for x in out] == [
        ("Alice Stravenue", "PERSON"), ("Watsonfurt KY7 7GA", "ZIP_CODE")]
    # A rest without two letters or digits ("3 ", "'s") is no finding of its own.
    assert [x.entity_type for x in resolve_overlaps([f(0, 17, "ZIP_CODE", 0.5), f(2, 17, "PERSON", 0.95)],
                                                    text)] == ["PERSON"]


def test_an_address_or_phone_absorbs_the_names_and_dates_read_inside_it() -> None:
    text = "Vicolo Calcirelli 13, 03555 Valderice; call (64) 3591-3246"
    out = resolve_overlaps([f(0, 38, "LOCATION", 0.7, "StreetAddressRecognizer"), f(0, 17, "PERSON", 0.95),
                            f(22, 27, "DE_POSTCODE_CITY", 1.0), f(45, 59, "PHONE_NUMBER", 0.45),
                            f(50, 59, "DATE_TIME", 0.85)], text)
    assert [(x.start, x.end, x.entity_type) for x in out] == [(0, 38, "LOCATION"), (45, 59, "PHONE_NUMBER")]
    # The model's places absorb nothing, and nothing absorbs a secret or an e-mail.
    out = resolve_overlaps([f(0, 38, "LOCATION", 0.85, "SpacyRecognizer"), f(0, 17, "PERSON", 0.95),
                            f(0, 38, "LOCATION", 0.7, "StreetAddressRecognizer")], text)
    assert ("PERSON", 0, 17) in [(x.entity_type, x.start, x.end) for x in out]
    mail = "Write to ann@example.org at 12 Main Street"
    out = resolve_overlaps([f(0, 42, "LOCATION", 0.7, "StreetAddressRecognizer"), f(9, 24, "EMAIL_ADDRESS", 1.0)],
                           mail)
    assert ("EMAIL_ADDRESS", 9, 24) in [(x.entity_type, x.start, x.end) for x in out]


def test_model_spans_over_a_line_break_are_cut_to_their_lines() -> None:
    text = "Lena Wirth\nAddress\nContact details: Luis Heger\n+43 1 234 5678\nMaria\nKowalski"
    spans = ["Lena Wirth\nAddress", "Luis Heger\n+43", "Maria\nKowalski"]
    found = drop_false_positives([f(text.index(s), text.index(s) + len(s), "PERSON", 0.85, "SpacyRecognizer")
                                  for s in spans], text)
    # The label line ("Address") and the digits line go; a second line that is a name stays.
    assert [text[x.start:x.end] for x in found] == ["Lena Wirth", "Luis Heger", "Maria", "Kowalski"]


@pytest.mark.parametrize(("text", "code"), [("I moved to Lake Joshua, 67631 last spring.", "67631"),
                                            ("Kristenberg 28378 is where the office is", "28378"),
                                            ("I moved to Radom, 80-262 last spring.", "80-262"),
                                            ("South Leonard, M5U 7JB", "M5U 7JB"), ("Lyss, 3250.", "3250"),
                                            ("I moved to Nichola Ville, H37 05V5 last spring.", "H37 05V5"),
                                            ("Meerut-571727", "571727"), ("Lisboa 4700-123", "4700-123"),
                                            ("Amsterdam 1012NX", "1012NX")])
def test_a_postcode_right_after_a_place(text: str, code: str) -> None:
    place = regex.match(r"(?:I moved to )?([\w ]+?)(?=,| \d|-\d)", text)
    found = postcodes_after_places([f(place.start(1), place.end(1), "LOCATION", 0.85)], text)
    assert [(text[x.start:x.end], x.entity_type) for x in found[1:]] == [(code, "ZIP_CODE")]


@pytest.mark.parametrize("text", ["We met in Paris, 2019 was great.", "Berlin 2500 people came", "Rome, 12.5 km away",
                                  "Oslo, 40000000 people", "Graz-12345", "Boeing-7370000"])
def test_no_postcode_after_a_place(text: str) -> None:
    place = regex.match(r"(?:We met in )?(\w+)", text)
    assert postcodes_after_places([f(place.start(1), place.end(1), "LOCATION", 0.85)], text)[1:] == []


@pytest.mark.parametrize(("text", "phone"), [("Tayla Blake, 450-5561", "450-5561"),
                                             ("Ask for Júlia Maia at 932 833 125 tomorrow.", "932 833 125"),
                                             ("Irina Melo, (351) 964446347", "(351) 964446347"),
                                             ("Dr. Farkas Bernadett\n54/610-7358", "54/610-7358"),
                                             ("ring Eric Kjeldsen on +45 61436537.", "+45 61436537"),
                                             ("Eric Kjeldsen\r\n+45 61436537, eric@example.dk", "+45 61436537")])
def test_a_phone_number_right_after_a_name(text: str, phone: str) -> None:
    name = regex.search(r"\p{Lu}\p{Ll}+ \p{Lu}\p{Ll}+", text)
    found = phones_after_names([f(name.start(), name.end(), "PERSON", 0.85)], text)
    assert [(text[x.start:x.end], x.entity_type, x.recognizer) for x in found[1:]] == [
        (phone, "PHONE_NUMBER", "PhoneAfterName")]


@pytest.mark.parametrize("text", ["Alice Walker, 1985-1990, led the team.", "Paid Tom Harris on 03/04/2024.",
                                  "Lisa Chen on 2023-11-05 passed.", "Sarah Lee, 2019 - 2021", "Bob Miller, 25, here",
                                  "Anna Berg at 14:30 in room 4012.", "Jan Novak, 12.5 km away",
                                  "Tom Harris, 1234567890123456789 rows", "Report by Anna Berg\n12 345 678 visitors"])
def test_no_phone_number_after_a_name(text: str) -> None:
    name = regex.search(r"\p{Lu}\p{Ll}+ \p{Lu}\p{Ll}+", text)
    assert phones_after_names([f(name.start(), name.end(), "PERSON", 0.85)], text)[1:] == []
