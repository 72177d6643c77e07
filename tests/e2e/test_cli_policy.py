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


def rule_line(out: str, rule: str) -> list[str]:
    """The words of explain's line for `rule` (up to the start of the reason)."""
    line = next(line for line in out.splitlines() if f" {rule} " in line and line.startswith("  "))
    words = line.split()
    return words[:6] if words[0] == "->" else words[:5]


def test_validate_ok_and_errors(policies: Path, env: dict[str, str]) -> None:
    ok = cli("policy", "validate", str(policies), env=env)
    assert ok.stdout.startswith(f"{policies}: OK, version ")
    assert "rules:       8 (1 shadow), default: allow" in ok.stdout

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
    assert rule_line(out, "block-secrets") == ["->", "block-secrets", "block", "enforce", "matched", "matched:"]
    assert "route       none" in out and "message     Blocked by policy rule 'block-secrets'" in out

    prompt = "Prüfe bitte die Steuer-ID 86095742719 von Herrn Müller."
    out = cli("policy", "explain", "--caller-team", "finance", "--caller-user", "bob", "--model", "gpt-4o",
              "--policies", str(policies), prompt, env=env).stdout
    assert "DE_TAX_ID" in out and rule_line(out, "national-ids-onprem")[:5] == [
        "->", "national-ids-onprem", "route", "enforce", "matched"]
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
    assert rule_line(out, "pseudonymise-for-external")[:5] == [
        "->", "pseudonymise-for-external", "redact", "enforce", "matched"]
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


def test_validate_catches_what_silently_fails(policies: Path, env: dict[str, str]) -> None:
    """Typos in entity types and groups are errors with a suggestion; rules that can never decide, a trial rule that
    could never decide if enforced, and models without their key are warnings (exit 3 with --strict)."""
    personal, trials = policies / "rules" / "30-personal-data.yaml", policies / "rules" / "25-trials.yaml"
    originals = personal.read_text(), trials.read_text()
    personal.write_text(originals[0].replace("business: placeholder", "busines: placeholder"))
    trials.write_text(originals[1].replace("- type: CREDIT_CARD", "- type: CREDIT_CRAD"))
    (policies / "rules" / "50-typo.yaml").write_text("apiVersion: govproxy/v1\nentities:\n  PERSN: restricted\n")
    bad = cli("policy", "validate", str(policies), env=env, check=False)
    assert bad.returncode == 1
    assert ("25-trials.yaml:14:17: rules[0].match.entities[0].type: unknown entity type 'CREDIT_CRAD' (did you mean "
            "CREDIT_CARD?)") in bad.stderr
    assert "entities.PERSN: unknown entity type 'PERSN' (did you mean PERSON?)" in bad.stderr
    assert "unknown entity group 'busines' (did you mean business?)" in bad.stderr
    personal.write_text(originals[0])
    trials.write_text(originals[1])
    (policies / "rules" / "50-typo.yaml").unlink()

    # The trial rule moved below the pseudonymise rule (as it stood before): enforcing it would change nothing.
    (policies / "rules" / "25-trials.yaml").rename(policies / "rules" / "40-trials.yaml")
    (policies / "rules" / "35-dup.yaml").write_text(
        "apiVersion: govproxy/v1\nrules:\n  - name: names-to-sales\n    match:\n      locations: [external]\n"
        "      entities: [{type: PERSON}, {type: EMAIL_ADDRESS}]\n    action: route\n    to: onprem\n")
    out = cli("policy", "validate", str(policies), env=env).stdout
    assert ("warning: " + str(policies) + "/rules/40-trials.yaml: shadow rule 'trial-block-card-numbers-external' "
            "could never decide if enforced: the earlier rule 'pseudonymise-for-external'") in out
    assert ("rules/35-dup.yaml: rule 'names-to-sales' can never decide: the earlier rule "
            "'pseudonymise-for-external'") in out
    assert "model 'gpt-4o': its key variable OPENAI_API_KEY is not set" in out
    strict = cli("policy", "validate", "--strict", str(policies), env=env, check=False)
    assert strict.returncode == 3

    keyed = cli("policy", "validate", str(policies), env={**env, "OPENAI_API_KEY": "sk-test"}).stdout
    assert "OPENAI_API_KEY is not set" not in keyed and "ANTHROPIC_API_KEY is not set" in keyed


