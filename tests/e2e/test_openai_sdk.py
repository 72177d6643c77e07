"""The OpenAI dialect through the official openai SDK, against a real govproxy and a real fake upstream."""

from __future__ import annotations

import asyncio
import json

import httpx
import openai
import pytest

from tests.conftest import Proxy, Upstreams


def client(proxy: Proxy) -> openai.OpenAI:
    return openai.OpenAI(base_url=proxy.v1, api_key=proxy.key, max_retries=0)


def test_chat_plain_goes_through_and_back(proxy: Proxy, upstreams: Upstreams) -> None:
    resp = client(proxy).chat.completions.with_raw_response.create(
        model="onprem-chat", messages=[{"role": "user", "content": "hello there"}])
    completion = resp.parse()
    assert completion.choices[0].message.content == "echo: hello there"
    assert completion.model == "onprem-chat"
    assert completion.usage is not None and completion.usage.total_tokens == 18
    assert resp.headers["x-request-id"].startswith("req_")
    sent = upstreams.onprem.recorder.all()
    assert len(sent) == 1 and sent[0]["body"]["model"] == "fake-onprem"
    assert sent[0]["body"]["messages"] == [{"role": "user", "content": "hello there"}]
    assert upstreams.external.recorder.all() == []


def test_chat_stream_with_usage(proxy: Proxy) -> None:
    stream = client(proxy).chat.completions.create(
        model="onprem-chat", messages=[{"role": "user", "content": "stream me please"}], stream=True,
        stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: stream me please"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 18


def test_stream_chunks_arrive_as_the_upstream_sent_them_without_nulls(proxy: Proxy) -> None:
    """Each streamed chunk is the upstream's JSON (its own fields too) with the model alias put back and every null
    left out, at any depth: the wire the SDKs parsed before chunks were no longer rebuilt as SDK models."""
    body = {"model": "onprem-chat", "stream": True, "messages": [{"role": "user", "content": "wire check"}]}
    with httpx.stream("POST", proxy.v1 + "/chat/completions", json=body, timeout=30,
                      headers={"authorization": f"Bearer {proxy.key}"}) as r:
        assert r.status_code == 200
        lines = [line for line in r.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[len("data: "):]) for line in lines[:-1]]

    def nulls(value: object) -> int:
        if isinstance(value, dict):
            return sum((v is None) + nulls(v) for v in value.values())
        if isinstance(value, list):
            return sum((v is None) + nulls(v) for v in value)
        return 0

    assert len(chunks) > 3 and all(nulls(c) == 0 for c in chunks)
    assert all(c["model"] == "onprem-chat" and c["system_fingerprint"] == "fp_fake" for c in chunks)
    assert all(c["provider_note"] == {"region": "loopback"} for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert "finish_reason" not in chunks[1]["choices"][0] and chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "echo: wire check"


def test_chat_stream_without_usage_hides_usage_chunk(proxy: Proxy) -> None:
    chunks = list(client(proxy).chat.completions.create(
        model="onprem-chat", messages=[{"role": "user", "content": "no usage"}], stream=True))
    assert all(c.usage is None for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "echo: no usage"


def test_tool_calls_and_multipart_content(proxy: Proxy, upstreams: Upstreams) -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "description": "Look a thing up",
                                               "parameters": {"type": "object", "properties": {}}}}]
    completion = client(proxy).chat.completions.create(
        model="onprem-chat", tools=tools,
        messages=[{"role": "system", "content": "be brief"},
                  {"role": "user", "content": [{"type": "text", "text": "please call_tool"},
                                               {"type": "text", "text": "now"}]}])
    call = completion.choices[0].message.tool_calls[0]
    assert call.function.name == "lookup"
    assert json.loads(call.function.arguments) == {"query": "please call_tool now"}
    body = upstreams.onprem.recorder.all()[0]["body"]
    assert body["tools"][0]["function"]["name"] == "lookup"
    stream = client(proxy).chat.completions.create(
        model="onprem-chat", tools=tools, stream=True,
        messages=[{"role": "user", "content": "stream call_tool"}])
    args = "".join(c.choices[0].delta.tool_calls[0].function.arguments or ""
                   for c in stream if c.choices and c.choices[0].delta.tool_calls)
    assert json.loads(args) == {"query": "stream call_tool"}


def test_completions_and_embeddings(proxy: Proxy, upstreams: Upstreams) -> None:
    c = client(proxy)
    comp = c.completions.create(model="onprem-chat", prompt="say hi")
    assert comp.choices[0].text == "echo: say hi"
    emb = c.embeddings.create(model="onprem-chat", input=["a", "b"])
    assert len(emb.data) == 2 and emb.data[1].embedding[3] == 1.0
    paths = [r["path"] for r in upstreams.onprem.recorder.all()]
    assert paths == ["/v1/completions", "/v1/embeddings"]


def test_models_lists_aliases(proxy: Proxy) -> None:
    ids = {m.id for m in client(proxy).models.list()}
    assert {"onprem-chat", "external-chat"} <= ids


def test_async_client_concurrent(proxy: Proxy) -> None:
    async def go() -> list[str]:
        ac = openai.AsyncOpenAI(base_url=proxy.v1, api_key=proxy.key, max_retries=0)
        rs = await asyncio.gather(*[ac.chat.completions.create(
            model="onprem-chat", messages=[{"role": "user", "content": f"n{i}"}]) for i in range(8)])
        await ac.close()
        return [r.choices[0].message.content or "" for r in rs]

    assert sorted(asyncio.run(go())) == sorted(f"echo: n{i}" for i in range(8))


