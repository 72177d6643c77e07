"""The compiled policy: immutable values that `evaluate` reads. Built by compile.py from the merged YAML files.

Levels are ranks (0 = lowest) so comparing classifications is comparing ints; globs and regexes are compiled once
per load, never per request.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from proxy.policy.decision import Action, Location, Mode

Strategies = Mapping[str, str]
_GLOB_CHARS = re.compile(r"[*?\[]")


def frozen_map(data: Mapping[str, object] | None = None) -> Mapping:  # type: ignore[type-arg]
    """A read-only view of a copy: the snapshot cannot be changed through it."""
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True, slots=True)
class Globs:
    """A set of shell-style patterns; plain names are looked up in a set, the rest through one regex."""

    exact: frozenset[str] = frozenset()
    regex: re.Pattern[str] | None = None
    source: tuple[str, ...] = ()

    @classmethod
    def of(cls, patterns: list[str] | tuple[str, ...]) -> Globs:
        plain = frozenset(p for p in patterns if not _GLOB_CHARS.search(p))
        globbed = [p for p in patterns if _GLOB_CHARS.search(p)]
        regex = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in globbed)) if globbed else None
        return cls(plain, regex, tuple(patterns))

    def __bool__(self) -> bool:
        return bool(self.source)

    def matches(self, value: str) -> bool:
        """True if any pattern matches the whole value (case-sensitive)."""
        return value in self.exact or (self.regex is not None and self.regex.match(value) is not None)


@dataclass(frozen=True, slots=True)
class EntityCondition:
    """At least `min_count` findings of any of `types`, each scored at least `min_score`."""

    ref: str  # the type or group name as written, for messages
    types: frozenset[str]
    min_count: int = 1
    min_score: float = 0.0


@dataclass(frozen=True, slots=True)
class Combination:
    """The classification is at least `level` when each entry of `types` is met by a different detected type."""

    refs: tuple[str, ...]  # as written, for messages
    types: tuple[frozenset[str], ...]
    level: int

    def holds(self, present: frozenset[str] | set[str]) -> bool:
        return _distinct(self.types, present, frozenset())


def _distinct(entries: tuple[frozenset[str], ...], present: frozenset[str] | set[str], used: frozenset[str]) -> bool:
    if not entries:
        return True
    return any(_distinct(entries[1:], present, used | {t}) for t in entries[0] & present if t not in used)


@dataclass(frozen=True, slots=True)
class Match:
    teams: Globs = field(default_factory=Globs)
    users: Globs = field(default_factory=Globs)
    labels: frozenset[str] = frozenset()
    endpoints: frozenset[str] = frozenset()
    models: Globs = field(default_factory=Globs)
    locations: frozenset[Location] = frozenset()
    min_level: int | None = None
    max_level: int | None = None
    entities: tuple[EntityCondition, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    action: Action
    mode: Mode = Mode.ENFORCE
    match: Match = field(default_factory=Match)
    # Entity type -> strategy, groups already expanded; `wildcard` covers every other detected type.
    strategies: Strategies = field(default_factory=frozen_map)
    wildcard: str | None = None
    to: str | None = None  # route: "onprem", "external" or a catalogue alias
    message: str | None = None
    description: str = ""
    source: str = ""  # the file it came from
    provider_storage: bool = False  # an external target may keep the request (OpenAI `store`)

    def strategy_for(self, entity_type: str) -> str | None:
        return self.strategies.get(entity_type, self.wildcard)


@dataclass(frozen=True, slots=True)
class PolicyAlias:
    """`auto` and friends: external when the classification is at most `external_up_to`, else on-prem."""

    name: str
    description: str = ""
    external_up_to: int | None = None
    onprem: str | None = None
    external: str | None = None


@dataclass(frozen=True, slots=True)
class PolicySet:
    """One consistent, immutable policy. `version` is the content hash of the files it was built from (the rule
    files and models.yaml), so every decision can name exactly what applied."""

    version: str
    levels: tuple[str, ...]
    floor: int
    unlisted: int
    entity_levels: Mapping[str, int]
    groups: Mapping[str, frozenset[str]]
    clearance: Mapping[Location, int]        # default clearance per location
    preferred: Mapping[Location, tuple[str, ...]]
    aliases: Mapping[str, PolicyAlias]
    rules: tuple[Rule, ...]
    default: Rule
    files: tuple[str, ...] = ()
    combinations: tuple[Combination, ...] = ()

    def classify(self, types: Iterable[str], header: int | None = None) -> int:
        """The classification rank of a request with these entity types (and caller header): the highest of the
        floor, each type's level, every combination that holds, and the header."""
        present = set(types)
        level = max([self.floor, *(self.level_of(t) for t in present), *([header] if header is not None else [])])
        for c in self.combinations:
            if c.level > level and c.holds(present):
                level = c.level
        return level

    def rank(self, level: str) -> int | None:
        """The rank of a level name, or None if the policy has no such level."""
        try:
            return self.levels.index(level)
        except ValueError:
            return None

    def level_of(self, entity_type: str) -> int:
        return self.entity_levels.get(entity_type, self.unlisted)

    def rule(self, name: str) -> Rule | None:
        if name == self.default.name:
            return self.default
        return next((r for r in self.rules if r.name == name), None)
