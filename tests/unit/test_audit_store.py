"""The audit writer on SQLite and PostgreSQL: one record per request, group commit, fail-closed, concurrency."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
import time
from pathlib import Path

import pytest

from proxy.audit.append import append_lock_path, append_transaction, audit_engine
from proxy.audit.query import AuditFilter, get_record, search
from proxy.audit.store import AuditWriter
from proxy.audit.verify import verify
from proxy.detection.findings import Finding
from proxy.errors import AuditUnavailable
from proxy.migrate import upgrade
from proxy.policy.decision import Action
from proxy.request.context import Outcome
from proxy.settings import Settings
from tests.audit_db import execute, make_ctx

pytest_plugins = ["tests.audit_fixtures"]  # the audit_url / pg_database fixtures

REPO = Path(__file__).resolve().parents[2]


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


async def _settle() -> None:
    # aiosqlite reports a failed connect from its worker thread a moment later; let it land before the loop closes.
    await asyncio.sleep(0.1)


async def _writer(url: str, **settings: object) -> AuditWriter:
    return await AuditWriter.open(Settings(database_url=url, **settings))  # type: ignore[arg-type]


def test_decision_then_outcome_make_one_complete_record(audit_url: str) -> None:
    findings = [Finding(0, 0, 4, "PERSON", 0.9, "spacy"), Finding(0, 10, 20, "EMAIL_ADDRESS", 1.0, "email"),
                Finding(0, 25, 30, "PERSON", 0.8, "spacy")]
    ctx = make_ctx(findings=findings, action=Action.REDACT, rule="mask-pii", shadow=("would-block",),
                   strategies=(("EMAIL_ADDRESS", "mask"), ("PERSON", "pseudonymize")), target="onprem-chat",
                   outcome=Outcome.REDACTED)

    async def go():  # type: ignore[no-untyped-def]
        w = await _writer(audit_url)
        await w.record_decision(ctx)
        decided = await get_record(w.engine, ctx.audit_id or "")
        await w.record_outcome(ctx)
        done = await get_record(w.engine, ctx.audit_id or "")
        report = await verify(w.engine)
        await w.close()
        return decided, done, report, w.failures

    decided, rec, report, failures = run(go())
    assert failures == 0
    assert decided is not None and decided.outcome is None  # the decision part exists before forwarding
    assert rec is not None and rec.outcome is not None
    assert (rec.kind, rec.team, rec.user, rec.role, rec.client_addr) == ("request", "eng", "alice", "caller",
                                                                        "10.1.2.3")
    assert rec.endpoint == "/v1/chat/completions" and rec.requested_model == "external-chat"
    assert rec.entities == {"EMAIL_ADDRESS": 1, "PERSON": 2}
    assert (rec.policy_version, rec.classification, rec.action, rec.rule) == ("v-test", "internal", "redact",
                                                                              "mask-pii")
    assert rec.shadow_rules == ["would-block"] and rec.targets == ["onprem-chat"]
    assert rec.strategies == {"EMAIL_ADDRESS": "mask", "PERSON": "pseudonymize"}
    o = rec.outcome
    assert (o.outcome, o.target, o.location, o.upstream_status) == ("redacted", "onprem-chat", "onprem", 200)
    assert (o.prompt_tokens, o.completion_tokens, o.total_tokens) == (12, 5, 17)
    assert o.timings == {"identify": 0.5, "detect": 3.25, "decide": 0.125, "route": 12.0}
    assert o.redactions == {"EMAIL_ADDRESS": "mask", "PERSON": "pseudonymize"}
    assert rec.prompt_redacted is None and not rec.has_original  # prompt storage is off by default
    assert report.ok and (report.records, report.outcomes) == (1, 1)


def test_requests_stopped_before_forwarding_are_written_whole(audit_url: str) -> None:
    blocked = make_ctx(action=Action.BLOCK, rule="no-secrets", outcome=Outcome.BLOCKED, target=None)
    blocked.error_class, blocked.error_status = "PolicyBlocked", 403
    unauth = make_ctx(action=None, target=None, outcome=Outcome.REJECTED_AUTH)
    unauth.caller = None
    unauth.error_class, unauth.error_status = "Unauthorized", 401

    async def go():  # type: ignore[no-untyped-def]
        w = await _writer(audit_url)
        await w.record_outcome(blocked)
        await w.record_outcome(unauth)
        recs = [await get_record(w.engine, c.audit_id or "") for c in (blocked, unauth)]
        report = await verify(w.engine)
        await w.close()
        return recs, report

    (b, u), report = run(go())
    assert b is not None and b.kind == "request" and b.action == "block" and b.outcome is not None
    assert (b.outcome.outcome, b.outcome.error_class, b.outcome.error_status, b.outcome.target) == (
        "blocked", "PolicyBlocked", 403, None)
    assert u is not None and u.kind == "security" and u.user is None and u.outcome is not None
    assert u.outcome.outcome == "rejected_auth" and u.outcome.error_status == 401
    assert report.ok and report.records == 2


def test_concurrent_requests_are_group_committed(audit_url: str) -> None:
    n = 120

    async def one(w: AuditWriter, i: int) -> None:
        ctx = make_ctx(user=f"u{i % 7}")
        await w.record_decision(ctx)
        await asyncio.sleep(0)
        await w.record_outcome(ctx)

    async def go():  # type: ignore[no-untyped-def]
        w = await _writer(audit_url)
        await asyncio.gather(*(one(w, i) for i in range(n)))
        page = await search(w.engine, AuditFilter(), limit=1000)
        report = await verify(w.engine)
        await w.close()
        return w, page, report

    w, page, report = run(go())
    assert len(page.records) == n and all(r.outcome is not None for r in page.records)
    assert w.entries_written == 2 * n and w.failures == 0
    assert w.batches < n  # many requests shared a transaction
    assert report.ok and report.entries == 2 * n and report.head_seq == 2 * n


def test_an_outcome_waits_to_share_the_next_decisions_transaction(audit_url: str) -> None:
    """One client's requests in a row: request 1's outcome (written after its answer) waits briefly and commits with
    request 2's decision, so that decision waits for one commit instead of two, and each request costs one
    transaction. An outcome with nothing to share waits at most the linger; `flush` commits it at once, and so does
    `close` however long the linger."""

    async def go():  # type: ignore[no-untyped-def]
        w = await _writer(audit_url)
        first, second, third = make_ctx(), make_ctx(), make_ctx()
        await w.record_decision(first)
        before = w.batches
        outcome = asyncio.create_task(w.record_outcome(first))
        await asyncio.sleep(0.002)  # the answer went out; the client's next request arrives
        await w.record_decision(second)
        await outcome
        shared = w.batches - before
        t0 = time.perf_counter()
        await w.record_outcome(second)  # nothing comes to share it: written after the linger
        lone_s = time.perf_counter() - t0
        await w.record_decision(third)
        pending = asyncio.create_task(w.record_outcome(third))
        await asyncio.sleep(0)
        await w.flush()
        flushed = await get_record(w.engine, third.audit_id or "")
        await pending
        await w.close()
        slow = AuditWriter(audit_engine(audit_url), outcome_linger_s=30.0)
        fourth = make_ctx()
        await slow.record_decision(fourth)
        left = asyncio.create_task(slow.record_outcome(fourth))
        await asyncio.sleep(0.05)
        t0 = time.perf_counter()
        await slow.close()
        close_s = time.perf_counter() - t0
        await left
        closed = await get_record(w.engine, fourth.audit_id or "")
        report = await verify(w.engine)
        await w.engine.dispose()
        return shared, lone_s, flushed, closed, close_s, report, w.failures + slow.failures

    shared, lone_s, flushed, closed, close_s, report, failures = run(go())
    assert shared == 1  # request 1's outcome and request 2's decision: one transaction
    assert 0.015 < lone_s < 5  # the 20 ms linger, then its own commit
    assert flushed is not None and flushed.outcome is not None
    assert closed is not None and closed.outcome is not None and close_s < 5  # not the 30 s linger
    assert failures == 0 and report.ok and (report.records, report.outcomes) == (4, 4)


def test_two_writers_with_separate_engines_share_one_chain(audit_url: str) -> None:
    async def go():  # type: ignore[no-untyped-def]
        a, b = await _writer(audit_url), await _writer(audit_url)

        async def one(w: AuditWriter) -> None:
            ctx = make_ctx()
            await w.record_decision(ctx)
            await w.record_outcome(ctx)

        await asyncio.gather(*(one(a if i % 2 else b) for i in range(80)))
        report = await verify(a.engine)
        await a.close()
        await b.close()
        return report

    report = run(go())
    assert report.ok and report.records == 80 and report.head_seq == 160


WRITER_SCRIPT = """
import asyncio, sys, time
from proxy.audit.store import AuditWriter
from proxy.settings import Settings
from tests.audit_db import make_ctx

