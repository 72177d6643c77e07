"""The provider token catalogue: declared data (`catalogue.yaml`), validated at load, run by one engine.

Each entry names a provider's token format: `id`, `provider`, `description`, the `regex` of the token (or of the
value after one of the `near` words, for formats only a neighbouring name identifies), `keywords` (lower-case
substrings, at least one of which must occur in the text before the regex runs at all: the pre-filter is where
the speed is), an optional `entropy` floor for the token's longest alphanumeric run, an optional `validator` (a
checksum or structure check from `validators.py`), the `entity_type` policies see, and an `example` that the
entry must find (checked at load: an entry that cannot find its own example is a broken entry).

Adding a provider is adding an entry and its example, not a module.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import regex
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from proxy.detection.checks import Check, shannon_entropy
from proxy.detection.secrets.guards import is_placeholder
from proxy.detection.secrets.validators import VALIDATORS

CATALOGUE_FILE = Path(__file__).with_name("catalogue.yaml")
DEFAULT_ENTROPY = 2.5  # bits/char for the longest alphanumeric run: stops `glpat-xxxxxxxxxxxxxxxxxxxx`
_ALNUM_RUN = regex.compile(r"[A-Za-z0-9]+")
# A value right after a name: `TWILIO_AUTH_TOKEN="…"`, `datadog: …`, `--heroku-key …`.
_NEAR = (r"(?P<name>(?i:{words})[A-Za-z0-9_.-]{{0,30}}?)[\"']?\s{{0,3}}(?:=>|:=|=|:|\s)\s{{0,3}}[\"'`]?"
         r"(?P<secret>{value})")
# `HEROKU_APP_ID=<uuid>`, `datadog_site: …`: a name that ends in one of these holds no secret.
_NOT_SECRET_NAME = regex.compile(r"(?i)(?:^|[_.\-]|(?<=[a-z])(?=[A-Z]))(?:id|ids|name|url|uri|region|user|username"
                                 r"|email|account|org|project|app|env|host|port|version|site|zone)$")


class CatalogueError(ValueError):
    """The catalogue file is invalid; the message names the entry."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    provider: str = Field(min_length=1)
    description: str = Field(min_length=1)
    entity_type: str = Field(default="API_TOKEN", pattern=r"^[A-Z][A-Z0-9_]*$")
    regex: str = Field(min_length=4)
    keywords: list[str] = Field(default_factory=list)
    near: list[str] = Field(default_factory=list)
    entropy: float | None = Field(default=None, ge=0.0, le=8.0)
    validator: str | None = None
    example: str = Field(min_length=4)

    @field_validator("validator")
    @classmethod
    def _known_validator(cls, value: str | None) -> str | None:
        if value is not None and value not in VALIDATORS:
            raise ValueError(f"unknown validator {value!r} (known: {sorted(VALIDATORS)})")
        return value

    @field_validator("keywords")
    @classmethod
    def _lower_keywords(cls, value: list[str]) -> list[str]:
        if any(k != k.lower() or not k for k in value):
            raise ValueError("keywords are non-empty and lower-case (the text is lower-cased once)")
        return value


@dataclass(frozen=True, slots=True)
class TokenMatch:
    """One catalogue hit: the secret's span and the entry that found it."""

    start: int
    end: int
    rule: str
    entity_type: str
    confirmed: bool


@dataclass(frozen=True, slots=True)
class TokenRule:
    """One compiled entry."""

    id: str
    provider: str
    entity_type: str
    pattern: regex.Pattern[str]
    keywords: tuple[str, ...]
    entropy: float
    validator: str | None

    def find(self, text: str) -> list[TokenMatch]:
        out = []
        for m in self.pattern.finditer(text):
            start, end = m.span("secret") if "secret" in self.pattern.groupindex else m.span()
            if "name" in self.pattern.groupindex and _NOT_SECRET_NAME.search(m.group("name")):
                continue
            value = text[start:end]
            if end <= start or is_placeholder(value):
                continue
            run = max(_ALNUM_RUN.findall(value), key=len, default="")
            if len(run) >= 8 and shannon_entropy(run) < self.entropy:
                continue
            verdict = VALIDATORS[self.validator](value) if self.validator else Check.UNKNOWN
            if verdict is not Check.REJECTED:
                out.append(TokenMatch(start, end, self.id, self.entity_type, verdict is Check.CONFIRMED))
        return out


