"""The one-pass phone recognizer finds what Presidio's finds, region by region, on numbers of many countries."""

from __future__ import annotations

import random

from faker import Faker
from phonenumbers import Leniency
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

from proxy.detection.analyzer import PHONE_REGIONS
from proxy.detection.analyzer.phones import OnePassPhoneRecognizer, _AnyRegionMatcher, min_digits

LOCALES = ("en_US", "en_GB", "de_DE", "de_AT", "de_CH", "fr_FR", "it_IT", "nl_NL", "pl_PL", "en_IN", "pt_BR")


def texts() -> list[str]:
    """Phone numbers of many countries among things that look like them: dates, amounts, post codes, cards, IBANs,
    `/ 12` suffixes (an extension, or a second number), and fixed texts with one number of each region."""
    r = random.Random(11)
    out = ["Ruf an: 030 12345678, oder (212) 555-0199, or 020 7946 0958, ou 01 23 45 67 89.",
           "Meeting 12.03.2024 10:30-11:00, page 12-14, order 4711, tel. +49 (0)89 1234567 ext. 12",
           "Call 1-800-555-0100 or +1 202 555 0143; invoice 2024/0042 for 1.299,00 EUR."]
    for locale in LOCALES:
        fake = Faker(locale)
        fake.seed_instance(5)
        for _ in range(40):
            parts = [fake.phone_number(), fake.date(), str(r.randint(1, 99_999)), fake.postcode(), fake.msisdn(),
                     f"{fake.phone_number()} / {r.randint(10, 99)}", fake.credit_card_number(), fake.iban()]
            r.shuffle(parts)
            out.append("Kontakt: " + ", ".join(parts) + ". Call " + fake.phone_number() + " today.")
    return out


def spans(recognizer: PhoneRecognizer, text: str) -> list[tuple[int, int, str, float]]:
    return sorted((r.start, r.end, r.entity_type, r.score) for r in recognizer.analyze(text, ["PHONE_NUMBER"]))


def test_one_search_for_all_regions_finds_what_a_search_per_region_finds() -> None:
    presidio = PhoneRecognizer(supported_language="en", supported_regions=PHONE_REGIONS)
    ours = OnePassPhoneRecognizer(supported_language="en", supported_regions=PHONE_REGIONS)
    assert ours.name == presidio.name and ours.context == presidio.context
    corpus = texts()
    found = 0
    for text in corpus:
        expected = spans(presidio, text)
        assert spans(ours, text) == expected, text
        found += len(expected)
    assert found > len(corpus)  # the texts do hold numbers that both find


def short_and_foreign_numbers() -> list[str]:
    """Digit groups of every length with the forms that change what a parse keeps: a +, international prefixes, a
    leading calling code without a +, the national prefix, and the local forms that a region's prefix rule lengthens
    (San Marino, Antigua, Madagascar, Norfolk Island, Argentina)."""
    r = random.Random(23)
    heads = ["", "+", "00", "011", "0", "1", "(0)", "+49 ", "+378 ", "+1 268 ", "+261 ", "+672 ", "+54 9 ", "0549 ",
             "+800 ", "+882 ", "49", "44", "33"]
    out = []
    for _ in range(1500):
        groups = [str(r.randint(0, 10 ** r.randint(1, 5) - 1)).zfill(r.randint(1, 4)) for _ in range(r.randint(1, 4))]
        number = r.choice(heads) + r.choice([" ", "-", ".", "/", ""]).join(groups)
        out.append(r.choice(["Tel. {} bitte.", "Call {} now", "{}", "ref {}, page 3", "(see {})"]).format(number))
    return out


def test_regions_are_not_tried_on_candidates_too_short_for_them() -> None:
    """Skipping a region for a candidate with fewer digits than any of its numbers (`min_digits`) changes no match
    and no region, whatever the regions (ours, and ones whose prefix rule adds digits)."""
    texts_ = short_and_foreign_numbers() + texts()
    assert min_digits("DE") == 4 and min_digits("US") > 4  # the bound is not void: short candidates are skipped
    for regions in (PHONE_REGIONS, ("SM", "AG", "MG", "NF", "AR", "IT"), ("GB", "JP", "BR")):
        for text in texts_:
            fast = _AnyRegionMatcher(text, regions, Leniency.VALID)
            slow = _AnyRegionMatcher(text, regions, Leniency.VALID)
            slow._min_digits = (0,) * len(regions)
            assert [(m.start, m.raw_string, fast.region_of[m.start]) for m in fast] == \
                [(m.start, m.raw_string, slow.region_of[m.start]) for m in slow], (regions, text)
