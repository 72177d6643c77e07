"""The decision engine: a pure function from (policy, request facts, catalogue) to a Decision.

How a request is decided:
1. Classification = the highest of: the policy floor, the level of every detected entity type, the level of every
   combination of types that holds (a name with an e-mail address), and the caller's `x-data-classification`
   header (which can raise it, never lower it).
2. The requested alias is resolved: a catalogue model, or a policy alias such as `auto` (external when the
   classification is at most its `externalUpTo`, else on-prem). Anything else raises UnknownModel (404); a
   catalogue model on an endpoint it does not serve raises UnsupportedEndpoint (404) unless a rule reroutes it.
3. Rules are read in order. The FIRST matching `enforce` rule decides; if none matches, the default rule does.
   Every matching `shadow` rule is recorded in Decision.matches (wherever it sits) and changes nothing.
4. The decision's redactions are applied in thought: entities with a strategy no longer count (whatever the
   strategy: mask, placeholder, hash and drop leave nothing to recover, and placeholders and ciphertext are
   reversible only inside the proxy, which keeps the map and the key). The header classification always counts.
5. The primary target must be cleared for that classification, or the request is blocked with a message saying
   which models are. Fallbacks are the primary's catalogue fallbacks that stay in the primary's location (rules
   were evaluated for that location), support the endpoint and are cleared for the classification.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from proxy.auth.caller import Caller
from proxy.detection.findings import Finding
from proxy.policy.decision import Action, Decision, Location, Mode, RuleMatch
from proxy.policy.errors import UnknownClassification, UnknownModel, UnsupportedEndpoint
from proxy.policy.policyset import Match, PolicySet, Rule
from proxy.request.context import Endpoint
from proxy.routing.catalogue import Catalogue, Target

ENDPOINT_NAMES = {Endpoint.CHAT: "chat", Endpoint.COMPLETIONS: "completions", Endpoint.EMBEDDINGS: "embeddings",
                  Endpoint.MESSAGES: "messages", Endpoint.RESPONSES: "responses",
                  Endpoint.COUNT_TOKENS: "messages"}  # counting a Messages body: decided like sending it
CAPABILITIES = {"chat": "chat", "messages": "chat", "responses": "chat", "completions": "completions",
                "embeddings": "embeddings"}
_ENDPOINT_OF = {"chat": "/v1/chat/completions", "completions": "/v1/completions", "embeddings": "/v1/embeddings"}
CLASSIFICATION_HEADER = "x-data-classification"
_WHERE = {Location.ONPREM: "on-prem", Location.EXTERNAL: "external"}


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What the policy may look at. Findings carry no values; `texts` are read only by `patterns` conditions and
    are kept out of repr so they cannot end up in a log line by accident."""

    caller: Caller
    endpoint: Endpoint
    model: str
    findings: tuple[Finding, ...] = ()
    header_classification: str | None = None
    texts: tuple[str, ...] = field(default=(), repr=False, compare=False)


def header_level(policy: PolicySet, value: str | None) -> int | None:
    """The rank of a caller-supplied classification, or None if there is none; UnknownClassification if the
    value names no level (the value itself is not echoed)."""
    if value is None or not value.strip():
        return None
    rank = policy.rank(value.strip().lower())
    if rank is None:
        raise UnknownClassification(f"The {CLASSIFICATION_HEADER} header does not name a classification level; "
                                    f"expected one of: {', '.join(policy.levels)}.", param=CLASSIFICATION_HEADER)
    return rank


def clearance_of(policy: PolicySet, target: Target) -> int:
    """The target's clearance as a rank (its own, else its location's default)."""
    if target.clearance is None:
        return policy.clearance[target.location]
    rank = policy.rank(target.clearance)
    return -1 if rank is None else rank  # unknown level: cleared for nothing (the loader rejects it anyway)


