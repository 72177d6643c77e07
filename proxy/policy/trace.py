"""Why a decision came out as it did, for `govproxy policy explain`: every rule in order with matched / not matched
and the condition that failed, what raised the classification, and why each catalogue target was or was not
allowed. Computed beside `evaluate` (same conditions, through `mismatch`), never on the request path.
"""

from __future__ import annotations

from dataclasses import dataclass

from proxy.policy.decision import Action, Decision, Mode
from proxy.policy.evaluate import (
    CAPABILITIES,
    ENDPOINT_NAMES,
    RequestFacts,
    _resolve,
    clearance_of,
    header_level,
    mismatch,
)
from proxy.policy.lint import missing_key
from proxy.policy.policyset import Match, PolicySet, Rule
from proxy.routing.catalogue import Catalogue


@dataclass(frozen=True, slots=True)
class RuleTrace:
    rule: str
    mode: str
    action: str
    matched: bool
    status: str  # decides | shadow | after-winner | not-matched | default
    reason: str  # which condition failed, or what matching meant


@dataclass(frozen=True, slots=True)
class TargetTrace:
    alias: str
    location: str
    allowed: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Trace:
    rules: tuple[RuleTrace, ...]
    raised_by: tuple[str, ...]  # "PERSON -> confidential", "floor -> internal", "header -> restricted"
    targets: tuple[TargetTrace, ...]


def trace(policy: PolicySet, catalogue: Catalogue, facts: RequestFacts, decision: Decision,
          environ: dict[str, str] | None = None) -> Trace:
    """Explain `decision` (what `evaluate` returned for `facts`)."""
    import os

    env = dict(os.environ) if environ is None else environ
    header = header_level(policy, facts.header_classification)
    types = tuple(dict.fromkeys(f.entity_type for f in facts.findings))
    level = policy.classify(types, header)
    endpoint = ENDPOINT_NAMES[facts.endpoint]
    location, _ = _resolve(policy, catalogue, facts.model, level, CAPABILITIES[endpoint])
    scores: dict[str, list[float]] = {}
    for f in facts.findings:
        scores.setdefault(f.entity_type, []).append(f.score)

    rules: list[RuleTrace] = []
    for rule in policy.rules:
        failed = mismatch(rule.match, facts, endpoint, location, level, scores)
        common = (rule.name, rule.mode.value, rule.action.value)
        if failed is not None:
            rules.append(RuleTrace(*common, False, "not-matched",
                                   _why_not(policy, rule, failed, facts, endpoint, location, level, scores)))
        elif rule.mode is Mode.SHADOW:
            rules.append(RuleTrace(*common, True, "shadow", "matched; recorded only (shadow)"))
        elif rule.name == decision.rule:
            rules.append(RuleTrace(*common, True, "decides", "matched: the first matching enforce rule decides"))
        else:
            rules.append(RuleTrace(*common, True, "after-winner", f"matched, but '{decision.rule}' decided first"))
    d = policy.default
    decided = decision.rule == d.name
    rules.append(RuleTrace(d.name, Mode.ENFORCE.value, d.action.value, decided, "default",
                           "no enforce rule matched: the default decides" if decided else "not used"))

    raised = [f"floor -> {policy.levels[policy.floor]}"]
    raised += [f"{t} -> {policy.levels[policy.level_of(t)]}" + ("" if t in policy.entity_levels else " (unlisted)")
               for t in types]
    raised += [f"{'+'.join(c.refs)} (together) -> {policy.levels[c.level]}" for c in policy.combinations
               if c.holds(set(types))]
    if header is not None:
        raised.append(f"x-data-classification header -> {policy.levels[header]}")
    top = policy.levels[level]
    raised = [r + (" (highest)" if r.split(" -> ")[1].startswith(top) else "") for r in raised]
    return Trace(tuple(rules), tuple(raised), _targets(policy, catalogue, decision, endpoint, env))


def _why_not(policy: PolicySet, rule: Rule, failed: str, facts: RequestFacts, endpoint: str,
             location: object, level: int, scores: dict[str, list[float]]) -> str:
    m: Match = rule.match
    caller = facts.caller
    if failed == "teams":
        return f"teams: team '{caller.team}' is not in {list(m.teams.source)}"
    if failed == "users":
        return f"users: user '{caller.user}' is not in {list(m.users.source)}"
    if failed == "labels":
        return f"labels: the key lacks {sorted(m.labels - caller.labels)}"
    if failed == "endpoints":
        return f"endpoints: '{endpoint}' is not in {sorted(m.endpoints)}"
    if failed == "models":
        return f"models: '{facts.model}' is not in {list(m.models.source)}"
    if failed == "locations":
        where = getattr(location, "value", "none")
        return f"locations: the requested model is {where}, the rule wants {sorted(x.value for x in m.locations)}"
    if failed == "classification.min":
        return f"classification: {policy.levels[level]} is below min {policy.levels[m.min_level or 0]}"
    if failed == "classification.max":
        return f"classification: {policy.levels[level]} is above max {policy.levels[m.max_level or 0]}"
    if failed.startswith("entities["):
        cond = m.entities[int(failed[9:-1])]
        found = sum(1 for t, ss in scores.items() if t in cond.types for s in ss if s >= cond.min_score)
        score = f" scored >= {cond.min_score}" if cond.min_score else ""
        return f"entities: needs {cond.min_count} of {cond.ref}{score}, found {found}"
    if failed == "patterns":
        return "patterns: no pattern matched the request texts"
    return failed


def _targets(policy: PolicySet, catalogue: Catalogue, decision: Decision, endpoint: str,
             env: dict[str, str]) -> tuple[TargetTrace, ...]:
    capability = CAPABILITIES[endpoint]
    after = policy.rank(decision.classification_after_redaction or decision.classification)
    primary = catalogue.get(decision.targets[0]) if decision.targets else None
    out = []
    for t in catalogue:
        where = t.location.value
        clearance = clearance_of(policy, t)
        cleared = policy.levels[clearance] if clearance >= 0 else "nothing"
        if t.alias in decision.targets:
            role = "primary" if t.alias == decision.targets[0] else "fallback"
            note = f"; but {t.api_key_env} is not set: skipped at routing" if missing_key(t.api_key_env, env) else ""
            out.append(TargetTrace(t.alias, where, True, f"{role} (cleared for {cleared}){note}"))
            continue
        if decision.action is Action.BLOCK:
            reason = f"the request is blocked (rule '{decision.rule}')"
        elif capability not in t.capabilities:
            reason = f"does not serve {capability}"
        elif decision.allowed_locations and t.location not in decision.allowed_locations:
            kept = "/".join(sorted(x.value for x in decision.allowed_locations))
            reason = f"{where}: the decision keeps the request {kept}"
        elif after is not None and clearance < after:
            reason = f"cleared for {cleared}, the request is {policy.levels[after]}"
        elif primary is not None and t.alias not in primary.fallbacks:
            reason = f"not the requested model, nor a fallback of {primary.alias}"
        else:
            reason = "not picked"
        out.append(TargetTrace(t.alias, where, False, reason))
    return tuple(out)
