"""Loading policy files: located errors, unknown keys, the merge rule, the version hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.policy.errors import PolicyLoadError
from proxy.policy.loader import build_snapshot, content_version, load_policies
from tests.unit.policy_fixtures import CATALOGUE, sources, write_dir

REPO = Path(__file__).resolve().parents[2]


def errors_of(**overrides: str) -> list[str]:
    with pytest.raises(PolicyLoadError) as exc:
        build_snapshot(sources(**overrides))
    return [str(i) for i in exc.value.issues]


def test_shipped_policies_load() -> None:
    snap = load_policies(REPO / "policies")
    names = [r.name for r in snap.policy.rules]
    assert names[:3] == ["block-secrets", "block-unscannable-external", "special-categories-onprem"]
    assert "auto" in snap.policy.aliases and snap.policy.default.name == "default"
    assert snap.policy.level_of("AWS_ACCESS_KEY_ID") == snap.policy.rank("restricted")
    # A name alone is internal; with other personal data (a combination) confidential.
    assert snap.policy.level_of("PERSON") == snap.policy.rank("internal")
    assert snap.policy.classify(["PERSON"]) == snap.policy.rank("internal")
    assert snap.policy.classify(["PERSON", "EMAIL_ADDRESS"]) == snap.policy.rank("confidential")
    assert snap.policy.classify(["PERSON", "LOCATION"]) == snap.policy.rank("confidential")
    assert snap.policy.classify(["LOCATION", "ZIP_CODE"]) == snap.policy.rank("internal")
    # The version covers recognizers.yaml, and the snapshot carries the recognizers it was built with.
    assert "recognizers.yaml" in snap.files and snap.recognizers_version != "none"
    assert {"PROJECT_CODENAME", "EMPLOYEE_ID"} <= {s.entity_type for s in snap.recognizers.specs}


def test_unknown_key_is_located_and_lists_the_expected_keys() -> None:
    bad = "apiVersion: govproxy/v1\nrules:\n  - name: r1\n    match:\n      teamz: [a]\n    action: allow\n"
    (err,) = errors_of(**{"rules/50-bad.yaml": bad})
    assert err.startswith("rules/50-bad.yaml:5:7: rules[0].match.teamz: unknown key 'teamz'")
    assert "expected one of: teams, users, labels" in err


def test_unknown_top_level_key_and_wrong_api_version() -> None:
    errs = errors_of(**{"rules/50-bad.yaml": "apiVersion: govproxy/v2\nrulez: []\n"})
    assert any(e.startswith("rules/50-bad.yaml:1:13: apiVersion: Input should be 'govproxy/v1'") for e in errs)
    assert any(e.startswith("rules/50-bad.yaml:2:1: rulez: unknown key 'rulez'") for e in errs)


def test_wrong_values_are_located_without_echoing_them() -> None:
    bad = ("apiVersion: govproxy/v1\nrules:\n  - name: r1\n    action: allow\n"
           "  - name: r2\n    mode: loud\n    action: block\n    match:\n"
           "      entities: [{type: PERSON, minCount: 0}]\n      patterns: ['(unclosed']\n")
    errs = errors_of(**{"rules/50-bad.yaml": bad})
    assert any(e.startswith("rules/50-bad.yaml:6:11: rules[1].mode: Input should be 'enforce' or 'shadow'")
               for e in errs), errs
    assert any(e.startswith("rules/50-bad.yaml:9:43: rules[1].match.entities[0].minCount:") for e in errs), errs
    assert any(e.startswith("rules/50-bad.yaml:10:17: rules[1].match.patterns: pattern 0 is not a valid")
               for e in errs), errs


def test_missing_required_key_points_at_the_parent() -> None:
    (err,) = errors_of(**{"rules/50-bad.yaml": "apiVersion: govproxy/v1\nrules:\n  - name: r1\n"})
    assert err == "rules/50-bad.yaml:3:5: rules[0].action: missing required key 'action'"


def test_inconsistent_action_fields() -> None:
    bad = "apiVersion: govproxy/v1\nrules:\n  - name: r1\n    action: route\n  - name: r2\n    action: redact\n"
    errs = errors_of(**{"rules/50-bad.yaml": bad})
    assert errs == ["rules/50-bad.yaml:3:5: rules[0]: action route needs `to` (onprem, external or a model alias)",
                    "rules/50-bad.yaml:5:5: rules[1]: action redact needs a non-empty `redact` map (entity type "
                    "or group -> strategy)"]


def test_yaml_syntax_error_and_duplicate_keys() -> None:
    (err,) = errors_of(**{"rules/50-bad.yaml": "apiVersion: govproxy/v1\nrules: [\n  - {name: x\n"})
    assert err.startswith("rules/50-bad.yaml:") and "invalid YAML" in err
    (dup,) = errors_of(**{"rules/50-bad.yaml": "apiVersion: govproxy/v1\nentities:\n  PERSON: public\n"
                                               "  PERSON: restricted\n"})
    assert dup.startswith("rules/50-bad.yaml:4:3: entities.PERSON: duplicate key 'PERSON'")


def test_cross_file_references_are_checked() -> None:
    bad = ("apiVersion: govproxy/v1\nentities:\n  FOO: secret\nrules:\n"
           "  - name: r1\n    match: {classification: {min: top}, entities: [{type: nogroup}]}\n"
           "    action: route\n    to: gpt-9\n"
           "  - name: block-secrets\n    action: allow\n"
           "  - name: default\n    action: allow\n"
           "aliases:\n  ext-a: {}\n  auto2: {onprem: ext-a}\n")
    errs = errors_of(**{"rules/50-bad.yaml": bad})
    expected = [
        "rules/50-bad.yaml:3:8: entities.FOO: unknown classification level 'secret'",
        "rules/50-bad.yaml:3:8: entities.FOO: unknown entity type 'FOO'",
        "rules/50-bad.yaml:6:35: rules[0].match.classification.min: unknown classification level 'top'",
        "rules/50-bad.yaml:6:59: rules[0].match.entities[0].type: unknown entity group 'nogroup'",
        "rules/50-bad.yaml:8:9: rules[0].to: unknown route target 'gpt-9'",
        "rules/50-bad.yaml:9:11: rules[1].name: duplicate rule name 'block-secrets' (first in rules/10-rules.yaml)",
        "rules/50-bad.yaml:11:11: rules[2].name: the name 'default' is reserved",
        "rules/50-bad.yaml:14:10: aliases.ext-a: alias 'ext-a' is also a model in models.yaml",
        "rules/50-bad.yaml:15:19: aliases.auto2.onprem: model 'ext-a' is external, expected onprem",
    ]
    for want in expected:
        assert any(e.startswith(want) for e in errs), (want, errs)
    assert len(errs) == len(expected)


def test_exactly_one_default() -> None:
    (missing,) = errors_of(**{"rules/90-default.yaml": None})  # type: ignore[arg-type]
    assert "no `default` rule" in missing
    (second,) = errors_of(**{"rules/95-again.yaml": "apiVersion: govproxy/v1\ndefault: {action: block}\n"})
    assert second.startswith("rules/95-again.yaml:2:10: default: a second `default` rule")


def test_catalogue_clearance_must_be_a_policy_level() -> None:
    models = CATALOGUE.replace("clearance: confidential", "clearance: secret")
    (err,) = errors_of(**{"models.yaml": models})
    assert err.startswith("models.yaml:9:68: models[4].clearance: model 'ext-b': unknown clearance 'secret'")


def test_missing_catalogue_or_rules() -> None:
    (err,) = errors_of(**{"models.yaml": None})  # type: ignore[arg-type]
    assert err == "models.yaml: missing: the model catalogue is required"
    with pytest.raises(PolicyLoadError, match="no policy files"):
        build_snapshot({"models.yaml": CATALOGUE.encode()})


def test_merge_rule_later_file_overrides_settings_and_rules_concatenate() -> None:
    later = """\
