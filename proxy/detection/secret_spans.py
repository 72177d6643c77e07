"""Secrets are read whole: one finding that covers the secret, whatever other recognizers see inside it.

A JWT's payload is not a URL, a UK NHS number or a person; a password's middle is not a place. Before the general
overlap resolution, secret findings that overlap are merged into one (a provider's type over the general ones,
then the better score names it), other
findings inside a secret are dropped, and other findings that stick out of one are dropped too, except a URL,
which keeps the part outside the secret.
"""

from __future__ import annotations

from collections.abc import Iterable

from proxy.detection.findings import Finding

# Every entity type a secret recognizer reports (the catalogue's types included; a test keeps them in step with
# the catalogue and with the policy's `secrets` group).
SECRET_TYPES = frozenset({
    "API_TOKEN", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN",
    "GITLAB_TOKEN", "SLACK_TOKEN", "STRIPE_KEY", "GOOGLE_API_KEY", "PRIVATE_KEY", "JWT", "URL_PASSWORD",
    "GENERIC_SECRET", "HIGH_ENTROPY_TOKEN",
})


# A URL around a secret (`https://host/x?sig=…`) is still a URL outside it; other types that share characters with
# a secret (spaCy's "person" in `redis://:pw@redis-master`, an e-mail read into `user:pw@host`) are dropped.
_KEEP_REST = frozenset({"URL"})
# Types that say less than a provider's own: when they cover the same secret, the specific type names it.
_GENERAL = frozenset({"GENERIC_SECRET", "HIGH_ENTROPY_TOKEN"})


def _merge(secrets: list[Finding]) -> list[Finding]:
    merged: list[Finding] = []
    for f in sorted(secrets, key=lambda x: (x.start, -x.end)):
        last = merged[-1] if merged else None
        if last is not None and f.start < last.end:
            best = max((last, f), key=lambda x: (x.entity_type not in _GENERAL, x.score, x.end - x.start))
            merged[-1] = Finding(best.field, last.start, max(last.end, f.end), best.entity_type, best.score,
                                 best.recognizer, best.language)
        else:
            merged.append(f)
    return merged


def secrets_first(findings: Iterable[Finding]) -> list[Finding]:
    """`findings` with secrets whole and nothing else inside them (see the module docstring)."""
    findings = list(findings)
    secrets = _merge([f for f in findings if f.entity_type in SECRET_TYPES])
    if not secrets:
        return findings
    out = list(secrets)
    for f in findings:
        if f.entity_type in SECRET_TYPES:
            continue
        overlapping = any(s.start < f.end and f.start < s.end for s in secrets)
        if overlapping and f.entity_type not in _KEEP_REST:
            continue  # a name, place or e-mail that shares characters with a secret is a misreading of it
        pieces = [(f.start, f.end)]
        for s in secrets:
            if s.end <= f.start or f.end <= s.start:
                continue
            pieces = [p for a, b in pieces for p in ((a, min(b, s.start)), (max(a, s.end), b)) if p[1] - p[0] >= 2]
        out.extend(Finding(f.field, a, b, f.entity_type, f.score, f.recognizer, f.language) for a, b in pieces
                   if (a, b) == (f.start, f.end) or b - a >= 2)
    return out
