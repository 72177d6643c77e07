"""Purge (with checkpoints), GDPR erasure, prompt storage and the audited reveal, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from proxy.audit.append import audit_engine
from proxy.audit.crypto import AuditCipher, RevealError
from proxy.audit.query import AuditFilter, get_record, search
from proxy.audit.retention import erase_caller, purge
from proxy.audit.reveal import reveal
from proxy.audit.store import AuditWriter
from proxy.audit.verify import verify
from proxy.auth.caller import Caller, Role
from proxy.detection.findings import Finding
from proxy.settings import Settings
from tests.audit_db import execute, make_ctx

pytest_plugins = ["tests.audit_fixtures"]  # the audit_url / pg_database fixtures

NOW = datetime.now(UTC)
OPERATOR = Caller("cli", "operators", "ops", Role.ADMIN)


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


async def _write(url: str, ctxs: list, *, decision_first: bool = False, **settings: object) -> None:  # type: ignore[type-arg]
    w = await AuditWriter.open(Settings(database_url=url, **settings))  # type: ignore[arg-type]
    for ctx in ctxs:
        if decision_first:
            await w.record_decision(ctx)
        await w.record_outcome(ctx)
    await w.close()
    assert w.failures == 0


async def _with_engine(url: str, fn):  # type: ignore[no-untyped-def]
    engine = audit_engine(url)
    try:
        return await fn(engine)
    finally:
        await engine.dispose()


def test_purge_removes_old_records_and_verify_still_passes(audit_url: str) -> None:
    old = [make_ctx(received_at=NOW - timedelta(days=100 - i)) for i in range(5)]
    new = [make_ctx(received_at=NOW - timedelta(days=1)) for _ in range(3)]
    run(_write(audit_url, old + new))

    async def go(engine):  # type: ignore[no-untyped-def]
        result = await purge(engine, NOW - timedelta(days=90), OPERATOR)
        report = await verify(engine)
        left = await search(engine, AuditFilter(kind="request"), limit=100)
        purges = await search(engine, AuditFilter(kind="purge"), limit=10)
        again = await purge(engine, NOW - timedelta(days=90), OPERATOR)  # nothing more to purge
        report2 = await verify(engine)
        return result, report, left, purges, again, report2

    result, report, left, purges, again, report2 = run(_with_engine(audit_url, go))
    assert result.purged_records == 5 and result.anchor_seq == 10
    assert report.ok, report.problem
    assert report.anchor_seq == 10 and report.records == 4  # 3 requests + the purge record
    assert {r.id for r in left.records} == {c.audit_id for c in new}
    (p,) = purges.records
    assert p.user == "ops" and p.detail is not None and p.detail["purged_records"] == 5
    assert p.detail["anchor_seq"] == 10
    assert again.purged_records == 0 and again.anchor_seq is None and report2.ok


def test_purge_never_separates_a_record_from_its_outcome(audit_url: str) -> None:
    """An old record whose outcome came after newer records stays (the purge removes a chain prefix only)."""
    slow = make_ctx(received_at=NOW - timedelta(days=200))
    quick_old = make_ctx(received_at=NOW - timedelta(days=150))
    recent = make_ctx(received_at=NOW - timedelta(days=2))

    async def go(engine):  # type: ignore[no-untyped-def]
        w = await AuditWriter.open(Settings(database_url=audit_url))
        await w.record_decision(slow)          # seq 1 (a long stream starts)
        await w.record_outcome(quick_old)      # seq 2, 3
        await w.record_outcome(slow)           # seq 4 (the stream ends)
        await w.record_outcome(recent)         # seq 5, 6
        await w.close()
        result = await purge(engine, NOW - timedelta(days=90), OPERATOR)
        return result, await verify(engine), await get_record(engine, slow.audit_id)

    result, report, slow_rec = run(_with_engine(audit_url, go))
    assert result.purged_records == 2 and result.anchor_seq == 4
    assert report.ok and slow_rec is None

    mid = make_ctx(received_at=NOW - timedelta(days=150))
    late = make_ctx(received_at=NOW - timedelta(days=1))

    async def go2(engine):  # type: ignore[no-untyped-def]
        w = await AuditWriter.open(Settings(database_url=audit_url))
        await w.record_decision(mid)   # an old record ...
        await w.record_outcome(late)   # ... a new one ...
        await w.record_outcome(mid)    # ... then the old one's outcome
        await w.close()
        await purge(engine, NOW - timedelta(days=90), OPERATOR)
        return await verify(engine), await get_record(engine, mid.audit_id)

    report2, mid_rec = run(_with_engine(audit_url, go2))
    assert report2.ok, report2.problem
    assert mid_rec is not None and mid_rec.outcome is not None  # kept whole, not split


def test_erasure_clears_personal_fields_and_keeps_the_chain_verifiable(audit_url: str) -> None:
    ctxs = [make_ctx(user="dora", text_="write to dora@example.org",
                     findings=[Finding(0, 9, 25, "EMAIL_ADDRESS", 1.0, "email")]) for _ in range(3)]
    ctxs += [make_ctx(user="erin") for _ in range(2)]
    run(_write(audit_url, ctxs, audit_store_prompts=True, audit_encryption_key="k" * 32))

    async def go(engine):  # type: ignore[no-untyped-def]
        result = await erase_caller(engine, user="dora", reference="GDPR-42", actor=OPERATOR)
        report = await verify(engine)
        dora = await search(engine, AuditFilter(user="dora"), limit=10)
        erased = await get_record(engine, ctxs[0].audit_id)
        kept = await get_record(engine, ctxs[3].audit_id)
        events = await search(engine, AuditFilter(kind="erasure"), limit=10)
        return result, report, dora, erased, kept, events

    result, report, dora, erased, kept, events = run(_with_engine(audit_url, go))
    assert result.erased_records == 3
    assert report.ok and report.erased == 3
    assert dora.records == ()
    assert erased is not None and erased.erased and erased.user is None and erased.key_id is None
    assert erased.client_addr is None and erased.prompt_redacted is None and not erased.has_original
    assert erased.team == "eng" and erased.entities == {"EMAIL_ADDRESS": 1}  # the rest stays
    assert kept is not None and kept.user == "erin" and not kept.erased
    (event,) = events.records
    assert event.detail == {"erased_records": 3, "by": "user", "reference": "GDPR-42"}
    assert "dora" not in str(event.to_json())

    # After erasure, the non-personal fields of erased records are still protected.
    execute(audit_url, "UPDATE audit_records SET classification = 'public' WHERE id = :i", i=ctxs[1].audit_id)
    report = run(_with_engine(audit_url, verify))
    assert not report.ok and report.problem is not None and report.problem.kind == "altered"
    assert report.problem.record_id == ctxs[1].audit_id


def test_prompts_are_stored_masked_only_when_enabled(audit_url: str) -> None:
    text = "Call Margaret Thornton at m.t@example.org now"
    name, email = text.index("Margaret Thornton"), text.index("m.t@example.org")
    findings = [Finding(0, name, name + 17, "PERSON", 0.9, "spacy"),
                Finding(0, email, email + 15, "EMAIL_ADDRESS", 1.0, "email")]
    off, masked, both = (make_ctx(text_=text, findings=findings) for _ in range(3))
    run(_write(audit_url, [off]))
    run(_write(audit_url, [masked], audit_store_prompts=True))
    run(_write(audit_url, [both], audit_store_prompts=True, audit_encryption_key="s3cret-audit-key"))

    recs = run(_with_engine(audit_url, lambda e: asyncio.gather(*(get_record(e, c.audit_id)
                                                                   for c in (off, masked, both)))))
    assert recs[0].prompt_redacted is None and not recs[0].has_original
    expected = [{"kind": "message", "role": "user", "text": "Call <PERSON> at <EMAIL_ADDRESS> now"}]
    assert recs[1].prompt_redacted == expected and not recs[1].has_original
    assert recs[2].prompt_redacted == expected and recs[2].has_original


def test_reveal_decrypts_and_is_audited(audit_url: str) -> None:
    text = "Card 5425 2334 3010 9903 please"
    ctx = make_ctx(text_=text, findings=[Finding(0, 5, 24, "CREDIT_CARD", 1.0, "cc")])
    plain = make_ctx()
    settings = {"audit_store_prompts": True, "audit_encryption_key": "s3cret-audit-key"}
    run(_write(audit_url, [ctx, plain], decision_first=True, **settings))
    cipher = AuditCipher.from_settings(Settings(database_url=audit_url, **settings))  # type: ignore[arg-type]
    other = AuditCipher("another-key", "k1")

    async def go(engine):  # type: ignore[no-untyped-def]
        revealed = await reveal(engine, cipher, ctx.audit_id, actor=OPERATOR)
        errors = []
        for c, rid in ((other, ctx.audit_id), (None, ctx.audit_id), (cipher, "nope")):
            with pytest.raises(RevealError) as raised:
                await reveal(engine, c, rid, actor=OPERATOR)
            errors.append(str(raised.value))
        events = await search(engine, AuditFilter(kind="reveal"), limit=10)
        return revealed, errors, events, await verify(engine)

    revealed, errors, events, report = run(_with_engine(audit_url, go))
    assert revealed.texts == [{"kind": "message", "role": "user", "text": text}]
    assert all("5425" not in e for e in errors)
    assert len(events.records) == 4  # one success, three failed attempts: all audited
    results = sorted(r.detail["result"] for r in events.records if r.detail)
    assert results == ["failed", "failed", "failed", "revealed"]
    success = next(r for r in events.records if r.id == revealed.reveal_record_id)
    assert success.user == "ops" and success.detail == {"record_id": ctx.audit_id, "result": "revealed"}
    assert report.ok
