"""Anthropic bodies go natively to Anthropic targets, through the official anthropic SDK: after scanning and
redaction the recording Anthropic upstream receives the caller's body itself (documents with title, context and
citations settings, cache_control, thinking, tools, metadata with user_id as a keyed hash, the beta header),
never the planted values; the client gets them restored in text, thinking, tool input and citations, plain and
streamed."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest

from tests.canaries import CANARIES, leaked
from tests.conftest import Proxy, Upstreams
from tests.fakes.anthropic_upstream import signature

NAME, EMAIL = CANARIES["PERSON"], CANARIES["EMAIL_ADDRESS"]
IBAN = "DE89 3704 0044 0532 0130 00"
PLANTED = {"PERSON": NAME, "EMAIL_ADDRESS": EMAIL, "IBAN_CODE": IBAN}
USER_ID = "user_8f3a_account_alice@example.org_session_42"
DOC = f"Contract between ACME and {NAME}; payments from {IBAN}."
QUESTION = f"Summarise the contract for {NAME} ({EMAIL})."
PLACEHELD = "Summarise the contract for <PERSON_1> (<EMAIL_ADDRESS_1>)."  # what the upstream reads

REQUEST: dict[str, Any] = {
    "max_tokens": 2048,
    "system": [{"type": "text", "text": "You review contracts.", "cache_control": {"type": "ephemeral"}}],
    "thinking": {"type": "enabled", "budget_tokens": 1024},
    "metadata": {"user_id": USER_ID},
    "tools": [{"name": "lookup", "description": "Look a contract up", "cache_control": {"type": "ephemeral"},
               "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}}}],
    "messages": [{"role": "user", "content": [
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": DOC},
         "title": "Contract 2026-17", "context": "signed copy", "citations": {"enabled": True},
         "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": QUESTION}]}],
}


@pytest.fixture
def client(proxy: Proxy) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=proxy.url, api_key=proxy.key, max_retries=0)


def _received(upstreams: Upstreams) -> dict[str, Any]:
    received = upstreams.external.recorder.all()[-1]
    assert received["path"] == "/v1/messages"
    return received


def _check_forwarded(received: dict[str, Any]) -> None:
    body, headers = received["body"], received["headers"]
    assert headers.get("anthropic-beta") == "context-1m-2025-08-07"
    assert body["model"] == "claude-sonnet-4-5-20250929"
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert body["system"] == REQUEST["system"]
    assert body["tools"] == REQUEST["tools"]
    doc = body["messages"][0]["content"][0]
    assert doc["type"] == "document" and doc["citations"] == {"enabled": True}
    assert doc["cache_control"] == {"type": "ephemeral"}
    assert doc["title"] == "Contract 2026-17" and doc["context"] == "signed copy"
    assert "<PERSON_1>" in doc["source"]["data"] and "<IBAN_CODE_1>" in doc["source"]["data"]
    user_id = body["metadata"]["user_id"]
    assert user_id.startswith("gpu_") and USER_ID not in json.dumps(body) and "alice" not in user_id
    assert leaked(json.dumps(received), PLANTED) == []


def test_native_plain_keeps_every_feature_and_restores(client: anthropic.Anthropic, upstreams: Upstreams) -> None:
    msg = client.messages.create(model="claude-external", extra_headers={"anthropic-beta": "context-1m-2025-08-07"},
                                 **REQUEST)
    _check_forwarded(_received(upstreams))
    thinking, text = msg.content[0], msg.content[1]
    assert thinking.type == "thinking" and thinking.thinking == f"thinking about: {QUESTION}"
    assert thinking.signature.startswith(signature(f"{PLACEHELD}") + ".")  # tagged by govproxy
    assert text.type == "text" and text.text == f"echo: {QUESTION}"
    assert text.citations is not None and text.citations[0].cited_text == DOC
    assert msg.model == "claude-external" and msg.usage.input_tokens == 13
    # The hash is stable: the same user id gives the same value on the next request.
    first = _received(upstreams)["body"]["metadata"]["user_id"]
    client.messages.create(model="claude-external", **{**REQUEST, "thinking": {"type": "disabled"}})
    assert _received(upstreams)["body"]["metadata"]["user_id"] == first


def test_native_stream_restores_split_placeholders(client: anthropic.Anthropic, upstreams: Upstreams) -> None:
    upstreams.external.chunk_size = 3  # placeholders arrive split over several events
    with client.messages.stream(model="claude-external", extra_headers={"anthropic-beta": "context-1m-2025-08-07"},
                                **REQUEST) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    _check_forwarded(_received(upstreams))
    assert text == f"echo: {QUESTION}"
    assert final.content[0].type == "thinking" and final.content[0].thinking == f"thinking about: {QUESTION}"
    assert final.content[1].citations is not None and final.content[1].citations[0].cited_text == DOC
    assert final.model == "claude-external"


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_native_tool_use_input_is_restored(client: anthropic.Anthropic, upstreams: Upstreams, stream: bool) -> None:
    upstreams.external.chunk_size = 5
    ask = f"please call_tool for {NAME}, {EMAIL}"
    kwargs: dict[str, Any] = {"model": "claude-external", "max_tokens": 256, "tools": REQUEST["tools"],
                              "messages": [{"role": "user", "content": ask}]}
    if stream:
        with client.messages.stream(**kwargs) as s:
            msg = s.get_final_message()
    else:
        msg = client.messages.create(**kwargs)
    block = next(b for b in msg.content if b.type == "tool_use")
    assert block.name == "lookup" and block.input == {"query": ask}
    sent = _received(upstreams)["body"]["messages"][0]["content"]
    assert sent == "please call_tool for <PERSON_1>, <EMAIL_ADDRESS_1>"
    # The tool loop goes on natively: tool_use and tool_result blocks as sent, the result's values redacted.
    client.messages.create(model="claude-external", max_tokens=256, tools=REQUEST["tools"], messages=[
        {"role": "user", "content": ask},
        {"role": "assistant", "content": [{"type": "tool_use", "id": block.id, "name": block.name,
                                           "input": block.input}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": block.id, "is_error": False,
                                      "content": [{"type": "text", "text": f"{NAME} pays from {IBAN}"}]}]}])
    sent = _received(upstreams)["body"]["messages"]
    assert sent[1]["content"][0]["input"] == {"query": "please call_tool for <PERSON_1>, <EMAIL_ADDRESS_1>"}
    assert sent[2]["content"][0]["is_error"] is False and sent[2]["content"][0]["tool_use_id"] == block.id
    assert leaked(upstreams.external.recorder.dump(), PLANTED) == []


def test_a_thinking_tool_loop_sends_the_signature_back_as_anthropic_made_it(client: anthropic.Anthropic,
                                                                           upstreams: Upstreams) -> None:
    ask = f"please call_tool for {NAME}"
    kwargs: dict[str, Any] = {"model": "claude-external", "max_tokens": 2048, "tools": REQUEST["tools"],
                              "thinking": {"type": "enabled", "budget_tokens": 1024}}
    with client.messages.stream(messages=[{"role": "user", "content": ask}], **kwargs) as stream:
        first = stream.get_final_message()
    thinking, call = first.content[0], first.content[1]
    assert thinking.type == "thinking" and thinking.thinking == f"thinking about: {ask}"
    made = signature("please call_tool for <PERSON_1>")  # what the upstream signed
    assert thinking.signature.startswith(made + ".")
    # The next turn of the tool loop gives the thinking block back verbatim, as Claude Code does.
    history = [{"role": "user", "content": ask},
               {"role": "assistant", "content": [block.model_dump(exclude_none=True) for block in first.content]},
               {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "done"}]}]
    second = client.messages.create(messages=history, **kwargs)
    assert second.content[-1].type == "text"
    sent = _received(upstreams)["body"]["messages"][1]["content"][0]
    assert sent == {"type": "thinking", "thinking": "thinking about: please call_tool for <PERSON_1>",
                    "signature": made}
    # A signature govproxy did not hand out is scanned like any text: a high-entropy run, which the shipped policy
    # blocks as a secret.
    foreign = signature("made elsewhere")
    history[1]["content"][0]["signature"] = foreign
    with pytest.raises(anthropic.PermissionDeniedError):
        client.messages.create(messages=history, **kwargs)
    assert foreign not in upstreams.external.recorder.dump()
    assert leaked(upstreams.external.recorder.dump(), PLANTED) == []


def test_mcp_servers_are_refused_naming_the_field(client: anthropic.Anthropic, upstreams: Upstreams) -> None:
    """The provider would hand the conversation to these servers itself: a third party no rule cleared."""
    servers = [{"type": "url", "url": "https://mcp.example.com/sse", "name": "crm",
                "authorization_token": "mcp-token-0123456789"}]
    with pytest.raises(anthropic.BadRequestError) as err:
        client.messages.create(model="claude-external", max_tokens=64, extra_body={"mcp_servers": servers},
                               messages=[{"role": "user", "content": f"Look up {NAME} in the CRM."}])
    assert err.value.body["error"]["type"] == "invalid_request_error"
    assert "mcp_servers" in err.value.body["error"]["message"]
    assert NAME not in json.dumps(err.value.body) and "mcp-token" not in json.dumps(err.value.body)
    assert upstreams.external.recorder.all() == []
