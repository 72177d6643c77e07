"""The shape of the tokens redaction puts into text, and how a restored value is made safe for JSON.

Every token the proxy writes is `<` + letters, digits, `_`, `:` or `-` + `>`:

- placeholder `<PERSON_1>`                      (restorable: the pseudonym map knows the value)
- encrypt     `<PERSON:enc:base64url>`          (restorable, and decryptable with the redaction key)
- hash        `<PERSON:hmac:1a2b3c4d5e6f>`      (one-way)

A token never contains `<` or `>` inside, so two candidates never overlap and a token can only start at a `<`.
That is what lets the stream restorer hold back nothing but the text after the last `<`.
"""

from __future__ import annotations

import json
import re

# Anything that could be one of our tokens; restore looks each match up and leaves the ones it did not issue.
CANDIDATE = re.compile(r"<[A-Za-z0-9_:\-]+>")
# The placeholder shape, to find look-alikes already present in a request (they must never be issued).
PLACEHOLDER_SHAPE = re.compile(r"<[A-Z0-9_]+_[0-9]+>")

_NOT_LABEL = re.compile(r"[^A-Z0-9_]+")


def entity_label(entity_type: str) -> str:
    """The entity type as it appears inside a token: upper case, letters/digits/underscore only."""
    label = _NOT_LABEL.sub("_", entity_type.upper()).strip("_")
    return label or "ENTITY"


def json_string_safe(value: str) -> str:
    """`value` as it may stand inside a JSON string (tool-call arguments are JSON text).

    A value that came out of JSON text (it was detected inside tool-call arguments) is already escaped and is kept
    as it is; a raw value with a quote, backslash or control character is escaped, so the restored arguments still
    parse.
    """
    try:
        json.loads(f'"{value}"')
        return value
    except ValueError:
        return json.dumps(value, ensure_ascii=False)[1:-1]
