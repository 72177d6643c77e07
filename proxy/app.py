"""create_app(settings): routes, middleware order, and the lifespan that builds the services."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from proxy.api import admin, admin_audit, anthropic, health, openai, openapi, responses
from proxy.api.anthropic import is_anthropic
from proxy.api.middleware import RequestIdMiddleware
from proxy.audit.store import AuditWriter
from proxy.auth.keys import KeyStore
from proxy.budgets.ledger import Ledger
from proxy.budgets.loader import BudgetHolder
from proxy.db import async_engine
from proxy.detection.detector import Detector
from proxy.detection.remote import build_remote_ner
from proxy.errors import InternalError, NotFound, ProxyError
from proxy.gcpause import GcPauses
from proxy.logging import configure_logging
from proxy.metrics import Metrics
from proxy.pipeline.services import Services
from proxy.policy.loader import PolicyHolder, log_warnings
from proxy.prefork import Preloaded
from proxy.redaction.kept_responses import LocalKeptResponses
from proxy.redaction.keys import RedactionKeys
from proxy.redaction.pseudonyms import PseudonymStore
from proxy.routing.anthropic_native import AnthropicNative
from proxy.routing.upstream import Upstream
from proxy.settings import Settings
from proxy.shared.connection import connect
from proxy.shared.kept_responses import SharedKeptResponses, kept_key
from proxy.shared.pseudonyms import SharedPseudonymStore, map_key
from proxy.shared.ratelimit import Limiter
from proxy.shared.revocation import listen_for_revocations
from proxy.tracing import Tracing
from proxy.web.pages import web_routes

log = structlog.get_logger()


def _migrate_embedded(settings: Settings) -> None:
    if settings.is_sqlite and settings.auto_migrate:
        from proxy.migrate import upgrade

        upgrade(settings.database_url)


async def watch_policy(svc: Services) -> None:
    """Hot reload: the holder polls the directory; this loop mirrors its counters into metrics."""
    holder, metrics = svc.policy, svc.metrics
    task = asyncio.create_task(holder.watch(svc.settings.policy_reload_interval_s))
    seen_ok, seen_failed, version = 0, 0, ""
    try:
        while True:
            if holder.version != version:
                if version:
                    # multiprocess gauges cannot drop a label set: the replaced version goes to 0
                    metrics.policy_version.labels(version).set(0)
                version = holder.version
                metrics.policy_version.labels(version).set(1)
            if holder.reloads > seen_ok:
                metrics.policy_reloads.labels("applied").inc(holder.reloads - seen_ok)
                seen_ok = holder.reloads
            if holder.reload_failures > seen_failed:
                metrics.policy_reloads.labels("rejected").inc(holder.reload_failures - seen_failed)
                seen_failed = holder.reload_failures
            await asyncio.sleep(max(svc.settings.policy_reload_interval_s, 0.5))
    finally:
        task.cancel()


def create_app(settings: Settings | None = None, preloaded: Preloaded | None = None) -> Starlette:
    """The app. `preloaded`: what a pre-fork parent already loaded (prefork.py); its detector is this worker's."""
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, object]]:
        # Shared maps hold raw values: encrypted under the redaction key, and refused without one (fail closed).
        secret = settings.redaction_key.get_secret_value() if settings.redaction_key else ""
        maps_key = map_key(secret) if settings.redis_url is not None else b""
        if preloaded is None:  # a pre-fork parent has run the migrations once, before forking (cli/serve.py)
            _migrate_embedded(settings)
        engine = async_engine(settings.database_url)
        policy = PolicyHolder(settings.policies_dir)  # raises if the policies do not load: fail closed
        # The detector runs the snapshot's recognizers, and a reload that changes them swaps them in before the new
        # snapshot serves (rejected, last good kept, if they do not load).
        detector = preloaded.detector if preloaded is not None else None
        if detector is None:
            detector = Detector.from_settings(settings, custom=policy.snapshot.recognizers,
                                              recognizers_version=policy.snapshot.recognizers_version)
        elif detector.recognizers_version != policy.snapshot.recognizers_version:
            # The policies changed between the parent's load and this worker's start (or a restart much later).
            detector.use_recognizers(policy.snapshot.recognizers, policy.snapshot.recognizers_version)
        policy.before_swap = lambda snap: detector.use_recognizers(snap.recognizers, snap.recognizers_version)
        log_warnings(policy.snapshot)
        budgets = BudgetHolder(settings.policies_dir)  # raises if budgets.yaml does not validate: fail closed
        metrics = Metrics(default_language=settings.default_language)
        tracing = Tracing.from_settings(settings)  # None unless GOVPROXY_OTEL_ENDPOINT is set
        shared = connect(settings, metrics)
        local_maps = PseudonymStore(ttl_s=settings.pseudonym_ttl_s)
        pseudonyms = SharedPseudonymStore(shared, maps_key, ttl_s=settings.pseudonym_ttl_s,
                                          fallback=local_maps) if shared is not None else local_maps
        local_kept = LocalKeptResponses(ttl_s=settings.pseudonym_ttl_s, max_bytes=settings.kept_responses_max_bytes)
        kept = SharedKeptResponses(shared, kept_key(secret), ttl_s=settings.pseudonym_ttl_s,
                                   fallback=local_kept) if shared is not None else local_kept
        remote_ner = build_remote_ner(settings)
        redaction_keys = (preloaded.redaction_keys if preloaded is not None and preloaded.redaction_keys is not None
                          else RedactionKeys.from_settings(settings))
        audit = await AuditWriter.open(settings, caller_key=redaction_keys.hmac_key)
        audit.on_failure = metrics.audit_write_failures.inc
        services = Services(
            settings=settings, engine=engine,
            keys=KeyStore(engine, cache_ttl_s=settings.key_cache_ttl_s),
            upstream=Upstream(timeout_s=settings.upstream_timeout_s, retries=settings.upstream_retries),
            policy=policy, detector=detector, audit=audit,
            limiter=Limiter(settings.rate_limit_per_minute, shared), metrics=metrics,
            redaction_keys=redaction_keys, pseudonyms=pseudonyms, budgets=budgets, ledger=Ledger(shared),
            shared=shared, tracing=tracing, remote_ner=remote_ner, kept=kept,
            anthropic=AnthropicNative(timeout_s=settings.upstream_timeout_s, retries=settings.upstream_retries),
        )
        tasks = [asyncio.create_task(watch_policy(services)),
                 asyncio.create_task(budgets.watch(settings.policy_reload_interval_s))]
        if shared is not None:
            tasks.append(asyncio.create_task(listen_for_revocations(shared, services.keys)))
        # Everything loaded so far (models, name lists, litellm) lives as long as the process: move it out of the
        # collector's reach, so full collections scan only what requests allocate (they took 0.2-0.3 s each).
        gc.collect()
        gc.freeze()
        tasks.append(asyncio.create_task(GcPauses().run()))
        app.state.services = services
        app.state.openapi = openapi.document()
        log.info("started", policy_version=policy.version, models=len(policy.snapshot.catalogue.targets),
                 database=engine.dialect.name, budgets=budgets.version, redis=shared is not None)
        try:
            yield {}
        finally:
            for task in tasks:
                task.cancel()
            await services.drain()
            if services.anthropic is not None:
                await services.anthropic.aclose()
            if shared is not None:
                await shared.close()
            await audit.close()
            if tracing is not None:
                tracing.shutdown()
            detector.close()
            if remote_ner is not None:
                await remote_ner.close()
            await engine.dispose()
            log.info("stopped")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        err: ProxyError = NotFound(f"Unknown route {request.method} {request.url.path}.", code="unknown_route") \
            if exc.status_code == 404 else ProxyError(exc.detail or "HTTP error")
        if exc.status_code != 404:
            err.status, err.code = exc.status_code, "http_error"
        body = err.anthropic_body() if is_anthropic(request.url.path, request.headers) else err.openai_body()
        return JSONResponse(body, status_code=err.status)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("unhandled_error", exc_info=exc)
        err = InternalError("Internal error; the request id identifies it.")
        body = err.anthropic_body() if is_anthropic(request.url.path, request.headers) else err.openai_body()
        return JSONResponse(body, status_code=500)

    async def metrics(request: Request) -> Response:
        body, content_type = Metrics.exposition()
        return Response(body, media_type=content_type)

    return Starlette(
        routes=[*health.routes(), *openai.routes(), *responses.routes(), *anthropic.routes(), *openapi.routes(),
                *admin.routes(), *admin_audit.routes(), *web_routes(), Route("/metrics", metrics, methods=["GET"])],
        middleware=[Middleware(RequestIdMiddleware)],
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
