"""The OpenAI Responses API: POST /v1/responses, plain and streamed with its typed events.

Requests are converted to the chat shape (proxy/request/responses.py), so they are walked, detected, redacted,
decided, routed (to any target that speaks chat, through litellm) and audited exactly like chat completions; the
answer is converted back (responses_message.py, responses_stream.py). govproxy stores no responses: GET and DELETE
of a response id answer 404, and `previous_response_id` is refused (send the whole conversation as `input`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from proxy.api.handler import Renderer, handle
from proxy.api.responses_message import chat_to_response
from proxy.api.responses_stream import ResponsesStreamEncoder, error_event, event_bytes
from proxy.errors import NotFound, ProxyError
from proxy.request.context import Dialect, Endpoint, RequestContext, Usage


def _usage(ctx: RequestContext, usage: Any) -> None:
    if isinstance(usage, dict):
        ctx.usage = Usage(usage.get("prompt_tokens"), usage.get("completion_tokens"), usage.get("total_tokens"))


def _body(ctx: RequestContext, result: dict[str, Any]) -> dict[str, Any]:
    _usage(ctx, result.get("usage"))
    return chat_to_response(result, requested_model=ctx.request.model if ctx.request else "")


async def _stream(ctx: RequestContext, chunks: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    encoder = ResponsesStreamEncoder(requested_model=ctx.request.model if ctx.request else "")
    for event in encoder.start():
        yield event_bytes(event)
    async for chunk in chunks:
        _usage(ctx, chunk.get("usage"))
        for event in encoder.feed(chunk):
            yield event_bytes(event)
    for event in encoder.finish():
        yield event_bytes(event)


def _error(exc: ProxyError) -> dict[str, Any]:
    return exc.openai_body()


def _stream_error(exc: ProxyError) -> bytes:
    return event_bytes(error_event(exc.openai_body()))


RESPONSES = Renderer(Dialect.OPENAI, _body, _stream, _error, _stream_error)


async def create(request: Request) -> Response:
    return await handle(request, Endpoint.RESPONSES, RESPONSES)


async def stored(request: Request) -> Response:
    exc = NotFound("govproxy does not store responses: there is no response with this id. Send the whole "
                   "conversation as `input` instead of `previous_response_id`.", code="response_not_found")
    return JSONResponse(exc.openai_body(), status_code=exc.status)


def routes() -> list[BaseRoute]:
    return [Route("/v1/responses", create, methods=["POST"]),
            Route("/v1/responses/{response_id}", stored, methods=["GET", "DELETE"])]
