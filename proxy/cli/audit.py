"""`govproxy audit search|show|export|verify|stats|purge|erase|reveal`: review and maintain the audit log.

Reads go straight to the database (`--database-url`); purge, erase and reveal append their own audit records.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

from proxy.auth.caller import Caller, Role
from proxy.settings import Settings

T = TypeVar("T")
audit_app = typer.Typer(help="Review and maintain the audit log.", no_args_is_help=True)
DB_OPT = typer.Option(None, "--database-url", help="Defaults to GOVPROXY_DATABASE_URL / sqlite:///./govproxy.db.")


def _settings(database_url: str | None) -> Settings:
    return Settings(**({"database_url": database_url} if database_url else {}))


def _run(settings: Settings, fn: Callable[[Any], Awaitable[T]]) -> T:
    from proxy.audit.append import audit_engine

    if settings.is_sqlite and settings.auto_migrate:
        from proxy.migrate import upgrade

        upgrade(settings.database_url)

    async def go() -> T:
        engine = audit_engine(settings.database_url)
        try:
            return await fn(engine)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def _operator() -> Caller:
    """Who runs a maintenance command from the CLI: the OS user (there is no API key here)."""
    return Caller(key_id="cli", team="operators", user=getpass.getuser(), role=Role.ADMIN)


def _filter(since: str | None, until: str | None, team: str | None, user: str | None, decision: str | None,
            entity: str | None, target: str | None, rule: str | None, kind: str | None = None,
            request_id: str | None = None) -> Any:
    from proxy.audit.query import AuditFilter, parse_when

    try:
        return AuditFilter(since=parse_when(since) if since else None, until=parse_when(until) if until else None,
                           team=team, user=user, decision=decision, entity=entity, target=target, rule=rule,
                           kind=kind, request_id=request_id)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


SINCE = typer.Option(None, help="From (ISO time, or a duration ago: 24h, 7d).")
UNTIL = typer.Option(None, help="Until (ISO time, or a duration ago).")
TEAM = typer.Option(None, help="Caller team.")
USER = typer.Option(None, help="Caller user.")
DECISION = typer.Option(None, help="Decision (allow, redact, block, route) or outcome (allowed, blocked, ...).")
ENTITY = typer.Option(None, help="Detected entity type, e.g. EMAIL_ADDRESS.")
TARGET = typer.Option(None, help="Routed target alias.")
RULE = typer.Option(None, help="Policy rule (enforced or shadow).")
KIND = typer.Option(None, help="request, security, admin, reveal, purge, erasure.")
REQUEST_ID = typer.Option(None, "--request-id", help="The id a client saw in the x-request-id header.")


def _line(rec: Any) -> str:
    o = rec.outcome
    who = f"{rec.team or '-'}/{rec.user or '-'}"
    route = f"{rec.requested_model or '-'}->{(o.target if o else None) or '-'}"
    ents = ",".join(f"{k}:{v}" for k, v in rec.entities.items()) or "-"
    return (f"{rec.time:%Y-%m-%d %H:%M:%S}  {rec.id}  {rec.kind:<8} {who:<24} {rec.endpoint:<22} {route:<36} "
            f"{rec.action or '-':<7} {(o.outcome if o else 'pending'):<17} rule={rec.rule or '-'}  {ents}")


@audit_app.command("search")
def search(since: str = SINCE, until: str = UNTIL, team: str = TEAM, user: str = USER, decision: str = DECISION,
           entity: str = ENTITY, target: str = TARGET, rule: str = RULE, kind: str = KIND,
           request_id: str = REQUEST_ID, limit: int = typer.Option(50, help="Records per page (max 1000)."),
           before: int = typer.Option(None, help="Page cursor: show records older than this seq."),
           as_json: bool = typer.Option(False, "--json", help="One JSON object per record per line."),
           database_url: str = DB_OPT) -> None:
    """Search records, newest first."""
    from proxy.audit.query import search as do_search

    flt = _filter(since, until, team, user, decision, entity, target, rule, kind, request_id)
    page = _run(_settings(database_url), lambda e: do_search(e, flt, limit=limit, before=before))
    for rec in page.records:
        typer.echo(json.dumps(rec.to_json(), sort_keys=True) if as_json else _line(rec))
    if page.next_cursor is not None:
        typer.echo(f"more: --before {page.next_cursor}", err=True)


@audit_app.command("show")
def show(record_id: str = typer.Argument(..., help="Record id, or the request id (x-request-id) a client saw."),
         database_url: str = DB_OPT) -> None:
    """Show one record in full (JSON), by record id or request id."""
    from proxy.audit.query import get_record

    rec = _run(_settings(database_url), lambda e: get_record(e, record_id))
    if rec is None:
        typer.echo(f"No audit record {record_id}.", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(rec.to_json(), indent=2, sort_keys=True))


@audit_app.command("export")
def export(fmt: str = typer.Option("jsonl", "--format", help="jsonl or csv."),
           out: Path = typer.Option(None, "--out", help="File to write (default: stdout)."),
           since: str = SINCE, until: str = UNTIL, team: str = TEAM, user: str = USER, decision: str = DECISION,
           entity: str = ENTITY, target: str = TARGET, rule: str = RULE, kind: str = KIND,
           request_id: str = REQUEST_ID, database_url: str = DB_OPT) -> None:
    """Export matching records, oldest first."""
    from proxy.audit.export import FORMATS, export_lines

    if fmt not in FORMATS:
        raise typer.BadParameter(f"use one of {', '.join(FORMATS)}", param_hint="--format")
    flt = _filter(since, until, team, user, decision, entity, target, rule, kind, request_id)

    async def go(engine: Any) -> int:
        n = -1 if fmt == "csv" else 0
        handle = open(out, "w", encoding="utf-8", newline="") if out else sys.stdout
        try:
            async for line in export_lines(engine, flt, fmt):
                handle.write(line)
                n += 1
        finally:
            if out:
                handle.close()
        return n

    n = _run(_settings(database_url), go)
    typer.echo(f"exported {n} records" + (f" to {out}" if out else ""), err=True)


@audit_app.command("verify")
def verify(as_json: bool = typer.Option(False, "--json"), database_url: str = DB_OPT) -> None:
    """Check the hash chain. Exit 0 when intact, 1 with the first altered/inserted/deleted/reordered entry.
    The result (never row content) is appended as an `admin` record: the review page shows the last one."""
    from proxy.audit.append import append_event, append_transaction
    from proxy.audit.record import Kind, SecurityEvent
    from proxy.audit.verify import verify as do_verify
    from proxy.audit.verify import verify_detail

    async def go(engine: Any) -> Any:
        report = await do_verify(engine)
        event = SecurityEvent(Kind.ADMIN, "cli:audit verify", caller=_operator(), detail=verify_detail(report))
        async with append_transaction(engine) as (conn, head):
            await append_event(conn, head, event)
        return report

    report = _run(_settings(database_url), go)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    elif report.ok:
        typer.echo(f"OK: {report.entries} entries ({report.records} records, {report.outcomes} outcomes, "
                   f"{report.erased} erased) from entry {report.anchor_seq + 1} to the head {report.head_seq} "
                   f"{report.head_hash}")
    else:
        p = report.problem
        assert p is not None
        typer.echo(f"TAMPERED ({p.kind}) at entry {p.seq}: {p.message}")
    raise typer.Exit(0 if report.ok else 1)


@audit_app.command("stats")
def stats(since: str = SINCE, until: str = UNTIL, as_json: bool = typer.Option(False, "--json"),
          database_url: str = DB_OPT) -> None:
    """Counts by decision, outcome, entity type and target over a period."""
    from proxy.audit.query import parse_when
    from proxy.audit.stats import stats as do_stats

    start, end = (parse_when(since) if since else None), (parse_when(until) if until else None)
    result = _run(_settings(database_url), lambda e: do_stats(e, start, end))
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
        return
    typer.echo(f"records: {result.total}")
    for title, counts in (("kind", result.by_kind), ("decision", result.by_decision),
                          ("outcome", result.by_outcome), ("target", result.by_target),
                          ("entity (detections)", result.by_entity)):
        typer.echo(f"by {title}:")
        for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            typer.echo(f"  {key:<32} {n}")


@audit_app.command("purge")
def purge(older_than: str = typer.Option(..., "--older-than", help="Age, e.g. 90d."),
          database_url: str = DB_OPT) -> None:
    """Delete records older than the given age; leaves a checkpoint so `verify` still passes."""
    from datetime import UTC, datetime

    from proxy.audit.query import parse_duration
    from proxy.audit.retention import purge as do_purge

    try:
        cutoff = datetime.now(UTC) - parse_duration(older_than)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--older-than") from None
    result = _run(_settings(database_url), lambda e: do_purge(e, cutoff, _operator()))
    typer.echo(f"purged {result.purged_records} records older than {cutoff.isoformat()}"
               + (f"; checkpoint at entry {result.anchor_seq}" if result.anchor_seq else "")
               + f"; purge record {result.purge_record_id}")


@audit_app.command("erase")
def erase(user: str = typer.Option(None, help="The caller user whose personal fields are erased."),
          key_id: str = typer.Option(None, "--key-id", help="Or (and) the key id."),
          reference: str = typer.Option(None, help="Ticket / request reference stored with the erasure."),
          database_url: str = DB_OPT) -> None:
    """GDPR erasure: clear key id, user, client address and stored prompts of a caller's records."""
    from proxy.audit.retention import erase_caller

    if not user and not key_id:
        raise typer.BadParameter("give --user and/or --key-id")
    result = _run(_settings(database_url),
                  lambda e: erase_caller(e, user=user, key_id=key_id, reference=reference, actor=_operator()))
    typer.echo(f"erased personal fields of {result.erased_records} records; erasure record {result.erasure_record_id}")


@audit_app.command("reveal")
def reveal(record_id: str = typer.Argument(..., help="Record id."), database_url: str = DB_OPT) -> None:
    """Decrypt a record's stored original with the audit key. Writes a `reveal` audit record first."""
    from proxy.audit.crypto import AuditCipher, RevealError
    from proxy.audit.reveal import reveal as do_reveal

    settings = _settings(database_url)
    cipher = AuditCipher.from_settings(settings)
    try:
        result = _run(settings, lambda e: do_reveal(e, cipher, record_id, actor=_operator()))
    except RevealError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(result.texts, indent=2, ensure_ascii=False))
    typer.echo(f"revealed; audited as record {result.reveal_record_id}", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
