"""Merge the policy files (in lexical filename order) into one PolicySet, checking what needs all of them.

The merge rule, in full:
- `classification.levels`, `.floor`, `.unlisted`: the last file that sets one wins.
- `groups`: by group name, the last file wins. `entities`: by key, the last assignment wins; inside one file a
  group key is applied before a type key, so `PERSON: restricted` beats `personal: confidential` whatever order
  they are written in.
- `locations`: by location and field (clearance, preferred), the last file wins. `aliases`: by name, last wins.
- `rules`: concatenated, file by file in filename order, each file's rules in written order. Names are unique.
- `default`: exactly one file has it.
Built in before any file: levels public < internal < confidential < restricted; floor = the lowest level;
unlisted entity types = `confidential` (or the highest level if there is none); on-prem clearance = the highest
level, external clearance = the lowest (set both explicitly).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from proxy.detection.entity_types import did_you_mean
from proxy.policy.decision import Location
from proxy.policy.errors import Issue, PolicyLoadError
from proxy.policy.policyset import (
    Combination,
    EntityCondition,
    Globs,
    Match,
    PolicyAlias,
    PolicySet,
    Rule,
    frozen_map,
)
from proxy.policy.schema import DefaultRuleSpec, PolicyFileSpec, RuleSpec
from proxy.policy.yamlnodes import YamlDoc
from proxy.routing.catalogue import Catalogue

DEFAULT_LEVELS = ("public", "internal", "confidential", "restricted")
DEFAULT_RULE_NAME = "default"
KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class PolicyFile:
    doc: YamlDoc
    spec: PolicyFileSpec


@dataclass(slots=True)
class _Ref:
    value: object
    doc: YamlDoc
    path: KeyPath


def compile_policy(files: list[PolicyFile], catalogue: Catalogue, *, version: str,
                   catalogue_doc: YamlDoc | None = None, known_types: frozenset[str] | None = None) -> PolicySet:
    """Merge validated files into a PolicySet; raise PolicyLoadError listing every located problem.

    With `known_types` (what detection can report: built-in and custom recognizers), an entity type outside it is
    an error: a rule naming `PERSN` would silently never match."""
    return _Compiler(files, catalogue, catalogue_doc, known_types).build(version)


class _Compiler:
    def __init__(self, files: list[PolicyFile], catalogue: Catalogue, catalogue_doc: YamlDoc | None,
                 known_types: frozenset[str] | None = None) -> None:
        self.known_types = known_types
        self.files = files
        self.catalogue = catalogue
        self.catalogue_doc = catalogue_doc
        self.issues: list[Issue] = []
        self.levels: tuple[str, ...] = DEFAULT_LEVELS
        self.groups: dict[str, frozenset[str]] = {}

    def problem(self, doc: YamlDoc, path: KeyPath, message: str) -> None:
        self.issues.append(doc.issue(path, message))

    def build(self, version: str) -> PolicySet:
        if not self.files:
            raise PolicyLoadError([Issue("rules/", (), "no policy files (*.yaml) found")])
        last: dict[str, _Ref] = {}
        for f in self.files:
            c = f.spec.classification
            for key in ("levels", "floor", "unlisted", "combinations"):
                if c is not None and getattr(c, key) is not None:
                    last[key] = _Ref(getattr(c, key), f.doc, ("classification", key))
        if "levels" in last:
            self.levels = tuple(last["levels"].value)  # type: ignore[arg-type]
        floor = self.level(last["floor"]) if "floor" in last else 0
        fallback_unlisted = self.levels.index("confidential") if "confidential" in self.levels else len(
            self.levels) - 1
        unlisted = self.level(last["unlisted"]) if "unlisted" in last else fallback_unlisted
        for f in self.files:
            self.groups.update({name: frozenset(members) for name, members in f.spec.groups.items()})
            for name, members in f.spec.groups.items():
                for i, member in enumerate(members):
                    self.check_type(member, f.doc, ("groups", name, i))
        entity_levels = self.entity_levels()
        combinations = self.combinations(last.get("combinations"))
        clearance, preferred = self.locations()
        aliases = self.aliases()
        rules = [self.rule(spec, f.doc, ("rules", i)) for f in self.files for i, spec in enumerate(f.spec.rules)]
        default = self.default_rule()
        self.check_rule_names(rules)
        self.check_catalogue_clearances()
        if self.issues:
            raise PolicyLoadError(self.issues)
        assert default is not None
        return PolicySet(
            version=version, levels=self.levels, floor=floor, unlisted=unlisted,
            entity_levels=frozen_map(entity_levels), groups=frozen_map(self.groups),
            clearance=frozen_map(clearance), preferred=frozen_map(preferred), aliases=frozen_map(aliases),
            rules=tuple(rules), default=default, files=tuple(f.doc.source for f in self.files),
            combinations=combinations,
        )

    def combinations(self, ref: _Ref | None) -> tuple[Combination, ...]:
        if ref is None:
            return ()
        out = []
        for i, spec in enumerate(ref.value):  # type: ignore[attr-defined]
            path = (*ref.path, i)
            types = tuple(self.entity_types(t, ref.doc, (*path, "types", j)) for j, t in enumerate(spec.types))
            out.append(Combination(tuple(spec.types), types, self.level(_Ref(spec.level, ref.doc, (*path, "level")))))
        return tuple(out)

    # -- references -----------------------------------------------------------------------------------------
    def level(self, ref: _Ref) -> int:
        value = str(ref.value)
        if value not in self.levels:
            self.problem(ref.doc, ref.path, f"unknown classification level {value!r}; the levels are: "
                         + ", ".join(self.levels))
            return 0
        return self.levels.index(value)

    def maybe_level(self, value: str | None, doc: YamlDoc, path: KeyPath) -> int | None:
        return None if value is None else self.level(_Ref(value, doc, path))

    def entity_types(self, ref: str, doc: YamlDoc, path: KeyPath) -> frozenset[str]:
        if ref[:1].isupper():
            self.check_type(ref, doc, path)
            return frozenset({ref})
        if ref not in self.groups:
            known = ", ".join(sorted(self.groups)) or "none defined"
            self.problem(doc, path, f"unknown entity group {ref!r}{did_you_mean(ref, self.groups)}; groups: {known}")
            return frozenset()
        return self.groups[ref]

    def check_type(self, name: str, doc: YamlDoc, path: KeyPath) -> None:
        if self.known_types is not None and name not in self.known_types:
            self.problem(doc, path, f"unknown entity type {name!r}{did_you_mean(name, self.known_types)}: no "
                         "built-in or custom recognizer (recognizers.yaml) reports it, so this would never match")

    def alias_in(self, alias: str, location: Location, doc: YamlDoc, path: KeyPath) -> None:
        target = self.catalogue.get(alias)
        if target is None:
            self.problem(doc, path, f"unknown model alias {alias!r} (not in models.yaml)")
        elif target.location is not location:
            self.problem(doc, path, f"model {alias!r} is {target.location.value}, expected {location.value}")

    # -- sections -------------------------------------------------------------------------------------------
    def entity_levels(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            items = sorted(f.spec.entities.items(), key=lambda kv: kv[0][:1].isupper())  # groups first
            for ref, level in items:
                rank = self.level(_Ref(level, f.doc, ("entities", ref)))
                for entity_type in self.entity_types(ref, f.doc, ("entities", ref)):
                    out[entity_type] = rank
        return out

    def locations(self) -> tuple[dict[Location, int], dict[Location, tuple[str, ...]]]:
        clearance = {Location.ONPREM: len(self.levels) - 1, Location.EXTERNAL: 0}
        default_order = {loc: tuple(t.alias for t in self.catalogue if t.location is loc) for loc in Location}
        preferred = dict(default_order)
        for f in self.files:
            for loc, spec in f.spec.locations.items():
                base = ("locations", loc.value)
                if spec.clearance is not None:
                    clearance[loc] = self.level(_Ref(spec.clearance, f.doc, (*base, "clearance")))
                if spec.preferred is not None:
                    for i, alias in enumerate(spec.preferred):
                        self.alias_in(alias, loc, f.doc, (*base, "preferred", i))
                    # Listed targets first, then the rest of the location in catalogue order.
                    rest = tuple(a for a in default_order[loc] if a not in spec.preferred)
                    preferred[loc] = tuple(spec.preferred) + rest
        return clearance, preferred

    def aliases(self) -> dict[str, PolicyAlias]:
        out: dict[str, PolicyAlias] = {}
        for f in self.files:
            for name, spec in f.spec.aliases.items():
                base: KeyPath = ("aliases", name)
                if self.catalogue.get(name) is not None:
                    self.problem(f.doc, base, f"alias {name!r} is also a model in models.yaml; pick another name")
                for loc in Location:
                    pinned = getattr(spec, loc.value)
                    if pinned is not None:
                        self.alias_in(pinned, loc, f.doc, (*base, loc.value))
                out[name] = PolicyAlias(
                    name=name, description=spec.description,
                    external_up_to=self.maybe_level(spec.externalUpTo, f.doc, (*base, "externalUpTo")),
                    onprem=spec.onprem, external=spec.external)
        return out

    def rule(self, spec: RuleSpec | DefaultRuleSpec, doc: YamlDoc, path: KeyPath) -> Rule:
        strategies: dict[str, str] = {}
        wildcard = None
        # Groups first, so an entity type listed by name overrides its group's strategy.
        for ref, strategy in sorted((spec.redact or {}).items(), key=lambda kv: kv[0][:1].isupper()):
            if ref == "*":
                wildcard = strategy
                continue
            for entity_type in self.entity_types(ref, doc, (*path, "redact", ref)):
                strategies[entity_type] = strategy
        if spec.to is not None and spec.to not in ("onprem", "external") and self.catalogue.get(spec.to) is None:
            self.problem(doc, (*path, "to"), f"unknown route target {spec.to!r}: expected onprem, external or a "
                         "model alias from models.yaml")
        common = dict(action=spec.action, strategies=frozen_map(strategies), wildcard=wildcard, to=spec.to,
                      message=spec.message, source=doc.source, provider_storage=spec.providerStorage)
        if isinstance(spec, DefaultRuleSpec):
            return Rule(name=DEFAULT_RULE_NAME, **common)  # type: ignore[arg-type]
        return Rule(name=spec.name, mode=spec.mode, match=self.match(spec, doc, path),
                    description=spec.description, **common)  # type: ignore[arg-type]

    def match(self, spec: RuleSpec, doc: YamlDoc, path: KeyPath) -> Match:
        m = spec.match
        base = (*path, "match")
        lo = hi = None
        if m.classification is not None:
            cpath = (*base, "classification")
            if m.classification.equals is not None:
                lo = hi = self.maybe_level(m.classification.equals, doc, (*cpath, "equals"))
            else:
                lo = self.maybe_level(m.classification.min, doc, (*cpath, "min"))
                hi = self.maybe_level(m.classification.max, doc, (*cpath, "max"))
        entities = tuple(
            EntityCondition(ref=c.type, types=self.entity_types(c.type, doc, (*base, "entities", i, "type")),
                            min_count=c.minCount, min_score=c.minScore)
            for i, c in enumerate(m.entities))
        return Match(
            teams=Globs.of(m.teams), users=Globs.of(m.users), labels=frozenset(m.labels),
            endpoints=frozenset(m.endpoints), models=Globs.of(m.models), locations=frozenset(m.locations),
            min_level=lo, max_level=hi, entities=entities, patterns=tuple(re.compile(p) for p in m.patterns))

    def default_rule(self) -> Rule | None:
        found = [(f.doc, f.spec.default) for f in self.files if f.spec.default is not None]
        if not found:
            self.issues.append(Issue(self.files[-1].doc.source, (), "no `default` rule: exactly one file must say "
                                     "what happens when no rule matches"))
            return None
        for doc, _ in found[1:]:
            self.problem(doc, ("default",), f"a second `default` rule (the first is in {found[0][0].source})")
        return self.rule(found[0][1], found[0][0], ("default",))  # type: ignore[arg-type]

    def check_rule_names(self, rules: list[Rule]) -> None:
        seen: dict[str, str] = {}
        for f in self.files:
            for i, spec in enumerate(f.spec.rules):
                if spec.name == DEFAULT_RULE_NAME:
                    self.problem(f.doc, ("rules", i, "name"), "the name 'default' is reserved for the default rule")
                elif spec.name in seen:
                    self.problem(f.doc, ("rules", i, "name"),
                                 f"duplicate rule name {spec.name!r} (first in {seen[spec.name]})")
                seen.setdefault(spec.name, f.doc.source)

    def check_catalogue_clearances(self) -> None:
        for i, target in enumerate(self.catalogue):
            if target.clearance is not None and target.clearance not in self.levels:
                message = (f"model {target.alias!r}: unknown clearance {target.clearance!r}; the levels are: "
                           + ", ".join(self.levels))
                if self.catalogue_doc is not None:
                    self.problem(self.catalogue_doc, ("models", i, "clearance"), message)
                else:
                    self.issues.append(Issue("models.yaml", (), message))
