"""The OpenAI dialect: /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from proxy.api.admin_audit import authenticate_audited
from proxy.api.handler import Renderer, handle
from proxy.errors import ProxyError
from proxy.policy.evaluate import allowed_models
from proxy.request.context import Dialect, Endpoint, RequestContext, Usage


def _body(ctx: RequestContext, result: dict[str, Any]) -> dict[str, Any]:
    usage = result.get("usage")
    if isinstance(usage, dict):
        ctx.usage = Usage(usage.get("prompt_tokens"), usage.get("completion_tokens"), usage.get("total_tokens"))
    if ctx.request is not None and "model" in result:
        result = {**result, "model": ctx.request.model}
    return result


async def _stream(ctx: RequestContext, chunks: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    model = ctx.request.model if ctx.request else None
    async for chunk in chunks:
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            ctx.usage = Usage(usage.get("prompt_tokens"), usage.get("completion_tokens"),
                              usage.get("total_tokens"))
            if not ctx.wants_stream_usage:
                if not chunk.get("choices"):
                    continue  # the usage-only chunk we asked for on the caller's behalf
                chunk = {k: v for k, v in chunk.items() if k != "usage"}
        if model is not None:
            chunk["model"] = model
        yield b"data: " + orjson.dumps(chunk) + b"\n\n"
    yield b"data: [DONE]\n\n"


def _error(exc: ProxyError) -> dict[str, Any]:
    return exc.openai_body()


def _stream_error(exc: ProxyError) -> bytes:
    return b"data: " + orjson.dumps(exc.openai_body()) + b"\n\n"


OPENAI = Renderer(Dialect.OPENAI, _body, _stream, _error, _stream_error)


async def chat_completions(request: Request) -> Response:
    return await handle(request, Endpoint.CHAT, OPENAI)


async def completions(request: Request) -> Response:
    return await handle(request, Endpoint.COMPLETIONS, OPENAI)


async def embeddings(request: Request) -> Response:
    return await handle(request, Endpoint.EMBEDDINGS, OPENAI)


async def list_models(request: Request) -> Response:
    svc = request.app.state.services
    try:
        caller = await authenticate_audited(request, "/v1/models")
    except ProxyError as exc:
        body = exc.anthropic_body() if "anthropic-version" in request.headers else exc.openai_body()
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)
    snapshot = svc.policy.snapshot
    catalogue = snapshot.catalogue
    aliases = allowed_models(snapshot.policy, catalogue, caller)
    if "anthropic-version" in request.headers:  # the Anthropic SDK's models.list()
        models = [{"type": "model", "id": a, "display_name": a, "created_at": "1970-01-01T00:00:00Z"}
                  for a in aliases]
        return JSONResponse({"data": models, "has_more": False, "first_id": aliases[0] if aliases else None,
                             "last_id": aliases[-1] if aliases else None})
    data = []
    for alias in aliases:
        target = catalogue.get(alias)
        owner = f"govproxy:{target.location.value}" if target else "govproxy:policy-alias"
        data.append({"id": alias, "object": "model", "created": 0, "owned_by": owner})
    return JSONResponse({"object": "list", "data": data})


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/completions", completions, methods=["POST"]),
        Route("/v1/embeddings", embeddings, methods=["POST"]),
        Route("/v1/models", list_models, methods=["GET"]),
    ]
