"""Postal codes next to postal words (`ZIP: 94103`, `my zip code is 2200`, `PLZ 10115`, `postcode 75534-030`).

A bare number is not a postal code; this recognizer only reports with a postal word within five words before it.
"""

from __future__ import annotations

from proxy.detection.recognizers.base import PatternSpec, RecognizerSpec

SPEC = RecognizerSpec(
    name="ZipCodeRecognizer",
    entity_type="ZIP_CODE",
    patterns=(
        PatternSpec("postal code", r"(?<![\w.,-])\d{3,5}(?:[ -]\d{2,4})?(?:[ ][A-Z]{2})?(?![\w-]|[.,]\d)", 0.05),
        PatternSpec("uk or canadian postcode", r"\b[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2}\b|\b[A-Z]\d[A-Z][ ]?\d[A-Z]\d\b",
                    0.1),
    ),
    context=("zip", "zipcode", "postal", "postcode", "plz", "postleitzahl"),
    case_sensitive=True,
)
