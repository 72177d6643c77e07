"""Passwords in URLs (`scheme://user:password@host`) and in key=value connection strings (`Password=…;`).

Only the password is reported, so a redaction keeps the rest of the URL readable.
"""

from __future__ import annotations

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec

# Placeholders people paste on purpose; reporting them is noise.
_PLACEHOLDERS = {"password", "pass", "passwd", "pwd", "secret", "xxx", "xxxx", "xxxxx", "***", "****", "*****",
                 "changeme", "<password>", "${password}", "$password", "{password}", "..."}


def validate(value: str) -> Check:
    """Reject the usual placeholders; anything else in that position is a password."""
    return Check.REJECTED if value.lower() in _PLACEHOLDERS else Check.UNKNOWN


SPEC = RecognizerSpec(
    name="UrlPasswordRecognizer",
    entity_type="URL_PASSWORD",
    patterns=(
        PatternSpec("password in url", r"(?<=\b[a-z][a-z0-9+.-]{1,20}://[^\s:/@?#]{1,100}:)[^\s@/?#]{1,200}(?=@)",
                    0.95),
        PatternSpec("password in connection string",
                    r"(?<=(?:^|[;\s\"'])(?:password|pwd|passwd)\s*=\s*)(?:\"[^\"]+\"|'[^']+'|[^;\s\"']+)", 0.9),
    ),
    context=("password", "connection", "database", "dsn"),
    validate=validate,
)
