"""OpenAI chat chunks -> Anthropic stream events: order, indices, deltas, usage, stop reasons."""

from __future__ import annotations

import json
from typing import Any

import pytest
from anthropic.types import RawMessageStreamEvent
from pydantic import TypeAdapter

from proxy.api.anthropic_stream import AnthropicStreamEncoder, error_event, sse_bytes
from proxy.errors import RateLimited

EVENT = TypeAdapter(RawMessageStreamEvent)


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "delta": delta or {}}
    if finish:
        choice["finish_reason"] = finish
    return {"id": "chatcmpl-9", "object": "chat.completion.chunk", "choices": [choice], **extra}


def usage_chunk(prompt: int = 21, completion: int = 8) -> dict[str, Any]:
    return {"id": "chatcmpl-9", "choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                                                         "total_tokens": prompt + completion}}


def tool_start(i: int, call_id: str, name: str) -> dict[str, Any]:
    return chunk({"tool_calls": [{"index": i, "id": call_id, "type": "function",
                                  "function": {"name": name, "arguments": ""}}]})


def tool_args(i: int, fragment: str) -> dict[str, Any]:
    return chunk({"tool_calls": [{"index": i, "function": {"arguments": fragment}}]})


def encode(chunks: list[dict[str, Any]], model: str = "claude-alias") -> list[tuple[str, dict[str, Any]]]:
    enc = AnthropicStreamEncoder(requested_model=model)
    events = [e for c in chunks for e in enc.feed(c)]
    events += enc.finish()
    for name, data in events:
        assert data["type"] == name
        if name != "ping":
            EVENT.validate_python(data)  # each event is what the SDK's own types accept
    return events


def names(events: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [n for n, _ in events]


def accumulate(events: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """A minimal reader of the event stream (as a client would build the final message)."""
    msg: dict[str, Any] = {}
    json_bufs: dict[int, str] = {}
    for name, data in events:
        if name == "message_start":
            msg = {**data["message"], "content": []}
        elif name == "content_block_start":
            assert data["index"] == len(msg["content"])  # indices are consecutive, from 0
            msg["content"].append(dict(data["content_block"]))
        elif name == "content_block_delta":
            block, delta = msg["content"][data["index"]], data["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            else:
                json_bufs[data["index"]] = json_bufs.get(data["index"], "") + delta["partial_json"]
        elif name == "message_delta":
            msg.update(data["delta"])
            msg["usage"] = {**msg["usage"], **data["usage"]}
    for index, buf in json_bufs.items():
        msg["content"][index]["input"] = json.loads(buf)
    return msg


def test_text_stream_event_order() -> None:
    events = encode([chunk({"role": "assistant", "content": ""}), chunk({"content": "Hel"}), chunk({"content": "lo"}),
                     chunk(finish="stop"), usage_chunk()])
    assert names(events) == ["message_start", "ping", "content_block_start", "content_block_delta",
                             "content_block_delta", "content_block_stop", "message_delta", "message_stop"]
    start = events[0][1]["message"]
    assert start["model"] == "claude-alias" and start["id"].startswith("msg_") and start["content"] == []
    assert start["usage"]["input_tokens"] == 0 and start["usage"]["output_tokens"] == 0
    assert events[2][1] == {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
    assert events[3][1]["delta"] == {"type": "text_delta", "text": "Hel"}
    assert events[6][1] == {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                            "usage": {"input_tokens": 21, "output_tokens": 8, "cache_creation_input_tokens": 0,
                                      "cache_read_input_tokens": 0}}
    assert accumulate(events)["content"] == [{"type": "text", "text": "Hello"}]


def test_text_then_tool_calls_get_their_own_blocks() -> None:
    events = encode([
        chunk({"role": "assistant", "content": "Checking"}),
        tool_start(0, "call_a", "lookup"), tool_args(0, '{"q": '), tool_args(0, '"Bob"}'),
        tool_start(1, "call_b", "weather"), tool_args(1, '{"city": "Berlin"}'),
        chunk(finish="tool_calls"), usage_chunk()])
    assert names(events) == [
        "message_start", "ping",
        "content_block_start", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_stop",
        "message_delta", "message_stop"]
    assert events[5][1] == {"type": "content_block_start", "index": 1, "content_block": {
        "type": "tool_use", "id": "call_a", "name": "lookup", "input": {}}}
    assert events[6][1]["delta"] == {"type": "input_json_delta", "partial_json": '{"q": '}
    msg = accumulate(events)
    assert msg["content"] == [
        {"type": "text", "text": "Checking"},
        {"type": "tool_use", "id": "call_a", "name": "lookup", "input": {"q": "Bob"}},
        {"type": "tool_use", "id": "call_b", "name": "weather", "input": {"city": "Berlin"}}]
    assert msg["stop_reason"] == "tool_use"


def test_tool_call_whose_name_arrives_late_is_held_until_named() -> None:
    events = encode([
        chunk({"tool_calls": [{"index": 0, "id": "call_x", "function": {"arguments": '{"a"'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"name": "f", "arguments": ": 1}"}}]}),
        chunk(finish="tool_calls")])
    starts = [d for n, d in events if n == "content_block_start"]
    assert starts == [{"type": "content_block_start", "index": 0,
                       "content_block": {"type": "tool_use", "id": "call_x", "name": "f", "input": {}}}]
    assert accumulate(events)["content"][0]["input"] == {"a": 1}


def test_tool_call_never_named_is_still_delivered() -> None:
    events = encode([chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}), chunk(finish="stop")])
    msg = accumulate(events)
    assert msg["content"][0]["name"] == "" and msg["content"][0]["id"].startswith("toolu_")
    assert msg["stop_reason"] == "tool_use"


def test_only_tool_call_no_text_block() -> None:
    events = encode([chunk({"role": "assistant", "content": None}), tool_start(0, "c1", "f"), tool_args(0, "{}"),
                     chunk(finish="tool_calls")])
    blocks = [d["content_block"]["type"] for n, d in events if n == "content_block_start"]
    assert blocks == ["tool_use"]


@pytest.mark.parametrize(("finish", "expected"), [
    ("stop", "end_turn"), ("length", "max_tokens"), ("tool_calls", "tool_use"), ("content_filter", "refusal"),
    (None, "end_turn"),
])
def test_stop_reasons(finish: str | None, expected: str) -> None:
    events = encode([chunk({"content": "x"}), chunk(finish=finish)])
    assert events[-2][1]["delta"]["stop_reason"] == expected


def test_stop_sequence_from_vllm() -> None:
    last = chunk(finish="stop")
    last["choices"][0]["stop_reason"] = "###"
    events = encode([chunk({"content": "x"}), last])
    assert events[-2][1]["delta"] == {"stop_reason": "stop_sequence", "stop_sequence": "###"}


def test_refusal_delta_becomes_text_and_refusal_stop() -> None:
    events = encode([chunk({"refusal": "I can't"}), chunk({"refusal": " help."}), chunk(finish="stop")])
    msg = accumulate(events)
    assert msg["content"] == [{"type": "text", "text": "I can't help."}] and msg["stop_reason"] == "refusal"


def test_usage_in_the_finish_chunk_and_without_usage() -> None:
    events = encode([chunk({"content": "x"}), {**chunk(finish="stop"), "usage": {"prompt_tokens": 3,
                                                                                 "completion_tokens": 1}}])
    assert events[-2][1]["usage"]["input_tokens"] == 3 and events[-2][1]["usage"]["output_tokens"] == 1
    events = encode([chunk({"content": "x"}), chunk(finish="stop")])
    assert events[-2][1]["usage"] == {"output_tokens": 0}


def test_known_input_tokens_go_in_message_start() -> None:
    enc = AnthropicStreamEncoder(requested_model="m", input_tokens=42)
    assert enc.feed(chunk({"content": "x"}))[0][1]["message"]["usage"]["input_tokens"] == 42


def test_empty_stream_is_still_a_complete_message() -> None:
    enc = AnthropicStreamEncoder(requested_model="m")
    events = enc.finish()
    assert names(events) == ["message_start", "ping", "message_delta", "message_stop"]
    assert enc.finish() == [] and enc.feed(chunk({"content": "late"})) == []


def test_other_choices_and_empty_deltas_are_ignored() -> None:
    other = {"id": "c", "choices": [{"index": 1, "delta": {"content": "other"}}]}
    events = encode([chunk({"content": "a"}), other, chunk({}), chunk({"content": ""}), chunk(finish="stop")])
    assert accumulate(events)["content"] == [{"type": "text", "text": "a"}]


def test_upstream_anthropic_id_is_kept() -> None:
    enc = AnthropicStreamEncoder(requested_model="m")
    assert enc.feed({"id": "msg_01XYZ", "choices": []})[0][1]["message"]["id"] == "msg_01XYZ"


def test_sse_bytes_format() -> None:
    raw = sse_bytes("content_block_delta", {"type": "content_block_delta", "index": 0,
                                            "delta": {"type": "text_delta", "text": "ä\n"}})
    head, data, end = raw.split(b"\n", 2)
    assert head == b"event: content_block_delta" and end == b"\n"
    assert data.startswith(b"data: ") and json.loads(data[6:])["delta"]["text"] == "ä\n"


def test_error_event_shape() -> None:
    name, data = error_event(RateLimited("Slow down."))
    assert name == "error"
    assert data == {"type": "error", "error": {"type": "rate_limit_error", "message": "Slow down."}}
