"""The OpenAI Responses API through the official SDK: plain, streamed, tools, structured output; scanned and
redacted like chat, restored for the caller, refused where govproxy cannot honour it."""

from __future__ import annotations

import json
import time

import httpx
import openai
import pytest

from tests.canaries import CANARIES, leaked
from tests.conftest import Proxy, Upstreams

NAME, EMAIL = CANARIES["PERSON"], CANARIES["EMAIL_ADDRESS"]
PLANTED = {"PERSON": NAME, "EMAIL_ADDRESS": EMAIL}


@pytest.fixture
def client(proxy: Proxy) -> openai.OpenAI:
    return openai.OpenAI(base_url=proxy.v1, api_key=proxy.key, max_retries=0)


def test_plain_response_is_redacted_upstream_and_restored(client: openai.OpenAI, upstreams: Upstreams) -> None:
    resp = client.responses.create(model="external-chat", instructions="Answer briefly.",
                                   input=f"Write to {NAME} at {EMAIL}")
    assert resp.output_text == f"echo: Write to {NAME} at {EMAIL}"
    assert resp.status == "completed" and resp.usage is not None and resp.usage.input_tokens == 11
    sent = upstreams.external.recorder.all()[-1]["body"]
    assert leaked(json.dumps(sent), PLANTED) == []
    assert sent["messages"][0] == {"role": "system", "content": "Answer briefly."}


def test_streamed_response_events_restore_split_placeholders(client: openai.OpenAI, upstreams: Upstreams) -> None:
    upstreams.external.chunk_size = 3  # placeholders arrive split over several chunks
    with client.responses.stream(model="external-chat", input=[
            {"role": "user", "content": [{"type": "input_text", "text": f"Hello {NAME}"}]}]) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert final.output_text == f"echo: Hello {NAME}"
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert "response.output_text.delta" in kinds and "response.output_item.done" in kinds
    assert leaked(upstreams.external.recorder.dump(), PLANTED) == []


def test_function_tool_round_trip(client: openai.OpenAI, upstreams: Upstreams) -> None:
    tools = [{"type": "function", "name": "lookup", "description": "Look a customer up",
              "parameters": {"type": "object", "properties": {"query": {"type": "string"}}}}]
    first = client.responses.create(model="external-chat", tools=tools, input=f"please call_tool for {EMAIL}")
    call = next(item for item in first.output if item.type == "function_call")
    assert call.name == "lookup" and json.loads(call.arguments) == {"query": f"please call_tool for {EMAIL}"}
    second = client.responses.create(model="external-chat", tools=tools, input=[
        {"role": "user", "content": f"please call_tool for {EMAIL}"},
        {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
        {"type": "function_call_output", "call_id": call.call_id, "output": f"Customer {NAME}, active"},
        {"role": "user", "content": "Summarise."}])
    assert second.output_text == "echo: Summarise."
    sent = upstreams.external.recorder.all()[-1]["body"]
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "tool", "user"]
    assert leaked(upstreams.external.recorder.dump(), PLANTED) == []


def test_streamed_tool_call(client: openai.OpenAI, upstreams: Upstreams) -> None:
    tools = [{"type": "function", "name": f"notify_{EMAIL}", "parameters": {"type": "object"}}]
    with client.responses.stream(model="external-chat", tools=tools, input="please call_tool") as stream:
        final = stream.get_final_response()
    call = next(item for item in final.output if item.type == "function_call")
    assert call.name == f"notify_{EMAIL}"  # pseudonymised upstream, restored for the app's dispatch
    assert EMAIL not in upstreams.external.recorder.dump()


def test_structured_output_schema_is_scanned(client: openai.OpenAI, upstreams: Upstreams) -> None:
    client.responses.create(model="external-chat", input="Classify this.", text={"format": {
        "type": "json_schema", "name": "label", "schema": {
            "type": "object", "properties": {"owner": {"type": "string", "description": f"always {EMAIL}"}}}}})
    sent = upstreams.external.recorder.all()[-1]["body"]
    assert sent["response_format"]["type"] == "json_schema"
    assert EMAIL not in json.dumps(sent)


def test_what_govproxy_cannot_honour_is_refused(client: openai.OpenAI, proxy: Proxy, upstreams: Upstreams) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        client.responses.create(model="external-chat", input="hi", tools=[{"type": "web_search"}])
    assert "tools.0.type" in str(err.value)
    with pytest.raises(openai.BadRequestError) as err:
        client.responses.create(model="external-chat", input="hi", conversation="conv_123")
    assert "conversation" in str(err.value)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve("resp_123")
    assert upstreams.external.recorder.all() == []
    # A secret is blocked here as on chat, with an OpenAI-shaped error.
    r = httpx.post(proxy.v1 + "/responses", headers={"authorization": f"Bearer {proxy.key}"},
                   json={"model": "external-chat", "input": "key sk-proj-Q7vL2mX9pR4tK8wN3zB6yH1cF5dJ0sGa"})
    assert r.status_code == 403 and r.json()["error"]["type"] == "permission_error"


