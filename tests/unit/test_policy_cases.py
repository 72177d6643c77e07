"""Policy test cases and the dry run, with hand-built detection (regexes) and a span-replacing redaction."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from proxy.detection.findings import Finding
from proxy.policy.cases import load_cases, run_case
from proxy.policy.dryrun import body_for, dry_run
from proxy.policy.errors import PolicyLoadError
from tests.unit.policy_fixtures import caller, snapshot

PATTERNS = {"PERSON": r"\b(?:Anna|Bob) [A-Z][a-z]+", "US_SSN": r"\b\d{3}-\d{2}-\d{4}\b",
            "AWS_ACCESS_KEY_ID": r"\bAKIA[0-9A-Z]{16}\b", "DE_TAX_ID": r"\b\d{11}\b"}


def detect(texts: Sequence[str]) -> list[Finding]:
    return [Finding(i, m.start(), m.end(), entity, 0.9, "test")
            for i, text in enumerate(texts) for entity, rx in PATTERNS.items() for m in re.finditer(rx, text)]


def redact(texts: Sequence[str], findings: Sequence[Finding], strategies: dict[str, str]) -> list[str]:
    out = list(texts)
    for f in sorted(findings, key=lambda f: -f.start):
        strategy = strategies.get(f.entity_type)
        if strategy:
            t = out[f.field]
            out[f.field] = t[:f.start] + f"<{f.entity_type}:{strategy}>" + t[f.end:]
    return out


def cases_file(tmp_path: Path, text: str) -> Path:
    (tmp_path / "tests").mkdir(exist_ok=True)
    (tmp_path / "tests" / "cases.yaml").write_text(text)
    return tmp_path


def test_dry_run_redacts_only_on_the_way_out() -> None:
    snap = snapshot()
    body = body_for("chat", "ext-a", messages=[{"role": "system", "content": "be brief"},
                                               {"role": "user", "content": "mail Anna Schmidt today"}])
    run = dry_run(snap, caller(), "chat", body, header_classification=None, detect=detect, redact=redact)
    assert run.decision.rule == "pii-external" and run.findings[0].field == 1
    assert run.redacted == ("be brief", "mail <PERSON:placeholder> today")
    assert run.texts[1] == "mail Anna Schmidt today"  # the request itself is untouched
    onprem = dry_run(snap, caller(), "chat", body_for("chat", "onprem-a", "mail Anna Schmidt"),
                     header_classification=None, detect=detect, redact=redact)
    assert onprem.redacted == ("mail Anna Schmidt",)
    blocked = dry_run(snap, caller(), "completions", body_for("completions", "ext-a", "AKIA" + "A" * 16),
                      header_classification=None, detect=detect, redact=redact)
    assert blocked.decision.rule == "block-secrets" and blocked.redacted is None


def test_cases_pass_and_fail_with_reasons(tmp_path: Path) -> None:
    root = cases_file(tmp_path, """\
apiVersion: govproxy/v1
cases:
  - name: pii external
    caller: {team: eng}
    model: ext-a
    prompt: "ask Bob Miller"
    expect: {classification: confidential, rule: pii-external, action: redact, route: ext-a,
             entities: [PERSON], shadow: [shadow-ext], redacted: "ask <PERSON:placeholder>",
             redactedExcludes: [Bob Miller]}
  - name: wrong on purpose
    model: ext-a
    endpoint: embeddings
    prompt: "tax id 12345678901"
    classification: internal
    expect: {rule: pii-external, action: allow, route: ext-a, entities: [PERSON], redacted: x,
             redactedExcludes: ["123"]}
  - name: unknown model
    model: nope
    prompt: hi
    expect: {action: allow}
""")
    snap = snapshot()
    results = [run_case(snap, src, case, detect=detect, redact=redact) for src, case in load_cases(root)]
    assert [r.passed for r in results] == [True, False, False]
    failures = results[1].failures
    assert "rule: expected 'pii-external', got 'ids-onprem'" in failures
    assert "action: expected 'allow', got 'route'" in failures
    assert "route: expected 'ext-a', got 'onprem-embed'" in failures
    assert any(f.startswith("entities: expected ['PERSON']") for f in failures)
    assert "redacted: expected 'x', got 'tax id 12345678901'" in failures
    assert "redactedExcludes: '123' would be sent" in failures
    assert results[2].failures[0].startswith("request refused: The requested model does not exist")


def test_case_files_are_validated_with_locations(tmp_path: Path) -> None:
    root = cases_file(tmp_path, "apiVersion: govproxy/v1\ncases:\n  - name: x\n    model: m\n    expect: {rul: a}\n")
    with pytest.raises(PolicyLoadError) as exc:
        load_cases(root)
    assert str(exc.value).startswith(f"{root}/tests/cases.yaml:5:14: cases[0].expect.rul: unknown key 'rul'")
