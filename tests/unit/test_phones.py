"""The one-pass phone recognizer finds what Presidio's finds, region by region, on numbers of many countries."""

from __future__ import annotations

import random

from faker import Faker
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

from proxy.detection.analyzer import PHONE_REGIONS
from proxy.detection.analyzer.phones import OnePassPhoneRecognizer

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
