"""Our recognizers, one per module, each exposing `SPEC` (a `RecognizerSpec`), plus the provider token catalogue
(declared data, one recognizer); `builtin_specs()` lists them all."""

from __future__ import annotations

from proxy.detection.recognizers import (
    address_block,
    age,
    aws_secret_key,
    card_context,
    date_of_birth,
    de_iban,
    de_id_card,
    de_phone,
    de_postcode_city,
    de_social_security,
    de_tax_id,
    first_names,
    generic_secret,
    high_entropy,
    jwt,
    labelled_names,
    letter_names,
    name_fields,
    name_tables,
    obfuscated_email,
    person_cue,
    phone_context,
    place_cue,
    places,
    private_key,
    provider_tokens,
    speaker_labels,
    street_address,
    url_password,
    zip_code,
)
from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec

_MODULES = (aws_secret_key, private_key, jwt, url_password, generic_secret, high_entropy,
            de_tax_id, de_social_security, de_id_card, de_phone, de_iban, de_postcode_city,
            phone_context, card_context, zip_code, person_cue, name_fields, street_address, address_block, places,
            place_cue, first_names, age, obfuscated_email, date_of_birth, name_tables, speaker_labels,
            letter_names, labelled_names)


def builtin_specs() -> tuple[RecognizerSpec, ...]:
    """Every built-in recognizer of ours (Presidio's own are added in `detection/analyzer/`)."""
    return (provider_tokens.spec(), *(m.SPEC for m in _MODULES), de_phone.NATIONAL_SPEC, first_names.LOWERCASE_SPEC,
            first_names.GERMAN_SPEC, place_cue.LOWER_SPEC, places.GERMAN_SPEC,
            street_address.INTERNATIONAL_SPEC, street_address.ANY_CASE_SPEC, street_address.POSTCODE_TOWN_SPEC,
            street_address.TOWN_POSTCODE_SPEC, address_block.CONTINENTAL_SPEC,
            address_block.INDIAN_SPEC, name_tables.DOB_SPEC)


__all__ = ["Check", "PatternSpec", "RecognizerSpec", "builtin_specs"]
