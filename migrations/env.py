"""Alembic environment: the URL comes from settings (or the caller's config), the metadata from the models."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

import proxy.audit.models  # registers tables on Base.metadata
import proxy.auth.models  # noqa: F401  (registers tables on Base.metadata)
from proxy.db import Base, sync_engine
from proxy.settings import Settings

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.attributes.get("database_url") or Settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = sync_engine(_url(), poolclass=pool.NullPool)  # one-shot: no pooled connection outlives the run
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
