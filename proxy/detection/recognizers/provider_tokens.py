"""Provider tokens from the catalogue (`detection/secrets/catalogue.yaml`): one recognizer runs every entry.

A match whose checksum or structure was confirmed scores 1.0, any other 0.9: the formats are specific enough to
report without context words. Findings name the entry (`SecretCatalogue:github-pat`).
"""

from __future__ import annotations

from proxy.detection.recognizers.base import Finder, RecognizerSpec, SpanMatch
from proxy.detection.secrets.catalogue import Catalogue, load_catalogue

NAME = "SecretCatalogue"


def finder(catalogue: Catalogue) -> Finder:
    def find(text: str) -> list[SpanMatch]:
        return [SpanMatch(m.start, m.end, 1.0 if m.confirmed else 0.9, m.rule, m.entity_type)
                for m in catalogue.find(text)]
    return find


def spec() -> RecognizerSpec:
    """The catalogue recognizer; loads (and validates) the catalogue, so an invalid entry stops start-up."""
    catalogue = load_catalogue()
    types = catalogue.entity_types
    return RecognizerSpec(name=NAME, entity_type=types[0], also_reports=types[1:], finder=finder(catalogue),
                          case_sensitive=True, name_by_pattern=True)
