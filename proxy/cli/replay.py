"""`govproxy policy replay DIR --since 7d`: how a candidate policy would have decided the audited requests.

Prints a table of decision changes (allow@external -> block, redact@external -> route@onprem, ...) with counts and
example record ids. Exit status, for CI: 0 nothing would change, 1 something would, 2 the candidate (or the
baseline) does not load or the audit log cannot be read.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:  # the policy machinery loads the recognizers: imported when a command runs
    from proxy.policy.replay import PastRequest, ReplayReport


def _load(directory: Path, what: str) -> Any:
    from proxy.policy.errors import PolicyLoadError
    from proxy.policy.loader import load_policies

    try:
        return load_policies(directory)
    except PolicyLoadError as exc:
        typer.echo(f"{directory}: the {what} policy does not load ({len(exc.issues)} problem(s)):", err=True)
        for issue in exc.issues:
            typer.echo(f"  {issue}", err=True)
        raise typer.Exit(2) from None


def past_request(rec: Any) -> PastRequest:
    """An audit record (proxy.audit.query.AuditRecord) as replay input."""
    from proxy.policy.replay import PastRequest

    detail = rec.detail if isinstance(rec.detail, dict) else {}
    return PastRequest(
        id=rec.id, endpoint=rec.endpoint, model=rec.requested_model or "", team=rec.team or "",
        user=rec.user or "", entities=dict(rec.entities), labels=frozenset(detail.get("labels") or ()),
        header_classification=detail.get("classification_header"), action=rec.action,
        location=rec.outcome.location if rec.outcome is not None else None, targets=tuple(rec.targets),
        strategies=dict(rec.strategies))


def replay_command(
        directory: Path = typer.Argument(..., help="The candidate policies directory."),
        since: str = typer.Option("7d", "--since", help="From (ISO time, or a duration ago: 24h, 7d)."),
        until: str | None = typer.Option(None, "--until", help="Until (ISO time, or a duration ago)."),
        baseline: Path | None = typer.Option(None, "--baseline", help="Compare with this policies directory "
                                             "replayed the same way, instead of with what the records say was "
                                             "enforced (only the policy change shows)."),
        database_url: str | None = typer.Option(None, "--database-url",
                                                help="Defaults to GOVPROXY_DATABASE_URL / sqlite:///./govproxy.db."),
        as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Re-decide past requests (from the audit log) under a candidate policy and show what would change.
    Exit 0: nothing changes; 1: some decisions change; 2: a policy does not load or the log cannot be read."""
    from proxy.audit.query import AuditFilter, iter_records, parse_when
    from proxy.cli.audit import _run, _settings
    from proxy.policy.replay import replay

    candidate = _load(directory, "candidate")
    base = _load(baseline, "baseline") if baseline is not None else None
    try:
        flt = AuditFilter(since=parse_when(since), until=parse_when(until) if until else None, kind="request")
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None

    async def read(engine: Any) -> list[PastRequest]:
        return [past_request(rec) async for rec in iter_records(engine, flt, batch=2000) if rec.action is not None]

    started = time.perf_counter()
    try:
        requests = _run(_settings(database_url), read)
    except Exception as exc:  # noqa: BLE001 - a CLI reports, with a status CI can tell from "changes"
        typer.echo(f"cannot read the audit log: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(2) from None
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    report = replay(candidate, requests, base)
    decide_s = time.perf_counter() - started
    against = f"baseline {baseline} ({base.version})" if base is not None else "the recorded decisions"
    if as_json:
        typer.echo(json.dumps(_as_dict(report, candidate.version, against, read_s, decide_s), indent=2))
    else:
        for line in _lines(report, candidate.version, against, read_s, decide_s):
            typer.echo(line)
    if report.changed:
        raise typer.Exit(1)


def _as_dict(report: ReplayReport, version: str, against: str, read_s: float, decide_s: float) -> dict[str, Any]:
    return {"candidate_version": version, "against": against, "records": report.records,
            "changed": report.changed, "read_s": round(read_s, 3), "decide_s": round(decide_s, 3),
            "changes": [{"before": c.before, "after": c.after, "count": c.count, "examples": c.examples}
                        for c in report.table()]}


def _lines(report: ReplayReport, version: str, against: str, read_s: float, decide_s: float) -> list[str]:
    out = [f"replayed {report.records} request(s) under candidate {version}, against {against}",
           f"  read {read_s:.2f} s, decided {decide_s:.2f} s"]
    if not report.changed:
        out.append("no decision would change")
        return out
    rows = report.table()
    wb = max(len("before"), *(len(c.before) for c in rows))
    wa = max(len("after"), *(len(c.after) for c in rows))
    out.append(f"{report.changed} decision(s) would change:")
    out.append(f"  {'before':<{wb}}  {'after':<{wa}}  {'count':>6}  examples")
    out += [f"  {c.before:<{wb}}  {c.after:<{wa}}  {c.count:>6}  {', '.join(c.examples)}" for c in rows]
    return out


def register(app: typer.Typer) -> None:
    app.command("replay")(replay_command)
