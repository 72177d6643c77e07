"""No raw values in the audit store: records written for prompts full of canary values, then the SQLite file
(with its WAL) and a pg_dump are grepped for the canaries. With prompt storage off, and on (masked text plus an
encrypted original)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from proxy.audit.store import AuditWriter
from proxy.detection.findings import Finding
from proxy.policy.decision import Action
from proxy.request.context import Outcome
from proxy.settings import Settings
from tests.audit_db import make_ctx, pg_dump
from tests.canaries import CANARIES, SENTENCE, leaked

pytest_plugins = ["tests.audit_fixtures"]  # the audit_url / pg_database fixtures


def _findings(text: str) -> list[Finding]:
    out = []
    for entity, value in CANARIES.items():
        start = text.index(value)
        out.append(Finding(0, start, start + len(value), entity, 0.9, "test"))
    return out


def _store_bytes(url: str) -> str:
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        blobs = [p.read_bytes() for p in path.parent.glob(path.name + "*")]  # the file, -wal and -shm
        return b"".join(blobs).decode("latin-1")
    return pg_dump(url).decode("utf-8", errors="replace")


@pytest.mark.parametrize("store_prompts", [False, True], ids=["default", "prompts-stored"])
def test_no_canary_reaches_the_store(audit_url: str, store_prompts: bool) -> None:
    settings = Settings(database_url=audit_url, audit_store_prompts=store_prompts,
                        audit_encryption_key="canary-test-audit-key" if store_prompts else None)  # type: ignore[arg-type]
    ctxs = [
        make_ctx(text_=SENTENCE, findings=_findings(SENTENCE), action=Action.REDACT, rule="mask-pii",
                 strategies=tuple((e, "mask") for e in CANARIES), outcome=Outcome.REDACTED),
        make_ctx(text_=SENTENCE, findings=_findings(SENTENCE), action=Action.BLOCK, rule="no-secrets",
                 target=None, outcome=Outcome.BLOCKED),
        make_ctx(text_="Summarise: " + SENTENCE, findings=[f for f in _findings("Summarise: " + SENTENCE)
                                                          if f.entity_type != "PERSON"]),
    ]

    async def go() -> int:
        w = await AuditWriter.open(settings)
        await w.record_decision(ctxs[0])
        await w.record_outcome(ctxs[0])
        await w.record_outcome(ctxs[1])
        await w.record_decision(ctxs[2])
        await w.record_outcome(ctxs[2])
        await w.close()
        return w.failures

    assert asyncio.run(go()) == 0
    dump = _store_bytes(audit_url)
    assert "mask-pii" in dump and "no-secrets" in dump  # the dump does hold the records
    if store_prompts:
        assert "<EMAIL_ADDRESS>" in dump and "Summarise" in dump  # masked text is there ...
        # ... but the third record's PERSON was not detected, so its name is in the masked text: this is why
        # masked prompts are opt-in. Everything detected stays out.
        assert leaked(dump) == ["PERSON"]
    else:
        assert leaked(dump) == []