apiVersion: govproxy/v1
classification:
  levels: [public, internal, confidential, restricted, top]
  floor: internal
entities:
  pii: top
  PERSON: internal
groups:
  ids: [US_SSN]
rules:
  - {name: zz-last, action: allow, match: {teams: [nobody]}}
"""
    # 50- sorts after 10-rules.yaml but before 90-default.yaml.
    snap = build_snapshot(sources(**{"rules/50-later.yaml": later}))
    p = snap.policy
    assert p.levels == ("public", "internal", "confidential", "restricted", "top")
    assert p.floor == 1
    assert p.level_of("PERSON") == p.rank("internal")  # type beats group inside the later file
    assert p.level_of("PHONE_NUMBER") == p.rank("top")  # group re-levelled by the later file
    assert p.level_of("EMAIL_ADDRESS") == p.rank("top")  # the earlier file's type entry is overridden
    assert p.groups["ids"] == frozenset({"US_SSN"})
    names = [r.name for r in p.rules]
    assert names[0] == "ops-breakglass" and names[-1] == "zz-last"
    assert p.files[-1] == "rules/90-default.yaml"


def test_version_covers_rules_and_catalogue(tmp_path: Path) -> None:
    root = write_dir(tmp_path)
    v1 = load_policies(root).version
    assert v1 == content_version({k: v for k, v in sources().items()})
    (root / "models.yaml").write_text(CATALOGUE + "# a comment changes the version\n")
    v2 = load_policies(root).version
    (root / "rules" / "10-rules.yaml").write_text((root / "rules" / "10-rules.yaml").read_text() + "\n# x\n")
    v3 = load_policies(root).version
    assert len({v1, v2, v3}) == 3
    # Editor leftovers and hidden files are not policy files.
    (root / "rules" / ".10-rules.yaml.swp").write_text("garbage: [")
    (root / "rules" / "10-rules.yaml~").write_text("garbage: [")
    assert load_policies(root).version == v3
    # recognizers.yaml is part of the version too, and an invalid one fails the whole load, located.
    (root / "recognizers.yaml").write_text("apiVersion: govproxy/v1\ndeny_lists:\n  - {entity_type: X_TERM, "
                                           "terms: [Falcon]}\n")
    v4 = load_policies(root)
    assert v4.version != v3 and [s.entity_type for s in v4.recognizers.specs] == ["X_TERM"]
    (root / "recognizers.yaml").write_text("apiVersion: govproxy/v1\ndeny_listz: []\n")
    with pytest.raises(PolicyLoadError) as exc:
        load_policies(root)
    assert "recognizers.yaml" in str(exc.value) and "deny_listz" in str(exc.value)
