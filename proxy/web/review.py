"""The review page's other views: the export download, the "verify now" button, and the statistics page.

Each view signs in like the records list (cookie or Bearer, auditor/admin only) and is itself audited before any
data leaves. The statistics page draws its charts on the server (charts.py): no script at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from proxy.api.admin_audit import audit_access, export_response, parse_query
from proxy.audit.query import parse_when
from proxy.audit.trends import trends
from proxy.audit.verify import verify, verify_detail
from proxy.auth.caller import Caller
from proxy.errors import AuditUnavailable, BadRequest, ProxyError
from proxy.web import charts

# Outcomes drawn bottom first in the "over time" chart; any other outcome follows.
OUTCOME_ORDER = ("allowed", "redacted", "blocked", "no_route", "upstream_error", "rejected_auth", "rate_limited",
                 "bad_request", "client_disconnect", "audit_unavailable", "error", "pending")
STATS_PARAMS = ("since", "until", "bucket")


@dataclass(frozen=True, slots=True)
class Site:
    """What the review views share with pages.py: rendering, sign-in and the response headers."""

    render: Callable[..., HTMLResponse]
    signed_in: Callable[[Request, str], Awaitable[Caller | Response]]
    refused: Callable[[ProxyError], Response]
    same_origin: Callable[[Request], bool]
    headers: Mapping[str, str]


def _ordered(outcomes: Mapping[str, Any]) -> list[str]:
    return [o for o in OUTCOME_ORDER if o in outcomes] + sorted(o for o in outcomes if o not in OUTCOME_ORDER)


def stats_charts(t: Any) -> dict[str, Any]:
    """The page's SVG charts from a Trends value."""
    order = _ordered(t.outcomes)
    seg = charts.Segment
    return {
        "over_time": charts.columns("chart-outcomes", t.starts, {o: t.outcomes[o] for o in order}, bucket=t.bucket),
        "over_time_legend": charts.legend(order),
        "blocks": charts.columns("chart-blocks", t.starts, {o: t.outcomes.get(o, (0,) * len(t.starts))
                                                             for o in ("redacted", "blocked")}, bucket=t.bucket),
        "blocks_legend": charts.legend(["redacted", "blocked"]),
        "rules_legend": charts.legend(["enforced", "shadow"]),
        "entities": charts.hbars("chart-entities", [(k, [seg("detections", n, charts.BAR)]) for k, n in t.entities]),
        "teams": charts.hbars("chart-teams", [(k, [seg("requests", n, charts.BAR)]) for k, n in t.teams]),
        "users": charts.hbars("chart-users", [(k, [seg("requests", n, charts.BAR)]) for k, n in t.users]),
        "rules": charts.hbars("chart-rules", [(r.rule, [seg("enforced", r.enforced, charts.colour("enforced")),
                                                        seg("shadow", r.shadow, charts.colour("shadow"))])
                                              for r in t.rules]),
        "locations": charts.hbars("chart-locations", [(k, [seg("requests", n, charts.colour(k))])
                                                      for k, n in sorted(t.locations.items(),
                                                                         key=lambda kv: -kv[1])]),
    }


def review_routes(site: Site) -> list[BaseRoute]:
    async def export(request: Request) -> Response:
        caller = await site.signed_in(request, "/admin/export")
        if isinstance(caller, Response):
            return caller
        try:
            query = parse_query({k: v for k, v in request.query_params.items() if v})
            fmt = query.format or "csv"
            await audit_access(request, "/admin/export", caller=caller,
                               detail={"filters": query.described(request), "format": fmt})
        except BadRequest as exc:
            return site.render("error.html", status=400, title="Bad filter", message=exc.message)
        except AuditUnavailable as exc:
            return site.refused(exc)
        response = export_response(request, query.to_filter(hide_views=True), fmt)
        response.headers.update(site.headers)
        return response

    async def verify_now(request: Request) -> Response:
        caller = await site.signed_in(request, "/admin/verify")
        if isinstance(caller, Response):
            return caller
        if not site.same_origin(request):
            return site.render("error.html", status=403, title="Not allowed", message="Cross-site request refused.")
        try:
            report = await verify(request.app.state.services.audit.engine)
            await audit_access(request, "/admin/verify", caller=caller, detail=verify_detail(report))
        except AuditUnavailable as exc:
            return site.refused(exc)
        return RedirectResponse("/admin/", status_code=303, headers=dict(site.headers))

    async def statistics(request: Request) -> Response:
        caller = await site.signed_in(request, "/admin/stats")
        if isinstance(caller, Response):
            return caller
        params = {k: v for k, v in request.query_params.items() if v}
        try:
            since, until, bucket = _period(params)
            result = await trends(request.app.state.services.audit.engine, since=since, until=until, bucket=bucket)
            await audit_access(request, "/admin/stats", caller=caller,
                               detail={"filters": {k: params[k] for k in STATS_PARAMS if k in params}})
        except BadRequest as exc:
            return site.render("error.html", status=400, title="Bad period", message=exc.message)
        except AuditUnavailable as exc:
            return site.refused(exc)
        return site.render("stats.html", caller=caller, t=result, charts=stats_charts(result),
                           filters={k: params.get(k, "") for k in STATS_PARAMS}, bucket=bucket)

    return [
        Route("/admin/export", export, methods=["GET"]),
        Route("/admin/verify", verify_now, methods=["POST"]),
        Route("/admin/stats", statistics, methods=["GET"]),
    ]


def _period(params: Mapping[str, str]) -> tuple[datetime, datetime, str]:
    unknown = sorted(set(params) - set(STATS_PARAMS))
    if unknown:
        raise BadRequest(f"Unknown parameter(s): {', '.join(unknown)}.", code="invalid_query")
    try:
        now = datetime.now(UTC)
        since = parse_when(params.get("since", "7d"), now)
        until = parse_when(params["until"], now) if "until" in params else now
    except (ValueError, OverflowError):
        raise BadRequest("since / until: a time (ISO 8601) or a duration (24h, 7d).", code="invalid_query") from None
    if until <= since:
        raise BadRequest("The period is empty (until is not after since).", code="invalid_query")
    bucket = params.get("bucket") or ("hour" if (until - since).total_seconds() <= 3 * 86400 else "day")
    if bucket not in ("hour", "day"):
        raise BadRequest("bucket: hour or day.", code="invalid_query")
    if (until - since).total_seconds() / (3600 if bucket == "hour" else 86400) > 1000:
        raise BadRequest("Too many buckets (at most 1000): pick a shorter period or day buckets.",
                         code="invalid_query")
    return since, until, bucket
