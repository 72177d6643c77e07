"""High-entropy tokens next to words like key, secret, token, password (`api_key = "…"`, `Passwort: …`).

Two shapes: an assignment (`name: value`, `name = value`, JSON `"name": "value"`) where the name contains a secret
word, and prose (`the password is …`, `Passwort lautet …`). The value must look random: Shannon entropy scaled to
its length, and at least two character classes, so `token: undefined` or `the key is simple` stay quiet.
"""

from __future__ import annotations

import math

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec, char_classes, shannon_entropy

_WORDS = (r"(?:api[_-]?key|apikey|secret|token|passwor[dt]|passwd|pwd|private[_-]?key|client[_-]?secret"
          r"|access[_-]?key|auth|credential|kennwort|zugangsdaten|schlüssel|key)")
# An identifier that contains a secret word, e.g. DB_PASSWORD, "clientSecret", x-api-key.
_NAME = rf"[A-Za-z0-9_.-]*{_WORDS}[A-Za-z0-9_.-]*"
_VALUE = r"[A-Za-z0-9+/=_\-.~!@#$%^&*]{8,200}"


def validate(value: str) -> Check:
    """Random-looking: entropy near the maximum for its length, two or more character classes, not a word."""
    value = value.rstrip(".,;:!")
    if len(value) < 8 or char_classes(value) < 2:
        return Check.REJECTED
    # A random string of n distinct-ish characters reaches about log2(n) bits/char; ask for 80 % of that
    # (capped at 3.5), which passes generated passwords and keys and stops words with one digit appended.
    needed = min(3.5, 0.8 * math.log2(len(value)))
    return Check.UNKNOWN if shannon_entropy(value) >= needed else Check.REJECTED


SPEC = RecognizerSpec(
    name="GenericSecretRecognizer",
    entity_type="GENERIC_SECRET",
    patterns=(
        PatternSpec("secret assignment",
                    rf"(?<=\b{_NAME}[\"']?\s*(?::|=|=>|:=)\s*[\"']?)(?![\"']){_VALUE}(?<![.,;:!])", 0.7),
        PatternSpec("secret in prose",
                    rf"(?<=\b{_WORDS}\s+(?:is|was|lautet|ist|=|:)\s+[\"']?){_VALUE}(?<![.,;:!])", 0.6),
    ),
    context=("secret", "token", "password", "passwort", "key"),
    validate=validate,
)
