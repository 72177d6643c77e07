"""Anthropic Messages request -> OpenAI chat body: every field that is converted, what is dropped, and the errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.api.anthropic_message import openai_to_anthropic
from proxy.errors import BadRequest
from proxy.request.anthropic import anthropic_to_openai
from proxy.request.context import Endpoint
from proxy.request.schemas import parse_openai
from proxy.request.walk import text_fields

TOOL = {"name": "lookup", "description": "Look a customer up", "input_schema": {
    "type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}


def body(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model": "claude-x", "max_tokens": 100, "messages": list(messages), **extra}


def user(content: Any) -> dict[str, Any]:
    return {"role": "user", "content": content}


def test_minimal_request() -> None:
    assert anthropic_to_openai(body(user("hello"))) == {
        "model": "claude-x", "max_tokens": 100, "messages": [{"role": "user", "content": "hello"}]}


def test_system_string_and_blocks() -> None:
    out = anthropic_to_openai(body(user("hi"), system="be brief"))
    assert out["messages"][0] == {"role": "system", "content": "be brief"}
    blocks = [{"type": "text", "text": "rule one", "cache_control": {"type": "ephemeral"}},
              {"type": "text", "text": "rule two"}]
    out = anthropic_to_openai(body(user("hi"), system=blocks))
    # The caching marker stays on its part (litellm passes it to Anthropic targets; others get it removed).
    assert out["messages"][0] == {"role": "system", "content": [
        {"type": "text", "text": "rule one", "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "rule two"}]}
    # One block collapses to a plain string (text-only OpenAI-compatible servers take nothing else).
    out = anthropic_to_openai(body(user("hi"), system=[{"type": "text", "text": "only"}]))
    assert out["messages"][0] == {"role": "system", "content": "only"}
    assert anthropic_to_openai(body(user("hi"), system=[]))["messages"] == [{"role": "user", "content": "hi"}]


def test_system_role_inside_messages() -> None:
    out = anthropic_to_openai(body({"role": "system", "content": "sys"}, user("hi")))
    assert out["messages"] == [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}]


def test_text_and_image_blocks() -> None:
    out = anthropic_to_openai(body(user([
        {"type": "text", "text": "what is this?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}}])))
    assert out["messages"][0]["content"] == [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}]


def test_plain_text_document_becomes_text() -> None:
    doc = {"type": "document", "title": "t", "source": {"type": "text", "media_type": "text/plain", "data": "doc body"}}
    out = anthropic_to_openai(body(user([doc, {"type": "text", "text": "summarise"}])))
    assert out["messages"][0]["content"] == [{"type": "text", "text": "doc body"},
                                             {"type": "text", "text": "summarise"}]


def test_tool_use_and_tool_result() -> None:
    out = anthropic_to_openai(body(
        user("find Bob"),
        {"role": "assistant", "content": [
            {"type": "text", "text": "Looking."},
            {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "Bob", "n": [1, 2]}},
            {"type": "tool_use", "id": "toolu_2", "name": "lookup", "input": {}}]},
        user([{"type": "tool_result", "tool_use_id": "toolu_1", "content": "Bob lives in Berlin"},
              {"type": "tool_result", "tool_use_id": "toolu_2",
               "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}], "is_error": True},
              {"type": "text", "text": "thanks"}]),
        tools=[TOOL]))
    msgs = out["messages"]
    assert msgs[1]["role"] == "assistant" and msgs[1]["content"] == "Looking."
    calls = msgs[1]["tool_calls"]
    assert [c["id"] for c in calls] == ["toolu_1", "toolu_2"]
    assert calls[0]["type"] == "function" and calls[0]["function"]["name"] == "lookup"
    assert json.loads(calls[0]["function"]["arguments"]) == {"q": "Bob", "n": [1, 2]}
    assert calls[1]["function"]["arguments"] == "{}"
    assert msgs[2] == {"role": "tool", "tool_call_id": "toolu_1", "content": "Bob lives in Berlin"}
    assert msgs[3] == {"role": "tool", "tool_call_id": "toolu_2",
                       "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
    assert msgs[4] == {"role": "user", "content": "thanks"}
    assert out["tools"] == [{"type": "function", "function": {
        "name": "lookup", "description": "Look a customer up", "parameters": TOOL["input_schema"]}}]


def test_assistant_with_only_tool_use_has_null_content() -> None:
    out = anthropic_to_openai(body(user("x"), {"role": "assistant", "content": [
        {"type": "tool_use", "id": "t1", "name": "lookup", "input": {"q": "ü"}}]}))
    assert out["messages"][1]["content"] is None
    assert out["messages"][1]["tool_calls"][0]["function"]["arguments"] == '{"q": "ü"}'


def test_tool_result_only_turn_has_no_empty_user_message() -> None:
    out = anthropic_to_openai(body(user("x"), {"role": "assistant", "content": [
        {"type": "tool_use", "id": "t1", "name": "lookup", "input": {}}]},
        user([{"type": "tool_result", "tool_use_id": "t1"}])))
    assert out["messages"][-1] == {"role": "tool", "tool_call_id": "t1", "content": ""}


def test_tool_result_images_follow_in_the_user_message() -> None:
    img = {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "AAAA"}}
    out = anthropic_to_openai(body(user([{"type": "tool_result", "tool_use_id": "t1",
                                          "content": [{"type": "text", "text": "screenshot:"}, img]}])))
    assert out["messages"] == [
        {"role": "tool", "tool_call_id": "t1", "content": "screenshot:"},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,AAAA"}}]}]


def test_thinking_blocks_in_history_are_dropped() -> None:
    out = anthropic_to_openai(body(user("x"), {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "hmm", "signature": "sig"},
        {"type": "redacted_thinking", "data": "opaque"},
        {"type": "text", "text": "answer"}]}))
    assert out["messages"][1] == {"role": "assistant", "content": "answer"}


@pytest.mark.parametrize(("choice", "expected"), [
    ({"type": "auto"}, "auto"),
    ({"type": "any"}, "required"),
    ({"type": "none"}, "none"),
    ({"type": "tool", "name": "lookup"}, {"type": "function", "function": {"name": "lookup"}}),
])
def test_tool_choice(choice: dict[str, Any], expected: Any) -> None:
    out = anthropic_to_openai(body(user("x"), tools=[TOOL], tool_choice=choice))
    assert out["tool_choice"] == expected
    assert "parallel_tool_calls" not in out


def test_disable_parallel_tool_use_and_tool_choice_without_tools() -> None:
    out = anthropic_to_openai(body(user("x"), tools=[TOOL],
                                   tool_choice={"type": "any", "disable_parallel_tool_use": True}))
    assert out["parallel_tool_calls"] is False
    # OpenAI rejects tool_choice without tools; Anthropic tolerates it, so it is left out.
    out = anthropic_to_openai(body(user("x"), tool_choice={"type": "auto"}))
    assert "tool_choice" not in out and "tools" not in out


def test_sampling_stop_stream_and_user() -> None:
    out = anthropic_to_openai(body(user("x"), temperature=0.2, top_p=0.9, top_k=40, stop_sequences=["END", "STOP"],
                                   stream=True, metadata={"user_id": "u-42"}))
    assert out["temperature"] == 0.2 and out["top_p"] == 0.9
    assert out["stop"] == ["END", "STOP"] and out["stream"] is True and out["user"] == "u-42"
    assert "top_k" not in out  # validated, then dropped (OpenAI rejects it)
    assert "stream" not in anthropic_to_openai(body(user("x"), stream=False))


def test_unknown_fields_are_dropped_and_thinking_is_kept() -> None:
    out = anthropic_to_openai(body(user("x"), thinking={"type": "enabled", "budget_tokens": 2000},
                                   service_tier="auto", cache_control={"type": "ephemeral"},
                                   some_future_field={"text": "never forwarded"}))
    # thinking is for Anthropic targets only: the forward stage removes it for any other.
    assert set(out) == {"model", "max_tokens", "messages", "thinking"}


def test_every_request_text_is_a_detectable_text_field() -> None:
    """The lead extracts texts for detection from the converted body: every text of the Anthropic request must be
    there (system, text blocks, documents, tool_use input, tool_result content, tool descriptions)."""
    req = body(
        user([{"type": "text", "text": "T-user"},
              {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "T-doc"}}]),
        {"role": "assistant", "content": [
            {"type": "text", "text": "T-assistant"},
            {"type": "tool_use", "id": "t1", "name": "lookup", "input": {"q": "T-input"}}]},
        user([{"type": "tool_result", "tool_use_id": "t1", "content": "T-result-str"},
              {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "T-result-block"}]}]),
        system=[{"type": "text", "text": "T-system"}], tools=[{**TOOL, "description": "T-tool"}])
    converted = anthropic_to_openai(req)
    texts = " | ".join(t.text for t in text_fields(converted))
    for marker in ("T-user", "T-doc", "T-assistant", "T-input", "T-result-str", "T-result-block", "T-system", "T-tool"):
        assert marker in texts, marker
    # And the converted body is a valid OpenAI chat body for the rest of the pipeline.
    assert parse_openai(Endpoint.CHAT, converted).model == "claude-x"


_text = st.text(min_size=1, max_size=30)
_block = st.one_of(
    _text.map(lambda t: {"type": "text", "text": t}),
    st.builds(lambda t: {"type": "tool_result", "tool_use_id": "t1", "content": t}, _text))


@settings(max_examples=60, deadline=None)
@given(system=_text, turns=st.lists(st.tuples(st.lists(_block, min_size=1, max_size=4), _text,
                                              st.dictionaries(st.sampled_from("abc"), _text, max_size=2)),
                                    min_size=1, max_size=4))
def test_property_no_text_is_lost(system: str, turns: list[tuple[list[dict[str, Any]], str, dict[str, str]]]) -> None:
    messages: list[dict[str, Any]] = []
    expected = [system]
    for blocks, reply, tool_input in turns:
        messages.append(user(blocks))
        expected += [b.get("text") or b["content"] for b in blocks]
        messages.append({"role": "assistant", "content": [
            {"type": "text", "text": reply}, {"type": "tool_use", "id": "t1", "name": "f", "input": tool_input}]})
        expected.append(reply)
    fields = text_fields(anthropic_to_openai(body(*messages, system=system)))
    found = [f.text for f in fields]
    for text in expected:
        assert text in found
    args = [json.loads(f.text) for f in fields if f.kind == "tool_arguments"]
    assert args == [t[2] for t in turns]


def test_assistant_answer_round_trips_into_the_next_request() -> None:
    """An upstream tool call -> Anthropic answer -> sent back by the client as history -> the same OpenAI call."""
    call = {"id": "call_7", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "Bob"}'}}
    answer = openai_to_anthropic({"choices": [{"message": {"role": "assistant", "content": "Checking.",
                                                           "tool_calls": [call]},
                                               "finish_reason": "tool_calls"}]}, requested_model="claude-x")
    history = {"role": "assistant", "content": answer["content"]}
    again = anthropic_to_openai(body(user("x"), history, user([{"type": "tool_result", "tool_use_id": "call_7",
                                                                 "content": "found"}])))
    assert again["messages"][1] == {"role": "assistant", "content": "Checking.", "tool_calls": [call]}
    assert again["messages"][2] == {"role": "tool", "tool_call_id": "call_7", "content": "found"}


SECRET = "4111 1111 1111 1111 jane.doe@example.com"


@pytest.mark.parametrize(("bad", "param", "expects"), [
    ({"max_tokens": 5, "messages": [user("x")]}, "model", "Field required"),
    ({"model": "m", "messages": [user("x")]}, "max_tokens", "Field required"),
    ({"model": "m", "max_tokens": 5}, "messages", "Field required"),
    (body(), "messages", "at least 1 item"),
    (body(user("x"), model=7), "model", "valid string"),
    (body(user("x"), max_tokens="100"), "max_tokens", "valid integer"),
    (body(user("x"), max_tokens=True), "max_tokens", "valid integer"),
    (body(user("x"), temperature="hot"), "temperature", "valid number"),
    (body(user("x"), stream="yes"), "stream", "valid boolean"),
    ({**body(), "messages": SECRET}, "messages", "valid list"),
    (body({"role": "bot", "content": SECRET}), "messages.0.role", "'user', 'assistant' or 'system'"),
    (body({"role": "user"}), "messages.0.content", "Field required"),
    (body(user(5)), "messages.0.content", "string or a list of content blocks"),
    (body(user([SECRET])), "messages.0.content.0", "content block"),
    (body(user([{"type": SECRET}])), "messages.0.content.0.type", "expected one of"),
    (body(user([{"type": "text", "text": 5}])), "messages.0.content.0.text", "valid string"),
    (body(user([{"type": "tool_use", "id": "a", "name": "n", "input": {}}])), "messages.0.content.0.type",
     "expected one of"),
    (body(user("x"), {"role": "assistant", "content": [{"type": "tool_result", "tool_use_id": "a"}]}),
     "messages.1.content.0.type", "expected one of"),
    (body(user("x"), {"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "n",
                                                        "input": SECRET}]}), "messages.1.content.0.input",
     "valid dictionary"),
    (body(user([{"type": "image", "source": {"type": "base64", "data": SECRET}}])), "messages.0.content.0.source",
     "media_type"),
    (body(user([{"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                                  "data": SECRET}}])), "messages.0.content.0.source.type", "PDF"),
    (body(user("x"), system=5), "system", "string or a list"),
    (body(user("x"), tools=[{"name": "f"}]), "tools.0.input_schema", "Field required"),
    (body(user("x"), tools=[{"type": "web_search_20250305", "name": "web_search"}]), "tools.0.type",
     "custom tools"),
    (body(user("x"), tools=[TOOL], tool_choice={"type": "tool"}), "tool_choice.name", "Field required"),
    (body(user("x"), tool_choice={"type": SECRET}), "tool_choice.type", "'auto', 'any', 'tool' or 'none'"),
])
def test_invalid_requests_name_the_field_never_the_value(bad: dict[str, Any], param: str, expects: str) -> None:
    with pytest.raises(BadRequest) as info:
        anthropic_to_openai(bad)
    err = info.value
    assert err.param == param and err.status == 400
    assert err.message.startswith(f"Invalid request: {param}: ") and expects in err.message
    assert "4111" not in err.message and "jane" not in err.message


def test_body_must_be_an_object() -> None:
    with pytest.raises(BadRequest, match="JSON object"):
        anthropic_to_openai([user("x")])  # type: ignore[arg-type]


def test_error_lists_every_missing_field() -> None:
    with pytest.raises(BadRequest) as info:
        anthropic_to_openai({})
    assert info.value.message == ("Invalid request: model: Field required; max_tokens: Field required; "
                                  "messages: Field required")