@dataclass(frozen=True)
class Catalogue:
    """All rules; `find` runs those whose keywords occur in the text and keeps one match per region."""

    rules: tuple[TokenRule, ...]

    @functools.cached_property
    def keywords(self) -> frozenset[str]:
        return frozenset(k for r in self.rules for k in r.keywords)

    @property
    def entity_types(self) -> tuple[str, ...]:
        return tuple(sorted({r.entity_type for r in self.rules}))

    def find(self, text: str) -> list[TokenMatch]:
        lowered = text.lower()
        present = {k for k in self.keywords if k in lowered}  # each distinct keyword looked up once
        found: list[tuple[int, TokenMatch]] = []
        for order, rule in enumerate(self.rules):
            if not present.intersection(rule.keywords):
                continue
            found.extend((order, m) for m in rule.find(text))
        # Longest first, then the earlier (more specific) entry; overlapping later hits are dropped.
        found.sort(key=lambda om: (-(om[1].end - om[1].start), om[0]))
        kept: list[TokenMatch] = []
        for _, m in found:
            if all(m.end <= k.start or k.end <= m.start for k in kept):
                kept.append(m)
        return sorted(kept, key=lambda m: m.start)


def _compile(entry: _Entry) -> TokenRule:
    if entry.near:
        words = "|".join(regex.escape(w) for w in entry.near)
        source = _NEAR.format(words=words, value=entry.regex)
    else:
        source = entry.regex
    # Tokens stand alone: not the middle of a longer run of token characters.
    source = rf"(?<![A-Za-z0-9_]){source}(?![A-Za-z0-9_])" if not entry.near else rf"\b{source}(?![A-Za-z0-9_])"
    try:
        pattern = regex.compile(source, regex.MULTILINE)
    except regex.error as exc:
        raise CatalogueError(f"{CATALOGUE_FILE.name}: entry {entry.id}: invalid regex ({exc.msg})") from None
    keywords = tuple(entry.keywords) or tuple(w.lower() for w in entry.near)
    if not keywords:
        raise CatalogueError(f"{CATALOGUE_FILE.name}: entry {entry.id}: needs keywords (the pre-filter)")
    entropy = DEFAULT_ENTROPY if entry.entropy is None else entry.entropy
    rule = TokenRule(entry.id, entry.provider, entry.entity_type, pattern, keywords, entropy, entry.validator)
    if not rule.find(entry.example):
        raise CatalogueError(f"{CATALOGUE_FILE.name}: entry {entry.id}: does not find its own example")
    if not any(k in entry.example.lower() for k in keywords):
        raise CatalogueError(f"{CATALOGUE_FILE.name}: entry {entry.id}: no keyword occurs in its example")
    return rule


def parse_catalogue(data: object) -> Catalogue:
    """Validate loaded YAML data (a mapping with `entries`) and compile every entry."""
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise CatalogueError(f"{CATALOGUE_FILE.name}: expected a mapping with a list under 'entries'")
    rules, seen = [], set()
    for i, raw in enumerate(data["entries"]):
        try:
            entry = _Entry.model_validate(raw)
        except ValidationError as exc:
            name = raw.get("id", f"#{i}") if isinstance(raw, dict) else f"#{i}"
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False))
            raise CatalogueError(f"{CATALOGUE_FILE.name}: entry {name}: {problems}") from None
        if entry.id in seen:
            raise CatalogueError(f"{CATALOGUE_FILE.name}: entry {entry.id}: duplicate id")
        seen.add(entry.id)
        rules.append(_compile(entry))
    return Catalogue(tuple(rules))


@functools.cache
def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    """The shipped catalogue, compiled once per process (an immutable value)."""
    return parse_catalogue(yaml.safe_load(path.read_text(encoding="utf-8")))
