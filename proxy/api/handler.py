"""(1) receive: turns an HTTP request into a RequestContext, runs the pipeline, renders the provider's response.

The dialect modules (openai.py, anthropic.py) supply a Renderer: how a result, a stream and an error look in
their provider's shape. Everything else is shared.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from proxy.errors import InternalError, PayloadTooLarge, ProxyError
from proxy.pipeline.runner import finish, mark_failed, mark_succeeded, run_stages
from proxy.pipeline.services import Services
from proxy.request.context import Dialect, Endpoint, Outcome, RequestContext

log = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class Renderer:
    dialect: Dialect
    body: Callable[[RequestContext, dict[str, Any]], dict[str, Any]]
    stream: Callable[[RequestContext, AsyncIterator[dict[str, Any]]], AsyncIterator[bytes]]
    error: Callable[[ProxyError], dict[str, Any]]
    stream_error: Callable[[ProxyError], bytes]
    # Awaited with the rendered body before a plain answer goes out (the Responses API keeps it for chains).
    after: Callable[[RequestContext, dict[str, Any]], Awaitable[None]] | None = None


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"Request body too large: the limit is {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"Request body too large: the limit is {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def combined_headers(request: Request) -> dict[str, str]:
    """The request's headers by lower-case name; a repeated header's values are joined with ", " (RFC 9110), so
    a second `authorization` or `x-data-classification` cannot silently replace the first: the joined value is
    refused as an invalid key or classification."""
    out: dict[str, str] = {}
    for name, value in request.headers.items():
        name = name.lower()
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def decision_headers(ctx: RequestContext) -> dict[str, str]:
    headers: dict[str, str] = {}
    if ctx.decision is not None:
        headers["x-govproxy-decision"] = ctx.decision.action.value
        headers["x-govproxy-policy-version"] = ctx.decision.policy_version
    if ctx.target is not None:
        headers["x-govproxy-route"] = f"{ctx.target.alias}; location={ctx.target.location.value}"
    if ctx.dropped_features:
        headers["x-govproxy-dropped"] = ", ".join(ctx.dropped_features)
    return headers


async def handle(request: Request, endpoint: Endpoint, renderer: Renderer) -> Response:
    svc: Services = request.app.state.services
    ctx = RequestContext(
        request_id=request.scope.get("state", {}).get("request_id", ""),
        endpoint=endpoint, dialect=renderer.dialect,
        client_addr=request.client.host if request.client else None,
        headers=combined_headers(request),
    )
    try:
        ctx.raw_body = await read_body(request, svc.settings.max_body_bytes)
        await run_stages(ctx, svc)
    except ProxyError as exc:
        return await _fail(ctx, svc, renderer, exc)
    except ClientDisconnect:
        svc.spawn(finish(ctx, svc))
        return Response(status_code=499)
    except Exception as exc:
        log.error("internal_error", exc_info=exc)
        return await _fail(ctx, svc, renderer, InternalError("Internal error; the request id identifies it."))
    headers = decision_headers(ctx)
    if isinstance(ctx.result, dict):
        mark_succeeded(ctx)
        body = renderer.body(ctx, ctx.result)
        if renderer.after is not None:
            await renderer.after(ctx, body)
        # The decision part is already durable (written before forwarding); the outcome follows off the response
        # path. Shutdown drains these tasks, so none is lost on a graceful stop.
        svc.spawn(finish(ctx, svc))
        return JSONResponse(body, headers=headers)
    return AuditedStream(ctx, svc, renderer, headers)


async def _fail(ctx: RequestContext, svc: Services, renderer: Renderer, exc: ProxyError) -> Response:
    mark_failed(ctx, exc)
    log.info("request_rejected", status=exc.status, error_class=type(exc).__name__, code=exc.code)
    svc.spawn(finish(ctx, svc))
    headers = {**decision_headers(ctx), **exc.headers}
    return JSONResponse(renderer.error(exc), status_code=exc.status, headers=headers)


class AuditedStream(StreamingResponse):
    """An SSE response whose audit record is written when the stream ends, fails, or the client goes away."""

    def __init__(self, ctx: RequestContext, svc: Services, renderer: Renderer, headers: dict[str, str]) -> None:
        self.ctx, self.svc, self.renderer = ctx, svc, renderer
        self._source: AsyncIterator[dict[str, Any]] = ctx.result
        super().__init__(self._events(), media_type="text/event-stream",
                         headers={**headers, "cache-control": "no-cache"})

    async def _events(self) -> AsyncIterator[bytes]:
        try:
            async for piece in self.renderer.stream(self.ctx, self._source):
                yield piece
            mark_succeeded(self.ctx)
        except ProxyError as exc:
            # Headers are gone already: the error travels as an event in the provider's stream shape.
            mark_failed(self.ctx, exc)
            yield self.renderer.stream_error(exc)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except (OSError, ClientDisconnect, asyncio.CancelledError):
            if self.ctx.outcome is None:
                self.ctx.outcome = Outcome.CLIENT_DISCONNECT
            raise
        finally:
            aclose = getattr(self._source, "aclose", None)
            # The audit must complete even when this task is being cancelled: run it as its own task.
            self.svc.spawn(_close_and_finish(aclose, self.ctx, self.svc))


async def _close_and_finish(aclose: Any, ctx: RequestContext, svc: Services) -> None:
    if aclose is not None:
        try:
            await aclose()
        except Exception:  # noqa: BLE001 - closing a broken upstream stream may fail; the audit must not
            log.warning("upstream_close_failed")
    await finish(ctx, svc)
