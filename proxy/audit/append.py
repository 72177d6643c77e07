"""Serialised appends to the chain, safe across processes and replicas.

An append transaction first takes the chain lock, reads the head (last seq and hash), links its entries after it,
inserts them and moves the head, then commits. The lock is
- PostgreSQL: `SELECT ... FOR UPDATE` on the single `audit_chain` row (held to commit; other appenders queue),
- SQLite: `BEGIN IMMEDIATE` (the database write lock, taken before the head is read; busy_timeout makes other
  processes wait rather than fail). Appenders on one database file first queue on an exclusive `flock` of
  `<database>.append-lock` beside it: SQLite's busy handler polls with sleeps that grow to 100 ms, so a write that
  found the database locked could wait far longer than the few ms the other transaction held it, while the other
  process kept writing (`bench/audit_write.py --processes 2`: a decision write's max 59-935 ms before, 11-13 ms
  with the file lock). The kernel wakes the next waiter when the lock is released. The file lock only orders our
  own appenders; the chain's correctness still rests on SQLite's write lock.
So the chain is one total order whatever number of writers; group commit (store.py) keeps the lock cost per batch,
not per request. The audit writer's appends on a SQLite file run the same statements (`append_statements`) under
the same locks in one call on a thread of their own (sqlite_append.py); everything else appends through here.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, insert, select, update
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Executable

from proxy.audit.chain import OUTCOMES, RECORDS, link, seal_outcome, seal_record
from proxy.audit.models import AuditChainHead, AuditOutcomeRow, AuditRecordRow
from proxy.audit.record import SecurityEvent, event_values, new_record_id
from proxy.db import async_engine

try:
    import fcntl
except ImportError:  # not on POSIX: SQLite's busy handler alone orders the appenders
    fcntl = None  # type: ignore[assignment]

_APPEND = "govproxy_audit_append"
APPEND_OPTIONS = {_APPEND: True}  # the execution options of a connection that appends (BEGIN IMMEDIATE on SQLite)
RECORDS_T = AuditRecordRow.__table__
OUTCOMES_T = AuditOutcomeRow.__table__
HEAD_T = AuditChainHead.__table__


class ChainMissing(RuntimeError):
    """The audit tables are not there: run `govproxy db upgrade`."""


def audit_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for the audit tables. On SQLite, append transactions begin IMMEDIATE (others deferred)
    and commits are fsynced (synchronous=FULL): a record the caller was told is written survives a power cut."""
    if url.startswith("postgresql"):
        kwargs.setdefault("connect_args", {"connect_timeout": 5})
    engine = async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        sqlite_append_events(engine.sync_engine)
    return engine