@pytest.mark.parametrize("body,status,code", [
    (b"{not json", 400, "invalid_json"),
    (b"[1,2]", 400, None),
    (json.dumps({"model": "onprem-chat"}).encode(), 400, None),
    (json.dumps({"model": "onprem-chat", "messages": "hi"}).encode(), 400, None),
    (json.dumps({"model": 7, "messages": [{"role": "user", "content": "x"}]}).encode(), 400, None),
    (json.dumps({"model": "onprem-chat", "messages": [{"role": "wizard", "content": "x"}]}).encode(), 400, None),
    (json.dumps({"model": "no-such-model", "messages": [{"role": "user", "content": "x"}]}).encode(), 404,
     "model_not_found"),
])
def test_malformed_input_gets_openai_errors(proxy: Proxy, upstreams: Upstreams, body: bytes, status: int,
                                            code: str | None) -> None:
    r = httpx.post(proxy.v1 + "/chat/completions", content=body,
                   headers={"authorization": f"Bearer {proxy.key}", "content-type": "application/json"})
    assert r.status_code == status
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"} and err["message"]
    if code:
        assert err["code"] == code
    assert "Traceback" not in r.text
    assert upstreams.onprem.recorder.all() == [] and upstreams.external.recorder.all() == []


def test_auth_errors(proxy: Proxy) -> None:
    for headers in ({}, {"authorization": "Bearer nope"}, {"authorization": "Bearer gpk_abc_def"}):
        r = httpx.post(proxy.v1 + "/chat/completions", json={"model": "onprem-chat", "messages": []},
                       headers=headers)
        assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=proxy.v1, api_key="gpk_0000_bad", max_retries=0).chat.completions.create(
            model="onprem-chat", messages=[{"role": "user", "content": "x"}])
    r = httpx.post(proxy.v1 + "/chat/completions", json={"model": "onprem-chat", "messages": [
        {"role": "user", "content": "x"}]}, headers={"authorization": f"Bearer {proxy.auditor_key}"})
    assert r.status_code == 403 and r.json()["error"]["type"] == "permission_error"


def test_oversized_body_413(proxy: Proxy, upstreams: Upstreams) -> None:
    big = json.dumps({"model": "onprem-chat", "messages": [{"role": "user", "content": "x" * (5 * 1024 * 1024)}]})
    r = httpx.post(proxy.v1 + "/chat/completions", content=big,
                   headers={"authorization": f"Bearer {proxy.key}", "content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"
    assert upstreams.onprem.recorder.all() == []


def test_unknown_route_is_json_404(proxy: Proxy) -> None:
    r = httpx.get(proxy.url + "/v1/nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_route"


def test_upstream_failures_map_to_502_and_fallback(proxy: Proxy, upstreams: Upstreams) -> None:
    upstreams.onprem.behaviour = "error500"
    r = httpx.post(proxy.v1 + "/chat/completions", json={"model": "onprem-chat", "messages": [
        {"role": "user", "content": "x"}]}, headers={"authorization": f"Bearer {proxy.key}"}, timeout=60)
    assert r.status_code == 503 and r.json()["error"]["code"] == "no_compliant_target"
    upstreams.onprem.behaviour = "ok"
    # dead-onprem falls back to onprem-chat (same location) and never to external-chat.
    r = httpx.post(proxy.v1 + "/chat/completions", json={"model": "dead-onprem", "messages": [
        {"role": "user", "content": "fallback"}]}, headers={"authorization": f"Bearer {proxy.key}"}, timeout=60)
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "echo: fallback"
    assert r.headers["x-govproxy-route"].startswith("onprem-chat")
    assert upstreams.external.recorder.all() == []


def test_client_disconnect_mid_stream_keeps_serving(proxy: Proxy, upstreams: Upstreams) -> None:
    upstreams.onprem.chunk_delay_s = 0.05
    with httpx.stream("POST", proxy.v1 + "/chat/completions", json={
            "model": "onprem-chat", "stream": True,
            "messages": [{"role": "user", "content": "a long answer " * 20}]},
            headers={"authorization": f"Bearer {proxy.key}"}) as r:
        assert r.status_code == 200
        for _ in r.iter_raw(64):
            break  # go away after the first bytes
    upstreams.onprem.chunk_delay_s = 0.0
    ok = client(proxy).chat.completions.create(model="onprem-chat", messages=[{"role": "user", "content": "ok"}])
    assert ok.choices[0].message.content == "echo: ok"


def test_openapi_description_is_published(proxy: Proxy) -> None:
    doc = httpx.get(proxy.url + "/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert {"/v1/chat/completions", "/v1/messages", "/v1/embeddings", "/v1/responses", "/v1/responses/{response_id}",
            "/v1/messages/count_tokens"} <= set(doc["paths"])
    assert set(doc["paths"]["/v1/responses/{response_id}"]) == {"get", "delete"}
    assert doc["paths"]["/v1/responses"]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "required"] == ["model"]
    chat = doc["paths"]["/v1/chat/completions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"model", "messages"} <= set(chat["required"])
