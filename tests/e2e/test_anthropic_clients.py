"""What Claude Code and the Anthropic SDK call besides /v1/messages: count_tokens, the model list, and errors in
Anthropic's shape on every Anthropic path."""

from __future__ import annotations

import anthropic
import httpx
import pytest

from tests.conftest import Proxy, Upstreams


@pytest.fixture
def client(proxy: Proxy) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=proxy.url, api_key=proxy.key, max_retries=0)


def test_count_tokens_is_answered_without_contacting_any_model(client: anthropic.Anthropic,
                                                               upstreams: Upstreams) -> None:
    short = client.messages.count_tokens(model="claude-external", messages=[{"role": "user", "content": "Hi"}])
    long = client.messages.count_tokens(
        model="claude-external", system=[{"type": "text", "text": "You are a coding agent.",
                                          "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": "Explain this stack trace in detail, line by line. " * 20}],
        tools=[{"name": "Bash", "description": "Run a shell command",
                "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}])
    assert 0 < short.input_tokens < long.input_tokens
    assert upstreams.external.recorder.all() == [] and upstreams.onprem.recorder.all() == []


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