IBAN = "DE89 3704 0044 0532 0130 00"
CHAINED = {"PERSON": NAME, "IBAN_CODE": IBAN}


def _outcome(proxy: Proxy, request_id: str) -> str | None:
    """The audit record's outcome (written just after the answer: asked again for up to 10 s)."""
    for _ in range(50):
        r = httpx.get(proxy.url + "/admin/audit", params={"kind": "request", "limit": 200}, timeout=30,
                      headers={"authorization": f"Bearer {proxy.auditor_key}"})
        rec = next((rec for rec in r.json()["data"] if rec["request_id"] == request_id), None)
        if rec is not None and rec["outcome"]:
            return str(rec["outcome"]["outcome"])
        time.sleep(0.2)
    return None


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_previous_response_id_chain_keeps_its_pseudonyms(client: openai.OpenAI, upstreams: Upstreams,
                                                          stream: bool) -> None:
    first_text = f"Customer {NAME} pays from IBAN {IBAN}. Remember that."
    first = client.responses.create(model="external-chat", input=first_text)
    assert first.output_text == f"echo: {first_text}" and first.store is True
    turn1 = upstreams.external.recorder.all()[-1]["body"]["messages"][-1]["content"]
    assert leaked(turn1, CHAINED) == []
    question = "Which IBAN did the customer give, and what is the customer's name?"
    if stream:
        with client.responses.stream(model="external-chat", input=question, previous_response_id=first.id) as s:
            second = s.get_final_response()
    else:
        second = client.responses.create(model="external-chat", input=question, previous_response_id=first.id)
    assert second.output_text == f"echo: {question}" and second.previous_response_id == first.id
    sent = upstreams.external.recorder.all()[-1]["body"]["messages"]
    # The earlier turn travels again, with the placeholders of turn 1 only: never the raw values.
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[0]["content"] == turn1
    assert "<PERSON_1>" in sent[0]["content"] and "<IBAN_CODE_1>" in json.dumps(sent[1])
    assert leaked(upstreams.external.recorder.dump(), CHAINED) == []
    # A third turn on the second chains the whole history.
    third = client.responses.create(model="external-chat", previous_response_id=second.id,
                                    input=f"Please confirm the payment for {NAME}.")
    assert third.output_text == f"echo: Please confirm the payment for {NAME}."
    sent = upstreams.external.recorder.all()[-1]["body"]["messages"]
    assert len(sent) == 5 and sent[-1]["content"] == "Please confirm the payment for <PERSON_1>."
    assert leaked(upstreams.external.recorder.dump(), CHAINED) == []


def test_kept_responses_are_retrieved_deleted_and_scoped_to_their_key(client: openai.OpenAI, proxy: Proxy,
                                                                      upstreams: Upstreams) -> None:
    first = client.responses.create(model="external-chat", input=f"Hello {NAME}")
    got = client.responses.retrieve(first.id)
    assert got.id == first.id and got.output_text == f"echo: Hello {NAME}"
    # Another key (another team) neither reads nor chains on it.
    other = openai.OpenAI(base_url=proxy.v1, api_key=proxy.admin_key, max_retries=0)
    with pytest.raises(openai.NotFoundError):
        other.responses.retrieve(first.id)
    with pytest.raises(openai.BadRequestError) as err:
        other.responses.create(model="external-chat", input="and?", previous_response_id=first.id)
    assert err.value.code == "previous_response_not_found"
    client.responses.delete(first.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(first.id)
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model="external-chat", input="and?", previous_response_id=first.id)


def test_unknown_or_unstored_previous_response_is_an_audited_openai_error(client: openai.OpenAI, proxy: Proxy,
                                                                         upstreams: Upstreams) -> None:
    r = httpx.post(proxy.v1 + "/responses", headers={"authorization": f"Bearer {proxy.key}"}, timeout=30,
                   json={"model": "external-chat", "input": "and?", "previous_response_id": "resp_" + "0" * 32})
    assert r.status_code == 400
    assert r.json()["error"] | {"message": None} == {"message": None, "type": "invalid_request_error",
                                                     "param": "previous_response_id",
                                                     "code": "previous_response_not_found"}
    assert "resp_" + "0" * 32 in r.json()["error"]["message"]
    assert _outcome(proxy, r.headers["x-request-id"]) == "bad_request"
    unstored = client.responses.create(model="external-chat", input="Hi", store=False)
    assert unstored.store is False
    with pytest.raises(openai.BadRequestError) as err:
        client.responses.create(model="external-chat", input="and?", previous_response_id=unstored.id)
    assert err.value.param == "previous_response_id"
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(unstored.id)
    assert len(upstreams.external.recorder.all()) == 1  # only the unstored turn itself went out