def evaluate(policy: PolicySet, facts: RequestFacts, catalogue: Catalogue) -> Decision:
    """Decide one request. Raises UnknownClassification (400), UnknownModel (404) and UnsupportedEndpoint (404: a
    catalogue model asked for on an endpoint it does not serve, unless a matching rule routes the request
    elsewhere); everything else, including a request no target may take, is a Decision (targets empty;
    `message` says why)."""
    header = header_level(policy, facts.header_classification)
    types = _present_types(facts.findings)
    level = policy.classify(types, header)
    endpoint = ENDPOINT_NAMES[facts.endpoint]
    capability = CAPABILITIES[endpoint]
    location, requested = _resolve(policy, catalogue, facts.model, level, capability)

    scores: dict[str, list[float]] = {}
    for f in facts.findings:
        scores.setdefault(f.entity_type, []).append(f.score)
    winner: Rule | None = None
    matches: list[RuleMatch] = []
    for rule in policy.rules:
        if (winner is None or rule.mode is Mode.SHADOW) and mismatch(rule.match, facts, endpoint, location, level,
                                                                      scores) is None:
            matches.append(RuleMatch(rule.name, rule.action, rule.mode))
            if winner is None and rule.mode is Mode.ENFORCE:
                winner = rule
    if winner is None:
        winner = policy.default
        matches.append(RuleMatch(winner.name, winner.action, Mode.ENFORCE))
    base = Decision(policy_version=policy.version, classification=policy.levels[level], action=winner.action,
                    rule=winner.name, matches=tuple(matches), provider_storage=winner.provider_storage)
    if winner.action is Action.BLOCK:
        return replace(base, targets=(), allowed_locations=frozenset(), message=_block_message(winner, types))

    strategies: dict[str, str] = {}
    if winner.action in (Action.REDACT, Action.ROUTE):
        strategies = {t: s for t in types if (s := winner.strategy_for(t)) is not None}
    after = policy.classify((t for t in types if t not in strategies), header)
    decided = replace(base, strategies=tuple(sorted(strategies.items())),
                      classification_after_redaction=policy.levels[after])

    primary, why = _primary(policy, catalogue, winner, requested, location, capability, after, facts.model)
    if primary is None:
        return replace(decided, targets=(), message=why)
    if clearance_of(policy, primary) < after:
        return replace(base, action=Action.BLOCK, targets=(), allowed_locations=frozenset(),
                       message=_clearance_message(policy, catalogue, primary, after, capability, winner,
                                                  bool(strategies)))
    targets = [primary.alias]
    for alias in primary.fallbacks:
        fb = catalogue.get(alias)
        if (fb is not None and alias not in targets and fb.location is primary.location
                and capability in fb.capabilities and clearance_of(policy, fb) >= after):
            targets.append(alias)
    return replace(decided, targets=tuple(targets), allowed_locations=frozenset({primary.location}),
                   rerouted_from=facts.model if primary.alias != facts.model else None)


def allowed_models(policy: PolicySet, catalogue: Catalogue, caller: Caller) -> tuple[str, ...]:
    """The aliases this caller may use (for GET /v1/models): catalogue models, then policy aliases, for which a
    request with nothing sensitive in it, on any endpoint the model supports, would not be blocked or refused."""
    endpoints = {"chat": Endpoint.CHAT, "completions": Endpoint.COMPLETIONS, "embeddings": Endpoint.EMBEDDINGS}
    out: list[str] = []
    candidates = [(t.alias, sorted(t.capabilities)) for t in catalogue] + [(a, ["chat"]) for a in policy.aliases]
    for alias, capabilities in candidates:
        for capability in capabilities:
            if capability not in endpoints:
                continue
            decision = evaluate(policy, RequestFacts(caller, endpoints[capability], alias), catalogue)
            if decision.targets:
                out.append(alias)
                break
    return tuple(out)


def _present_types(findings: tuple[Finding, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f.entity_type for f in findings))


def _resolve(policy: PolicySet, catalogue: Catalogue, alias: str, level: int,
             capability: str) -> tuple[Location | None, Target | None]:
    """(location, target) of the requested alias; for a policy alias the target may be None (none capable)."""
    target = catalogue.get(alias)
    if target is not None:
        return target.location, target
    pa = policy.aliases.get(alias)
    if pa is None:
        available = ", ".join([t.alias for t in catalogue] + list(policy.aliases)) or "none configured"
        # The name is not repeated: a caller's string goes back into no error body (a card number sent as a model
        # name would otherwise travel into client logs); the list of names the proxy knows says what was meant.
        raise UnknownModel("The requested model does not exist or you do not have access to it. "
                           f"Available models: {available}.", param="model")
    external = _pick(policy, catalogue, Location.EXTERNAL, pa.external, capability, None)
    limit = pa.external_up_to
    if limit is None:
        limit = clearance_of(policy, external) if external is not None else -1
    location = Location.EXTERNAL if level <= limit else Location.ONPREM
    if location is Location.EXTERNAL:
        return location, external
    return location, _pick(policy, catalogue, Location.ONPREM, pa.onprem, capability, None)


