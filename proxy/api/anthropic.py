"""The Anthropic dialect: POST /v1/messages, plain and streaming.

Requests are converted to the OpenAI chat shape (what every later stage and litellm speak) and answers back to
Anthropic Messages; the request conversion lives in proxy/request/anthropic.py, the answer side in
anthropic_message.py and anthropic_stream.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from proxy.api.anthropic_message import openai_to_anthropic
from proxy.api.anthropic_stream import AnthropicStreamEncoder, sse_bytes
from proxy.api.handler import Renderer, handle
from proxy.errors import ProxyError
from proxy.request.context import Dialect, Endpoint, RequestContext, Usage


def _native_usage(ctx: RequestContext, usage: Any) -> None:
    """Anthropic's usage (input counted with its cache reads and writes) -> the audit's token counts."""
    if not isinstance(usage, dict):
        return
    prompt = sum(v for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
                 if isinstance(v := usage.get(k), int))
    completion = usage.get("output_tokens")
    if isinstance(usage.get("input_tokens"), int):
        ctx.usage.prompt_tokens = prompt
    if isinstance(completion, int):
        ctx.usage.completion_tokens = completion
    if ctx.usage.prompt_tokens is not None and ctx.usage.completion_tokens is not None:
        ctx.usage.total_tokens = ctx.usage.prompt_tokens + ctx.usage.completion_tokens


def _body(ctx: RequestContext, result: dict[str, Any]) -> dict[str, Any]:
    model = ctx.request.model if ctx.request else ""
    if ctx.native:  # Anthropic's own Message: passed on, under the alias the caller asked for
        _native_usage(ctx, result.get("usage"))
        return {**result, "model": model}
    usage = result.get("usage")
    if isinstance(usage, dict):
        ctx.usage = Usage(usage.get("prompt_tokens"), usage.get("completion_tokens"), usage.get("total_tokens"))
    return openai_to_anthropic(result, requested_model=model)


async def _stream(ctx: RequestContext, chunks: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    if ctx.native:
        async for event in _native_stream(ctx, chunks):
            yield event
        return
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


async def _native_stream(ctx: RequestContext, events: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    """Anthropic's own events, passed on (the model under the caller's alias)."""
    model = ctx.request.model if ctx.request else ""
    async for event in events:
        kind = str(event.get("type"))
        if kind == "message_start" and isinstance(event.get("message"), dict):
            _native_usage(ctx, event["message"].get("usage"))
            event = {**event, "message": {**event["message"], "model": model}}
        elif kind == "message_delta":
            _native_usage(ctx, event.get("usage"))
        yield sse_bytes(kind, event)


def _error(exc: ProxyError) -> dict[str, Any]:
    return exc.anthropic_body()


def _stream_error(exc: ProxyError) -> bytes:
    return sse_bytes("error", exc.anthropic_body())


ANTHROPIC = Renderer(Dialect.ANTHROPIC, _body, _stream, _error, _stream_error)


async def messages(request: Request) -> Response:
    return await handle(request, Endpoint.MESSAGES, ANTHROPIC)




def is_anthropic(path: str, headers: Mapping[str, str]) -> bool:
    """Whether a request speaks Anthropic's dialect: its paths, or the Anthropic SDK's version header."""
    return path.startswith("/v1/messages") or "anthropic-version" in headers


def _count_body(ctx: RequestContext, result: dict[str, Any]) -> dict[str, Any]:
    return {"input_tokens": int(result["input_tokens"])}


COUNT = Renderer(Dialect.ANTHROPIC, _count_body, _stream, _error, _stream_error)


async def count_tokens(request: Request) -> Response:
    """POST /v1/messages/count_tokens: a Messages body (without max_tokens) through the same stages as a message:
    scanned, decided (a body the policy blocks is blocked), redacted and audited; then counted by the Anthropic
    target the policy routes it to (natively, on the redacted body), or here with litellm's token counter for any
    other target (nothing leaves the proxy)."""
    return await handle(request, Endpoint.COUNT_TOKENS, COUNT)


def routes() -> list[BaseRoute]:
    return [Route("/v1/messages", messages, methods=["POST"]),
            Route("/v1/messages/count_tokens", count_tokens, methods=["POST"])]
