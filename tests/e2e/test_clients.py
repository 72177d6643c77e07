"""The client frameworks companies point at a gateway, pointed at govproxy with nothing but a base URL and a key:
LangChain (ChatOpenAI in chat and Responses mode, ChatAnthropic), the OpenAI Agents SDK (Responses and
chat-completions models, a function tool, run and streamed) and LlamaIndex (its LiteLLM LLM on the OpenAI-compatible
endpoint: its OpenAI LLM pins openai<3, which the Agents SDK's openai>=3 excludes; see docs/clients.md). Each sends
planted values to an external alias; the recording upstream never receives them and the client gets them back
restored."""

from __future__ import annotations

import asyncio
from typing import Any

import agents
import langchain_anthropic
import langchain_openai
import nltk
import openai
import pytest
from pydantic import BaseModel

from tests.canaries import CANARIES, leaked
from tests.conftest import Proxy, Upstreams
from tests.harness import OFFLINE_ENV

NAME, EMAIL = CANARIES["PERSON"], CANARIES["EMAIL_ADDRESS"]
PLANTED = {"PERSON": NAME, "EMAIL_ADDRESS": EMAIL}
PROMPT = f"Draft a reply to {NAME} ({EMAIL})."


def no_leak(upstreams: Upstreams) -> None:
    sent = upstreams.external.recorder.dump()
    assert sent != "[]", "nothing reached the upstream"
    assert leaked(sent, PLANTED) == []


@pytest.mark.parametrize("responses_api", [False, True], ids=["chat", "responses"])
def test_langchain_chat_openai(proxy: Proxy, upstreams: Upstreams, responses_api: bool) -> None:
    llm = langchain_openai.ChatOpenAI(model="external-chat", base_url=proxy.v1, api_key=proxy.key, max_retries=0,
                                      use_responses_api=responses_api)
    assert llm.invoke(PROMPT).text == f"echo: {PROMPT}"
    streamed = "".join(chunk.text for chunk in llm.stream(PROMPT))
    assert streamed == f"echo: {PROMPT}"

    def lookup(query: str) -> str:
        """Look a customer up."""
        return query

    call = llm.bind_tools([lookup]).invoke(f"please call_tool for {EMAIL}").tool_calls[0]
    assert call["name"] == "lookup" and call["args"] == {"query": f"please call_tool for {EMAIL}"}
    no_leak(upstreams)


def test_langchain_structured_output_schema_is_scanned(proxy: Proxy, upstreams: Upstreams) -> None:
    class Reply(BaseModel):
        """A reply to the customer."""

        to: str

    llm = langchain_openai.ChatOpenAI(model="external-chat", base_url=proxy.v1, api_key=proxy.key, max_retries=0)
    structured = llm.with_structured_output(Reply, method="json_schema")
    with pytest.raises(Exception):  # noqa: B017 - the fake echoes prose, not JSON; what matters is what it got
        structured.invoke(PROMPT)
    sent = upstreams.external.recorder.all()[-1]["body"]
    assert sent["response_format"]["type"] == "json_schema"
    no_leak(upstreams)


def test_langchain_chat_anthropic(proxy: Proxy, upstreams: Upstreams) -> None:
    llm = langchain_anthropic.ChatAnthropic(model="claude-external", base_url=proxy.url, api_key=proxy.key,
                                            max_retries=0, max_tokens=64)
    assert llm.invoke(PROMPT).text == f"echo: {PROMPT}"
    assert "".join(chunk.text for chunk in llm.stream(PROMPT)) == f"echo: {PROMPT}"
    no_leak(upstreams)


def _agent_model(proxy: Proxy, responses_api: bool) -> Any:
    client = openai.AsyncOpenAI(base_url=proxy.v1, api_key=proxy.key, max_retries=0)
    if responses_api:
        return agents.OpenAIResponsesModel(model="external-chat", openai_client=client)
    return agents.OpenAIChatCompletionsModel(model="external-chat", openai_client=client)


@pytest.mark.parametrize("responses_api", [True, False], ids=["responses", "chat-completions"])
def test_openai_agents_sdk(proxy: Proxy, upstreams: Upstreams, responses_api: bool) -> None:
    agents.set_tracing_disabled(True)  # the SDK would export traces to OpenAI otherwise
    seen: list[str] = []

    @agents.function_tool
    def lookup(query: str) -> str:
        """Look a customer up."""
        seen.append(query)
        return f"Customer {NAME}, {EMAIL}, active"

    agent = agents.Agent(name="support", instructions="Help the support team.", tools=[lookup],
                         model=_agent_model(proxy, responses_api))

    async def both() -> tuple[str, str]:  # one event loop: the client's connections belong to it
        result = await agents.Runner.run(agent, f"please call_tool for {EMAIL}")
        run = agents.Runner.run_streamed(agent, PROMPT)
        async for _ in run.stream_events():
            pass
        return str(result.final_output), str(run.final_output)

    plain, streamed = asyncio.run(both())
    assert seen == [f"please call_tool for {EMAIL}"]  # the tool got the caller's own value back
    assert plain == f"echo: please call_tool for {EMAIL}"
    assert streamed == f"echo: {PROMPT}"
    no_leak(upstreams)


def test_llamaindex_litellm_llm(proxy: Proxy, upstreams: Upstreams, monkeypatch: pytest.MonkeyPatch) -> None:
    # LlamaIndex core ships the NLTK data it uses; nothing may be downloaded at run time.
    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("LlamaIndex tried to download NLTK data")

    monkeypatch.setattr(nltk, "download", no_download)
    for name, value in OFFLINE_ENV.items():  # litellm (under LlamaIndex) would fetch its cost map at import
        monkeypatch.setenv(name, value)
    from llama_index.core.llms import ChatMessage
    from llama_index.llms.litellm import LiteLLM

    llm = LiteLLM(model="openai/external-chat", api_base=proxy.v1, api_key=proxy.key, max_retries=0,
                  temperature=0.0)
    messages = [ChatMessage(role="system", content="Answer briefly."), ChatMessage(role="user", content=PROMPT)]
    assert llm.chat(messages).message.content == f"echo: {PROMPT}"
    assert "".join(r.delta or "" for r in llm.stream_chat(messages)) == f"echo: {PROMPT}"
    assert llm.complete(PROMPT).text == f"echo: {PROMPT}"

    async def streamed() -> str:
        return "".join([r.delta or "" async for r in await llm.astream_chat(messages)])

    assert asyncio.run(streamed()) == f"echo: {PROMPT}"
    sent = upstreams.external.recorder.all()
    assert len(sent) == 4 and sent[0]["body"]["messages"][0] == {"role": "system", "content": "Answer briefly."}
    no_leak(upstreams)