def _pick(policy: PolicySet, catalogue: Catalogue, location: Location, pinned: str | None, capability: str,
          after: int | None) -> Target | None:
    """The first target in `location` (pinned one first, then the preferred order) that supports the capability
    and, if `after` is given, is cleared for it."""
    order = ([pinned] if pinned else []) + list(policy.preferred[location])
    for alias in order:
        t = catalogue.get(alias)
        if (t is not None and t.location is location and capability in t.capabilities
                and (after is None or clearance_of(policy, t) >= after)):
            return t
    return None


def _primary(policy: PolicySet, catalogue: Catalogue, rule: Rule, requested: Target | None,
             location: Location | None, capability: str, after: int, asked: str) -> tuple[Target | None, str]:
    if rule.action is Action.ROUTE and rule.to in ("onprem", "external"):
        loc = Location(rule.to)
        if (requested is not None and requested.location is loc and capability in requested.capabilities
                and clearance_of(policy, requested) >= after):
            return requested, ""
        target = _pick(policy, catalogue, loc, None, capability, after)
        if target is None:
            return None, (f"Policy rule '{rule.name}' routes this request to an {_WHERE[loc]} model, but no "
                          f"{_WHERE[loc]} model that supports {capability} is cleared for "
                          f"'{policy.levels[after]}' data.")
        return target, ""
    if rule.action is Action.ROUTE:
        target = catalogue.get(rule.to or "")
        if target is None or capability not in target.capabilities:
            return None, f"Policy rule '{rule.name}' routes this request to '{rule.to}', which does not support " \
                         f"{capability}."
        return target, ""
    if requested is None:
        where = _WHERE[location] if location is not None else "any"
        return None, f"'{asked}' found no {where} model that supports {capability}."
    if capability not in requested.capabilities:
        # The caller's choice, not a policy outcome and not an outage: the catalogue says this model cannot serve it.
        endpoints = ", ".join(_ENDPOINT_OF[c] for c in sorted(requested.capabilities) if c in _ENDPOINT_OF)
        raise UnsupportedEndpoint(f"The model '{requested.alias}' does not support {capability} requests; it "
                                  f"serves: {endpoints or 'nothing'}.", param="model")
    return requested, ""


def mismatch(m: Match, facts: RequestFacts, endpoint: str | None, location: Location | None, level: int,
             scores: dict[str, list[float]]) -> str | None:
    """None if the request meets every condition of `m`, else the first condition it fails (its key in the rule's
    `match`; `entities[i]` for an entity condition). `govproxy policy explain` reports it."""
    # Cheap checks first; regexes over the texts last.
    caller = facts.caller
    if m.teams and not m.teams.matches(caller.team):
        return "teams"
    if m.users and not m.users.matches(caller.user):
        return "users"
    if m.labels and not m.labels <= caller.labels:
        return "labels"
    if m.endpoints and endpoint not in m.endpoints:
        return "endpoints"
    if m.models and not m.models.matches(facts.model):
        return "models"
    if m.locations and location not in m.locations:
        return "locations"
    if m.min_level is not None and level < m.min_level:
        return "classification.min"
    if m.max_level is not None and level > m.max_level:
        return "classification.max"
    for i, cond in enumerate(m.entities):
        count = sum(1 for t, ss in scores.items() if t in cond.types for s in ss if s >= cond.min_score)
        if count < cond.min_count:
            return f"entities[{i}]"
    if m.patterns and not any(p.search(text) for p in m.patterns for text in facts.texts):
        return "patterns"
    return None


def _block_message(rule: Rule, types: tuple[str, ...]) -> str:
    named = sorted({t for c in rule.match.entities for t in types if t in c.types})
    text = f"Blocked by policy rule '{rule.name}'"
    text += f": {rule.message.rstrip('.')}." if rule.message else "."
    if named:
        text += f" Detected: {', '.join(named)}."
    return text


def _clearance_message(policy: PolicySet, catalogue: Catalogue, target: Target, after: int, capability: str,
                       rule: Rule, redacted: bool) -> str:
    cleared = [t.alias for t in catalogue if capability in t.capabilities and clearance_of(policy, t) >= after]
    cleared += [a for a in policy.aliases if cleared]
    clearance = clearance_of(policy, target)
    level = policy.levels[clearance] if clearance >= 0 else "nothing"
    return (f"Blocked by policy: this request is classified '{policy.levels[after]}'"
            f"{' after redaction' if redacted else ''}, above the clearance of model '{target.alias}' ({level}); "
            f"rule '{rule.name}'. Models cleared for it: {', '.join(cleared) or 'none'}.")
