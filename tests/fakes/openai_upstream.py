"""A fake OpenAI-compatible model server for tests: answers plain and streaming requests deterministically and
records every request it receives, so tests can assert exactly what left the proxy.

Answers: chat echoes the last user text as "echo: <text>"; if that text contains `call_tool` (and the last message
is not a tool result), it answers with a call of the first tool the request defines ("lookup" without tools) whose
arguments echo the text. Completions
echo the prompt; embeddings return a fixed-size vector.
`behaviour` switches faults on: "ok", "error500", "drop" (stream dies mid-way), "timeout" (the request is taken
and then not answered while the switch stays on, at most HANG_MAX_S: longer than any proxy upstream timeout).
Latency: `delay_s` before every answer, plus a uniform random `jitter_s` on top (realistic spread for benches);
`chunk_delay_s` between streamed chunks.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route


class Recorder:
    """Thread-safe list of received requests: {"path", "headers", "body"}."""

    def __init__(self) -> None:
        self._items: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def append(self, item: dict[str, Any]) -> None:
        with self._lock:
            self._items.append(item)

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def dump(self) -> str:
        """Everything received, as one string (for canary greps)."""
        return json.dumps(self.all(), ensure_ascii=False)


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for msg in reversed(messages):
        if msg.get("role") == "user":
            content = msg.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _first_tool_name(body: dict[str, Any]) -> str:
    """The name of the first tool the request defines (what a model would call), else "lookup"."""
    tools = body.get("tools")
    if isinstance(tools, list) and tools and isinstance(tools[0], dict):
        fn = tools[0].get("function")
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            return fn["name"]
    return "lookup"


HANG_MAX_S = 120.0


class FakeState:
    def __init__(self, name: str) -> None:
        self.name = name
        self.recorder = Recorder()
        self.behaviour = "ok"
        self.delay_s = 0.0
        self.jitter_s = 0.0  # extra uniform random latency in [0, jitter_s) per answer
        self.chunk_delay_s = 0.0
        self.chunk_size = 4  # characters of the answer per streamed chunk

    async def latency(self) -> None:
        """Wait as configured before answering: the fixed delay, the jitter, and a hang while "timeout" is on."""
        delay = self.delay_s + (random.uniform(0.0, self.jitter_s) if self.jitter_s else 0.0)
        if delay:
            await asyncio.sleep(delay)
        deadline = time.monotonic() + HANG_MAX_S
        while self.behaviour == "timeout" and time.monotonic() < deadline:
            await asyncio.sleep(0.05)


def openai_routes(state: FakeState) -> list[BaseRoute]:
    async def record(request: Request) -> dict[str, Any]:
        body = await request.json()
        state.recorder.append({"path": request.url.path, "headers": dict(request.headers), "body": body})
        await state.latency()
        return body

    def failing() -> Response | None:
        if state.behaviour == "error500":
            return JSONResponse({"error": {"message": "boom", "type": "server_error"}}, status_code=500)
        return None

    async def chat(request: Request) -> Response:
        body = await record(request)
        if (resp := failing()) is not None:
            return resp
        text = _last_user_text(body.get("messages", []))
        answer = f"echo: {text}"
        created = int(time.time())
        cid = f"chatcmpl-{state.name}"
        # A tool result answers the call: the model then replies with text (an agent loop ends).
        messages = body.get("messages") or [{}]
        tool = "call_tool" in text and messages[-1].get("role") != "tool"
        tool_name = _first_tool_name(body)
        usage = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": None if tool else answer}
            if tool:
                message["tool_calls"] = [{"id": "call_1", "type": "function", "function": {
                    "name": tool_name, "arguments": json.dumps({"query": text})}}]
            return JSONResponse({"id": cid, "object": "chat.completion", "created": created,
                                 "model": body.get("model"), "choices": [{
                                     "index": 0, "message": message,
                                     "finish_reason": "tool_calls" if tool else "stop"}], "usage": usage})
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        async def events() -> AsyncIterator[bytes]:
            def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
                # As OpenAI and vLLM send them: nulls for what a chunk does not carry, a fingerprint, and a field
                # of the provider's own (`provider_note`, with a null inside) that no SDK type declares.
                data = {"id": cid, "object": "chat.completion.chunk", "created": created,
                        "model": body.get("model"), "system_fingerprint": "fp_fake", "service_tier": None,
                        "provider_note": {"region": "loopback", "shard": None},
                        "choices": [{"index": 0, "delta": {**delta, "refusal": None}, "logprobs": None,
                                     "finish_reason": finish}]}
                return b"data: " + json.dumps(data).encode() + b"\n\n"

            yield chunk({"role": "assistant", "content": ""})
            if tool:
                args = json.dumps({"query": text})
                yield chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                             "function": {"name": tool_name, "arguments": ""}}]})
                for i in range(0, len(args), state.chunk_size):
                    yield chunk({"tool_calls": [{"index": 0, "function": {"arguments":
                                                                          args[i:i + state.chunk_size]}}]})
            else:
                pieces = [answer[i:i + state.chunk_size] for i in range(0, len(answer), state.chunk_size)]
                for n, piece in enumerate(pieces):
                    if state.behaviour == "drop" and n == len(pieces) // 2:
                        raise RuntimeError("fake upstream dropped the stream")
                    if state.chunk_delay_s:
                        await asyncio.sleep(state.chunk_delay_s)
                    yield chunk({"content": piece})
            yield chunk({}, "tool_calls" if tool else "stop")
            if include_usage:
                data = {"id": cid, "object": "chat.completion.chunk", "created": created,
                        "model": body.get("model"), "choices": [], "usage": usage}
                yield b"data: " + json.dumps(data).encode() + b"\n\n"
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    async def completions(request: Request) -> Response:
        body = await record(request)
        if (resp := failing()) is not None:
            return resp
        prompt = body.get("prompt")
        text = prompt if isinstance(prompt, str) else " ".join(p for p in prompt if isinstance(p, str))
        return JSONResponse({"id": f"cmpl-{state.name}", "object": "text_completion", "created": int(time.time()),
                             "model": body.get("model"), "choices": [{
                                 "index": 0, "text": f"echo: {text}", "finish_reason": "stop", "logprobs": None}],
                             "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10}})

    async def embeddings(request: Request) -> Response:
        body = await record(request)
        if (resp := failing()) is not None:
            return resp
        inputs = body.get("input")
        n = 1 if isinstance(inputs, str) else len(inputs)
        data = [{"object": "embedding", "index": i, "embedding": [0.1, 0.2, 0.3, float(i)]} for i in range(n)]
        return JSONResponse({"object": "list", "data": data, "model": body.get("model"),
                             "usage": {"prompt_tokens": 3, "total_tokens": 3}})

    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": "fake", "object": "model"}]})

    return [Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/completions", completions, methods=["POST"]),
            Route("/v1/embeddings", embeddings, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"])]


def fake_app(state: FakeState, extra_routes: list[BaseRoute] | None = None) -> Starlette:
    return Starlette(routes=[*openai_routes(state), *(extra_routes or [])])
