"""`govproxy usage --since 30d [--by team|user|model|location]`: requests and tokens from the audit log (thin over
proxy/audit/usage.py; the statistics page shows the same table). `govproxy usage --budgets`: spend against each
budget of budgets.yaml, from the counters the replicas share (budget_usage.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from proxy.cli.audit import DB_OPT, _run, _settings


def usage(since: str = typer.Option("30d", help="From (a duration ago: 30d, 12h; or an ISO time)."),
          until: str = typer.Option(None, help="Until (ISO time, or a duration ago)."),
          by: str = typer.Option("team", help="team, user, model or location."),
          team: str = typer.Option(None, help="Only this team."),
          as_json: bool = typer.Option(False, "--json"), database_url: str = DB_OPT,
          budgets: bool = typer.Option(False, "--budgets", help="Spend against each budget instead (needs Redis)."),
          policies_dir: Path = typer.Option(None, "--policies", help="With --budgets: defaults to "
                                                                      "GOVPROXY_POLICIES_DIR.")) -> None:
    """Requests and tokens per team, user, model or location, from the audit log; with --budgets, spend against
    each budget."""
    if budgets:
        from proxy.cli.budget_usage import budget_usage

        budget_usage(policies_dir, as_json)
        return
    from proxy.audit.query import parse_when
    from proxy.audit.usage import GROUPINGS
    from proxy.audit.usage import usage as do_usage

    if by not in GROUPINGS:
        raise typer.BadParameter(f"use one of {', '.join(GROUPINGS)}", param_hint="--by")
    try:
        start, end = parse_when(since), (parse_when(until) if until else None)
    except (ValueError, OverflowError) as exc:
        raise typer.BadParameter(str(exc)) from None
    report = _run(_settings(database_url), lambda e: do_usage(e, by=by, since=start, until=end, team=team))
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
        return
    typer.echo(f"{by:<32} {'requests':>9} {'prompt':>11} {'completion':>11} {'total tokens':>13}")
    for row in (*report.rows, report.totals):
        typer.echo(f"{row.key[:32]:<32} {row.requests:>9} {row.prompt_tokens:>11} {row.completion_tokens:>11} "
                   f"{row.total_tokens:>13}")


def register(app: typer.Typer) -> None:
    app.command("usage")(usage)
