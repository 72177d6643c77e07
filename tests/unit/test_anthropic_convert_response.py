"""OpenAI chat completion -> Anthropic Message (plain answers)."""

from __future__ import annotations

from typing import Any

import pytest
from anthropic.types import Message

from proxy.api.anthropic_message import openai_to_anthropic, stop_reason_for, tool_input, usage_for


def completion(message: dict[str, Any], finish: str | None = "stop", **extra: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": "upstream-name",
            "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}, **extra}


def test_text_answer() -> None:
    msg = openai_to_anthropic(completion({"content": "Hello!"}), requested_model="claude-alias")
    assert msg["id"].startswith("msg_") and len(msg["id"]) > 10
    assert msg == {"id": msg["id"], "type": "message", "role": "assistant", "model": "claude-alias",
                   "content": [{"type": "text", "text": "Hello!"}], "stop_reason": "end_turn",
                   "stop_sequence": None,
                   "usage": {"input_tokens": 12, "output_tokens": 5, "cache_creation_input_tokens": 0,
                             "cache_read_input_tokens": 0}}
    Message.model_validate(msg)  # the SDK's own type accepts it


def test_text_and_tool_calls() -> None:
    msg = openai_to_anthropic(completion({"content": "Let me check.", "tool_calls": [
        {"id": "call_a", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "Bob", "n": 2}'}},
        {"id": "call_b", "type": "function", "function": {"name": "weather", "arguments": ""}}]}, "tool_calls"),
        requested_model="m")
    assert msg["content"] == [
        {"type": "text", "text": "Let me check."},
        {"type": "tool_use", "id": "call_a", "name": "lookup", "input": {"q": "Bob", "n": 2}},
        {"type": "tool_use", "id": "call_b", "name": "weather", "input": {}}]
    assert msg["stop_reason"] == "tool_use"
    Message.model_validate(msg)


def test_tool_call_without_id_and_legacy_function_call() -> None:
    msg = openai_to_anthropic(completion({"content": None, "function_call": {"name": "f", "arguments": '{"a": 1}'}},
                                         "function_call"), requested_model="m")
    (block,) = msg["content"]
    assert block["type"] == "tool_use" and block["id"].startswith("toolu_") and block["input"] == {"a": 1}
    assert msg["stop_reason"] == "tool_use"


def test_tool_calls_with_finish_reason_stop_still_report_tool_use() -> None:
    # Ollama and some vLLM versions say "stop" after a tool call.
    msg = openai_to_anthropic(completion({"tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}, "stop"), requested_model="m")
    assert msg["stop_reason"] == "tool_use"


@pytest.mark.parametrize(("finish", "expected"), [
    ("stop", "end_turn"), ("length", "max_tokens"), ("tool_calls", "tool_use"), ("content_filter", "refusal"),
    (None, "end_turn"), ("something_new", "end_turn"),
])
def test_stop_reasons(finish: str | None, expected: str) -> None:
    assert openai_to_anthropic(completion({"content": "x"}, finish), requested_model="m")["stop_reason"] == expected
    assert stop_reason_for(finish) == expected


def test_length_with_tool_call_stays_max_tokens() -> None:
    assert stop_reason_for("length", has_tool_use=True) == "max_tokens"


def test_stop_sequence_when_the_server_names_it() -> None:
    # vLLM reports the matched stop string in choices[0].stop_reason.
    resp = completion({"content": "counting 1 2"}, "stop")
    resp["choices"][0]["stop_reason"] = "END"
    msg = openai_to_anthropic(resp, requested_model="m")
    assert msg["stop_reason"] == "stop_sequence" and msg["stop_sequence"] == "END"
    # A token id there (a stop token, not a stop string) is an ordinary end of turn.
    resp["choices"][0]["stop_reason"] = 128001
    msg = openai_to_anthropic(resp, requested_model="m")
    assert msg["stop_reason"] == "end_turn" and msg["stop_sequence"] is None


def test_refusal() -> None:
    msg = openai_to_anthropic(completion({"content": None, "refusal": "I can't help with that."}),
                              requested_model="m")
    assert msg["content"] == [{"type": "text", "text": "I can't help with that."}]
    assert msg["stop_reason"] == "refusal"


def test_empty_answer_and_no_choices() -> None:
    msg = openai_to_anthropic(completion({"content": ""}), requested_model="m")
    assert msg["content"] == [] and msg["stop_reason"] == "end_turn"
    msg = openai_to_anthropic({"id": "x", "choices": []}, requested_model="m")
    assert msg["content"] == [] and msg["usage"]["input_tokens"] == 0 and msg["usage"]["output_tokens"] == 0
    Message.model_validate(msg)


def test_content_parts_are_joined() -> None:
    msg = openai_to_anthropic(completion({"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}),
                              requested_model="m")
    assert msg["content"] == [{"type": "text", "text": "ab"}]


def test_upstream_anthropic_message_id_is_kept() -> None:
    msg = openai_to_anthropic({**completion({"content": "x"}), "id": "msg_01ABC"}, requested_model="m")
    assert msg["id"] == "msg_01ABC"


def test_usage_with_cache_tokens() -> None:
    # OpenAI: cached tokens are part of prompt_tokens; Anthropic counts them apart from input_tokens.
    assert usage_for({"prompt_tokens": 100, "completion_tokens": 7,
                      "prompt_tokens_details": {"cached_tokens": 60}}) == {
        "input_tokens": 40, "output_tokens": 7, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 60}
    # litellm's fields for an Anthropic upstream.
    assert usage_for({"prompt_tokens": 100, "completion_tokens": 7, "cache_read_input_tokens": 30,
                      "cache_creation_input_tokens": 20}) == {
        "input_tokens": 50, "output_tokens": 7, "cache_creation_input_tokens": 20, "cache_read_input_tokens": 30}
    assert usage_for(None)["input_tokens"] == 0


@pytest.mark.parametrize(("arguments", "expected"), [
    ('{"a": [1, {"b": null}]}', {"a": [1, {"b": None}]}),
    ("", {}),
    (None, {}),
    ("  ", {}),
    ('{"a": 1', {"arguments": '{"a": 1'}),  # not JSON: kept whole rather than lost
    ("[1, 2]", {"arguments": [1, 2]}),  # JSON but not an object: Anthropic's input must be one
])
def test_tool_input_parsing(arguments: Any, expected: dict[str, Any]) -> None:
    assert tool_input(arguments) == expected


def test_only_the_first_choice_is_used() -> None:
    resp = completion({"content": "first"})
    resp["choices"].append({"index": 1, "message": {"role": "assistant", "content": "second"},
                            "finish_reason": "stop"})
    assert openai_to_anthropic(resp, requested_model="m")["content"] == [{"type": "text", "text": "first"}]
