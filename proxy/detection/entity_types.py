"""The entity types detection can report, so a policy that names one it cannot (`PERSN`) is refused at load.

Built from data, without loading Presidio or spaCy: our recognizers' specs, the custom recognizers of
recognizers.yaml, and Presidio's own types below (a unit test checks this list against Presidio's registry).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# What Presidio's predefined recognizers and the NER mapping report for English and German (analyzer/), as
# `AnalyzerEngine.get_supported_entities` lists them.
PRESIDIO_TYPES: frozenset[str] = frozenset({
    "CREDIT_CARD", "CRYPTO", "DATE_TIME", "DE_BSNR", "DE_FUEHRERSCHEIN", "DE_HANDELSREGISTER",
    "DE_HEALTH_INSURANCE", "DE_KFZ", "DE_LANR", "DE_PASSPORT", "DE_TAX_NUMBER", "DE_VAT_ID", "EMAIL_ADDRESS",
    "IBAN_CODE", "IP_ADDRESS", "LOCATION", "MAC_ADDRESS", "MEDICAL_LICENSE", "NRP", "ORGANIZATION", "PERSON",
    "PHONE_NUMBER", "UK_NHS", "URL", "US_BANK_NUMBER", "US_DRIVER_LICENSE", "US_ITIN", "US_PASSPORT", "US_SSN",
    "UUID",
})


def builtin_types() -> frozenset[str]:
    """Every type a built-in recognizer (ours or Presidio's) can report, and the types of unscannable content."""
    from proxy.detection.recognizers import builtin_specs
    from proxy.detection.unscannable import ENTITY_TYPES

    reported = {t for s in builtin_specs() for t in (s.entity_type, *s.also_reports)}
    return PRESIDIO_TYPES | reported | frozenset(ENTITY_TYPES.values())


def known_types(custom: Iterable[str] = ()) -> frozenset[str]:
    """Built-in types plus the custom ones (recognizers.yaml)."""
    return builtin_types() | frozenset(custom)


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """' (did you mean PERSON?)' for the closest known names, or '' if nothing is close."""
    close = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(close)}?)" if close else ""
