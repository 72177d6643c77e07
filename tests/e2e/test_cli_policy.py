"""`govproxy policy validate | test | explain` through the installed command, as the policy owner runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.harness import REPO, base_env, cli

# Where no model server listens: explain and test must never need one.
NOWHERE = "http://127.0.0.1:9/v1"


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    """A fresh copy of the shipped policies, every model pointed at a closed port, no provider keys set."""
    dest = tmp_path / "policies"
    shutil.copytree(REPO / "policies", dest)
    models = dest / "models.yaml"
    text = models.read_text()
    for var in ("VLLM_API_BASE", "OLLAMA_API_BASE", "EMBED_API_BASE", "AZURE_API_BASE"):
        text = text.replace("${" + var + ":-", "${" + var + "_UNSET:-" + NOWHERE + "}#")
    models.write_text(text)
    return dest


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = base_env(GOVPROXY_LOG_LEVEL="warning", GOVPROXY_TEST_CWD=str(tmp_path))
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AZURE_API_KEY", "VLLM_API_KEY"):
        e.pop(key, None)
    return e


def test_validate_ok_and_errors(policies: Path, env: dict[str, str]) -> None:
    ok = cli("policy", "validate", str(policies), env=env)
    assert ok.stdout.startswith(f"{policies}: OK, version ")
    assert "rules:       6 (1 shadow), default: allow" in ok.stdout

    (policies / "rules" / "50-broken.yaml").write_text(
        "apiVersion: govproxy/v1\nrules:\n  - name: x\n    match: {teamz: [a]}\n    action: allow\n"
        "  - name: y\n    action: route\n    to: gpt-9\n")
    bad = cli("policy", "validate", str(policies), env=env, check=False)
    assert bad.returncode == 1 and bad.stdout == ""
    lines = bad.stderr.splitlines()
    assert lines[0] == f"{policies}: the policy does not load (1 problem(s)):"
    assert lines[1].startswith(f"  {policies}/rules/50-broken.yaml:4:13: rules[0].match.teamz: unknown key 'teamz'")
    # Once every file has the right shape, the checks across files run.
    broken = policies / "rules" / "50-broken.yaml"
    broken.write_text(broken.read_text().replace("teamz", "teams"))
    bad = cli("policy", "validate", str(policies), env=env, check=False)
    assert bad.returncode == 1
    assert bad.stderr.splitlines()[1].startswith(
        f"  {policies}/rules/50-broken.yaml:8:9: rules[1].to: unknown route target 'gpt-9'")


def test_explain_a_prompt_without_any_upstream(policies: Path, env: dict[str, str]) -> None:
    secret = "AKIAZ3MHQV5XKRT2WN7Q"
    out = cli("policy", "explain", "--caller-team", "eng", "--model", "gpt-4o", "--policies", str(policies),
              f"deploy with aws_access_key_id = {secret}", env=env).stdout
    assert "AWS_ACCESS_KEY_ID" in out and secret not in out  # findings without values
    assert "class       restricted" in out
    assert "-> block-secrets  block  (enforce)" in out
    assert "route       none" in out and "message     Blocked by policy rule 'block-secrets'" in out

    prompt = "Prüfe bitte die Steuer-ID 86095742719 von Herrn Müller."
    out = cli("policy", "explain", "--caller-team", "finance", "--caller-user", "bob", "--model", "gpt-4o",
              "--policies", str(policies), prompt, env=env).stdout
    assert "DE_TAX_ID" in out and "-> national-ids-onprem  route  (enforce)" in out
    assert "route       local-llama (onprem) [instead of gpt-4o], fallbacks: local-ollama" in out
    assert f"  [0] message/user: {prompt}" in out  # on-prem: sent as written


def test_explain_a_json_body_from_stdin(policies: Path, env: dict[str, str]) -> None:
    body = {"model": "auto", "messages": [{"role": "system", "content": "Be brief."},
                                          {"role": "user", "content": "Write a haiku about unit tests."}]}
    result = cli("policy", "explain", "--caller-team", "eng", "--policies", str(policies), "--json",
                 "--classification", "restricted", env=env, input=json.dumps(body))
    data = json.loads(result.stdout)
    assert data["classification"] == "restricted" and data["rule"] == "restricted-stays-onprem"
    assert data["targets"] == ["local-llama", "local-ollama"] and data["rerouted_from"] == "auto"
    assert data["locations"] == ["onprem"] and data["findings"] == []
    assert data["redacted"] == ["Be brief.", "Write a haiku about unit tests."]

    unknown = cli("policy", "explain", "--caller-team", "eng", "--policies", str(policies),
                  "--classification", "top-secret", env=env, input=json.dumps(body), check=False)
    assert unknown.returncode == 1 and "refused (400)" in unknown.stderr and "top-secret" not in unknown.stderr


def test_explain_shows_the_redacted_prompt(policies: Path, env: dict[str, str]) -> None:
    prompt = "Draft a friendly reply to Maria Garcia (maria.garcia@example.com) about her order."
    out = cli("policy", "explain", "--caller-team", "sales", "--model", "gpt-4o", "--policies", str(policies),
              prompt, env=env).stdout
    assert "class       confidential (after redaction: internal)" in out
    assert "-> pseudonymise-for-external  redact  (enforce)" in out
    assert "redact      EMAIL_ADDRESS=placeholder, PERSON=placeholder" in out
    assert "  [0] message/user: Draft a friendly reply to <PERSON_1> (<EMAIL_ADDRESS_1>) about her order." in out
    assert "Maria" not in out and "maria.garcia" not in out


def test_policy_test_runs_the_shipped_cases_and_reports_failures(policies: Path, env: dict[str, str]) -> None:
    ok = cli("policy", "test", str(policies), env=env)
    lines = ok.stdout.splitlines()
    assert lines[-1].startswith(f"{len(lines) - 1} passed, 0 failed (policy version ")
    assert all(line.startswith("PASS  default-policy.yaml: ") for line in lines[:-1]) and len(lines) > 10

    # A policy change that breaks an expectation: the secrets rule turned into a shadow rule.
    secrets = policies / "rules" / "10-secrets.yaml"
    secrets.write_text(secrets.read_text().replace("    action: block\n", "    mode: shadow\n    action: block\n", 1))
    bad = cli("policy", "test", str(policies), env=env, check=False)
    assert bad.returncode == 1
    out = bad.stdout
    assert "FAIL  default-policy.yaml: a cloud key is blocked, whatever the model" in out
    assert "        rule: expected 'block-secrets', got 'restricted-stays-onprem'" in out
    assert "        action: expected 'block', got 'route'" in out
    assert out.splitlines()[-1].startswith(f"{len(lines) - 1 - 2} passed, 2 failed")
