"""What Claude Code and the Anthropic SDK call besides /v1/messages: count_tokens (forwarded, redacted, to
Anthropic targets; counted here for others), the model list, and errors in Anthropic's shape on every Anthropic
path; a Claude-Code-shaped session keeps caching, thinking and the beta header on an Anthropic target."""

from __future__ import annotations

import json

import anthropic
import httpx
import pytest

from tests.canaries import CANARIES
from tests.conftest import Proxy, Upstreams


@pytest.fixture
def client(proxy: Proxy) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=proxy.url, api_key=proxy.key, max_retries=0)


def test_count_tokens_goes_to_the_anthropic_target_redacted(client: anthropic.Anthropic,
                                                            upstreams: Upstreams) -> None:
    short = client.messages.count_tokens(model="claude-external", messages=[{"role": "user", "content": "Hi"}])
    long = client.messages.count_tokens(
        model="claude-external", system=[{"type": "text", "text": "You are a coding agent.",
                                          "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": "Explain this stack trace for Margaret Thornton, line by line. " * 20}],
        tools=[{"name": "Bash", "description": "Run a shell command",
                "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}],
        extra_headers={"anthropic-beta": "token-counting-2024-11-01"})
    assert 0 < short.input_tokens < long.input_tokens
    received = upstreams.external.recorder.all()
    assert [r["path"] for r in received] == ["/v1/messages/count_tokens"] * 2
    body = received[-1]["body"]
    assert set(body) == {"model", "system", "messages", "tools"} and body["model"] == "claude-sonnet-4-5-20250929"
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert received[-1]["headers"]["anthropic-beta"] == "token-counting-2024-11-01"
    assert "Margaret Thornton" not in upstreams.external.recorder.dump() and "<PERSON_1>" in json.dumps(body)


def test_count_tokens_for_other_targets_is_counted_here(client: anthropic.Anthropic, upstreams: Upstreams) -> None:
    for model in ("external-chat", "onprem-chat"):
        short = client.messages.count_tokens(model=model, messages=[{"role": "user", "content": "Hi"}])
        long = client.messages.count_tokens(model=model, messages=[
            {"role": "user", "content": "Explain this stack trace in detail, line by line. " * 20}])
        assert 0 < short.input_tokens < long.input_tokens
    assert upstreams.external.recorder.all() == [] and upstreams.onprem.recorder.all() == []


def test_count_tokens_is_blocked_where_the_message_would_be(client: anthropic.Anthropic,
                                                           upstreams: Upstreams) -> None:
    with pytest.raises(anthropic.PermissionDeniedError):
        client.messages.count_tokens(model="claude-external", messages=[
            {"role": "user", "content": f"use {CANARIES['AWS_ACCESS_KEY_ID']}"}])
    assert upstreams.external.recorder.all() == []


def test_count_tokens_refuses_unknown_models_and_bad_keys_in_anthropic_shape(proxy: Proxy) -> None:
    r = httpx.post(proxy.url + "/v1/messages/count_tokens", headers={"x-api-key": proxy.key},
                   json={"model": "nope", "messages": [{"role": "user", "content": "Hi"}]})
    assert r.status_code == 404 and r.json()["type"] == "error" and r.json()["error"]["type"] == "not_found_error"
    r = httpx.post(proxy.url + "/v1/messages/count_tokens", headers={"x-api-key": "gpk_bad"},
                   json={"model": "claude-external", "messages": [{"role": "user", "content": "Hi"}]})
    assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"


def test_the_anthropic_sdk_gets_an_anthropic_model_list(client: anthropic.Anthropic) -> None:
    models = list(client.models.list())
    assert "claude-external" in [m.id for m in models]
    assert all(m.type == "model" and m.display_name and m.created_at for m in models)


def test_unknown_anthropic_paths_answer_in_anthropic_shape(proxy: Proxy) -> None:
    r = httpx.post(proxy.url + "/v1/messages/batches", headers={"x-api-key": proxy.key}, json={})
    assert r.status_code in (404, 405)
    assert r.json()["type"] == "error" and "error" in r.json()
    r = httpx.get(proxy.url + "/v1/nope")  # OpenAI paths keep OpenAI's shape
    assert "type" not in r.json() and r.json()["error"]["code"] == "unknown_route"


CLAUDE_CODE = {
    "max_tokens": 4096, "stream": True,
    "system": [{"type": "text", "text": "You are Claude Code, a coding agent.",
                "cache_control": {"type": "ephemeral"}}],
    "thinking": {"type": "enabled", "budget_tokens": 1024},
    "tools": [{"name": "Bash", "description": "Run a shell command", "cache_control": {"type": "ephemeral"},
               "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}],
    "messages": [{"role": "user", "content": [
        {"type": "text", "text": "Why does the deploy for Margaret Thornton fail?",
         "cache_control": {"type": "ephemeral"}}]}],
}


def test_a_claude_code_session_keeps_caching_thinking_and_beta_on_an_anthropic_target(
        proxy: Proxy, upstreams: Upstreams) -> None:
    client = anthropic.Anthropic(base_url=proxy.url, api_key=proxy.key, max_retries=0)
    assert client.messages.count_tokens(model="claude-external", **{
        k: v for k, v in CLAUDE_CODE.items() if k in ("system", "tools", "messages", "thinking")}).input_tokens > 0
    counted = upstreams.external.recorder.all()[-1]
    assert counted["path"] == "/v1/messages/count_tokens" and "Margaret Thornton" not in json.dumps(counted)
    with client.messages.stream(model="claude-external", extra_headers={"anthropic-beta": "context-1m-2025-08-07"},
                                **{k: v for k, v in CLAUDE_CODE.items() if k != "stream"}) as stream:
        text = stream.get_final_text()
    assert text == "echo: Why does the deploy for Margaret Thornton fail?"
    received = upstreams.external.recorder.all()[-1]
    body = received["body"]
    assert received["headers"].get("anthropic-beta", "").startswith("context-1m-2025-08-07")
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert body["tools"][0]["cache_control"] == {"type": "ephemeral"}
    assert "Margaret Thornton" not in upstreams.external.recorder.dump()


def test_anthropic_features_are_dropped_and_named_for_other_targets(proxy: Proxy, upstreams: Upstreams) -> None:
    r = httpx.post(proxy.url + "/v1/messages", timeout=30,
                   headers={"x-api-key": proxy.key, "anthropic-beta": "context-1m-2025-08-07"},
                   json={**CLAUDE_CODE, "model": "external-chat", "stream": False,
                         "metadata": {"user_id": "user_alice_session_7"}})
    assert r.status_code == 200, r.text
    assert r.headers["x-govproxy-dropped"] == "thinking, cache_control"
    received = upstreams.external.recorder.all()[-1]
    assert "user" not in received["body"] and "alice" not in json.dumps(received)  # govproxy never sends `user`
    assert "anthropic-beta" not in received["headers"]
    assert "thinking" not in received["body"] and "cache_control" not in str(received["body"])


@pytest.mark.parametrize("path,body", [
    ("/v1/messages", {"model": "claude-external", "max_tokens": 5, "messages": [{"role": "user", "content": "Hi"}]}),
    ("/v1/chat/completions", {"model": "claude-external", "messages": [{"role": "user", "content": "Hi"}]}),
])
@pytest.mark.parametrize("name,value", [("anthropic-beta", "caf\xe9-2025".encode("latin-1")),
                                        ("anthropic-version", b"2023-06-01; rm -rf"),
                                        ("anthropic-beta", b"a,,b")])
def test_a_beta_or_version_header_that_is_not_names_is_refused_not_forwarded(
        proxy: Proxy, upstreams: Upstreams, path: str, body: dict[str, object], name: str, value: bytes) -> None:
    """These headers go on to Anthropic targets as they came: a value that is not a list of names is a 400 (it was
    a 500: the HTTP client refused the non-ASCII one), the value is not echoed, nothing is sent, and it is
    audited."""
    r = httpx.post(proxy.url + path, timeout=30, json=body,
                   headers=[("x-api-key", proxy.key), ("authorization", f"Bearer {proxy.key}"), (name, value)])
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    message = error["message"]
    assert name in message and value.decode("latin-1") not in message and "rm -rf" not in r.text
    assert error["type"] == "invalid_request_error"
    assert upstreams.external.recorder.all() == []
    auditor = {"authorization": f"Bearer {proxy.auditor_key}"}
    record = httpx.get(proxy.url + f"/admin/audit/{r.headers['x-request-id']}", headers=auditor, timeout=30).json()
    assert record["request_id"] == r.headers["x-request-id"] and record["targets"] == []
    assert record["outcome"]["outcome"] == "bad_request" and record["outcome"]["error_status"] == 400
    assert value.decode("latin-1") not in json.dumps(record)
