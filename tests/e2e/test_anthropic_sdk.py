"""The Anthropic dialect through the official anthropic SDK: to an OpenAI-compatible on-prem model and to an
Anthropic-API upstream, plain and streaming, with tools, errors in Anthropic's shape, and redaction."""

from __future__ import annotations

import asyncio

import anthropic
import httpx
import pytest

from tests.canaries import CANARIES, leaked
from tests.conftest import Proxy, Upstreams

TOOLS = [{"name": "lookup", "description": "Look up", "input_schema": {"type": "object", "properties": {}}}]


def client(proxy: Proxy) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=proxy.url, api_key=proxy.key, max_retries=0)


@pytest.mark.parametrize("model", ["onprem-chat", "claude-external"])
def test_messages_plain(proxy: Proxy, upstreams: Upstreams, model: str) -> None:
    msg = client(proxy).messages.create(model=model, max_tokens=64, system="be brief",
                                        messages=[{"role": "user", "content": "hello there"}])
    assert msg.content[0].type == "text" and msg.content[0].text == "echo: hello there"
    assert msg.model == model and msg.stop_reason == "end_turn" and msg.usage.output_tokens > 0
    if model == "claude-external":
        sent = upstreams.external.recorder.all()[-1]
        assert sent["path"] == "/v1/messages" and sent["body"]["model"] == "claude-sonnet-4-5-20250929"
        assert sent["body"]["system"] == "be brief" or "be brief" in str(sent["body"]["system"])
    else:
        assert upstreams.onprem.recorder.all()[-1]["body"]["messages"][0] == {"role": "system",
                                                                              "content": "be brief"}


@pytest.mark.parametrize("model", ["onprem-chat", "claude-external"])
def test_messages_stream(proxy: Proxy, model: str) -> None:
    with client(proxy).messages.stream(model=model, max_tokens=64,
                                       messages=[{"role": "user", "content": "stream this please"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "echo: stream this please"
    assert final.stop_reason == "end_turn" and final.content[0].text == text


@pytest.mark.parametrize("model", ["onprem-chat", "claude-external"])
def test_tool_use_plain_and_stream(proxy: Proxy, model: str) -> None:
    msg = client(proxy).messages.create(model=model, max_tokens=64, tools=TOOLS,
                                        messages=[{"role": "user", "content": "please call_tool"}])
    block = next(b for b in msg.content if b.type == "tool_use")
    assert block.name == "lookup" and block.input == {"query": "please call_tool"}
    assert msg.stop_reason == "tool_use"
    with client(proxy).messages.stream(model=model, max_tokens=64, tools=TOOLS,
                                       messages=[{"role": "user", "content": "stream call_tool"}]) as stream:
        final = stream.get_final_message()
    block = next(b for b in final.content if b.type == "tool_use")
    assert block.input == {"query": "stream call_tool"}


def test_tool_result_round_trip(proxy: Proxy, upstreams: Upstreams) -> None:
    client(proxy).messages.create(model="onprem-chat", max_tokens=64, tools=TOOLS, messages=[
        {"role": "user", "content": "call_tool"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_9", "name": "lookup", "input": {"q": 1}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_9", "content": "42"},
                                     {"type": "text", "text": "thanks"}]}])
    sent = upstreams.onprem.recorder.all()[-1]["body"]["messages"]
    assert sent[1]["tool_calls"][0]["id"] == "toolu_9"
    assert sent[2] == {"role": "tool", "tool_call_id": "toolu_9", "content": "42"}
    assert sent[3]["role"] == "user"


def test_async_client(proxy: Proxy) -> None:
    async def go() -> str:
        c = anthropic.AsyncAnthropic(base_url=proxy.url, api_key=proxy.key, max_retries=0)
        msg = await c.messages.create(model="onprem-chat", max_tokens=16,
                                      messages=[{"role": "user", "content": "async"}])
        await c.close()
        return msg.content[0].text

    assert asyncio.run(go()) == "echo: async"


def test_errors_in_anthropic_shape(proxy: Proxy) -> None:
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(base_url=proxy.url, api_key="gpk_x_y", max_retries=0).messages.create(
            model="onprem-chat", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(anthropic.NotFoundError):
        client(proxy).messages.create(model="nope", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    r = httpx.post(proxy.url + "/v1/messages", headers={"x-api-key": proxy.key},
                   json={"model": "onprem-chat", "messages": [{"role": "user", "content": "x"}]})
    assert r.status_code == 400
    assert r.json()["type"] == "error" and r.json()["error"]["type"] == "invalid_request_error"
    assert "max_tokens" in r.json()["error"]["message"]


def test_blocked_secret_and_redaction_on_the_anthropic_path(proxy: Proxy, upstreams: Upstreams) -> None:
    with pytest.raises(anthropic.PermissionDeniedError):
        client(proxy).messages.create(model="claude-external", max_tokens=5, messages=[
            {"role": "user", "content": f"use {CANARIES['AWS_ACCESS_KEY_ID']}"}])
    # Personal data to an external model is pseudonymised (default policy), and restored in the answer.
    text = f"Write to {CANARIES['EMAIL_ADDRESS']} for {CANARIES['PERSON']}"
    msg = client(proxy).messages.create(model="claude-external", max_tokens=64, system=f"Customer {CANARIES['PERSON']}",
                                        messages=[{"role": "user", "content": [{"type": "text", "text": text}]}])
    assert msg.content[0].text == f"echo: {text}"
    with client(proxy).messages.stream(model="claude-external", max_tokens=64,
                                       messages=[{"role": "user", "content": text}]) as stream:
        assert "".join(stream.text_stream) == f"echo: {text}"
    assert leaked(upstreams.external.recorder.dump()) == []
    assert "<EMAIL_ADDRESS_1>" in upstreams.external.recorder.dump()
