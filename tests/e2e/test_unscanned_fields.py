"""Nothing leaves unscanned: bodies built from the official SDKs' request types (every string field they know, plus
unknown keys at every level) carry a canary at a random string position, a value or a key, and go to an external
alias through the shipped policy. The recording upstream must never receive a canary: each request is redacted,
or refused. Run against the code before the body walker, this found holes in 26 fields (see the issue).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
from anthropic.types import message_create_params
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai.types import completion_create_params, embedding_create_params
from openai.types.chat import completion_create_params as chat_params

from tests.conftest import Proxy, Upstreams
from tests.request_bodies import leaked_canaries, plant, strategy_for


def _check(proxy: Proxy, upstreams: Upstreams, path: str, type_: Any, fixed: dict[str, Any],
           outcomes: Counter[str], examples: int = 60) -> None:
    strategy = strategy_for(type_)

    @settings(max_examples=examples, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        planted = plant(data, data.draw(strategy, label="body"), fixed=fixed)
        upstreams.external.recorder.clear()
        r = httpx.post(proxy.url + path, json=planted.body, timeout=30,
                       headers={"authorization": f"Bearer {proxy.key}", "x-api-key": proxy.key})
        sent = upstreams.external.recorder.dump()
        outcomes[f"{r.status_code}{' upstream' if sent != '[]' else ''}"] += 1
        assert not leaked_canaries(sent), f"{planted.entity} planted at {planted.where} reached the upstream"
        assert not leaked_canaries(r.text) or r.status_code == 200, "a canary in an error body"

    run()


def _reached(outcomes: Counter[str]) -> int:
    return sum(n for k, n in outcomes.items() if k.endswith("upstream"))


def test_chat_bodies_from_the_sdk_types_never_leak(proxy: Proxy, upstreams: Upstreams) -> None:
    outcomes: Counter[str] = Counter()
    _check(proxy, upstreams, "/v1/chat/completions", chat_params.CompletionCreateParamsNonStreaming,
           {"model": "external-chat", "stream": False}, outcomes)
    # Not vacuous: a good share of the bodies were valid and went upstream (redacted).
    assert _reached(outcomes) >= 10, outcomes


def test_anthropic_messages_bodies_from_the_sdk_types_never_leak(proxy: Proxy, upstreams: Upstreams) -> None:
    outcomes: Counter[str] = Counter()
    _check(proxy, upstreams, "/v1/messages", message_create_params.MessageCreateParamsNonStreaming,
           {"model": "claude-external", "stream": False, "max_tokens": 64}, outcomes, examples=100)
    # Many Anthropic block types (server tools, thinking, containers) are refused with 400: more examples.
    assert _reached(outcomes) >= 10, outcomes


def test_completions_bodies_from_the_sdk_types_never_leak(proxy: Proxy, upstreams: Upstreams) -> None:
    outcomes: Counter[str] = Counter()
    _check(proxy, upstreams, "/v1/completions", completion_create_params.CompletionCreateParamsNonStreaming,
           {"model": "external-chat", "stream": False}, outcomes)
    assert _reached(outcomes) >= 10, outcomes


def test_embeddings_bodies_from_the_sdk_types_never_leak(proxy: Proxy, upstreams: Upstreams) -> None:
    outcomes: Counter[str] = Counter()
    _check(proxy, upstreams, "/v1/embeddings", embedding_create_params.EmbeddingCreateParams,
           {"model": "external-chat"}, outcomes)
    assert _reached(outcomes) >= 10, outcomes
