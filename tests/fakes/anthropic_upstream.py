"""A fake Anthropic Messages API for tests: `POST /v1/messages`, plain and streaming (Anthropic's SSE event
sequence), recording every request it receives as {"path", "headers", "body"}.

Answers deterministically: the last user text (its text blocks, or tool_result text when that is all the turn
holds) echoed as "echo: <text>"; when that text contains `call_tool`, a tool_use block named "lookup" whose
input is {"query": <text>}. With `thinking` enabled a thinking block ("thinking about: <text>", a signature of
high entropy as Anthropic's are) comes first; when the last user turn holds a document with citations enabled,
the text block cites the whole of that document's text (cited_text, document_title).
`POST /v1/messages/count_tokens` answers {"input_tokens": <characters of system, messages and tools,
JSON-encoded, divided by 4>}. Like the real API it
wants `anthropic-version` and a key (`x-api-key` or a bearer token), and model, max_tokens and messages in the
body; otherwise it answers with an Anthropic error body.

litellm reaches it as model `anthropic/<name>` with `api_base=http://127.0.0.1:<port>` (no /v1: litellm appends
/v1/messages itself) and sends x-api-key, anthropic-version and content-type.

Pass a FakeState (tests/fakes/openai_upstream.py) to share its recorder and fault switches ("error500", "drop",
"timeout", delay_s, jitter_s, chunk_delay_s, chunk_size) with an OpenAI fake on the same server, or any object
with `.append(dict)`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from tests.fakes.openai_upstream import FakeState

USAGE = {"input_tokens": 13, "output_tokens": 9}


class _Appendable(Protocol):
    def append(self, item: dict[str, Any]) -> None: ...


def _texts(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content]
    if not isinstance(content, list):
        return []
    return [b["text"] for b in content if isinstance(b, dict) and b.get("type") == "text"
            and isinstance(b.get("text"), str)]


def last_user_text(messages: list[dict[str, Any]]) -> str:
    """The text of the last user turn: its text blocks, else the text inside its tool_result blocks."""
    for msg in reversed(messages):
        if msg.get("role") != "user":
            continue
        content = msg.get("content")
        texts = _texts(content)
        if not texts and isinstance(content, list):
            for block in content:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    texts += _texts(block.get("content"))
        return " ".join(texts)
    return ""


def signature(text: str) -> str:
    """A thinking block's signature: like Anthropic's, base64 of bytes that read as random (a high-entropy run)."""
    digest = hashlib.sha512(text.encode()).digest()
    return "Eq" + base64.b64encode(digest + hashlib.sha512(digest).digest()).decode()


def _error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse({"type": "error", "error": {"type": kind, "message": message}}, status_code=status)


def _check(request: Request, body: Any) -> Response | None:
    headers = request.headers
    if not headers.get("anthropic-version"):
        return _error(400, "invalid_request_error", "anthropic-version: header is required")
    if not (headers.get("x-api-key") or headers.get("authorization", "").lower().startswith("bearer ")):
        return _error(401, "authentication_error", "x-api-key header is required")
    if not isinstance(body, dict):
        return _error(400, "invalid_request_error", "body must be a JSON object")
    for key, kind in (("model", str), ("max_tokens", int), ("messages", list)):
        if not isinstance(body.get(key), kind):
            return _error(400, "invalid_request_error", f"{key}: Field required")
    return None


def _ev(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def anthropic_routes(state: FakeState | _Appendable) -> list[BaseRoute]:
    """The route(s) of the fake; add them to any Starlette app (e.g. `fake_app(state, anthropic_routes(state))`)."""
    recorder: _Appendable = state.recorder if isinstance(state, FakeState) else state
    faults = state if isinstance(state, FakeState) else FakeState("anthropic")

    async def messages(request: Request) -> Response:
        body = await request.json()
        recorder.append({"path": request.url.path, "headers": dict(request.headers), "body": body})
        await faults.latency()
        if (problem := _check(request, body)) is not None:
            return problem
        if faults.behaviour == "error500":
            return _error(500, "api_error", "boom")
        text = last_user_text(body["messages"])
        tool = "call_tool" in text
        blocks: list[dict[str, Any]] = []
        if isinstance(body.get("thinking"), dict) and body["thinking"].get("type") == "enabled":
            blocks.append({"type": "thinking", "thinking": f"thinking about: {text}", "signature": signature(text)})
        if tool:
            blocks.append({"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"query": text}})
        else:
            block: dict[str, Any] = {"type": "text", "text": f"echo: {text}"}
            if (citation := _citation(body["messages"])) is not None:
                block["citations"] = [citation]
            blocks.append(block)
        stop = "tool_use" if tool else "end_turn"
        if not body.get("stream"):
            return JSONResponse({"id": "msg_fake", "type": "message", "role": "assistant", "model": body["model"],
                                 "content": blocks, "stop_reason": stop, "stop_sequence": None, "usage": USAGE})
        return StreamingResponse(_events(body["model"], blocks, stop, faults), media_type="text/event-stream")

    async def count_tokens(request: Request) -> Response:
        body = await request.json()
        recorder.append({"path": request.url.path, "headers": dict(request.headers), "body": body})
        if not request.headers.get("anthropic-version"):
            return _error(400, "invalid_request_error", "anthropic-version: header is required")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or "max_tokens" in body:
            return _error(400, "invalid_request_error", "messages: Field required; max_tokens: not permitted")
        counted = json.dumps([body.get("system"), body["messages"], body.get("tools")])
        return JSONResponse({"input_tokens": max(1, len(counted) // 4)})

    return [Route("/v1/messages", messages, methods=["POST"]),
            Route("/v1/messages/count_tokens", count_tokens, methods=["POST"])]


def _citation(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A char_location citation of the whole first citable text document in the last user turn."""
    last = next((m for m in reversed(messages) if m.get("role") == "user"), None)
    for block in last.get("content") if last and isinstance(last.get("content"), list) else []:
        if isinstance(block, dict) and block.get("type") == "document" and (block.get("citations") or {}).get(
                "enabled") and (block.get("source") or {}).get("type") == "text":
            data = block["source"]["data"]
            return {"type": "char_location", "cited_text": data, "document_index": 0,
                    "document_title": block.get("title"), "start_char_index": 0, "end_char_index": len(data)}
    return None


