"""The official anthropic SDK against real local servers: (1) the fake Anthropic upstream speaks the protocol,
(2) what our converters and stream encoder produce is accepted by the SDK's parsers, plain and streaming."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from proxy.api.anthropic_message import openai_to_anthropic
from proxy.api.anthropic_stream import AnthropicStreamEncoder, error_event, sse_bytes
from proxy.errors import UpstreamError
from proxy.request.anthropic import anthropic_to_openai
from tests.fakes.anthropic_upstream import anthropic_app, last_user_text
from tests.fakes.openai_upstream import Recorder
from tests.harness import ThreadedServer

TOOLS: list[Any] = [{"name": "lookup", "description": "Look up", "input_schema": {
    "type": "object", "properties": {"query": {"type": "string"}}}}]


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()
    server = ThreadedServer(anthropic_app(recorder)).start()
    yield server.url, recorder
    server.stop()


def sdk(url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=url, api_key="test-key", max_retries=0)


# -- (1) the fake Anthropic upstream -----------------------------------------------------------------------------

def test_fake_plain_echo_and_recording(fake: tuple[str, Recorder]) -> None:
    url, recorder = fake
    recorder.clear()
    msg = sdk(url).messages.create(model="claude-fake", max_tokens=32, system="sys",
                                   messages=[{"role": "user", "content": "hello <PERSON_1>"}])
    assert msg.content[0].type == "text" and msg.content[0].text == "echo: hello <PERSON_1>"
    assert msg.stop_reason == "end_turn" and msg.usage.input_tokens == 13 and msg.usage.output_tokens == 9
    (seen,) = recorder.all()
    assert seen["path"] == "/v1/messages"
    # SDK 2.x sends the key as a bearer token (older SDKs and litellm use x-api-key): the fake takes both.
    headers = seen["headers"]
    assert headers.get("x-api-key") == "test-key" or headers.get("authorization") == "Bearer test-key"
    assert headers["anthropic-version"]
    assert seen["body"]["system"] == "sys" and seen["body"]["messages"][0]["content"] == "hello <PERSON_1>"


def test_fake_stream_text_and_tool_use(fake: tuple[str, Recorder]) -> None:
    url, _ = fake
    with sdk(url).messages.stream(model="claude-fake", max_tokens=32,
                                  messages=[{"role": "user", "content": [{"type": "text", "text": "stream me"}]}]) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert text == "echo: stream me" and final.content[0].text == text and final.stop_reason == "end_turn"
    with sdk(url).messages.stream(model="claude-fake", max_tokens=32, tools=TOOLS,
                                  messages=[{"role": "user", "content": "please call_tool"}]) as s:
        final = s.get_final_message()
    block = final.content[0]
    assert block.type == "tool_use" and block.name == "lookup" and block.input == {"query": "please call_tool"}
    assert final.stop_reason == "tool_use" and final.usage.output_tokens == 9


def test_fake_plain_tool_use(fake: tuple[str, Recorder]) -> None:
    url, _ = fake
    msg = sdk(url).messages.create(model="claude-fake", max_tokens=32, tools=TOOLS,
                                   messages=[{"role": "user", "content": "call_tool now"}])
    assert msg.content[0].type == "tool_use" and msg.content[0].input == {"query": "call_tool now"}


def test_fake_echoes_tool_result_text_when_that_is_the_whole_turn() -> None:
    assert last_user_text([{"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t", "content": [{"type": "text", "text": "42"}]}]}]) == "42"


def test_fake_wants_version_key_and_required_fields(fake: tuple[str, Recorder]) -> None:
    url, _ = fake
    ok = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    r = httpx.post(url + "/v1/messages", json=ok, headers={"x-api-key": "k"})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    r = httpx.post(url + "/v1/messages", json=ok, headers={"anthropic-version": "2023-06-01"})
    assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"
    r = httpx.post(url + "/v1/messages", json={"model": "m", "messages": []},
                   headers={"x-api-key": "k", "anthropic-version": "2023-06-01"})
    assert r.status_code == 400 and "max_tokens" in r.json()["error"]["message"]


# -- (2) our conversions, read by the SDK ------------------------------------------------------------------------

def _script(text: str) -> list[dict[str, Any]]:
    """OpenAI chunks an upstream would send for a prompt: text, or text then two tool calls."""
    def c(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"id": "chatcmpl-s", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    chunks = [c({"role": "assistant", "content": ""})]
    chunks += [c({"content": piece}) for piece in ("echo: ", text[:3], text[3:])]
    if "call_tool" in text:
        chunks += [c({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                      "function": {"name": "lookup", "arguments": ""}}]}),
                   c({"tool_calls": [{"index": 0, "function": {"arguments": '{"query": '}}]}),
                   c({"tool_calls": [{"index": 0, "function": {"arguments": '"a"}'}}]}),
                   c({"tool_calls": [{"index": 1, "id": "call_2", "type": "function",
                                      "function": {"name": "lookup", "arguments": '{"query": "b"}'}}]}),
                   c({}, "tool_calls")]
    else:
        chunks.append(c({}, "stop"))
    return [*chunks, {"id": "chatcmpl-s", "choices": [], "usage": {"prompt_tokens": 30, "completion_tokens": 12}}]


def _completion(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """The plain completion equivalent to a chunk script."""
    text = "".join(ch["choices"][0]["delta"].get("content") or "" for ch in chunks if ch["choices"])
    calls: dict[int, dict[str, Any]] = {}
    for ch in chunks:
        for tc in (ch["choices"][0]["delta"].get("tool_calls") or []) if ch["choices"] else []:
            call = calls.setdefault(tc["index"], {"id": tc.get("id"), "type": "function",
                                                  "function": {"name": "", "arguments": ""}})
            call["function"]["name"] += tc["function"].get("name", "")
            call["function"]["arguments"] += tc["function"].get("arguments", "")
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if calls:
        message["tool_calls"] = list(calls.values())
    return {"id": "chatcmpl-s", "choices": [{"index": 0, "message": message,
                                             "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": chunks[-1]["usage"]}


async def _converted(request: Request) -> Response:
    """A stand-in for the proxy's Anthropic route: convert the request, answer from the chunk script."""
    body = anthropic_to_openai(await request.json())
    text = body["messages"][-1]["content"]
    chunks = _script(text)
    if not body.get("stream"):
        return JSONResponse(openai_to_anthropic(_completion(chunks), requested_model=body["model"]))

    async def events() -> AsyncIterator[bytes]:
        enc = AnthropicStreamEncoder(requested_model=body["model"])
        for ch in chunks:
            for ev in enc.feed(ch):
                yield sse_bytes(*ev)
            if "fail" in text and ch["choices"] and ch["choices"][0]["delta"].get("content") == text[:3]:
                yield sse_bytes(*error_event(UpstreamError("Upstream model 'x' failed.")))
                return
        for ev in enc.finish():
            yield sse_bytes(*ev)

    return StreamingResponse(events(), media_type="text/event-stream")


