"""litellm neither prices a call nor builds a logging payload for it: govproxy puts a method that answers None in
place of litellm's `Logging.response_cost_calculator`, and one that does nothing in place of the body of its success
handler (`_async_success_handler_body`). A chat, plain and streamed, through `Upstream` against the recording fake:
litellm calls both (so the places replaced are the ones the pinned litellm uses), the answer arrives whole, and what
the fake received is the body as sent, with no pricing fields in it."""

from __future__ import annotations

import asyncio

import pytest
from litellm.litellm_core_utils.litellm_logging import Logging

from proxy.policy.decision import Location
from proxy.routing.catalogue import Target
from proxy.routing.upstream import Upstream, _no_cost, _no_success_logging
from tests.conftest import Upstreams


def test_litellm_prices_and_logs_each_call_through_the_methods_govproxy_replaces(
        upstreams: Upstreams, monkeypatch: pytest.MonkeyPatch) -> None:
    upstream = Upstream()
    assert Logging.response_cost_calculator is _no_cost
    assert Logging._async_success_handler_body is _no_success_logging
    calls: list[None] = []
    logged: list[None] = []

    def counting(self: Logging, *args: object, **kwargs: object) -> None:
        calls.append(_no_cost(self, *args, **kwargs))

    async def counting_logging(self: Logging, *args: object, **kwargs: object) -> None:
        logged.append(await _no_success_logging(self, *args, **kwargs))

    monkeypatch.setattr(Logging, "response_cost_calculator", counting)
    monkeypatch.setattr(Logging, "_async_success_handler_body", counting_logging)
    target = Target(alias="onprem-chat", model="openai/fake-onprem", location=Location.ONPREM,
                    api_base=upstreams.onprem_url + "/v1")
    body = {"model": "onprem-chat", "messages": [{"role": "user", "content": "Summarise the quarterly report."}]}

    async def both() -> tuple[dict, list[dict]]:
        answer = await upstream.chat(target, body)
        stream = await upstream.chat_stream(target, body)
        chunks = [chunk async for chunk in stream]
        for _ in range(50):  # litellm's logging worker runs the success handler after the call
            if logged:
                break
            await asyncio.sleep(0.02)
        return answer, chunks

    answer, chunks = asyncio.run(both())
    assert answer["choices"][0]["message"]["content"]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices"))
    assert calls and set(calls) == {None}
    assert logged
    received = upstreams.onprem.recorder.all()
    assert len(received) == 2
    for item in received:
        assert item["body"]["messages"] == body["messages"]
        assert not any("cost" in key for key in item["body"])
