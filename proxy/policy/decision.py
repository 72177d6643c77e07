"""Decisions are values: the audit stores the decision that was enforced, field for field."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Action(StrEnum):
    ALLOW = "allow"
    REDACT = "redact"
    BLOCK = "block"
    ROUTE = "route"


class Mode(StrEnum):
    ENFORCE = "enforce"
    SHADOW = "shadow"


class Location(StrEnum):
    ONPREM = "onprem"
    EXTERNAL = "external"


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """A rule that matched, with what it would do. Shadow matches are recorded but change nothing."""

    rule: str
    action: Action
    mode: Mode


@dataclass(frozen=True, slots=True)
class Decision:
    policy_version: str
    classification: str
    action: Action
    rule: str
    matches: tuple[RuleMatch, ...] = ()
    # entity type -> redaction strategy name; only entity types listed here are redacted.
    strategies: tuple[tuple[str, str], ...] = ()
    # Ordered target aliases the request may go to: the first is the primary, the rest compliant fallbacks.
    targets: tuple[str, ...] = ()
    allowed_locations: frozenset[Location] = field(default_factory=lambda: frozenset(Location))
    # For block decisions: what the caller is told (names the rule, never the data).
    message: str | None = None
    # The alias the caller asked for, when the policy replaced it (route action or `auto`).
    rerouted_from: str | None = None
    # The classification once the listed strategies are applied (redacted entities no longer count; a header
    # classification still does): what every target in `targets` is cleared for. None where nothing was routed.
    classification_after_redaction: str | None = None
    # Whether an external target may keep the request at the provider (the deciding rule's providerStorage).
    provider_storage: bool = False

    @property
    def strategy_map(self) -> dict[str, str]:
        return dict(self.strategies)

    @property
    def shadow_matches(self) -> tuple[RuleMatch, ...]:
        return tuple(m for m in self.matches if m.mode is Mode.SHADOW)
