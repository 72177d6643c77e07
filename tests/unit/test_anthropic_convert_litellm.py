"""Round trip through litellm (via proxy.routing.upstream, the one module that imports it): an Anthropic request,
converted to the OpenAI shape, sent by litellm to the fake Anthropic API, arrives with the same content; the
answer, converted back (plain and streamed through the encoder), is what the fake said."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from proxy.api.anthropic_message import openai_to_anthropic
from proxy.api.anthropic_stream import AnthropicStreamEncoder
from proxy.policy.decision import Location
from proxy.request.anthropic import anthropic_to_openai
from proxy.routing.catalogue import Target
from proxy.routing.upstream import Upstream
from tests.fakes.anthropic_upstream import anthropic_routes
from tests.fakes.openai_upstream import FakeState, fake_app
from tests.harness import ThreadedServer

TOOL = {"name": "lookup", "description": "Find a customer", "input_schema": {
    "type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}


@pytest.fixture(scope="module")
def setup() -> Iterator[tuple[FakeState, Upstream, Target]]:
    state = FakeState("anthropic")
    server = ThreadedServer(fake_app(state, anthropic_routes(state))).start()
    target = Target(alias="claude", model="anthropic/claude-fake", location=Location.EXTERNAL, api_base=server.url)
    yield state, Upstream(retries=0), target
    server.stop()


def request(last: str, **extra: Any) -> dict[str, Any]:
    return {"model": "claude-alias", "max_tokens": 200, "system": [{"type": "text", "text": "You help support."}],
            "temperature": 0.3, "stop_sequences": ["END"], "tools": [TOOL], "tool_choice": {"type": "auto"},
            "messages": [
                {"role": "user", "content": "Who is customer 7?"},
                {"role": "assistant", "content": [
                    {"type": "text", "text": "Let me look."},
                    {"type": "tool_use", "id": "toolu_7", "name": "lookup", "input": {"query": "7"}}]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_7", "content": "Jane, Berlin"},
                    {"type": "text", "text": last}]}], **extra}


def _blocks(content: Any) -> list[dict[str, Any]]:
    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
    return [{k: (_blocks(v) if k == "content" else v) for k, v in b.items() if k != "cache_control"}
            for b in blocks]


def normalise(body: dict[str, Any]) -> dict[str, Any]:
    """What matters of an Anthropic request, independent of spelling (string vs. one text block, tool type)."""
    return {"system": _blocks(body["system"]), "max_tokens": body["max_tokens"],
            "temperature": body["temperature"], "stop_sequences": body["stop_sequences"],
            "tool_choice": body["tool_choice"]["type"],
            "tools": [{k: v for k, v in t.items() if k != "type"} for t in body["tools"]],
            "messages": [{"role": m["role"], "content": _blocks(m["content"])} for m in body["messages"]]}


def test_request_arrives_as_sent(setup: tuple[FakeState, Upstream, Target]) -> None:
    state, upstream, target = setup
    state.recorder.clear()
    original = request("Thanks!")
    answer = asyncio.run(upstream.chat(target, anthropic_to_openai(original)))
    (seen,) = state.recorder.all()
    assert seen["path"] == "/v1/messages"
    assert seen["headers"]["anthropic-version"] and seen["headers"]["x-api-key"]
    assert seen["body"]["model"] == "claude-fake"
    assert normalise(seen["body"]) == normalise(original)
    msg = openai_to_anthropic(answer, requested_model="claude-alias")
    assert msg["content"] == [{"type": "text", "text": "echo: Thanks!"}]
    assert msg["stop_reason"] == "end_turn" and msg["model"] == "claude-alias"
    assert msg["usage"]["input_tokens"] == 13 and msg["usage"]["output_tokens"] == 9


def test_plain_tool_use_answer(setup: tuple[FakeState, Upstream, Target]) -> None:
    _, upstream, target = setup
    answer = asyncio.run(upstream.chat(target, anthropic_to_openai(request("now call_tool"))))
    msg = openai_to_anthropic(answer, requested_model="claude-alias")
    assert msg["content"] == [{"type": "tool_use", "id": "toolu_1", "name": "lookup",
                               "input": {"query": "now call_tool"}}]
    assert msg["stop_reason"] == "tool_use"


async def _stream(upstream: Upstream, target: Target, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    body = {**body, "stream_options": {"include_usage": True}}
    enc = AnthropicStreamEncoder(requested_model="claude-alias")
    events = []
    async for chunk in await upstream.chat_stream(target, body):
        events += enc.feed(chunk)
    return events + enc.finish()


def _final(events: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    msg: dict[str, Any] = {"content": []}
    for name, data in events:
        if name == "content_block_start":
            msg["content"].append({**data["content_block"], "_json": ""})
        elif name == "content_block_delta":
            block, delta = msg["content"][data["index"]], data["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            else:
                block["_json"] += delta["partial_json"]
        elif name == "message_delta":
            msg.update(stop_reason=data["delta"]["stop_reason"], usage=data["usage"])
    for block in msg["content"]:
        raw = block.pop("_json")
        if block["type"] == "tool_use":
            block["input"] = json.loads(raw)
    return msg


@pytest.mark.parametrize(("last", "content", "stop"), [
    ("stream it", [{"type": "text", "text": "echo: stream it"}], "end_turn"),
    ("stream call_tool", [{"type": "tool_use", "id": "toolu_1", "name": "lookup",
                           "input": {"query": "stream call_tool"}}], "tool_use"),
])
def test_stream_through_the_encoder(setup: tuple[FakeState, Upstream, Target], last: str,
                                    content: list[dict[str, Any]], stop: str) -> None:
    state, upstream, target = setup
    state.chunk_size = 3
    events = asyncio.run(_stream(upstream, target, anthropic_to_openai(request(last, stream=True))))
    assert events[0][0] == "message_start" and [n for n, _ in events[-2:]] == ["message_delta", "message_stop"]
    final = _final(events)
    assert final["content"] == content and final["stop_reason"] == stop
    assert final["usage"]["input_tokens"] == 13 and final["usage"]["output_tokens"] == 9