async def main():
    w = await AuditWriter.open(Settings(database_url=sys.argv[1]))
    async def one(i):
        ctx = make_ctx(user=sys.argv[2])
        await w.record_decision(ctx)
        await w.record_outcome(ctx)
    time.sleep(max(0.0, float(sys.argv[4]) - time.time()))  # both processes start appending together
    for start in range(0, int(sys.argv[3]), 5):
        await asyncio.gather(*(one(i) for i in range(start, start + 5)))
        await asyncio.sleep(0.01)
    await w.close()
    sys.exit(1 if w.failures else 0)

asyncio.run(main())
"""


def test_two_processes_appending_at_once_keep_the_chain_valid(audit_url: str) -> None:
    start_at = str(time.time() + 4.0)  # after both interpreters have imported everything
    procs = [subprocess.Popen([sys.executable, "-c", WRITER_SCRIPT, audit_url, f"proc{i}", "60", start_at],
                              cwd=REPO) for i in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]

    async def go():  # type: ignore[no-untyped-def]
        engine = audit_engine(audit_url)
        report = await verify(engine)
        per_user = [len((await search(engine, AuditFilter(user=f"proc{i}"), limit=1000)).records) for i in range(2)]
        await engine.dispose()
        return report, per_user

    report, per_user = run(go())
    assert report.ok, report.problem
    assert per_user == [60, 60] and report.entries == 240
    # The two processes' appends really interleaved in the one chain (not one after the other).
    users = [u for (u,) in execute(audit_url, "SELECT \"user\" FROM audit_records ORDER BY seq")]
    switches = sum(1 for x, y in itertools.pairwise(users) if x != y)
    assert switches >= 4, users


def test_sqlite_appenders_queue_on_a_file_lock_and_a_cancelled_waiter_leaves_it_free(tmp_path: Path) -> None:
    """Appenders to one SQLite file queue on `<database>.append-lock` (the kernel wakes the next one when it is
    released, where SQLite's busy handler sleeps up to 100 ms between tries); a waiter that gives up (its timeout)
    must not keep the lock once its waiting thread gets it."""
    url = f"sqlite:///{tmp_path}/audit.db"
    upgrade(url)

    async def go():  # type: ignore[no-untyped-def]
        first, second = audit_engine(url), audit_engine(url)
        async with first.connect() as conn:
            assert append_lock_path(conn) == f"{tmp_path}/audit.db.append-lock"
        async with append_transaction(first):
            lock = tmp_path / "audit.db.append-lock"
            mode = lock.stat().st_mode & 0o777
            # Another appender waits for the lock (not inside SQLite), so it gives up on its own timeout ...
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.3), append_transaction(second):
                    pass
            # ... and one that waits longer gets in once the first commits.
            waiter = asyncio.create_task(_append_once_when_free(second))
            await asyncio.sleep(0.3)
            still_waiting = not waiter.done()
        entered = await asyncio.wait_for(waiter, 10)
        # The cancelled waiter's thread got the lock after the first released it, and let it go again.
        async with asyncio.timeout(10), append_transaction(first):
            pass
        await first.dispose()
        await second.dispose()
        return mode, still_waiting, entered

    mode, still_waiting, entered = run(go())
    assert mode == 0o600 and still_waiting and entered


async def _append_once_when_free(engine) -> bool:  # type: ignore[no-untyped-def]
    async with append_transaction(engine):
        return True


def test_only_sqlite_files_get_an_append_lock(tmp_path: Path) -> None:
    async def path_for(url: str) -> str | None:
        engine = audit_engine(url)
        try:
            async with engine.connect() as conn:
                return append_lock_path(conn)
        finally:
            await engine.dispose()

    assert run(path_for("sqlite:///:memory:")) is None
    assert run(path_for(f"sqlite:///{tmp_path}/a.db")) == f"{tmp_path}/a.db.append-lock"


@pytest.mark.parametrize("down_url", ["postgresql://postgres@127.0.0.1:1/nothing",
                                      "sqlite:////nonexistent-dir/for/audit.db"])
def test_store_down_fails_closed(down_url: str) -> None:
    ctx = make_ctx()

    async def go():  # type: ignore[no-untyped-def]
        w = await _writer(down_url)
        with pytest.raises(AuditUnavailable) as raised:
            await w.record_decision(ctx)
        await w.record_outcome(ctx)  # never raises: counted instead
        alive = await w.ping()
        await w.close()
        await _settle()
        return raised.value, w.failures, alive

    exc, failures, alive = run(go())
    assert exc.status == 503 and exc.code == "audit_unavailable"
    assert failures == 2 and alive is False


def test_fail_open_lets_the_request_through_and_counts(tmp_path: Path) -> None:
    ctx = make_ctx()
    counted: list[int] = []

    async def go():  # type: ignore[no-untyped-def]
        w = await _writer(f"sqlite:///{tmp_path}/missing/dir/audit.db", audit_fail_open=True)
        w.on_failure = lambda: counted.append(1)
        await w.record_decision(ctx)  # does not raise
        await w.close()
        await _settle()
        return w.failures

    assert run(go()) == 1 and counted == [1]


def test_ping_and_close_flush(audit_url: str) -> None:
    async def go():  # type: ignore[no-untyped-def]
        w = await _writer(audit_url)
        assert await w.ping()
        ctxs = [make_ctx() for _ in range(5)]
        tasks = [asyncio.ensure_future(w.record_outcome(c)) for c in ctxs]
        await asyncio.sleep(0)  # queued, maybe not yet committed
        await w.close()
        await asyncio.gather(*tasks)
        engine = audit_engine(audit_url)
        page = await search(engine, AuditFilter(), limit=100)
        await engine.dispose()
        return len(page.records)

    assert run(go()) == 5


def test_a_bad_row_does_not_fail_its_batch_mates(audit_url: str) -> None:
    async def go():  # type: ignore[no-untyped-def]
        w = await _writer(audit_url)
        first = make_ctx()
        await w.record_outcome(first)
        dup = make_ctx()
        dup.audit_id = first.audit_id  # same primary key: this one row cannot be inserted
        others = [make_ctx() for _ in range(6)]
        await asyncio.gather(w.record_outcome(dup), *(w.record_outcome(c) for c in others))
        report = await verify(w.engine)
        await w.close()
        return w.failures, report

    failures, report = run(go())
    assert failures == 1 and report.ok and report.records == 7


@pytest.mark.postgres
def test_a_dropped_connection_is_replaced_without_failing_a_write(pg_database: str) -> None:
    from tests.audit_db import reset_audit

    reset_audit(pg_database)
    name = pg_database.rsplit("/", 1)[1]

    async def go():  # type: ignore[no-untyped-def]
        w = await _writer(pg_database)
        await w.record_outcome(make_ctx())
        # The server ends every session of this database (a restart, an idle timeout, a failover).
        execute(pg_database.rsplit("/", 1)[0] + "/postgres",
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> "
                "pg_backend_pid()", n=name)
        ctx = make_ctx()
        await w.record_decision(ctx)  # must not fail the request
        await w.record_outcome(ctx)
        report = await verify(w.engine)
        await w.close()
        return w.failures, report

    failures, report = run(go())
    assert failures == 0 and report.ok and report.records == 2


def test_a_failed_sqlite_append_rolls_back_whole_and_the_next_one_goes_on(tmp_path: Path) -> None:
    """On a SQLite file the writer appends in one call on a thread of its own (sqlite_append.py). A transaction that
    fails there (an insert that conflicts after the head was read; the chain's head row gone) leaves nothing behind
    and refuses the request (503 for a decision); with the head back, the next one appends on a fresh connection
    and the chain verifies."""
    url = f"sqlite:///{tmp_path}/audit.db"
    upgrade(url)
    head = execute(url, "SELECT id, seq, head_hash, updated_at FROM audit_chain")

    async def go():  # type: ignore[no-untyped-def]
        w = await _writer(url)
        assert w._sqlite is not None  # the one-hop path is the one under test
        first = make_ctx()
        await w.record_decision(first)
        with pytest.raises(AuditUnavailable):  # the same record id again: its insert fails inside the transaction
            await w.record_decision(first)
        head_after_conflict = execute(url, "SELECT seq FROM audit_chain")[0][0]
        execute(url, "DELETE FROM audit_chain")
        refused = make_ctx()
        with pytest.raises(AuditUnavailable):
            await w.record_decision(refused)
        rows_after_failure = execute(url, "SELECT count(*) FROM audit_records")[0][0]
        execute(url, "INSERT INTO audit_chain (id, seq, head_hash, updated_at) "
                     "SELECT 1, max(seq), :hash, :at FROM audit_records", hash=_last_hash(url), at=head[0][3])
        after = make_ctx()
        await w.record_decision(after)
        await w.record_outcome(after)
        report = await verify(w.engine)
        await w.close()
        return head_after_conflict, rows_after_failure, report, w.failures

    head_after_conflict, rows_after_failure, report, failures = run(go())
    assert head_after_conflict == 1  # the failed transaction moved nothing
    assert rows_after_failure == 1 and failures == 2
    assert report.ok and (report.records, report.outcomes) == (2, 1)


def _last_hash(url: str) -> str:
    return str(execute(url, "SELECT entry_hash FROM audit_records ORDER BY seq DESC LIMIT 1")[0][0])
