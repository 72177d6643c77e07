"""The audit writer: one record per request, written through a group-committing background task.

Requests hand their rows to a queue and await their own future; one writer task takes everything pending, appends
it to the chain in one transaction (one lock, one fsync) and resolves the futures. Under load, batches grow by
themselves; with one request in flight the batch is that request (no timer on a decision, so no added wait). An
outcome alone waits up to `outcome_linger_s` (20 ms) for the next decision to share its transaction.

`record_decision` is awaited before anything is forwarded and fails closed (AuditUnavailable -> 503) unless
`audit_fail_open` is set. `record_outcome` completes the record (or writes the whole record for requests that
never got that far) and never raises.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from proxy.audit.append import HEAD_T, append, append_connection, audit_engine, locked_head
from proxy.audit.caller_strings import CallerStrings
from proxy.audit.chain import OUTCOMES, RECORDS, seal_outcome, seal_record
from proxy.audit.crypto import AuditCipher
from proxy.audit.prompts import prompt_values
from proxy.audit.record import SecurityEvent, event_values, kind_for, new_record_id, outcome_values, record_values
from proxy.audit.siem import SiemFeed, feed_from
from proxy.audit.sqlite_append import SqliteAppender
from proxy.errors import AuditUnavailable
from proxy.request.context import RequestContext
from proxy.settings import Settings

log = structlog.get_logger()

Entries = list[tuple[str, dict[str, Any]]]


def _new_future() -> asyncio.Future[None]:
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    # A waiter that timed out no longer reads the result: mark exceptions retrieved so none is reported as lost.
    future.add_done_callback(lambda f: f.cancelled() or f.exception())
    return future


@dataclass(slots=True)
class _Pending:
    entries: Entries
    # Awaited before a request goes on (a decision, a security event); an outcome is written after the answer.
    urgent: bool = True
    future: asyncio.Future[None] = field(default_factory=_new_future)


class AuditWriter:
    """Writes audit records. Build with `await AuditWriter.open(settings)`; `close()` flushes and disposes."""

    def __init__(self, engine: AsyncEngine, *, store_prompts: bool = False, cipher: AuditCipher | None = None,
                 fail_open: bool = False, timeout_s: float = 10.0, max_batch: int = 500,
                 caller_strings: CallerStrings | None = None, outcome_linger_s: float = 0.02) -> None:
        self._engine = engine
        # Hashes the strings a caller chose that name nothing the proxy knows (caller_strings.py).
        self.caller_strings = caller_strings or CallerStrings()
        self._store_prompts = store_prompts
        self._cipher = cipher
        self._fail_open = fail_open
        self._timeout = timeout_s
        self._max_batch = max_batch
        self._outcome_linger_s = outcome_linger_s
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        # The writer task's own connection, kept between batches (no pool checkout or pre-ping per batch).
        self._conn: AsyncConnection | None = None
        # On a SQLite file, appends run whole on a thread of their own instead (sqlite_append.py).
        self._sqlite = SqliteAppender.for_url(engine.url.render_as_string(hide_password=False))
        # record id -> the future of its decision write, until record_outcome picks it up.
        self._decisions: dict[str, asyncio.Future[None]] = {}
        self.failures = 0          # failed writes (decision, outcome or event): for metrics
        self.entries_written = 0   # chain entries committed
        self.batches = 0           # transactions committed
        self.on_failure: Callable[[], None] | None = None  # e.g. a Prometheus counter's inc
        self.feed: SiemFeed | None = None  # the SIEM feed, when GOVPROXY_SIEM_SINKS is set

    @classmethod
    async def open(cls, settings: Settings, *, caller_key: bytes | None = None) -> AuditWriter:
        """Build the writer and its async engine. Creates no tables (migrations do) and does not need the
        database to be up: requests fail closed until it is. `caller_key` keys the hashes of unknown caller strings
        (the app passes its redaction HMAC key; None draws a random one)."""
        cipher = AuditCipher.from_settings(settings) if settings.audit_store_prompts else None
        if settings.audit_fail_open:
            log.warning("audit_fail_open", detail="requests are forwarded even when the audit store is down")
        if settings.audit_store_prompts:
            log.info("audit_store_prompts", masked=True, encrypted_originals=cipher is not None)
        writer = cls(audit_engine(settings.database_url), store_prompts=settings.audit_store_prompts,
                     cipher=cipher, fail_open=settings.audit_fail_open,
                     caller_strings=CallerStrings(caller_key))
        writer.feed = feed_from(settings.siem_sinks, writer.engine)
        writer._start()
        return writer

    @property
    def engine(self) -> AsyncEngine:
        """The engine, for readers (query, verify, export) in the same process."""
        return self._engine

    # -- the pipeline's interface -------------------------------------------------------------------------------

    async def record_decision(self, ctx: RequestContext) -> None:
        """Durably write the request/decision part before anything is forwarded.

        Raises AuditUnavailable when the store does not confirm the write (unless fail-open)."""
        record_id = ctx.audit_id = ctx.audit_id or new_record_id()
        values = self._record(ctx, record_id, kind_for(ctx))
        future = self._submit([(RECORDS, values)])
        self._decisions[record_id] = future
        try:
            await self._wait(future)
        except Exception as exc:  # noqa: BLE001 - any failure to confirm means not durable
            self._failed("decision", exc)
            if self._fail_open:
                log.warning("audit_fail_open_forwarding", record_id=record_id)
                return
            raise AuditUnavailable("The audit store is unavailable; the request was not forwarded.") from None

    async def record_outcome(self, ctx: RequestContext) -> None:
        """Complete the record with what happened; writes the whole record if no decision part was written.
        Never raises: failures are logged and counted."""
        try:
            record_id = ctx.audit_id = ctx.audit_id or new_record_id()
            entries: Entries = []
            decided = await self._decided(record_id)
            if not decided:
                entries.append((RECORDS, self._record(ctx, record_id, kind_for(ctx))))
            entries.append((OUTCOMES, seal_outcome(outcome_values(ctx, record_id))))
            # The outcome of a record already in the store may wait to share the next transaction (_run); a whole
            # record (a request refused before its decision was written) is written at once.
            await self._wait(self._submit(entries, urgent=not decided))
        except Exception as exc:  # noqa: BLE001 - the audit stage must not fail the response
            self._failed("outcome", exc)

    async def record_event(self, event: SecurityEvent) -> str:
        """Write a security event (admin access, reveal, ...) as a complete record; returns its id.
        Raises AuditUnavailable if it cannot be written: callers refuse the action then."""
        record_id = new_record_id()
        record, outcome = event_values(event, record_id, self.caller_strings)
        try:
            await self._wait(self._submit([(RECORDS, seal_record(record)), (OUTCOMES, seal_outcome(outcome))]))
        except Exception as exc:  # noqa: BLE001
            self._failed("event", exc)
            raise AuditUnavailable("The audit store is unavailable.") from None
        return record_id

    async def flush(self) -> None:
        """Commit what this process has queued (outcomes waiting for a transaction to share) now: before an
        auditor's read, so that a request answered a moment ago shows its outcome."""
        try:
            await self._wait(self._submit([]))
        except Exception:  # noqa: BLE001 - the writes that failed are reported by their own waiters; the read goes on
            pass

    async def ping(self) -> bool:
        """True when the audit tables answer (for /readyz)."""
        try:
            async with asyncio.timeout(self._timeout):
                async with self._engine.connect() as conn:
                    await conn.execute(select(HEAD_T.c.seq).where(HEAD_T.c.id == 1))
            return True
        except Exception:  # noqa: BLE001 - readiness reports, it does not raise
            return False

    async def close(self) -> None:
        """Flush what is pending, stop the writer task, dispose the engine."""
        if self._task is not None:
            self._queue.put_nowait(None)
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self.feed is not None:
            await self.feed.close()
        await self._drop_connection()
        if self._sqlite is not None:
            await self._sqlite.close()
        await self._engine.dispose()

    # -- internals ----------------------------------------------------------------------------------------------

    def _record(self, ctx: RequestContext, record_id: str, kind: Any) -> dict[str, Any]:
        values = record_values(ctx, record_id, kind, self.caller_strings)
        values.update(prompt_values(ctx, record_id, store=self._store_prompts, cipher=self._cipher))
        return seal_record(values)

    async def _decided(self, record_id: str) -> bool:
        """Whether this record's decision part is in the store (waiting for it if it is still in flight)."""
        future = self._decisions.pop(record_id, None)
        if future is None:
            return False
        try:
            await self._wait(future)
            return True
        except Exception:  # noqa: BLE001 - not written: the outcome writes the whole record
            return False

    def _failed(self, phase: str, exc: BaseException) -> None:
        self.failures += 1
        if self.on_failure is not None:
            self.on_failure()
        log.error("audit_write_failed", phase=phase, error_class=type(exc).__name__)

    def _start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="audit-writer")

    def _submit(self, entries: Entries, *, urgent: bool = True) -> asyncio.Future[None]:
        self._start()
        pending = _Pending(entries, urgent)
        self._queue.put_nowait(pending)
        return pending.future

    async def _wait(self, future: asyncio.Future[None]) -> None:
        # shield: a cancelled request (client gone) must not cancel a write other requests share.
        async with asyncio.timeout(self._timeout):
            await asyncio.shield(future)

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            size = len(first.entries)
            lingered = False
            while size < self._max_batch:
                if self._queue.empty():
                    # Outcomes alone wait a little (once) for a decision to share their transaction: the next
                    # request's decision then waits for one commit, not for the last outcome's and its own, and a
                    # lone client's request costs one transaction instead of two. Nothing awaits an outcome
                    # before answering; close() ends the wait at once.
                    if lingered or any(p.urgent for p in batch) or self._outcome_linger_s <= 0:
                        break
                    lingered = True
                    try:
                        async with asyncio.timeout(self._outcome_linger_s):
                            nxt = await self._queue.get()
                    except TimeoutError:
                        break
                else:
                    nxt = self._queue.get_nowait()
                if nxt is None:
                    stopping = True
                    break
                batch.append(nxt)
                size += len(nxt.entries)
            await self._commit(batch)

    async def _commit(self, batch: list[_Pending]) -> None:
        entries = [e for p in batch for e in p.entries]
        try:
            if entries:  # a flush alone has nothing to write
                await self._append(entries)
        except Exception as exc:  # noqa: BLE001 - reported through the futures
            if len(batch) > 1 and not isinstance(exc, OperationalError | InterfaceError | OSError | TimeoutError):
                # A row-level error (one bad row) must not fail its batch-mates: retry them one by one.
                for pending in batch:
                    await self._commit([pending])
                return
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(exc)
            return
        for pending in batch:
            if not pending.future.done():
                pending.future.set_result(None)
        if self.feed is not None:  # complete records: a request's once its outcome is in, events at once
            self.feed.notify([values["record_id"] for p in batch for table, values in p.entries if table == OUTCOMES])

    async def _append(self, entries: Entries) -> None:
        reused = self._conn is not None
        try:
            await self._append_once(entries)
        except DBAPIError as exc:
            if not (reused and exc.connection_invalidated):
                raise
            # The kept connection died (database restarted, idle timeout): one retry on a fresh one.
            await self._append_once(entries)
        self.batches += 1
        self.entries_written += len(entries)

    async def _append_once(self, entries: Entries) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                if self._sqlite is not None:
                    await self._sqlite.append(entries)
                    return
                if self._conn is None:
                    self._conn = await append_connection(self._engine)
                async with locked_head(self._conn) as head:
                    await append(self._conn, head, entries)
        except BaseException:
            await self._drop_connection()
            raise

    async def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.invalidate()
                await conn.close()
            except Exception:  # noqa: BLE001 - it is being thrown away
                log.warning("audit_connection_close_failed")