async def _events(model: str, blocks: list[dict[str, Any]], stop: str, faults: FakeState) -> AsyncIterator[bytes]:
    size = max(faults.chunk_size, 1)
    yield _ev("message_start", {"type": "message_start", "message": {
        "id": "msg_fake", "type": "message", "role": "assistant", "model": model, "content": [],
        "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": USAGE["input_tokens"],
                                                               "output_tokens": 1}}})
    for index, block in enumerate(blocks):
        extra: list[dict[str, Any]] = []
        if block["type"] == "tool_use":
            start = {**block, "input": {}}
            payload, kind, field = json.dumps(block["input"]), "input_json_delta", "partial_json"
        elif block["type"] == "thinking":
            start = {"type": "thinking", "thinking": "", "signature": ""}
            payload, kind, field = block["thinking"], "thinking_delta", "thinking"
            extra = [{"type": "signature_delta", "signature": block["signature"]}]
        else:
            start = {"type": "text", "text": ""}
            payload, kind, field = block["text"], "text_delta", "text"
            extra = [{"type": "citations_delta", "citation": c} for c in block.get("citations", [])]
        yield _ev("content_block_start", {"type": "content_block_start", "index": index, "content_block": start})
        yield _ev("ping", {"type": "ping"})
        pieces = [payload[i:i + size] for i in range(0, len(payload), size)]
        for n, piece in enumerate(pieces):
            if faults.behaviour == "drop" and n == len(pieces) // 2:
                raise RuntimeError("fake upstream dropped the stream")
            if faults.chunk_delay_s:
                await asyncio.sleep(faults.chunk_delay_s)
            yield _ev("content_block_delta", {"type": "content_block_delta", "index": index,
                                              "delta": {"type": kind, field: piece}})
        for delta in extra:
            yield _ev("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
        yield _ev("content_block_stop", {"type": "content_block_stop", "index": index})
    yield _ev("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                                "usage": {"output_tokens": USAGE["output_tokens"]}})
    yield _ev("message_stop", {"type": "message_stop"})


def anthropic_app(state: FakeState | _Appendable) -> Starlette:
    """A server with only the fake Anthropic API."""
    return Starlette(routes=anthropic_routes(state))
