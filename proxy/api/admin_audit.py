"""The admin audit API: GET /admin/audit (filtered, paginated), /admin/audit/{id}, /admin/audit/export,
/admin/audit/verify, /admin/audit/stats.

Readable with an auditor or admin key only (no/invalid key 401, any other key 403). Every access, allowed or
refused, is itself written to the audit log before any data leaves; if that write fails, the read is refused (503).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from proxy.audit.caller_strings import CallerStrings
from proxy.audit.export import export_lines
from proxy.audit.query import AuditFilter, count, get_record, parse_when, search
from proxy.audit.record import Kind, SecurityEvent
from proxy.audit.stats import stats
from proxy.audit.verify import verify, verify_detail
from proxy.auth.caller import Caller
from proxy.errors import BadRequest, Forbidden, NotFound, ProxyError, RateLimited, Unauthorized
from proxy.policy.decision import Action
from proxy.request.context import Outcome


class AuditQuery(BaseModel):
    """Query parameters shared by the list, export and stats routes."""

    model_config = ConfigDict(extra="forbid")

    since: datetime | None = None
    until: datetime | None = None
    team: str | None = Field(default=None, max_length=128)
    user: str | None = Field(default=None, max_length=128)
    decision: str | None = Field(default=None, max_length=32)
    entity: str | None = Field(default=None, max_length=64)
    target: str | None = Field(default=None, max_length=128)
    rule: str | None = Field(default=None, max_length=128)
    kind: str | None = Field(default=None, max_length=16)
    request_id: str | None = Field(default=None, max_length=64)
    views: bool = False  # the review page: also list audit-log reads (hidden there by default)
    limit: int = Field(default=50, ge=1, le=1000)
    before: int | None = Field(default=None, ge=1, le=2**63 - 1)  # a cursor is a 64-bit sequence number
    after: int | None = Field(default=None, ge=0, le=2**63 - 1)   # the other way: the page of newer records
    format: str | None = Field(default=None, pattern="^(jsonl|csv)$")

    @field_validator("since", "until", mode="before")
    @classmethod
    def _when(cls, value: Any) -> Any:
        if not (isinstance(value, str) and value.strip()):
            return value or None
        try:
            return parse_when(value)
        except (OverflowError, ValueError):
            # '99999999d' or a date near year 1/9999 overflows datetime: a bad parameter, not a server error.
            raise ValueError("not a time or a duration") from None

    def to_filter(self, *, hide_views: bool = False) -> AuditFilter:
        """The filter; with `hide_views` (the review page) audit-log reads are left out unless `views` is set."""
        return AuditFilter(since=self.since, until=self.until, team=self.team or None, user=self.user or None,
                           decision=self.decision or None, entity=self.entity or None, target=self.target or None,
                           rule=self.rule or None, kind=self.kind or None, request_id=self.request_id or None,
                           hide_kinds=(Kind.ADMIN.value,) if hide_views and not self.views else ())

    def described(self, request: Request) -> dict[str, Any]:
        """The filters for the access record: times, numbers and the names the proxy knows (actions, outcomes,
        kinds, and the running policy's rules, models and entity types) as they are; whom was searched for as
        "(set)" (personal, and kept out of hashed columns so erasure stays possible); any other string, a team
        included, as its keyed hash (proxy/audit/caller_strings.py)."""
        out: dict[str, Any] = {k: v.isoformat() if isinstance(v, datetime) else v
                               for k, v in self.model_dump(exclude_none=True).items()
                               if v != "" and not (k == "views" and v is False)}
        if "user" in out:
            out["user"] = "(set)"
        strings = caller_strings(request)
        for name, names in known_names(request).items():
            if name in out:
                out[name] = strings.one_of(out[name], names)
        return out


def caller_strings(request: Request) -> CallerStrings:
    """The audit writer's hasher for strings a caller chose."""
    return request.app.state.services.audit.caller_strings  # type: ignore[no-any-return]


def known_names(request: Request) -> dict[str, frozenset[str]]:
    """Filter name -> the values an access record keeps as they are. Without a running policy (an app serving only
    the admin routes) rules, models and entity types are hashed too."""
    none: frozenset[str] = frozenset()
    names = {"team": none, "decision": _DECISIONS, "kind": frozenset(k.value for k in Kind),
             "rule": none, "target": none, "entity": none}
    holder = getattr(request.app.state.services, "policy", None)
    if holder is not None:
        policy, catalogue = holder.snapshot.policy, holder.snapshot.catalogue
        names["rule"] = frozenset({r.name for r in policy.rules} | {policy.default.name})
        names["target"] = frozenset({t.alias for t in catalogue} | set(policy.aliases))
        names["entity"] = frozenset(set(policy.entity_levels) | set(policy.groups)
                                    | {t for group in policy.groups.values() for t in group})
    return names


_DECISIONS = frozenset({a.value for a in Action} | {o.value for o in Outcome})


def parse_query(params: Mapping[str, str]) -> AuditQuery:
    """Validated query parameters; errors name the parameter, never echo its value."""
    try:
        return AuditQuery.model_validate({k: v for k, v in params.items() if v != ""})
    except ValidationError as exc:
        fields = sorted({str(e["loc"][0]) for e in exc.errors() if e.get("loc")})
        raise BadRequest(f"Invalid query parameter(s): {', '.join(fields)}.", param=fields[0] if fields else None,
                         code="invalid_query") from None


def request_id(request: Request) -> str | None:
    return request.scope.get("state", {}).get("request_id")


async def authenticate_audited(request: Request, route: str, *, kind: Kind = Kind.SECURITY) -> Caller:
    """The caller of a request that is not a model request (model lists, kept responses); a refused key is audited
    like one on a model request (a security record; successes are not) and re-raised."""
    try:
        return await request.app.state.services.keys.authenticate(request.headers)
    except Unauthorized as exc:
        await audit_access(request, route, caller=None, detail={"result": "unauthenticated"}, error=exc, kind=kind)
        raise


async def audit_access(request: Request, route: str, *, caller: Caller | None, detail: Mapping[str, Any],
                       error: ProxyError | None = None, kind: Kind = Kind.ADMIN) -> str:
    """Write the access record (allowed or refused). Raises AuditUnavailable if it cannot be written."""
    services = request.app.state.services
    event = SecurityEvent(
        kind=kind, endpoint=route, caller=caller,
        client_addr=request.client.host if request.client else None, request_id=request_id(request),
        outcome=Outcome.ALLOWED if error is None else Outcome.REJECTED_AUTH if isinstance(
            error, Unauthorized | Forbidden) else Outcome.RATE_LIMITED if isinstance(error, RateLimited)
        else Outcome.ERROR,
        detail={"method": request.method, **detail},
        error_class=type(error).__name__ if error else None, error_status=error.status if error else None)
    return str(await services.audit.record_event(event))


AUDIT_READERS = "This key may not read the audit log (auditor or admin role required)."


async def authorize(request: Request, headers: Mapping[str, str], route: str, *,
                    allowed: Callable[[Caller], bool] = lambda caller: caller.can_read_audit,
                    refusal: str = AUDIT_READERS) -> Caller:
    """The caller, if `allowed` (by default: its key may read the audit log). Refusals are audited, then raised
    (401 / 403 with `refusal` / 429)."""
    services = request.app.state.services
    try:
        caller: Caller = await services.keys.authenticate(headers)
    except Unauthorized as exc:
        await audit_access(request, route, caller=None, detail={"result": "unauthenticated"}, error=exc)
        raise
    if not allowed(caller):
        exc = Forbidden(refusal)
        await audit_access(request, route, caller=caller, detail={"result": "forbidden"}, error=exc)
        raise exc
    await limit_rate(request, route, caller)
    # This process's audit writer may hold the outcomes of requests answered a moment ago (store.py lets them
    # wait ~20 ms to share a transaction): commit them before the caller reads.
    await services.audit.flush()
    return caller


async def limit_rate(request: Request, route: str, caller: Caller) -> None:
    """The per-key rate limit of model traffic, on admin routes too (one budget per key); a refusal is audited,
    then raised (429 with retry-after). An app serving only the admin routes may run without a limiter."""
    limiter = getattr(request.app.state.services, "limiter", None)
    if limiter is None:
        return
    try:
        await limiter.check(caller.key_id)
    except RateLimited as exc:
        await audit_access(request, route, caller=caller, detail={"result": "rate_limited"}, error=exc)
        raise


def _error(exc: ProxyError) -> Response:
    return JSONResponse(exc.openai_body(), status_code=exc.status, headers=exc.headers)


async def list_records(request: Request) -> Response:
    try:
        caller = await authorize(request, request.headers, "/admin/audit")
        query = parse_query(request.query_params)
        flt = query.to_filter()
        page = await search(request.app.state.services.audit.engine, flt, limit=query.limit,
                            before=query.before, after=query.after)
        total = await count(request.app.state.services.audit.engine, flt)
        await audit_access(request, "/admin/audit", caller=caller,
                           detail={"filters": query.described(request), "returned": len(page.records)})
    except ProxyError as exc:
        return _error(exc)
    return JSONResponse({"object": "list", "data": [r.to_json() for r in page.records],
                         "next_cursor": page.next_cursor, "has_more": page.next_cursor is not None,
                         "prev_cursor": page.prev_cursor, "total": total})


async def show_record(request: Request) -> Response:
    record_id = request.path_params["record_id"]
    try:
        caller = await authorize(request, request.headers, "/admin/audit/{id}")
        rec = await get_record(request.app.state.services.audit.engine, record_id[:64])
        await audit_access(request, "/admin/audit/{id}", caller=caller,
                           detail={"record_id": caller_strings(request).record_id(record_id),
                                   "found": rec is not None})
        if rec is None:
            raise NotFound("No such audit record.", code="not_found")
    except ProxyError as exc:
        return _error(exc)
    return JSONResponse(rec.to_json())


async def export_records(request: Request) -> Response:
    try:
        caller = await authorize(request, request.headers, "/admin/audit/export")
        query = parse_query(request.query_params)
        fmt = query.format or "jsonl"
        await audit_access(request, "/admin/audit/export", caller=caller,
                           detail={"filters": query.described(request), "format": fmt})
    except ProxyError as exc:
        return _error(exc)
    return export_response(request, query.to_filter(), fmt)


def export_response(request: Request, flt: AuditFilter, fmt: str) -> StreamingResponse:
    """The export as a download (the same lines as `govproxy audit export`)."""
    media = "application/x-ndjson" if fmt == "jsonl" else "text/csv; charset=utf-8"
    return StreamingResponse(export_lines(request.app.state.services.audit.engine, flt, fmt), media_type=media,
                             headers={"content-disposition": f'attachment; filename="govproxy-audit.{fmt}"'})


async def verify_chain(request: Request) -> Response:
    try:
        caller = await authorize(request, request.headers, "/admin/audit/verify")
        report = await verify(request.app.state.services.audit.engine)
        await audit_access(request, "/admin/audit/verify", caller=caller, detail=verify_detail(report))
    except ProxyError as exc:
        return _error(exc)
    return JSONResponse(report.to_json())


async def stats_view(request: Request) -> Response:
    try:
        caller = await authorize(request, request.headers, "/admin/audit/stats")
        query = parse_query(request.query_params)
        result = await stats(request.app.state.services.audit.engine, query.since, query.until)
        await audit_access(request, "/admin/audit/stats", caller=caller, detail={"filters": query.described(request)})
    except ProxyError as exc:
        return _error(exc)
    return JSONResponse(result.to_json())


def routes() -> list[BaseRoute]:
    """The admin audit API routes (the fixed paths before /{record_id})."""
    return [
        Route("/admin/audit", list_records, methods=["GET"]),
        Route("/admin/audit/export", export_records, methods=["GET"]),
        Route("/admin/audit/verify", verify_chain, methods=["GET"]),
        Route("/admin/audit/stats", stats_view, methods=["GET"]),
        Route("/admin/audit/{record_id}", show_record, methods=["GET"]),
    ]
