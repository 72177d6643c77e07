"""The govproxy command line: a thin layer that builds settings and calls into the package."""

from __future__ import annotations

import typer

from proxy.cli import audit as audit_cli
from proxy.cli import db as db_cli
from proxy.cli import detect, keys, serve, usage
from proxy.cli import policy as policy_cli

app = typer.Typer(help="govproxy: a data-governance proxy for company LLM traffic.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)

serve.register(app)
keys.register(app)
detect.register(app)
policy_cli.register(app)
db_cli.register(app)
audit_cli.register(app)
usage.register(app)


def main() -> None:
    app()