@pytest.fixture(scope="module")
def converted() -> Iterator[str]:
    server = ThreadedServer(Starlette(routes=[Route("/v1/messages", _converted, methods=["POST"])])).start()
    yield server.url
    server.stop()


@pytest.mark.parametrize("prompt", ["plain words", "please call_tool"])
def test_sdk_reads_our_stream_and_it_matches_the_plain_answer(converted: str, prompt: str) -> None:
    client = sdk(converted)
    kwargs: dict[str, Any] = {"model": "claude-alias", "max_tokens": 64, "tools": TOOLS,
                              "messages": [{"role": "user", "content": prompt}]}
    with client.messages.stream(**kwargs) as s:
        text = "".join(s.text_stream)
        streamed = s.get_final_message()
    plain = client.messages.create(**kwargs)
    assert text == f"echo: {prompt}"
    assert streamed.model == plain.model == "claude-alias"
    assert [b.to_dict() for b in streamed.content] == [b.to_dict() for b in plain.content]
    assert streamed.stop_reason == plain.stop_reason
    assert streamed.usage.input_tokens == plain.usage.input_tokens == 30
    assert streamed.usage.output_tokens == plain.usage.output_tokens == 12
    if "call_tool" in prompt:
        assert streamed.stop_reason == "tool_use"
        assert [(b.id, b.input) for b in streamed.content if b.type == "tool_use"] == [
            ("call_1", {"query": "a"}), ("call_2", {"query": "b"})]
    else:
        assert streamed.stop_reason == "end_turn" and len(streamed.content) == 1


def test_sdk_reads_raw_events_in_order(converted: str) -> None:
    with sdk(converted).messages.create(model="m", max_tokens=8, stream=True,
                                        messages=[{"role": "user", "content": "x call_tool"}]) as events:
        kinds = [e.type for e in events]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    assert kinds.count("content_block_start") == kinds.count("content_block_stop") == 3


def test_error_event_mid_stream_raises_in_the_sdk(converted: str) -> None:
    with pytest.raises(anthropic.APIStatusError) as info, sdk(converted).messages.stream(
            model="m", max_tokens=8, messages=[{"role": "user", "content": "fail here"}]) as s:
        for _ in s.text_stream:
            pass
    assert info.value.body == {"type": "error", "error": {"type": "api_error",
                                                          "message": "Upstream model 'x' failed."}}
