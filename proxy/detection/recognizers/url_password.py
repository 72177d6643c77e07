"""Passwords in URLs: `scheme://user:password@host`, also without a user (`redis://:p%2Bass@redis:6379`).

The password ends at the LAST `@` before the host, whatever it holds: people paste unencoded `#`, `%`, `?`, `/` and
`@` inside passwords (`postgresql://app:jMOH#fJQ@x@db:5432/x`). Only the password is reported, so a redaction keeps
the rest of the URL readable. (`Password=…;` in connection strings is a context secret: `generic_secret`.)
"""

from __future__ import annotations

import regex

from proxy.detection.recognizers.base import Check, RecognizerSpec, SpanMatch
from proxy.detection.secrets.guards import is_placeholder

_SCHEME = regex.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,30}://")
# The host after the last `@`: a name or an IP (v6 in brackets), an optional port, then the end of the authority.
_HOST = regex.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*)"
                      r"(?::\d{1,5})?(?:,[A-Za-z0-9.-]+(?::\d{1,5})?)*(?=[/?#\s\"'`<>),;\]]|$)")
_STOP = frozenset(" \t\r\n\"'`<>")
_PLACEHOLDERS = {"password", "pass", "passwd", "pwd", "secret", "***", "****", "*****", "..."}


def validate(value: str) -> Check:
    """Reject the usual placeholders; anything else in that position is a password."""
    return Check.REJECTED if value.lower() in _PLACEHOLDERS or is_placeholder(value) else Check.UNKNOWN


def find_url_passwords(text: str) -> list[SpanMatch]:
    out = []
    for m in _SCHEME.finditer(text):
        start = m.end()
        end = start
        while end < len(text) and text[end] not in _STOP:
            end += 1
        authority = text[start:end]
        at = authority.rfind("@")
        while at > 0 and not _HOST.match(authority, at + 1):
            at = authority.rfind("@", 0, at)
        if at <= 0:
            continue
        userinfo = authority[:at]
        colon = userinfo.find(":")
        if colon < 0 or colon == len(userinfo) - 1 or "/" in userinfo[:colon]:
            continue
        value = userinfo[colon + 1:]
        if validate(value) is Check.REJECTED:
            continue
        out.append(SpanMatch(start + colon + 1, start + at, 0.95, "password in url"))
    return out


SPEC = RecognizerSpec(
    name="UrlPasswordRecognizer",
    entity_type="URL_PASSWORD",
    finder=find_url_passwords,
    case_sensitive=True,
)
