"""Liveness and readiness."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from proxy.db import ping


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    svc = request.app.state.services
    checks: dict[str, object] = {}
    try:
        await ping(svc.engine)
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - readiness reports, it does not raise
        checks["database"] = f"unavailable ({type(exc).__name__})"
    checks["audit"] = "ok" if await svc.audit.ping() else "unavailable"
    snapshot = svc.policy.snapshot
    checks["catalogue"] = f"ok ({len(snapshot.catalogue.targets)} models)"
    checks["policy"] = {"version": snapshot.version, "loaded_at": snapshot.loaded_at.isoformat(),
                        "last_reload_error": svc.policy.last_error}
    checks["budgets"] = {"version": svc.budgets.version, "last_reload_error": svc.budgets.last_error}
    ready = checks["database"] == "ok" and checks["audit"] == "ok" and bool(snapshot.catalogue.targets)
    # Redis down does not stop traffic (limits, budgets and pseudonym maps fall back per replica): still ready,
    # but "degraded", so an operator sees that replicas no longer share limits.
    degraded = False
    if svc.shared is not None:
        redis_ok = await svc.shared.ping()
        checks["redis"] = "ok" if redis_ok else f"unavailable ({svc.shared.last_error}); per-replica fallback"
        degraded = not redis_ok
    status = "not ready" if not ready else "degraded" if degraded else "ready"
    return JSONResponse({"status": status, "checks": checks}, status_code=200 if ready else 503)


def routes() -> list[BaseRoute]:
    return [Route("/healthz", healthz, methods=["GET"]), Route("/readyz", readyz, methods=["GET"])]
