"""The policy file format (`policies/rules/*.yaml`, apiVersion govproxy/v1), validated with pydantic.

These models check each file on its own: shapes, names, unknown keys (always an error), regexes that compile.
Checks that need every file at once (levels that exist, groups that are defined, one default rule, aliases the
catalogue knows) live in policyset.py, which merges the files. Keys are camelCase, as in Kubernetes manifests.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from proxy.policy.decision import Action, Location, Mode

API_VERSION = "govproxy/v1"

# Level and group names are lower-case; entity types are upper-case (as detection writes them), so one key
# space can hold both and a reader tells them apart at a glance.
LevelName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")]
GroupName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")]
EntityType = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$")]
EntityRef = Annotated[str, StringConstraints(pattern=r"^([A-Z][A-Z0-9_]*|[a-z][a-z0-9_-]*)$")]
RedactKey = Annotated[str, StringConstraints(pattern=r"^([A-Z][A-Z0-9_]*|[a-z][a-z0-9_-]*|\*)$")]
RuleName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)]
Strategy = Literal["mask", "placeholder", "hash", "encrypt", "drop"]
EndpointName = Literal["chat", "completions", "embeddings", "messages", "responses"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CombinationSpec(_Strict):
    """Entity types that together say more than each alone: a name is not confidential, a name with an e-mail
    address is. Holds when each entry (a type or a group) is met by a different detected entity type."""

    types: list[EntityRef] = Field(min_length=2, max_length=4)
    level: LevelName


class ClassificationSpec(_Strict):
    # Lowest first. A later file that sets `levels` replaces the whole list.
    levels: list[LevelName] | None = Field(default=None, min_length=2)
    # The classification of a request in which nothing was detected.
    floor: LevelName | None = None
    # The level of a detected entity type that `entities` does not list (fail closed: make it high).
    unlisted: LevelName | None = None
    # Raise the classification when types occur together (a later file that sets it replaces the whole list).
    combinations: list[CombinationSpec] | None = None

    @field_validator("levels")
    @classmethod
    def _unique(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and len(set(v)) != len(v):
            raise ValueError("levels must be unique")
        return v


class LocationSpec(_Strict):
    # The clearance of a catalogue target in this location that sets none itself.
    clearance: LevelName | None = None
    # The order in which targets are picked when a rule routes here or `auto` chooses this location
    # (default: catalogue order). Only aliases in this location.
    preferred: list[str] | None = None


class AliasSpec(_Strict):
    """A policy alias such as `auto`: on-prem or external, chosen by the request's classification."""

    description: str = ""
    # Requests classified at or below this level go external, above it on-prem (default: the clearance of the
    # external target that would be picked).
    externalUpTo: LevelName | None = None
    # Pin a target per location (default: the location's `preferred` order).
    onprem: str | None = None
    external: str | None = None


class EntityCondition(_Strict):
    type: EntityRef  # an entity type or a group name; a group counts findings of any of its types
    minCount: int = Field(default=1, ge=1)
    minScore: float = Field(default=0.0, ge=0.0, le=1.0)


class ClassificationCondition(_Strict):
    min: LevelName | None = None     # classification >= min
    max: LevelName | None = None     # classification <= max
    equals: LevelName | None = None  # classification == equals

    @model_validator(mode="after")
    def _one_form(self) -> ClassificationCondition:
        if self.equals is not None and (self.min is not None or self.max is not None):
            raise ValueError("use either equals or min/max, not both")
        if self.equals is None and self.min is None and self.max is None:
            raise ValueError("give min, max or equals")
        return self


class MatchSpec(_Strict):
    """Every condition given must hold; an empty list or an absent key matches anything."""

    teams: list[str] = Field(default_factory=list)    # globs, any of
    users: list[str] = Field(default_factory=list)    # globs, any of
    labels: list[str] = Field(default_factory=list)   # the caller's key must carry all of them
    endpoints: list[EndpointName] = Field(default_factory=list)
    models: list[str] = Field(default_factory=list)   # globs over the alias the caller asked for
    locations: list[Location] = Field(default_factory=list)  # where the requested model lives (auto: resolved)
    classification: ClassificationCondition | None = None
    entities: list[EntityCondition] = Field(default_factory=list)  # all of them
    patterns: list[str] = Field(default_factory=list)  # regexes over the request texts, any of

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, v: list[str]) -> list[str]:
        for i, pattern in enumerate(v):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {i} is not a valid regular expression: {exc}") from None
        return v


class _ActionSpec(_Strict):
    action: Action
    # Entity type, group name or `*` (every other detected type) -> strategy. For `redact`, and optionally
    # `route` (redact on the way to the routed target).
    redact: dict[RedactKey, Strategy] | None = None
    to: str | None = None           # route: `onprem`, `external`, or a catalogue alias
    message: str | None = Field(default=None, max_length=500)  # block: what the caller is told
    # Whether an external target may keep the request at the provider (OpenAI's `store`). Off unless the deciding
    # rule says so: a request that asks to be stored is sent with `store: false`.
    providerStorage: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> _ActionSpec:
        if self.action is Action.REDACT and not self.redact:
            raise ValueError("action redact needs a non-empty `redact` map (entity type or group -> strategy)")
        if self.redact and self.action not in (Action.REDACT, Action.ROUTE):
            raise ValueError(f"`redact` only goes with action redact or route, not {self.action.value}")
        if self.action is Action.ROUTE and not self.to:
            raise ValueError("action route needs `to` (onprem, external or a model alias)")
        if self.to is not None and self.action is not Action.ROUTE:
            raise ValueError(f"`to` only goes with action route, not {self.action.value}")
        if self.message is not None and self.action is not Action.BLOCK:
            raise ValueError(f"`message` only goes with action block, not {self.action.value}")
        return self


class RuleSpec(_ActionSpec):
    name: RuleName
    description: str = ""
    mode: Mode = Mode.ENFORCE
    match: MatchSpec = Field(default_factory=MatchSpec)


class DefaultRuleSpec(_ActionSpec):
    """What happens when no enforce rule matched. Exactly one file defines it."""


class PolicyFileSpec(_Strict):
    apiVersion: Literal["govproxy/v1"]
    description: str = ""
    classification: ClassificationSpec | None = None
    groups: dict[GroupName, list[EntityType]] = Field(default_factory=dict)
    entities: dict[EntityRef, LevelName] = Field(default_factory=dict)
    locations: dict[Location, LocationSpec] = Field(default_factory=dict)
    aliases: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")], AliasSpec] = Field(
        default_factory=dict)
    rules: list[RuleSpec] = Field(default_factory=list)
    default: DefaultRuleSpec | None = None
