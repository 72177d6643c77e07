"""Re-decide past requests under a candidate policy: what `govproxy policy replay` reports before a change goes live.

A past request is what its audit record kept: the caller's team, user and key labels, the endpoint, the model asked
for, the entity types detected with their counts, and the classification header. It is decided again by the same
`evaluate` as live traffic, and the result is compared with the decision the record says was enforced (or, with a
baseline directory, with the same replay under the baseline, so that only the policy change shows).

What the record does not keep cannot be replayed: detection scores (every finding counts as score 1.0, so a
`minScore` condition always holds) and the texts (a rule with `patterns` never matches in a replay). A policy change
to recognizers.yaml is not replayed either: the entity types were found by the recognizers of their day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from proxy.auth.caller import Caller
from proxy.detection.findings import Finding
from proxy.errors import ProxyError
from proxy.policy.decision import Action, Decision
from proxy.policy.evaluate import RequestFacts, evaluate
from proxy.policy.loader import PolicySnapshot
from proxy.request.context import Endpoint

EXAMPLES = 3  # record ids shown per change


@dataclass(frozen=True, slots=True)
class PastRequest:
    """The decision inputs and outcome of one audited request (no text, no values)."""

    id: str
    endpoint: str  # Endpoint value, e.g. /v1/chat/completions
    model: str
    team: str
    user: str
    entities: Mapping[str, int]
    labels: frozenset[str] = frozenset()
    header_classification: str | None = None
    action: str | None = None       # what was enforced
    location: str | None = None     # where it went (the outcome's location), if it went anywhere
    targets: tuple[str, ...] = ()
    strategies: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Verdict:
    """A decision boiled down to what a reviewer compares: action, where it goes, what is redacted."""

    action: str               # allow | redact | block | route | refused
    location: str | None      # onprem | external | None (nothing sent)
    redacts: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return self.action + (f"@{self.location}" if self.location else "")


@dataclass
class Change:
    before: str
    after: str
    count: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass
class ReplayReport:
    records: int = 0
    changed: int = 0
    changes: dict[tuple[str, str], Change] = field(default_factory=dict)

    def add(self, record_id: str, before: Verdict, after: Verdict) -> None:
        self.records += 1
        if before == after:
            return
        self.changed += 1
        b, a = before.label, after.label
        if b == a:  # same action and place: the redaction differs
            b += f" redacting {','.join(sorted(before.redacts)) or 'nothing'}"
            a += f" redacting {','.join(sorted(after.redacts)) or 'nothing'}"
        change = self.changes.setdefault((b, a), Change(b, a))
        change.count += 1
        if len(change.examples) < EXAMPLES:
            change.examples.append(record_id)

    def table(self) -> list[Change]:
        """Changes, most frequent first."""
        return sorted(self.changes.values(), key=lambda c: (-c.count, c.before, c.after))


def facts_of(req: PastRequest) -> RequestFacts:
    findings = tuple(Finding(0, 0, 0, entity_type, 1.0, "audit")
                     for entity_type, count in sorted(req.entities.items()) for _ in range(max(0, int(count))))
    caller = Caller(key_id="replay", team=req.team, user=req.user, labels=req.labels)
    return RequestFacts(caller=caller, endpoint=Endpoint(req.endpoint), model=req.model, findings=findings,
                        header_classification=req.header_classification)


def decide(snapshot: PolicySnapshot, req: PastRequest) -> Verdict:
    """The candidate's verdict for a past request ('refused' where it would now be a 4xx: unknown model...)."""
    try:
        decision = evaluate(snapshot.policy, facts_of(req), snapshot.catalogue)
    except ProxyError:
        return Verdict("refused", None)
    return verdict_of(snapshot, decision)


def verdict_of(snapshot: PolicySnapshot, decision: Decision) -> Verdict:
    target = snapshot.catalogue.get(decision.targets[0]) if decision.targets else None
    action = decision.action.value if decision.targets or decision.action is Action.BLOCK else "refused"
    return Verdict(action, target.location.value if target else None, frozenset(decision.strategy_map))


def recorded(snapshot: PolicySnapshot, req: PastRequest) -> Verdict:
    """The verdict the record says was enforced."""
    location = req.location
    if location is None and req.targets:
        target = snapshot.catalogue.get(req.targets[0])
        location = target.location.value if target else None
    action = req.action or "refused"
    if action != "block" and not req.targets:
        action, location = "refused", None
    return Verdict(action, location if action not in ("block", "refused") else None, frozenset(req.strategies))


def replay(candidate: PolicySnapshot, requests: Iterable[PastRequest],
           baseline: PolicySnapshot | None = None) -> ReplayReport:
    """Compare the candidate's verdict on every request with the recorded one (or the baseline's)."""
    report = ReplayReport()
    for req in requests:
        before = decide(baseline, req) if baseline is not None else recorded(candidate, req)
        report.add(req.id, before, decide(candidate, req))
    return report
