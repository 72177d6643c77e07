"""Pure pieces of the audit log: canonical hashing, record building (no values), masking, encryption, durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from proxy.audit.chain import (
    OUTCOMES,
    RECORDS,
    canonical,
    entry_hash,
    iso_utc,
    link,
    personal_hash,
    record_content_hash,
    seal_record,
)
from proxy.audit.crypto import AuditCipher, RevealError
from proxy.audit.export import _cell
from proxy.audit.prompts import mask, prompt_values
from proxy.audit.query import parse_duration, parse_when
from proxy.audit.record import Kind, SecurityEvent, event_values, kind_for, outcome_values, record_values
from proxy.detection.findings import Finding
from proxy.policy.decision import Action
from proxy.request.context import Outcome
from tests.audit_db import make_ctx
from tests.canaries import CANARIES, SENTENCE, leaked


def _canary_findings(text: str) -> list[Finding]:
    out = []
    for entity, value in CANARIES.items():
        start = text.index(value)
        out.append(Finding(0, start, start + len(value), entity, 0.9, "test"))
    return out


def test_canonical_json_is_order_and_zone_independent() -> None:
    t = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    cet = t.astimezone(timezone(timedelta(hours=1)))
    assert canonical({"b": 1, "a": [t, None]}) == canonical({"a": [cet, None], "b": 1})
    assert canonical({"t": t.replace(tzinfo=None)}) == canonical({"t": t})  # naive means UTC (SQLite)
    assert iso_utc(cet) == "2026-01-02T03:04:05.678901Z"
    assert canonical({"x": "ü"}) == '{"x":"ü"}'.encode()
    with pytest.raises(ValueError):
        canonical({"x": float("nan")})


def test_record_hash_covers_content_and_personal_fields_only_through_their_hash() -> None:
    values = seal_record(record_values(make_ctx(), "r1"))
    base = values["content_hash"]
    for field, new in (("team", "other"), ("action", "block"), ("entities", {"PERSON": 9}), ("time", None)):
        changed = dict(values, **{field: new})
        assert record_content_hash(changed) != base, field
    changed_user = dict(values, user="mallory")
    assert personal_hash(changed_user) != values["personal_hash"]
    assert record_content_hash(changed_user) == base  # enters only via personal_hash (so erasure keeps content)
    other_salt = seal_record(dict(values, personal_salt=None))
    assert other_salt["personal_hash"] != values["personal_hash"]  # salted: a guessed name cannot be confirmed


def test_entry_hash_binds_position_predecessor_and_table() -> None:
    h = entry_hash(RECORDS, 5, "a" * 64, "b" * 64)
    assert h != entry_hash(RECORDS, 6, "a" * 64, "b" * 64)
    assert h != entry_hash(RECORDS, 5, "c" * 64, "b" * 64)
    assert h != entry_hash(OUTCOMES, 5, "a" * 64, "b" * 64)
    values = seal_record(record_values(make_ctx(), "r1"))
    assert link(RECORDS, values, 7, "d" * 64) == values["entry_hash"] and values["seq"] == 7


def test_record_values_hold_types_and_counts_never_values() -> None:
    ctx = make_ctx(text_=SENTENCE, findings=_canary_findings(SENTENCE), action=Action.REDACT, rule="mask-all",
                   strategies=tuple((e, "mask") for e in CANARIES), outcome=Outcome.REDACTED)
    values = record_values(ctx, "r1")
    out = outcome_values(ctx, "r1")
    blob = (canonical(values) + canonical(out)).decode()
    assert leaked(blob) == []
    assert values["entities"] == dict.fromkeys(sorted(CANARIES), 1)
    assert values["prompt_redacted"] is None and values["prompt_encrypted"] is None
    assert values["rules"] == "|mask-all|"


def test_kind_for_marks_auth_rejections_as_security_events() -> None:
    rejected = make_ctx(action=None, target=None, outcome=Outcome.REJECTED_AUTH)
    assert kind_for(rejected) is Kind.SECURITY
    assert kind_for(make_ctx()) is Kind.REQUEST
    record, outcome = event_values(SecurityEvent(Kind.ADMIN, "/admin/audit", detail={"n": 1}), "r2")
    assert record["kind"] == "admin" and record["detail"] == {"n": 1} and outcome["outcome"] == "allowed"


def test_long_caller_controlled_strings_are_clipped_to_their_columns() -> None:
    ctx = make_ctx(model="m" * 5000)
    ctx.request_id = "r" * 500
    values = record_values(ctx, "r1")
    assert len(values["requested_model"]) == 256 and len(values["request_id"]) == 64


@pytest.mark.parametrize(("spans", "expected"), [
    ([], "abcdefghij"),
    ([(2, 4, "X")], "ab<X>efghij"),
    ([(0, 10, "ALL")], "<ALL>"),
    ([(2, 5, "A"), (4, 7, "B")], "ab<A>hij"),          # overlap merges into the first
    ([(2, 4, "A"), (4, 6, "B")], "ab<A><B>ghij"),      # adjacent stay apart
    ([(6, 8, "B"), (1, 2, "A")], "a<A>cdef<B>ij"),     # any order
    ([(8, 50, "END")], "abcdefgh<END>"),               # clipped to the text
])
def test_mask(spans: list[tuple[int, int, str]], expected: str) -> None:
    assert mask("abcdefghij", spans) == expected


def test_prompt_values_mask_every_finding_and_encrypt_the_original() -> None:
    ctx = make_ctx(text_=SENTENCE, findings=_canary_findings(SENTENCE))
    cipher = AuditCipher("a-long-random-secret", "k7")
    assert prompt_values(ctx, "r1", store=False, cipher=cipher) == {}
    masked = prompt_values(ctx, "r1", store=True, cipher=None)
    assert set(masked) == {"prompt_redacted"} and leaked(str(masked)) == []
    both = prompt_values(ctx, "r1", store=True, cipher=cipher)
    assert both["prompt_key_id"] == "k7" and leaked(both["prompt_encrypted"]) == []
    assert SENTENCE in cipher.decrypt("r1", both["prompt_encrypted"], "k7").decode()


def test_cipher_rejects_other_records_keys_and_altered_ciphertext() -> None:
    cipher = AuditCipher("secret-one", "k1")
    token = cipher.encrypt("rec-a", b"original")
    assert cipher.decrypt("rec-a", token, "k1") == b"original"
    assert token != cipher.encrypt("rec-a", b"original")  # fresh nonce each time
    with pytest.raises(RevealError):
        cipher.decrypt("rec-b", token, "k1")  # moved to another record
    with pytest.raises(RevealError):
        cipher.decrypt("rec-a", token, "k2")  # another key id
    with pytest.raises(RevealError):
        AuditCipher("secret-two", "k1").decrypt("rec-a", token, "k1")
    flipped = token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")
    with pytest.raises(RevealError):
        cipher.decrypt("rec-a", flipped, "k1")


def test_durations_and_times() -> None:
    assert parse_duration("90d") == timedelta(days=90)
    assert parse_duration(" 12h ") == timedelta(hours=12)
    assert parse_duration("2w") == timedelta(weeks=2)
    for bad in ("90", "d", "1y", "-3d"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    now = datetime(2026, 5, 1, tzinfo=UTC)
    assert parse_when("24h", now) == datetime(2026, 4, 30, tzinfo=UTC)
    assert parse_when("2026-04-01T10:00:00", now) == datetime(2026, 4, 1, 10, tzinfo=UTC)
    assert parse_when("2026-04-01T12:00:00+02:00", now) == datetime(2026, 4, 1, 10, tzinfo=UTC)


def test_csv_cells_cannot_become_formulas() -> None:
    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("+1") == "'+1" and _cell("@x") == "'@x" and _cell("ok") == "ok"
    assert _cell({"b": 1}) == '{"b": 1}' and _cell(None) == ""
