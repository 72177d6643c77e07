"""Building one document: text pieces appended in order, secrets recorded with their exact spans and kinds."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bench.secrets_corpus.tokens import MAKERS, NAMES

# Formats whose secret is one part of a longer value: the rest is written around it (and is not the secret).
WRAPPERS = {
    "sentry-dsn": ("https://", "@o4504123.ingest.sentry.io/4505123"),
    "azure-storage-key": ("DefaultEndpointsProtocol=https;AccountName=acmelogs;AccountKey=",
                          ";EndpointSuffix=core.windows.net"),
    "azure-shared-access-key": ("Endpoint=sb://acme-bus.servicebus.windows.net/;SharedAccessKeyName=send;"
                                "SharedAccessKey=", ""),
}


@dataclass
class Doc:
    """A document under construction; `secret` appends a value and records where it is."""

    template: str
    parts: list[str] = field(default_factory=list)
    spans: list[dict[str, object]] = field(default_factory=list)
    size: int = 0

    def add(self, *texts: str) -> Doc:
        for t in texts:
            self.parts.append(t)
            self.size += len(t)
        return self

    def secret(self, value: str, kind: str) -> Doc:
        before, after = WRAPPERS.get(kind, ("", ""))
        self.add(before)
        self.spans.append({"start": self.size, "end": self.size + len(value), "kind": kind})
        return self.add(value, after)

    def record(self, rid: str, language: str) -> dict[str, object]:
        text = "".join(self.parts)
        for s in self.spans:
            assert text[s["start"]:s["end"]]  # type: ignore[misc]
        return {"id": rid, "text": text, "secrets": self.spans, "language": language, "template": self.template}


@dataclass(frozen=True)
class Secret:
    kind: str
    value: str
    name: str  # the variable name people give it


def name_for(kind: str, rng: random.Random) -> str:
    if kind in NAMES:
        return rng.choice(NAMES[kind])
    generic = {
        "password-generated": ("DB_PASSWORD", "POSTGRES_PASSWORD", "ADMIN_PASS", "SMTP_PASSWORD", "mail.password"),
        "password-human": ("password", "DB_PASS", "REDIS_PASSWORD", "ldap_bind_password"),
        "hex-secret-32": ("WEBHOOK_SECRET", "APP_SECRET", "session_secret", "HMAC_KEY"),
        "hex-secret-64": ("JWT_SECRET", "SIGNING_SECRET", "encryption_key", "SECRET_KEY_BASE"),
        "base64-secret": ("ENCRYPTION_KEY", "MASTER_KEY", "cookie_secret", "AES_KEY"),
        "django-secret-key": ("SECRET_KEY",),
        "pin": ("PIN", "sim_pin"),
        "sentry-dsn": ("SENTRY_DSN", "sentry.dsn"),
        "azure-storage-key": ("AZURE_STORAGE_CONNECTION_STRING", "ConnectionStrings__Blob"),
        "azure-shared-access-key": ("SERVICEBUS_CONNECTION", "ServiceBusConnection"),
    }
    if kind in generic:
        return rng.choice(generic[kind])
    base = kind.replace("-", "_").upper()
    return base if any(w in base for w in ("KEY", "TOKEN", "SECRET", "PAT", "PASSWORD")) else base + "_TOKEN"


def make(kind: str, rng: random.Random) -> Secret:
    return Secret(kind, MAKERS[kind](rng), name_for(kind, rng))


PASSWORD_KINDS = ("password-generated", "password-human")
HEADER_KINDS = ("jwt", "bearer-opaque", "basic-auth", "google-oauth-token")
NAMED_ONLY = frozenset({*NAMES, "hex-secret-32", "hex-secret-64", "base64-secret", "django-secret-key",
                        "twilio-auth-token", "aws-secret-key", "pin", *PASSWORD_KINDS})
