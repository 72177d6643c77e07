"""recognizers.yaml: strict validation, located errors, and what it turns into."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.detection.custom import RecognizerConfigError, load_recognizers

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "recognizers.yaml").write_text(body, encoding="utf-8")
    return tmp_path


def test_shipped_example_is_valid() -> None:
    custom = load_recognizers(REPO / "policies")
    types = {s.entity_type for s in custom.specs}
    assert {"PROJECT_CODENAME", "EMPLOYEE_ID"} <= types
    assert "info@example.com" in custom.allow_list


def test_missing_file_means_no_custom_recognizers(tmp_path: Path) -> None:
    custom = load_recognizers(tmp_path)
    assert custom.specs == () and custom.allow_list == () and custom.source is None
    assert custom.disabled_entities == frozenset({"UUID", "ORGANIZATION"})


def test_spec_contents(tmp_path: Path) -> None:
    custom = load_recognizers(write(tmp_path, """
apiVersion: govproxy/v1
patterns:
  - {name: ticket, entity_type: TICKET_ID, regex: 'T-\\d{4}', score: 0.7, context: [Ticket], languages: [de]}
deny_lists:
  - {entity_type: CUSTOMER, terms: [Globex, Initech]}
disabled_entities: [DATE_TIME]
"""))
    pattern, deny = custom.specs
    assert (pattern.name, pattern.entity_type, pattern.context, pattern.languages) == (
        "custom:ticket", "TICKET_ID", ("ticket",), ("de",))
    assert [m.score for m in pattern.matches("see T-1234")] == [0.7]
    assert deny.name == "deny:CUSTOMER:0" and len(deny.matches("globex and INITECH")) == 2
    assert deny.matches("Globexx") == []  # whole words only
    assert custom.disabled_entities == frozenset({"DATE_TIME"})


@pytest.mark.parametrize(("body", "where"), [
    ("patterns: []\n", "apiVersion"),
    ("apiVersion: govproxy/v2\n", "apiVersion"),
    ("apiVersion: govproxy/v1\nunknown: 1\n", "unknown"),
    ("apiVersion: govproxy/v1\npatterns:\n  - {name: x, entity_type: X, regex: '([a-z'}\n", "patterns[0].regex"),
    ("apiVersion: govproxy/v1\npatterns:\n  - {name: x, entity_type: lower, regex: 'a'}\n", "patterns[0].entity_type"),
    ("apiVersion: govproxy/v1\npatterns:\n  - {name: x, entity_type: X, regex: 'a*'}\n", "patterns[0].regex"),
    ("apiVersion: govproxy/v1\npatterns:\n  - {name: x, entity_type: X, regex: 'a', score: 2}\n", "patterns[0].score"),
    ("apiVersion: govproxy/v1\ndeny_lists:\n  - {entity_type: X, terms: ['  ']}\n", "deny_lists[0].terms"),
    ("apiVersion: govproxy/v1\npatterns:\n  - {name: x, entity_type: X, regex: a}\n"
     "  - {name: x, entity_type: Y, regex: b}\n", "patterns[1].name"),
])
def test_invalid_files_fail_closed_with_a_location(tmp_path: Path, body: str, where: str) -> None:
    with pytest.raises(RecognizerConfigError) as exc:
        load_recognizers(write(tmp_path, body))
    message = str(exc.value)
    assert str(tmp_path / "recognizers.yaml") in message and where in message


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(RecognizerConfigError, match=r"not valid YAML \(line \d+, column \d+\)"):
        load_recognizers(write(tmp_path, "apiVersion: govproxy/v1\nallow_list:\n  - [unclosed\n"))


def test_error_does_not_echo_secret_terms(tmp_path: Path) -> None:
    with pytest.raises(RecognizerConfigError) as exc:
        load_recognizers(write(tmp_path, "apiVersion: govproxy/v1\ndeny_lists:\n  - {entity_type: bad-type, "
                                         "terms: [SecretCustomerName]}\n"))
    assert "SecretCustomerName" not in str(exc.value)
