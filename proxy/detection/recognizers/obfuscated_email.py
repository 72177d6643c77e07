"""E-mail addresses written to dodge scrapers: `name [at] example [dot] org`, `name(at)example(dot)org`,
`name at example dot org`, `name[at]example.org`, `name@example(dot)org`.

A bracketed `at` or `dot` is a deliberate disguise and scores on its own. Bare words (`john at example dot org`)
occur in ordinary prose ("look at example dot com"), so that form needs a mail word nearby. Plain addresses are
Presidio's; a match without any disguise is dropped here.
"""

from __future__ import annotations

import regex

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec

_LOCAL = r"(?<![\w.%+-])[a-z0-9][a-z0-9._%+-]{0,63}"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_TLD = r"[a-z]{2,24}(?![\w-])"
_BRACKETED_AT = r"\s*[\[({<]\s*at\s*[\])}>]\s*"
_BRACKETED_DOT = r"\s*[\[({<]\s*dot\s*[\])}>]\s*"
_ANY_DOT = rf"(?:{_BRACKETED_DOT}|\s+dot\s+|\.)"
_DOMAIN = rf"{_LABEL}(?:{_ANY_DOT}{_LABEL})*{_ANY_DOT}{_TLD}"
# With a bare `at`, the dots must be disguised too: "contact us at support.example.com" is a web address.
_WORD_DOT = rf"(?:{_BRACKETED_DOT}|\s+dot\s+)"
_WORDS_DOMAIN = rf"{_LABEL}(?:{_WORD_DOT}{_LABEL})*{_WORD_DOT}{_TLD}"
_DISGUISE = regex.compile(rf"{_BRACKETED_AT}|{_BRACKETED_DOT}|\s+(?:at|dot)\s+", regex.IGNORECASE)


def validate(value: str) -> Check:
    """Drop plain addresses (no disguise): they are found as EMAIL_ADDRESS already."""
    return Check.UNKNOWN if _DISGUISE.search(value) else Check.REJECTED


SPEC = RecognizerSpec(
    name="ObfuscatedEmailRecognizer",
    entity_type="EMAIL_ADDRESS",
    patterns=(
        PatternSpec("bracketed at", rf"{_LOCAL}{_BRACKETED_AT}{_DOMAIN}", 0.8),
        PatternSpec("at sign, bracketed dot", rf"{_LOCAL}@{_DOMAIN}", 0.8, keywords=("@",)),
        PatternSpec("at and dot as words", rf"{_LOCAL}\s+at\s+{_WORDS_DOMAIN}", 0.3, keywords=("dot",)),
    ),
    context=("mail", "email", "e-mail", "contact", "write", "address", "reach", "schreib", "adresse", "kontakt"),
    validate=validate,
)
