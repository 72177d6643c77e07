"""The provider token catalogue as data: it loads, covers the providers it claims, finds its own examples, checks
checksums, and its entity types are secrets to detection and to the shipped policy."""

from __future__ import annotations

import random
import zlib
from pathlib import Path

import pytest
import yaml

from proxy.detection.checks import Check
from proxy.detection.secret_spans import SECRET_TYPES
from proxy.detection.secrets import validators
from proxy.detection.secrets.catalogue import CATALOGUE_FILE, CatalogueError, load_catalogue, parse_catalogue

REPO = Path(__file__).resolve().parents[2]
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def test_catalogue_covers_more_than_a_hundred_providers() -> None:
    catalogue = load_catalogue()
    assert len({r.provider for r in catalogue.rules}) >= 100
    assert len(catalogue.rules) == len({r.id for r in catalogue.rules})
    assert all(r.keywords for r in catalogue.rules)  # every entry has its pre-filter


def test_every_entry_finds_its_example_and_nothing_in_plain_text() -> None:
    data = yaml.safe_load(CATALOGUE_FILE.read_text())
    catalogue = load_catalogue()
    for entry in data["entries"]:
        assert catalogue.find(entry["example"]), entry["id"]
    # The project's own prose is full of technical words and identifiers, and holds no secret.
    for doc in (REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))):
        assert catalogue.find(doc.read_text(encoding="utf-8")) == [], doc.name


def test_catalogue_types_are_secrets_in_detection_and_in_the_shipped_policy() -> None:
    policy = yaml.safe_load((REPO / "policies" / "rules" / "00-classification.yaml").read_text())
    assert set(load_catalogue().entity_types) <= SECRET_TYPES <= set(policy["groups"]["secrets"])


def _crc_token(prefix: str, rng: random.Random) -> str:
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return f"{prefix}_{body}{validators.base62(zlib.crc32(body.encode()))}"


@pytest.mark.parametrize("prefix", ["ghp", "gho", "ghs", "npm"])
def test_crc32_checksummed_tokens_are_confirmed(prefix: str) -> None:
    token = _crc_token(prefix, random.Random(3))
    [match] = load_catalogue().find(f"TOKEN={token}")
    assert match.confirmed
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    [match] = load_catalogue().find(f"TOKEN={tampered}")
    assert not match.confirmed  # still reported: hand-made test tokens leak too


def test_age_key_bech32_checksum() -> None:
    example = next(e["example"] for e in yaml.safe_load(CATALOGUE_FILE.read_text())["entries"]
                   if e["id"] == "age-secret-key")
    assert validators.bech32(example) is Check.CONFIRMED
    broken = example[:-1] + ("Q" if example[-1] != "Q" else "P")
    assert validators.bech32(broken) is Check.UNKNOWN


def test_placeholders_and_documented_examples_are_not_tokens() -> None:
    text = ("AKIAIOSFODNN7EXAMPLE sk-proj-XXXXXXXXXXXXXXXXXXXXXXXXXXXX glpat-xxxxxxxxxxxxxxxxxxxx "
            "ghp_000000000000000000000000000000000000 sk_test_4eC39HqLyjWDarjtT1zdp7dc")
    assert load_catalogue().find(text) == []


def test_the_keyword_prefilter_skips_rules_whose_keywords_are_absent() -> None:
    catalogue = load_catalogue()
    rng = random.Random(5)
    token = "hf_" + "".join(rng.choice(ALNUM[:52]) for _ in range(34))
    assert [m.rule for m in catalogue.find(f"huggingface-cli login --token {token}")] == ["huggingface-token"]
    # The same shape without its prefix keyword is not looked at by that rule.
    assert all(m.rule != "huggingface-token" for m in catalogue.find(token[3:]))


@pytest.mark.parametrize(("entry", "message"), [
    ({"id": "x", "provider": "X", "description": "d", "regex": "x_[a-z]{8}", "keywords": ["x_"],
      "example": "x_ABCDEFGH"}, "does not find its own example"),
    ({"id": "x", "provider": "X", "description": "d", "regex": "x_[a-z]{8}", "keywords": ["X_"],
      "example": "x_abcdefgh"}, "lower-case"),
    ({"id": "x", "provider": "X", "description": "d", "regex": "x_[a-z]{8}", "keywords": ["x_"],
      "validator": "luhn", "example": "x_qwpeorit"}, "unknown validator"),
    ({"id": "x", "provider": "X", "description": "d", "regex": "x_[a-z", "keywords": ["x_"],
      "example": "x_qwpeorit"}, "invalid regex"),
    ({"id": "x", "provider": "X", "regex": "x_[a-z]{8}", "keywords": ["x_"], "example": "x_qwpeorit"},
     "description"),
])
def test_an_invalid_entry_stops_loading_and_is_named(entry: dict[str, object], message: str) -> None:
    with pytest.raises(CatalogueError) as err:
        parse_catalogue({"entries": [entry]})
    assert "entry x" in str(err.value) and message in str(err.value)
