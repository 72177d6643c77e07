"""Canary values planted in requests; tests grep every sink (upstream requests, logs, audit store, error bodies)
for them. Identifiers carry valid checksums so a detector has no excuse."""

from __future__ import annotations

import re

CANARIES: dict[str, str] = {
    "PERSON": "Margaret Thornton",
    "EMAIL_ADDRESS": "m.thornton.canary@example.org",
    "CREDIT_CARD": "5425 2334 3010 9903",
    "AWS_ACCESS_KEY_ID": "AKIAZ3MQ7RPLX4TQW2VN",
    "DE_TAX_ID": "86095742719",
}

SENTENCE = (f"My name is {CANARIES['PERSON']}, write to {CANARIES['EMAIL_ADDRESS']}. "
            f"Card {CANARIES['CREDIT_CARD']}, key {CANARIES['AWS_ACCESS_KEY_ID']}, "
            f"Steuer-ID {CANARIES['DE_TAX_ID']}.")


def _needles(value: str) -> list[str]:
    """The value and its spacing variants (a card number may travel without its spaces)."""
    compact = re.sub(r"\s+", "", value)
    return sorted({value, compact, value.lower()})


def leaked(text: str, canaries: dict[str, str] | None = None) -> list[str]:
    """Entity types whose canary value appears in `text` (JSON-escaped or not)."""
    found = []
    for entity, value in (canaries or CANARIES).items():
        if any(n in text for n in _needles(value)):
            found.append(entity)
    return found
