"""Warnings about a policy that loads but will not do what its author meant.

- A rule that can never decide: an earlier enforce rule matches every request it matches (first match wins).
- A shadow rule that, switched to enforce, would never decide, for the same reason: its trial says nothing about
  what enforcing it would do.
- A catalogue target whose provider key variable is not set: routing skips it like a target that is down.

"Matches every request it matches" is decided per condition, conservatively: only when each condition of the earlier
rule is implied by the later rule's conditions (an entity condition also implies a classification: a request with a
PERSON finding is at least PERSON's level). A warning is therefore never a false alarm; some covered rules (globs
within globs, regexes) go unreported.
"""

from __future__ import annotations

from collections.abc import Mapping

from proxy.policy.decision import Mode
from proxy.policy.errors import Issue
from proxy.policy.policyset import EntityCondition, Globs, Match, PolicySet, Rule
from proxy.routing.catalogue import Catalogue


def lint_policy(policy: PolicySet, catalogue: Catalogue, environ: Mapping[str, str], *,
                catalogue_source: str = "models.yaml") -> list[Issue]:
    """Every warning for a compiled policy and its catalogue, in rule order then catalogue order."""
    out: list[Issue] = []
    for j, later in enumerate(policy.rules):
        for earlier in policy.rules[:j]:
            if earlier.mode is Mode.ENFORCE and covers(policy, earlier.match, later.match):
                out.append(Issue(later.source, (), _unreachable(earlier, later)))
                break
    for target in catalogue:
        if missing_key(target.api_key_env, environ):
            out.append(Issue(catalogue_source, (), f"model {target.alias!r}: its key variable {target.api_key_env} "
                             "is not set; routing skips this model (compliant fallbacks only) and /readyz reports "
                             "it degraded"))
    return out


def missing_key(api_key_env: str | None, environ: Mapping[str, str]) -> bool:
    """A target that names a key variable which is unset or empty cannot be called."""
    return bool(api_key_env) and not environ.get(api_key_env or "")


def _unreachable(earlier: Rule, later: Rule) -> str:
    where = f" (in {earlier.source})" if earlier.source != later.source else ""
    if later.mode is Mode.SHADOW:
        return (f"shadow rule {later.name!r} could never decide if enforced: the earlier rule {earlier.name!r}"
                f"{where} matches every request it matches; move it above {earlier.name!r} before enforcing it")
    return (f"rule {later.name!r} can never decide: the earlier rule {earlier.name!r}{where} matches every request "
            "it matches (the first matching enforce rule wins)")


def covers(policy: PolicySet, a: Match, b: Match) -> bool:
    """True if every request matching `b` also matches `a` (judged per condition; False when unsure)."""
    if not (_globs_cover(a.teams, b.teams) and _globs_cover(a.users, b.users) and _globs_cover(a.models, b.models)):
        return False
    if not a.labels <= b.labels:
        return False
    if a.endpoints and not (b.endpoints and b.endpoints <= a.endpoints):
        return False
    if a.locations and not (b.locations and b.locations <= a.locations):
        return False
    if a.min_level is not None and _least_level(policy, b) < a.min_level:
        return False
    if a.max_level is not None and (b.max_level is None or b.max_level > a.max_level):
        return False
    if not all(any(_implies(d, c) for d in b.entities) for c in a.entities):
        return False
    if a.patterns:
        # Any-of: b's patterns (if it has any) must all be among a's.
        mine = {p.pattern for p in a.patterns}
        return bool(b.patterns) and {p.pattern for p in b.patterns} <= mine
    return True


def _globs_cover(a: Globs, b: Globs) -> bool:
    if not a:
        return True
    if not b or b.regex is not None:
        return a.source == b.source if b else False
    return all(a.matches(name) for name in b.exact)


def _least_level(policy: PolicySet, m: Match) -> int:
    """The lowest classification a request matching `m` can have: its `min`, the floor, and for each entity
    condition the lowest level among its types."""
    least = max(policy.floor, m.min_level if m.min_level is not None else policy.floor)
    for cond in m.entities:
        if cond.types:
            least = max(least, min(policy.level_of(t) for t in cond.types))
    return least


def _implies(d: EntityCondition, c: EntityCondition) -> bool:
    """A request meeting `d` meets `c`."""
    return bool(d.types) and d.types <= c.types and d.min_count >= c.min_count and d.min_score >= c.min_score
