"""Operating the proxy over HTTP (admin keys only): policy reload on demand.

Every attempt is audited like an audit-log read: refusals (401/403/429) and reloads alike, written before the
reload runs; if the record cannot be written the reload is refused (503).
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from proxy.api.admin_audit import audit_access, authorize
from proxy.errors import ProxyError

ROUTE = "/admin/policy/reload"


async def policy_reload(request: Request) -> Response:
    svc = request.app.state.services
    try:
        caller = await authorize(request, request.headers, ROUTE, allowed=lambda caller: caller.is_admin,
                                 refusal="Only admin keys may reload the policy.")
        await audit_access(request, ROUTE, caller=caller, detail={"previous_version": svc.policy.version})
    except ProxyError as exc:
        return JSONResponse(exc.openai_body(), status_code=exc.status, headers=exc.headers)
    result = await asyncio.to_thread(svc.policy.reload)  # explicit: a deliberate file removal is accepted
    body = {"applied": result.applied, "version": result.version, "previous_version": result.previous_version,
            "error": result.error, "warnings": list(result.warnings)}
    return JSONResponse(body, status_code=422 if result.error else 200)


def routes() -> list[BaseRoute]:
    return [Route(ROUTE, policy_reload, methods=["POST"])]
