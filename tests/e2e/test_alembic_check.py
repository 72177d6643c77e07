"""`alembic check`: the models and the migrations describe the same schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.audit_db import create_pg_database, drop_pg_database
from tests.harness import REPO, base_env, cli


def _check(url: str) -> subprocess.CompletedProcess[str]:
    env = base_env(GOVPROXY_DATABASE_URL=url)
    cli("db", "upgrade", env=env)
    return subprocess.run([str(Path(sys.executable).parent / "alembic"), "check"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def test_models_match_migrations_sqlite(tmp_path: Path) -> None:
    out = _check(f"sqlite:///{tmp_path}/check.db")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "No new upgrade operations detected" in out.stdout + out.stderr


@pytest.mark.postgres
def test_models_match_migrations_postgres() -> None:
    url = create_pg_database()
    try:
        out = _check(url)
        assert out.returncode == 0, out.stdout + out.stderr
    finally:
        drop_pg_database(url)
