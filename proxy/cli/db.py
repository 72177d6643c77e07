"""`govproxy db upgrade|downgrade|current`: schema migrations (Alembic) for the key and audit tables."""

from __future__ import annotations

import typer

from proxy.settings import Settings

db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
DB_OPT = typer.Option(None, "--database-url", help="Defaults to GOVPROXY_DATABASE_URL / sqlite:///./govproxy.db.")


def _url(database_url: str | None) -> str:
    return database_url or Settings().database_url


@db_app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Target revision (default: the newest)."),
            database_url: str = DB_OPT) -> None:
    """Apply migrations up to REVISION."""
    from proxy.migrate import current_heads
    from proxy.migrate import upgrade as do_upgrade

    url = _url(database_url)
    do_upgrade(url, revision)
    typer.echo(f"database at revision {', '.join(sorted(current_heads(url))) or 'base'}")


@db_app.command("downgrade")
def downgrade(revision: str = typer.Argument(..., help="Target revision, e.g. 0001, or 'base'."),
              database_url: str = DB_OPT) -> None:
    """Revert migrations down to REVISION (drops the tables of later revisions, with their data)."""
    from proxy.migrate import current_heads
    from proxy.migrate import downgrade as do_downgrade

    url = _url(database_url)
    do_downgrade(url, revision)
    typer.echo(f"database at revision {', '.join(sorted(current_heads(url))) or 'base'}")


@db_app.command("current")
def current(database_url: str = DB_OPT) -> None:
    """Print the database's current revision ('base' when none is applied)."""
    from proxy.migrate import current_heads

    typer.echo(", ".join(sorted(current_heads(_url(database_url)))) or "base")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
