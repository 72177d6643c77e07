"""The five redaction strategies and the keys they use, each on its own."""

from __future__ import annotations

import base64
import typing

import pytest
from pydantic import SecretStr

from proxy.policy.schema import Strategy
from proxy.redaction.drop import drop
from proxy.redaction.encrypt import InvalidRedactionToken, decrypt, encrypt
from proxy.redaction.keyed_hash import keyed_hash
from proxy.redaction.keys import RedactionKeys
from proxy.redaction.mask import MaskStyle, mask
from proxy.redaction.placeholder import placeholder
from proxy.redaction.pseudonyms import PseudonymMap
from proxy.redaction.strategies import STRATEGIES, StrategyName
from proxy.settings import Settings

KEYS = RedactionKeys.from_secret("a test secret of reasonable length")
OTHER = RedactionKeys.from_secret("another secret entirely")


def test_the_registry_names_are_exactly_the_policy_strategy_names() -> None:
    assert set(STRATEGIES) == set(typing.get_args(Strategy)) == {s.value for s in StrategyName}
    assert set(STRATEGIES) == {"mask", "placeholder", "hash", "encrypt", "drop"}


@pytest.mark.parametrize(("value", "expected"), [
    ("4111 1111 1111 4242", "****4242"),            # separators do not count, the tail is digits
    ("DE89 3704 0044 0532 0130 00", "****3000"),
    ("Anna Berg", "****"),                           # 8 letters: showing 4 would show half, so none
    ("123456789", "****6789"),                       # 9 significant characters: the tail shows
    ("", "****"),
])
def test_mask_keeps_a_tail_only_of_long_values(value: str, expected: str) -> None:
    assert mask(value) == expected


def test_mask_style_is_configurable_and_hides_the_length() -> None:
    assert mask("4111 1111 1111 4242", MaskStyle(tail=2, char="#", width=6)) == "######42"
    assert mask("4111 1111 1111 4242", MaskStyle(tail=0)) == "****"
    assert len(mask("12345678901")) == len(mask("1234567890123456789"))  # same width, whatever the length
    for bad in ({"char": "<"}, {"char": "ab"}, {"char": "x"}, {"tail": -1}, {"width": 0}):
        with pytest.raises(ValueError):
            MaskStyle(**bad)  # type: ignore[arg-type]


def test_placeholder_numbers_per_entity_type_and_repeats_for_the_same_value() -> None:
    pmap = PseudonymMap()
    assert placeholder("PERSON", "Anna", pmap) == "<PERSON_1>"
    assert placeholder("EMAIL_ADDRESS", "a@b.de", pmap) == "<EMAIL_ADDRESS_1>"
    assert placeholder("PERSON", "Bob", pmap) == "<PERSON_2>"
    assert placeholder("PERSON", "Anna", pmap) == "<PERSON_1>"
    # An entity type that is not a clean label still gives a token restore can find.
    assert placeholder("de-tax id", "86095742719", pmap) == "<DE_TAX_ID_1>"


def test_hash_is_stable_keyed_and_does_not_contain_the_value() -> None:
    token = keyed_hash("EMAIL_ADDRESS", "anna@example.com", KEYS.hmac_key)
    assert token == keyed_hash("EMAIL_ADDRESS", "anna@example.com", KEYS.hmac_key)
    assert token.startswith("<EMAIL_ADDRESS:hmac:") and len(token.split(":")[2]) == 12 + 1  # 12 hex + ">"
    assert "anna" not in token
    assert token != keyed_hash("EMAIL_ADDRESS", "anna@example.com", OTHER.hmac_key)  # another key
    assert token != keyed_hash("EMAIL_ADDRESS", "anna@example.co", KEYS.hmac_key)
    assert token.split(":")[2] != keyed_hash("PERSON", "anna@example.com", KEYS.hmac_key).split(":")[2]
    # The same key and value on another "replica" (keys rebuilt from the same secret) give the same token.
    again = RedactionKeys.from_secret("a test secret of reasonable length")
    assert keyed_hash("EMAIL_ADDRESS", "anna@example.com", again.hmac_key) == token


def test_encrypt_round_trip_deterministic_and_bound_to_the_key() -> None:
    token = encrypt("PERSON", "Anna Müller", KEYS)
    assert token.startswith("<PERSON:enc:") and token.endswith(">") and "Anna" not in token
    assert decrypt(token, KEYS) == ("PERSON", "Anna Müller")
    assert encrypt("PERSON", "Anna Müller", KEYS) == token          # same value, same token (synthetic nonce)
    assert encrypt("PERSON", "Anna Muller", KEYS) != token
    assert encrypt("PERSON", "Anna Müller", OTHER) != token
    with pytest.raises(InvalidRedactionToken):
        decrypt(token, OTHER)


def _flip_byte(token: str, position: int) -> str:
    label, body = token[1:-1].split(":enc:")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[position] ^= 0x01
    return f"<{label}:enc:{base64.urlsafe_b64encode(bytes(raw)).decode().rstrip('=')}>"


@pytest.mark.parametrize("position", [0, 11, 12, 20, -1])  # nonce, first ciphertext byte, tag
def test_encrypt_detects_tampering(position: int) -> None:
    token = encrypt("EMAIL_ADDRESS", "anna@example.com", KEYS)
    with pytest.raises(InvalidRedactionToken):
        decrypt(_flip_byte(token, position), KEYS)


def test_encrypt_rejects_relabelled_truncated_and_malformed_tokens() -> None:
    token = encrypt("EMAIL_ADDRESS", "anna@example.com", KEYS)
    for bad in (token.replace("<EMAIL_ADDRESS:", "<PERSON:"),   # the label is authenticated
                token[:30] + ">",                               # truncated
                "<PERSON:enc:AAAA>", "<PERSON:enc:!!>", "PERSON:enc:abc", "<PERSON_1>"):
        with pytest.raises(InvalidRedactionToken):
            decrypt(bad, KEYS)


def test_drop_removes_the_value() -> None:
    assert drop("anna@example.com") == ""


def test_keys_are_derived_separately_and_random_without_a_secret() -> None:
    assert KEYS.hmac_key != KEYS.encryption_key and len(KEYS.encryption_key) == 32
    assert not KEYS.generated
    a, b = RedactionKeys.from_secret(None), RedactionKeys.from_secret("")
    assert a.generated and b.generated and a.hmac_key != b.hmac_key
    assert repr(KEYS) == "RedactionKeys(generated=False)"  # the keys never show in logs or tracebacks
    configured = RedactionKeys.from_settings(Settings(redaction_key=SecretStr("a test secret of reasonable length")))
    assert configured == KEYS
    assert RedactionKeys.from_settings(Settings(redaction_key=None)).generated
