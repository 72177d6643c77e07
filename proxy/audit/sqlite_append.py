"""Appends to a SQLite audit file in one thread hop per transaction.

Through aiosqlite, every statement of an append (BEGIN IMMEDIATE, the head, the inserts, the head's update, COMMIT)
is a round trip between the event loop and aiosqlite's thread, some fifteen per transaction, and each waits for
the event loop to be free: an append took about 2 ms alone and 4 ms inside a busy proxy, against under 0.5 ms for
the same statements run in one go (the fsync of a commit is 0.3 ms here). `SqliteAppender` runs the whole
transaction in one call on a thread of its own, with the same statements (append.py's `append_statements`), the same
locks (the `<database>.append-lock` file lock, then SQLite's write lock by BEGIN IMMEDIATE) and the same durability
(synchronous=FULL). Its connection lives on that thread and is kept between transactions; after a failure it is
closed, so a transaction left open rolls back. A wait the caller gives up on (its timeout) cannot stop the thread:
that transaction still commits or rolls back whole, and the next one starts after it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Connection, make_url

from proxy.audit.append import (
    APPEND_OPTIONS,
    HEAD_SELECT,
    append_statements,
    fcntl,
    head_of,
    lock_path_for,
    sqlite_append_events,
)
from proxy.db import sync_engine, sync_url


class SqliteAppender:
    """Appends entries to the chain in a SQLite database file. Build with `for_url` (None where the URL is not a
    SQLite file); `close()` when done."""

    def __init__(self, url: str, lock_path: str) -> None:
        self._engine = sync_engine(url)
        sqlite_append_events(self._engine)
        self._lock_path = lock_path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-sqlite")
        self._conn: Connection | None = None  # used on the executor's thread only

    @classmethod
    def for_url(cls, url: str) -> SqliteAppender | None:
        path = lock_path_for(make_url(sync_url(url)))
        return None if path is None else cls(url, path)

    async def append(self, entries: Sequence[tuple[str, dict[str, Any]]]) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._append, entries)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._drop)
        self._executor.shutdown(wait=True)
        self._engine.dispose()

    def _append(self, entries: Sequence[tuple[str, dict[str, Any]]]) -> None:
        try:
            if self._conn is None:
                self._conn = self._engine.connect().execution_options(**APPEND_OPTIONS)
            with _file_lock(self._lock_path), self._conn.begin():
                statements, _ = append_statements(head_of(self._conn.execute(HEAD_SELECT).first()), entries)
                for statement, rows in statements:
                    self._conn.execute(statement, rows)
        except BaseException:
            self._drop()
            raise

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - a broken connection is dropped either way
                conn.invalidate()


@contextmanager
def _file_lock(path: str) -> Iterator[None]:
    """The exclusive lock of `<database>.append-lock` (append.py), blocking this thread while another appender,
    in this process or another, holds it."""
    assert fcntl is not None  # lock_path_for gives no path where there is no fcntl
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
