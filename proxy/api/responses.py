"""The OpenAI Responses API: POST /v1/responses, plain and streamed with its typed events.

Requests are converted to the chat shape (proxy/request/responses.py), so they are walked, detected, redacted,
decided, routed (to any target that speaks chat, through litellm) and audited exactly like chat completions; the
answer is converted back (responses_message.py, responses_stream.py). Responses are kept by the proxy (not the
provider) for `previous_response_id` chains and GET/DELETE /v1/responses/{id}, for the key that made them, unless
created with `store: false` (proxy/pipeline/chains.py, proxy/redaction/kept_responses.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from proxy.api.admin_audit import authenticate_audited
from proxy.api.handler import Renderer, handle
from proxy.api.responses_message import chat_to_response
from proxy.api.responses_stream import ResponsesStreamEncoder, error_event, event_bytes
from proxy.errors import NotFound, ProxyError
from proxy.pipeline.chains import keep_response
from proxy.pipeline.services import Services
from proxy.redaction.kept_responses import entry_key
from proxy.request.context import Dialect, Endpoint, RequestContext, Usage


def _usage(ctx: RequestContext, usage: Any) -> None:
    if isinstance(usage, dict):
        ctx.usage = Usage(usage.get("prompt_tokens"), usage.get("completion_tokens"), usage.get("total_tokens"))


def _kept(ctx: RequestContext) -> dict[str, Any]:
    chain = ctx.chain
    return {"previous_response_id": chain.previous_id if chain else None, "store": bool(chain and chain.store)}


def _body(ctx: RequestContext, result: dict[str, Any]) -> dict[str, Any]:
    _usage(ctx, result.get("usage"))
    return chat_to_response(result, requested_model=ctx.request.model if ctx.request else "", **_kept(ctx))


def _renderer(svc: Services) -> Renderer:
    async def after(ctx: RequestContext, response: dict[str, Any]) -> None:
        await keep_response(ctx, svc, response)

    async def stream(ctx: RequestContext, chunks: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
        encoder = ResponsesStreamEncoder(requested_model=ctx.request.model if ctx.request else "", **_kept(ctx))
        for event in encoder.start():
            yield event_bytes(event)
        async for chunk in chunks:
            _usage(ctx, chunk.get("usage"))
            for event in encoder.feed(chunk):
                yield event_bytes(event)
        for event in encoder.finish():
            if event["type"] in ("response.completed", "response.incomplete"):
                await keep_response(ctx, svc, event["response"])  # kept before the caller can chain on it
            yield event_bytes(event)

    return Renderer(Dialect.OPENAI, _body, stream, _error, _stream_error, after)


def _error(exc: ProxyError) -> dict[str, Any]:
    return exc.openai_body()


def _stream_error(exc: ProxyError) -> bytes:
    return event_bytes(error_event(exc.openai_body()))


async def create(request: Request) -> Response:
    return await handle(request, Endpoint.RESPONSES, _renderer(request.app.state.services))


async def stored(request: Request) -> Response:
    """GET /v1/responses/{id}: the kept response; DELETE: forget it. Only the key that made it reaches it."""
    svc: Services = request.app.state.services
    response_id = request.path_params["response_id"]
    try:
        caller = await authenticate_audited(request, "/v1/responses")
        key = entry_key(caller.key_id, response_id)
        if request.method == "DELETE":
            if await svc.kept.delete(key):
                return JSONResponse({"id": response_id, "object": "response", "deleted": True})
        elif (kept := await svc.kept.get(key)) is not None:
            return JSONResponse(kept.response)
        raise NotFound("Response not found: govproxy keeps a response for the key that made it, until it expires "
                       "or is deleted, unless it was created with store: false.", code="response_not_found")
    except ProxyError as exc:
        return JSONResponse(exc.openai_body(), status_code=exc.status, headers=exc.headers)


def routes() -> list[BaseRoute]:
    return [Route("/v1/responses", create, methods=["POST"]),
            Route("/v1/responses/{response_id}", stored, methods=["GET", "DELETE"])]