def test_explain_lists_every_rule_and_every_model_with_reasons(policies: Path, env: dict[str, str]) -> None:
    out = cli("policy", "explain", "--caller-team", "sales", "--model", "gpt-4o", "--policies", str(policies),
              "Call John Smith on +44 20 7946 0958 about the renewal.", env=env).stdout
    assert "raised by: floor -> internal, PERSON -> internal" in out
    assert "personal+personal (together) -> confidential (highest)" in out
    lines = {line.split()[0 if not line.startswith("  ->") else 1]: line for line in out.splitlines()
             if line.startswith("  ") and ("matched" in line)}
    assert "entities: needs 1 of secrets, found 0" in lines["block-secrets"]
    assert "classification: confidential is below min restricted" in lines["restricted-stays-onprem"]
    assert "matched: the first matching enforce rule decides" in lines["pseudonymise-for-external"]
    assert "matched, but 'pseudonymise-for-external' decided first" in lines[
        "pseudonymise-names-and-places-for-external"]
    assert "not used" in lines["default"]
    assert "  + gpt-4o (external): primary (cleared for internal); but OPENAI_API_KEY is not set" in out
    assert "  - local-llama (onprem): onprem: the decision keeps the request external" in out
    assert "  - local-embed (onprem): does not serve chat" in out
    assert "John Smith" not in out

    data = json.loads(cli("policy", "explain", "--caller-team", "eng", "--model", "auto", "--json", "--policies",
                          str(policies), "What is the capital of France?", env=env).stdout)
    assert data["classification"] == "internal" and data["targets"][0] == "gpt-4o"
    assert data["redacted"] == ["What is the capital of <LOCATION_1>?"]
    assert [r["rule"] for r in data["rules"]][-1] == "default" and data["rules"][-1]["status"] == "default"
    decides = [r for r in data["rules"] if r["status"] == "decides"]
    assert [r["rule"] for r in decides] == ["pseudonymise-names-and-places-for-external"]
    assert data["classification_raised_by"] == ["floor -> internal (highest)", "LOCATION -> internal (highest)"]
    assert {m["model"]: m["allowed"] for m in data["models"]}["local-llama"] is False


TERMS = """apiVersion: govproxy/v1
cases:
""" + "".join(f"""  - name: {name}
    model: gpt-4o
    prompt: "Any news on {written}?"
    expect:
      entities: [PROJECT_CODENAME]
      redactedExcludes: ["{written}"]
      redacted: "Any news on <PROJECT_CODENAME_1>?"
""" for name, written in [("as written", "Project Falcon"), ("case", "PROJECT falcon"),
                          ("spacing", "Project   Falcon"), ("no space", "ProjectFalcon"),
                          ("hyphen", "project-falcon"), ("underscore", "project_falcon"),
                          ("German word form", "Projekt Falcon"), ("German, hyphenated", "Projekt-Falcon")]) + """
  - name: only whole words
    model: gpt-4o
    prompt: "Falconry is a hobby; the project went well."
    expect: {redacted: "Falconry is a hobby; the project went well."}
"""


def test_custom_terms_match_the_way_people_write_them(policies: Path, env: dict[str, str]) -> None:
    recognizers = policies / "recognizers.yaml"
    recognizers.write_text(recognizers.read_text().replace("terms: [", "terms: [Project Falcon, "))
    shutil.rmtree(policies / "tests")
    (policies / "tests").mkdir()
    (policies / "tests" / "terms.yaml").write_text(TERMS)
    out = cli("policy", "test", str(policies), env=env).stdout
    assert out.splitlines()[-1].startswith("9 passed, 0 failed"), out
