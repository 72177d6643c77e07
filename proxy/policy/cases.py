"""Policy test cases (`<policies>/tests/*.yaml`): a request in, the expected decision out.

    apiVersion: govproxy/v1
    cases:
      - name: an AWS key is blocked
        caller: {team: eng, user: alice, labels: [eu]}
        model: gpt-4o
        endpoint: chat                  # chat (default), messages, completions, embeddings
        prompt: "deploy with AKIA…"     # or messages: [{role: user, content: …}]
        classification: confidential    # the x-data-classification header, if the caller sends one
        expect:                         # every key optional; only what is given is checked
          classification: restricted
          rule: block-secrets
          action: block
          route: none                   # the first target (a model alias), or none
          entities: [AWS_ACCESS_KEY_ID] # must all be among the detected entity types
          shadow: []                    # exactly these shadow rules matched
          redacted: "…"                 # the text(s) as sent: a string (the last text) or a list (all)
          redactedExcludes: ["AKIA…"]   # must not appear in any text sent
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from proxy.auth.caller import Caller
from proxy.errors import ProxyError
from proxy.policy.decision import Action
from proxy.policy.dryrun import DetectFn, DryRun, RedactFn, body_for, dry_run
from proxy.policy.errors import Issue, PolicyLoadError
from proxy.policy.loader import PolicySnapshot
from proxy.policy.yamlnodes import parse_yaml, validation_issues

TESTS_DIR = "tests"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CallerSpec(_Strict):
    team: str = "default"
    user: str = "policy-test"
    labels: list[str] = Field(default_factory=list)


class Expect(_Strict):
    classification: str | None = None
    rule: str | None = None
    action: Action | None = None
    route: str | None = None
    entities: list[str] | None = None
    shadow: list[str] | None = None
    redacted: str | list[str] | None = None
    redactedExcludes: list[str] = Field(default_factory=list)


class CaseSpec(_Strict):
    name: str
    caller: CallerSpec = Field(default_factory=CallerSpec)
    model: str
    endpoint: Literal["chat", "completions", "embeddings", "messages"] = "chat"
    prompt: str | None = None
    messages: list[dict[str, Any]] | None = None
    classification: str | None = None
    expect: Expect


class CaseFileSpec(_Strict):
    apiVersion: Literal["govproxy/v1"]
    cases: list[CaseSpec] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class CaseResult:
    source: str
    name: str
    failures: tuple[str, ...]
    run: DryRun | None = None

    @property
    def passed(self) -> bool:
        return not self.failures


def load_cases(policies_dir: Path) -> list[tuple[str, CaseSpec]]:
    """Every case in `<dir>/tests/*.yaml`, in file then written order. PolicyLoadError with located issues."""
    files = sorted(p for p in (Path(policies_dir) / TESTS_DIR).glob("*.y*ml") if not p.name.startswith("."))
    cases: list[tuple[str, CaseSpec]] = []
    issues: list[Issue] = []
    for path in files:
        doc, found = parse_yaml(path.read_text(encoding="utf-8"), str(path))
        issues += found
        if doc is None:
            continue
        try:
            spec = CaseFileSpec.model_validate(doc.data)
        except ValidationError as exc:
            issues += validation_issues(doc, exc, CaseFileSpec)
            continue
        cases += [(str(path), c) for c in spec.cases]
    if issues:
        raise PolicyLoadError(issues)
    return cases


def run_case(snapshot: PolicySnapshot, source: str, case: CaseSpec, *, detect: DetectFn,
             redact: RedactFn) -> CaseResult:
    """Run one case through detection, the policy and redaction (no upstream) and compare."""
    caller = Caller(key_id="policy-test", team=case.caller.team, user=case.caller.user,
                    labels=frozenset(case.caller.labels))
    body = body_for(case.endpoint, case.model, case.prompt, case.messages)
    try:
        run = dry_run(snapshot, caller, case.endpoint, body, header_classification=case.classification,
                      detect=detect, redact=redact)
    except ProxyError as exc:
        return CaseResult(source, case.name, (f"request refused: {exc.message}",))
    return CaseResult(source, case.name, tuple(_compare(case.expect, run)), run)


def _compare(want: Expect, run: DryRun) -> list[str]:
    d = run.decision
    out = []

    def check(what: str, expected: Any, got: Any) -> None:
        if expected is not None and expected != got:
            out.append(f"{what}: expected {expected!r}, got {got!r}")

    check("classification", want.classification, d.classification)
    check("rule", want.rule, d.rule)
    check("action", want.action.value if want.action else None, d.action.value)
    check("route", want.route, d.targets[0] if d.targets else "none")
    check("shadow", want.shadow, [m.rule for m in d.shadow_matches])
    found = {f.entity_type for f in run.findings}
    if want.entities is not None:
        missing = sorted(set(want.entities) - found)
        if missing:
            out.append(f"entities: expected {missing} among the findings, found {sorted(found)}")
    sent: Sequence[str] = run.redacted or ()
    if want.redacted is not None:
        if run.redacted is None:
            out.append("redacted: expected a redacted text, but nothing would be sent")
        elif isinstance(want.redacted, str):
            check("redacted", want.redacted, sent[-1] if sent else "")
        else:
            check("redacted", want.redacted, list(sent))
    for needle in want.redactedExcludes:
        if any(needle in text for text in sent):
            out.append(f"redactedExcludes: {needle!r} would be sent")
    return out
