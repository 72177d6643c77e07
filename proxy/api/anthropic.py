"""The Anthropic dialect: POST /v1/messages, plain and streaming.

Requests are converted to the OpenAI chat shape (what every later stage and litellm speak) and answers back to
Anthropic Messages; the request conversion lives in proxy/request/anthropic.py, the answer side in
anthropic_message.py and anthropic_stream.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from proxy.api.anthropic_message import openai_to_anthropic
from proxy.api.anthropic_stream import AnthropicStreamEncoder, sse_bytes
from proxy.api.handler import Renderer, handle
from proxy.errors import ProxyError
from proxy.request.context import Dialect, Endpoint, RequestContext, Usage


def _body(ctx: RequestContext, result: dict[str, Any]) -> dict[str, Any]:
    usage = result.get("usage")
    if isinstance(usage, dict):
        ctx.usage = Usage(usage.get("prompt_tokens"), usage.get("completion_tokens"), usage.get("total_tokens"))
    return openai_to_anthropic(result, requested_model=ctx.request.model if ctx.request else "")


async def _stream(ctx: RequestContext, chunks: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    encoder = AnthropicStreamEncoder(requested_model=ctx.request.model if ctx.request else "")
    async for chunk in chunks:
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            ctx.usage = Usage(usage.get("prompt_tokens"), usage.get("completion_tokens"),
                              usage.get("total_tokens"))
        for event, data in encoder.feed(chunk):
            yield sse_bytes(event, data)
    for event, data in encoder.finish():
        yield sse_bytes(event, data)


def _error(exc: ProxyError) -> dict[str, Any]:
    return exc.anthropic_body()


def _stream_error(exc: ProxyError) -> bytes:
    return sse_bytes("error", exc.anthropic_body())


ANTHROPIC = Renderer(Dialect.ANTHROPIC, _body, _stream, _error, _stream_error)


async def messages(request: Request) -> Response:
    return await handle(request, Endpoint.MESSAGES, ANTHROPIC)


def routes() -> list[BaseRoute]:
    return [Route("/v1/messages", messages, methods=["POST"])]