def sqlite_append_events(engine: Engine) -> None:
    """On a SQLite engine: commits fsynced, and transactions of connections with APPEND_OPTIONS begin IMMEDIATE."""
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Take BEGIN into our own hands (the driver's implicit BEGIN is deferred, which lets two processes both read
    # the head and then fail to upgrade to the write lock).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_APPEND) else "BEGIN")


@dataclass(slots=True)
class Head:
    seq: int
    hash: str


@asynccontextmanager
async def locked_head(conn: AsyncConnection) -> AsyncIterator[Head]:
    """Begin a transaction on `conn` (an append connection), take the chain lock and read the head. Commits on
    exit, rolls back on error."""
    async with append_file_lock(conn), conn.begin():
        stmt = HEAD_SELECT.with_for_update() if conn.dialect.name == "postgresql" else HEAD_SELECT
        yield head_of((await conn.execute(stmt)).first())


HEAD_SELECT = select(HEAD_T.c.seq, HEAD_T.c.head_hash).where(HEAD_T.c.id == 1)


def head_of(row: Any) -> Head:
    """The head from the row of HEAD_SELECT (read under the chain lock)."""
    if row is None:
        raise ChainMissing("The audit chain head is missing: run `govproxy db upgrade`.")
    return Head(int(row.seq), str(row.head_hash))


def append_lock_path(conn: AsyncConnection) -> str | None:
    """`<database>.append-lock` for a SQLite database file; None for other databases and in-memory SQLite."""
    return lock_path_for(conn.engine.url)


def lock_path_for(url: URL) -> str | None:
    if url.get_backend_name() != "sqlite" or fcntl is None or not url.database or url.database == ":memory:" \
            or url.database.startswith("file:"):
        return None
    return url.database + ".append-lock"


@asynccontextmanager
async def append_file_lock(conn: AsyncConnection) -> AsyncIterator[None]:
    """Hold the exclusive file lock of `conn`'s SQLite database (see the module's docstring) for the block; nothing
    for other databases. Waiting runs in a thread, so the event loop goes on; a waiter that is cancelled (its
    timeout) leaves nothing held: if its thread gets the lock afterwards, it is released and the file closed."""
    path = append_lock_path(conn)
    if path is None:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    owned = True  # whether this frame closes `fd` (a cancelled wait hands it to the waiting thread's callback)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting = asyncio.get_running_loop().run_in_executor(None, fcntl.flock, fd, fcntl.LOCK_EX)
            try:
                await asyncio.shield(waiting)
            except asyncio.CancelledError:
                owned = False
                waiting.add_done_callback(lambda done: _release_late(fd, done))
                raise
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        if owned:
            os.close(fd)


def _release_late(fd: int, done: asyncio.Future[None]) -> None:
    try:
        if not done.cancelled() and done.exception() is None:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


async def append_connection(engine: AsyncEngine) -> AsyncConnection:
    """A connection for appends (on SQLite its transactions begin IMMEDIATE). The caller closes it."""
    conn = await engine.connect()
    return await conn.execution_options(**APPEND_OPTIONS)


@asynccontextmanager
async def append_transaction(engine: AsyncEngine) -> AsyncIterator[tuple[AsyncConnection, Head]]:
    """A transaction holding the chain lock, with the current head, on a connection of its own."""
    conn = await append_connection(engine)
    try:
        async with locked_head(conn) as head:
            yield conn, head
    finally:
        await conn.close()


async def append(conn: AsyncConnection, head: Head, entries: Sequence[tuple[str, dict[str, Any]]]) -> Head:
    """Link sealed entries after `head`, insert them, move the head. Inside append_transaction only."""
    statements, new_head = append_statements(head, entries)
    for statement, rows in statements:
        await conn.execute(statement, rows)
    return new_head


Statements = list[tuple[Executable, list[dict[str, Any]] | None]]


def append_statements(head: Head, entries: Sequence[tuple[str, dict[str, Any]]]) -> tuple[Statements, Head]:
    """What appending `entries` after `head` executes (statement, rows), in order, and the new head: the entries
    linked into the chain, records first (an outcome in the same batch follows its record), then the head moved."""
    records: list[dict[str, Any]] = []
    outcomes: list[dict[str, Any]] = []
    seq, prev = head.seq, head.hash
    for table, values in entries:
        seq += 1
        prev = link(table, values, seq, prev)
        (records if table == RECORDS else outcomes).append(values)
    statements: Statements = [(insert(RECORDS_T), records)] if records else []
    if outcomes:
        statements.append((insert(OUTCOMES_T), outcomes))
    statements.append((update(HEAD_T).where(HEAD_T.c.id == 1)
                       .values(seq=seq, head_hash=prev, updated_at=datetime.now(UTC)), None))
    return statements, Head(seq, prev)


async def append_event(conn: AsyncConnection, head: Head, event: SecurityEvent) -> tuple[str, Head]:
    """Append a security event (record + outcome) inside append_transaction; returns its id and the new head."""
    record_id = new_record_id()
    record, outcome = event_values(event, record_id)
    head = await append(conn, head, [(RECORDS, seal_record(record)), (OUTCOMES, seal_outcome(outcome))])
    return record_id, head


__all__ = ["APPEND_OPTIONS", "HEAD_SELECT", "OUTCOMES", "RECORDS", "ChainMissing", "Head", "append",
           "append_connection", "append_event", "append_file_lock", "append_lock_path", "append_statements",
           "append_transaction", "audit_engine", "head_of", "lock_path_for", "locked_head", "sqlite_append_events"]
