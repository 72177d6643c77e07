"""Liveness and readiness. A catalogue target whose provider key is not set makes the catalogue `degraded` (still
ready while any target is usable)."""

from __future__ import annotations

import os

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from proxy.db import ping
from proxy.policy.lint import missing_key


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
    targets = snapshot.catalogue.targets
    # A target that names a key variable which is unset cannot be called: routing skips it like one that is down.
    no_key = {t.alias: t.api_key_env for t in targets.values() if missing_key(t.api_key_env, os.environ)}
    if no_key:
        missing = ", ".join(f"{alias} ({env} not set)" for alias, env in no_key.items())
        checks["catalogue"] = f"degraded ({len(targets) - len(no_key)} of {len(targets)} models usable; {missing})"
    else:
        checks["catalogue"] = f"ok ({len(targets)} models)"
    checks["policy"] = {"version": snapshot.version, "loaded_at": snapshot.loaded_at.isoformat(),
                        "last_reload_error": svc.policy.last_error,
                        "recognizers_version": snapshot.recognizers_version,
                        "warnings": [str(w) for w in snapshot.warnings]}
    checks["budgets"] = {"version": svc.budgets.version, "last_reload_error": svc.budgets.last_error}
    ready = checks["database"] == "ok" and checks["audit"] == "ok" and len(targets) > len(no_key)
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
