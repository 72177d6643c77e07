"""litellm's price for a call is never worked out: govproxy puts a method that answers None in place of litellm's
`Logging.response_cost_calculator`. A chat, plain and streamed, through `Upstream` against the recording fake: litellm
calls that method (so the place replaced is the one the pinned litellm uses), the answer arrives whole, and what
the fake received is the body as sent, with no pricing fields in it."""

from __future__ import annotations

import asyncio

import pytest
from litellm.litellm_core_utils.litellm_logging import Logging

from proxy.policy.decision import Location
from proxy.routing.catalogue import Target
from proxy.routing.upstream import Upstream, _no_cost
from tests.conftest import Upstreams


def test_litellm_prices_each_call_through_the_method_govproxy_replaces(
        upstreams: Upstreams, monkeypatch: pytest.MonkeyPatch) -> None:
    upstream = Upstream()
    assert Logging.response_cost_calculator is _no_cost
    calls: list[None] = []

    def counting(self: Logging, *args: object, **kwargs: object) -> None:
        calls.append(_no_cost(self, *args, **kwargs))

    monkeypatch.setattr(Logging, "response_cost_calculator", counting)
    target = Target(alias="onprem-chat", model="openai/fake-onprem", location=Location.ONPREM,
                    api_base=upstreams.onprem_url + "/v1")
    body = {"model": "onprem-chat", "messages": [{"role": "user", "content": "Summarise the quarterly report."}]}

    async def both() -> tuple[dict, list[dict]]:
        answer = await upstream.chat(target, body)
        stream = await upstream.chat_stream(target, body)
        chunks = [chunk async for chunk in stream]
        return answer, chunks

    answer, chunks = asyncio.run(both())
    assert answer["choices"][0]["message"]["content"]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices"))
    assert calls and set(calls) == {None}
    received = upstreams.onprem.recorder.all()
    assert len(received) == 2
    for item in received:
        assert item["body"]["messages"] == body["messages"]
        assert not any("cost" in key for key in item["body"])
