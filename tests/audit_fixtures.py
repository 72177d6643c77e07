"""Audit test fixtures (a plugin: `pytest_plugins = ["tests.audit_fixtures"]`): one fresh PostgreSQL database per
test session, and a migrated database with an empty audit log per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from proxy.migrate import upgrade
from tests.audit_db import create_pg_database, drop_pg_database, reset_audit


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """One migrated PostgreSQL database for the test session, dropped afterwards."""
    url = create_pg_database()
    upgrade(url)
    yield url
    drop_pg_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def audit_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database with an empty audit log: a SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/audit.db"
        upgrade(url)
        return url
    url = request.getfixturevalue("pg_database")
    reset_audit(url)
    return url
