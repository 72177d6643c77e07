"""German identifier recognizers on their own: checksums, formats people write, and near-misses."""

from __future__ import annotations

import pytest

from proxy.detection.recognizers import de_iban, de_id_card, de_phone, de_postcode_city, de_social_security, de_tax_id
from proxy.detection.recognizers.base import Check, RecognizerSpec

THRESHOLD = 0.4


def reported(spec: RecognizerSpec, text: str) -> list[str]:
    return [text[m.start:m.end] for m in spec.matches(text) if m.score >= THRESHOLD]


def test_tax_id_check_digit_algorithm() -> None:
    # ISO 7064 MOD 11,10 over the first ten digits of the Bundeszentralamt's documented example.
    assert de_tax_id.iso7064_mod11_10("8609574271") == 9


@pytest.mark.parametrize("text", ["Steuer-ID: 86095742719", "IdNr 86 095 742 719 bitte eintragen"])
def test_tax_id_found(text: str) -> None:
    assert [v.replace(" ", "") for v in reported(de_tax_id.SPEC, text)] == ["86095742719"]


@pytest.mark.parametrize("value", [
    "86095742718",  # wrong check digit
    "06095742719",  # leading zero
    "11111111116",  # one digit more than three times
    "12345678901",  # every digit once: the frequency rule needs exactly one repeat
    "123 456 789 012",  # wrong grouping length
])
def test_tax_id_near_misses(value: str) -> None:
    assert reported(de_tax_id.SPEC, f"Nummer {value}") == []


def test_tax_id_three_in_a_row_is_invalid() -> None:
    # Same digit three times is allowed only when not adjacent.
    assert de_tax_id._frequency_rule("1112345678") is False
    assert de_tax_id._frequency_rule("1121345678") is True


@pytest.mark.parametrize("text", ["SV-Nummer 15070649C103", "Versicherungsnummer: 15 070649 C 103"])
def test_social_security_found(text: str) -> None:
    assert len(reported(de_social_security.SPEC, text)) == 1


@pytest.mark.parametrize("value", ["15070649C104", "15071349C103", "15320649C103", "1507064912103"])
def test_social_security_near_misses(value: str) -> None:
    assert reported(de_social_security.SPEC, value) == []


def test_id_card_machine_readable_check_digit() -> None:
    # The specimen card's number L01X00T47 and its MRZ check digit 1.
    assert de_id_card.icao_check_digit("L01X00T47") == 1
    assert reported(de_id_card.SPEC, "Ausweis L01X00T471") == ["L01X00T471"]
    assert reported(de_id_card.SPEC, "Ausweis L01X00T472") == []


def test_id_card_printed_number_needs_context() -> None:
    # The printed form has no check digit: a bare match scores below the threshold (context words raise it).
    [m] = de_id_card.SPEC.matches("Nummer L01X00T47.")
    assert m.score < THRESHOLD
    assert de_id_card.SPEC.matches("NCHRZTMKL") == []  # letters only: not a document number


@pytest.mark.parametrize("text", ["Tel. +49 30 12345678", "+49 (0)30 1234567", "mobil: 0049 171 1234567",
                                  "Ruf an: +49-89-1234567"])
def test_phone_international_found(text: str) -> None:
    assert len(reported(de_phone.SPEC, text)) == 1


@pytest.mark.parametrize("text", ["Telefon 030 1234567", "Handy 0171-1234567", "(089) 123 45 67", "030/123456"])
def test_phone_national_found(text: str) -> None:
    assert len(reported(de_phone.NATIONAL_SPEC, text)) == 1


def test_phone_national_is_german_text_only() -> None:
    assert de_phone.NATIONAL_SPEC.languages == ("de",)
    assert de_phone.SPEC.languages is None


@pytest.mark.parametrize("text", ["+49 12", "am 01.02.2023 um 10:30", "0000 0000000", "Aktenzeichen 2 BvR 1234/17"])
def test_phone_near_misses(text: str) -> None:
    assert reported(de_phone.SPEC, text) == [] and reported(de_phone.NATIONAL_SPEC, text) == []


@pytest.mark.parametrize("text", ["IBAN DE89 3704 0044 0532 0130 00", "iban: de89370400440532013000",
                                  "DE89-3704-0044-0532-0130-00"])
def test_iban_formats(text: str) -> None:
    assert len(reported(de_iban.SPEC, text)) == 1


def test_iban_wrong_check_digits() -> None:
    assert reported(de_iban.SPEC, "DE89 3704 0044 0532 0130 01") == []
    assert de_iban.validate("DE89370400440532013000") is Check.CONFIRMED


@pytest.mark.parametrize(("text", "value"), [
    ("Hauptstraße 5, 10115 Berlin", "10115 Berlin"),
    ("Musterweg 12a\n60311 Frankfurt am Main", "60311 Frankfurt am Main"),
    ("Versand an D-80331 München", "D-80331 München"),
])
def test_postcode_city_in_addresses(text: str, value: str) -> None:
    assert reported(de_postcode_city.SPEC, text) == [value]


def test_postcode_city_bare_needs_context() -> None:
    [m] = de_postcode_city.SPEC.matches("Sie kommt aus 10115 Berlin.")
    assert m.score < THRESHOLD


@pytest.mark.parametrize("text", ["Das kostet 50000 Euro.", "Die Stadt hat 12345 Einwohner.", "Im Jahr 2016 Berlin"])
def test_postcode_city_near_misses(text: str) -> None:
    assert reported(de_postcode_city.SPEC, text) == []
    assert all(m.score < THRESHOLD for m in de_postcode_city.SPEC.matches(text))
