"""`govproxy keys create|list|revoke`: manage caller API keys (stored hashed)."""

from __future__ import annotations

import asyncio
import json

import typer

from proxy.auth.caller import Role
from proxy.auth.keys import KeyStore
from proxy.db import async_engine
from proxy.settings import Settings

keys_app = typer.Typer(help="Manage govproxy API keys.", no_args_is_help=True)


def _run(database_url: str | None, fn):  # type: ignore[no-untyped-def]
    settings = Settings(**({"database_url": database_url} if database_url else {}))
    if settings.is_sqlite and settings.auto_migrate:
        from proxy.migrate import upgrade

        upgrade(settings.database_url)

    async def go():  # type: ignore[no-untyped-def]
        engine = async_engine(settings.database_url)
        try:
            return await fn(KeyStore(engine, cache_ttl_s=0))
        finally:
            await engine.dispose()

    return asyncio.run(go())


DB_OPT = typer.Option(None, "--database-url", help="Defaults to GOVPROXY_DATABASE_URL / sqlite:///./govproxy.db.")


@keys_app.command("create")
def create(team: str = typer.Option(..., help="Team the key belongs to."),
           user: str = typer.Option(..., help="User the key belongs to."),
           role: Role = typer.Option(Role.CALLER, help="caller (model traffic), auditor (read audit), admin."),
           label: list[str] = typer.Option([], help="Labels policies can match on (repeatable)."),
           description: str = typer.Option("", help="Free text shown in `keys list`."),
           database_url: str = DB_OPT) -> None:
    """Create a key and print it once. Only its hash is stored."""
    issued = _run(database_url, lambda ks: ks.create(team, user, role, frozenset(label), description))
    typer.echo(issued.key)
    typer.echo(f"key id {issued.caller.key_id} for team={team} user={user} role={role.value}. "
               "Store it now: it cannot be shown again.", err=True)


@keys_app.command("list")
def list_keys(all_keys: bool = typer.Option(False, "--all", help="Include revoked keys."),
              as_json: bool = typer.Option(False, "--json"), database_url: str = DB_OPT) -> None:
    """List keys (ids and owners, never secrets)."""
    rows = _run(database_url, lambda ks: ks.list(include_revoked=all_keys))
    items = [{"key_id": r.key_id, "team": r.team, "user": r.user, "role": r.role, "labels": r.labels,
              "created_at": r.created_at.isoformat(),
              "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None} for r in rows]
    if as_json:
        typer.echo(json.dumps(items, indent=2))
        return
    for it in items:
        state = "revoked" if it["revoked_at"] else "active"
        typer.echo(f"{it['key_id']}  team={it['team']}  user={it['user']}  role={it['role']}  {state}")


@keys_app.command("revoke")
def revoke(key_id: str = typer.Argument(..., help="The key id (shown by `keys list`)."),
           database_url: str = DB_OPT) -> None:
    """Revoke a key. With GOVPROXY_REDIS_URL every replica is told at once; otherwise (or if Redis is down) proxies
    stop accepting it within GOVPROXY_KEY_CACHE_TTL_S seconds."""
    if not _run(database_url, lambda ks: ks.revoke(key_id)):
        typer.echo(f"No active key with id {key_id}.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Revoked {key_id}.")
    settings = Settings()
    if settings.redis_url is not None:
        from proxy.shared.connection import connect
        from proxy.shared.revocation import announce_revocation

        async def announce() -> bool:
            shared = connect(settings, None)
            assert shared is not None
            try:
                return await announce_revocation(shared, key_id)
            finally:
                await shared.close()

        if not asyncio.run(announce()):
            typer.echo(f"Redis did not take the announcement: replicas stop accepting the key within "
                       f"{settings.key_cache_ttl_s:g} s (GOVPROXY_KEY_CACHE_TTL_S).", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
