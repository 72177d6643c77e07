"""Scan by default, field by field, through the HTTP surface with the shipped policy and an external alias: the
fields issue 16 found unscanned, identifiers that round-trip, content that cannot be scanned, data URIs, and the
limit on the number of strings."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import openai

from tests.canaries import CANARIES, leaked
from tests.conftest import Proxy, Upstreams

NAME, EMAIL, CARD = CANARIES["PERSON"], CANARIES["EMAIL_ADDRESS"], CANARIES["CREDIT_CARD"]
IBAN = "DE89 3704 0044 0532 0130 00"
PIXEL = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKm"
         "MIQAAAABJRU5ErkJggg==")


def post(proxy: Proxy, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(proxy.v1 + path, json=body, timeout=30, headers={"authorization": f"Bearer {proxy.key}"})


def sent(upstreams: Upstreams) -> str:
    return upstreams.external.recorder.dump() + upstreams.onprem.recorder.dump()


def test_the_fields_found_unscanned_are_redacted(proxy: Proxy, upstreams: Upstreams) -> None:
    schema = {"type": "object", "properties": {"who": {"type": "string", "description": f"for {NAME}",
                                                       "enum": [EMAIL, "other"]}}}
    body = {
        "model": "external-chat",
        "messages": [
            {"role": "system", "content": "You help."},
            {"role": "user", "name": "Margaret_Thornton", "content": [
                {"type": "text", "text": "hello", "note": f"mail {EMAIL}"}]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": f"call {EMAIL}", "type": "function", "function": {"name": "find", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": f"call {EMAIL}", "content": "done"},
            {"role": "user", "content": "and now?", "x_unknown": f"card {CARD}"},
        ],
        "tools": [{"type": "function", "function": {"name": "find", "description": f"ask {NAME}",
                                                    "parameters": schema}}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "reply", "description": f"to {EMAIL}",
                                                                   "schema": schema}},
        "stop": [f"IBAN {IBAN}"],
        "prediction": {"type": "content", "content": f"Dear {NAME}"},
        "web_search_options": {"user_location": {"type": "approximate", "approximate": {"city": f"{EMAIL}"}}},
        "safety_identifier": EMAIL, "prompt_cache_key": f"card {CARD}", "metadata": {EMAIL: "owner"},
        "vendor_extension": {"deep": [f"card {CARD}"]},
    }
    r = post(proxy, "/chat/completions", body)
    assert r.status_code == 200, r.text
    out = sent(upstreams)
    assert out != "[]"
    assert leaked(out, {"PERSON": NAME, "EMAIL": EMAIL, "CARD": CARD, "IBAN": IBAN}) == []
    upstream_body = upstreams.external.recorder.all()[-1]["body"]
    # The request still has its shape: roles, types, the tool-call pairing (pseudonymised the same way both times).
    calls = upstream_body["messages"][2]["tool_calls"]
    assert calls[0]["id"] == upstream_body["messages"][3]["tool_call_id"] != f"call {EMAIL}"
    assert upstream_body["messages"][1]["role"] == "user"


def test_completions_suffix_and_stop_are_scanned(proxy: Proxy, upstreams: Upstreams) -> None:
    r = post(proxy, "/completions", {"model": "external-chat", "prompt": "Write", "suffix": f"to {EMAIL}",
                                     "stop": [f"card {CARD}"]})
    assert r.status_code == 200, r.text
    assert leaked(sent(upstreams), {"EMAIL": EMAIL, "CARD": CARD}) == []


def test_a_pseudonymised_tool_name_round_trips_through_a_streamed_tool_call(proxy: Proxy,
                                                                            upstreams: Upstreams) -> None:
    tool = f"notify_{EMAIL}"
    client = openai.OpenAI(base_url=proxy.v1, api_key=proxy.key, max_retries=0)
    stream = client.chat.completions.create(
        model="external-chat", stream=True, messages=[{"role": "user", "content": "please call_tool"}],
        tools=[{"type": "function", "function": {"name": tool, "description": "Notify",
                                                  "parameters": {"type": "object", "properties": {}}}}])
    names = [c.function.name for chunk in stream for choice in chunk.choices
             for c in (choice.delta.tool_calls or []) if c.function and c.function.name]
    assert names == [tool]  # the app's dispatch sees its own tool name
    upstream_body = upstreams.external.recorder.all()[-1]["body"]
    upstream_name = upstream_body["tools"][0]["function"]["name"]
    assert EMAIL not in json.dumps(upstream_body) and upstream_name.startswith("gp_")
    # Identifier-shaped, as provider APIs require of function names.
    assert all(ch.isalnum() or ch in "_-" for ch in upstream_name)


def test_a_pseudonymised_tool_name_round_trips_in_a_plain_answer(proxy: Proxy, upstreams: Upstreams) -> None:
    tool = f"notify_{EMAIL}"
    client = openai.OpenAI(base_url=proxy.v1, api_key=proxy.key, max_retries=0)
    resp = client.chat.completions.create(
        model="external-chat", messages=[{"role": "user", "content": "please call_tool"}],
        tools=[{"type": "function", "function": {"name": tool, "parameters": {"type": "object"}}}])
    assert resp.choices[0].message.tool_calls[0].function.name == tool
    assert EMAIL not in upstreams.external.recorder.dump()


def test_an_image_is_refused_for_an_external_model_and_the_error_names_the_field(proxy: Proxy,
                                                                                 upstreams: Upstreams) -> None:
    body = {"model": "external-chat", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "what is this?"}, {"type": "image_url", "image_url": {"url": PIXEL}}]}]}
    r = post(proxy, "/chat/completions", body)
    assert r.status_code == 403, r.text
    message = r.json()["error"]["message"]
    assert "block-unscannable-external" in message and "messages.0.content.1.image_url.url" in message
    assert upstreams.external.recorder.all() == []
    # On-prem it is allowed, image and all.
    r = post(proxy, "/chat/completions", {**body, "model": "onprem-chat"})
    assert r.status_code == 200, r.text
    assert PIXEL in upstreams.onprem.recorder.dump()


def test_remote_media_is_unscannable_and_its_query_string_is_scanned(proxy: Proxy, upstreams: Upstreams) -> None:
    url = f"https://cdn.example.com/scan.png?owner={EMAIL}"
    body = {"model": "onprem-chat", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "what is this?"}, {"type": "image_url", "image_url": {"url": url}}]}]}
    assert post(proxy, "/chat/completions", {**body, "model": "external-chat"}).status_code == 403
    assert upstreams.external.recorder.all() == []
    audio = {"model": "external-chat", "messages": [{"role": "user", "content": [
        {"type": "input_audio", "input_audio": {"data": base64.b64encode(b"RIFF....").decode(), "format": "wav"}}]}]}
    r = post(proxy, "/chat/completions", audio)
    assert r.status_code == 403 and "input_audio.data" in r.json()["error"]["message"]
    tokens = post(proxy, "/embeddings", {"model": "external-chat", "input": [[101, 2023, 102]]})
    assert tokens.status_code == 403 and "UNSCANNED_TOKENS" in tokens.text


def test_a_text_data_uri_is_decoded_scanned_and_re_encoded(proxy: Proxy, upstreams: Upstreams) -> None:
    """A policy that lets files through to an external model (a rule above the block) still redacts their text."""
    text = f"Customer {NAME}, card {CARD}, mail {EMAIL}"
    uri = "data:text/plain;base64," + base64.b64encode(text.encode()).decode()
    body = {"model": "onprem-chat", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "summarise"}, {"type": "file", "file": {"filename": "c.txt", "file_data": uri}}]}]}
    r = post(proxy, "/chat/completions", body)
    assert r.status_code == 200, r.text  # a text file is scannable: no UNSCANNED finding, on-prem unredacted
    assert r.headers["x-govproxy-decision"] == "allow"
    r = post(proxy, "/chat/completions", {**body, "model": "external-chat"})
    assert r.status_code == 200, r.text
    part = upstreams.external.recorder.all()[-1]["body"]["messages"][0]["content"][1]
    sent_uri = part["file"]["file_data"]
    assert sent_uri.startswith("data:text/plain;base64,")
    decoded = base64.b64decode(sent_uri.split(",", 1)[1]).decode()
    assert leaked(decoded, {"NAME": NAME, "CARD": CARD, "EMAIL": EMAIL}) == [] and "<PERSON_1>" in decoded
    percent = "data:text/plain," + text.replace(" ", "%20").replace("@", "%40")
    r = post(proxy, "/chat/completions", {"model": "external-chat", "messages": [{"role": "user", "content": [
        {"type": "file", "file": {"filename": "c.txt", "file_data": percent}}]}]})
    assert r.status_code == 200, r.text
    assert leaked(upstreams.external.recorder.dump(), {"NAME": NAME, "EMAIL": EMAIL}) == []


def test_too_many_strings_are_refused_before_detection(proxy: Proxy, upstreams: Upstreams) -> None:
    messages = [{"role": "user", "content": f"hi {i}"} for i in range(20_001)]
    r = post(proxy, "/chat/completions", {"model": "external-chat", "messages": messages})
    assert r.status_code == 413, r.text
    assert r.json()["error"]["code"] == "too_many_text_fields" and "GOVPROXY_MAX_TEXT_FIELDS" in r.text
    assert upstreams.external.recorder.all() == []


def test_many_small_fields_are_all_scanned(proxy: Proxy, upstreams: Upstreams) -> None:
    messages = [{"role": "user", "content": f"note {i}"} for i in range(2_000)]
    messages[1_234]["content"] = f"note: mail {EMAIL}"
    r = post(proxy, "/chat/completions", {"model": "external-chat", "messages": messages})
    assert r.status_code == 200, r.text
    sent_messages = upstreams.external.recorder.all()[-1]["body"]["messages"]
    assert EMAIL not in json.dumps(sent_messages) and "<EMAIL_ADDRESS_1>" in sent_messages[1_234]["content"]
    assert sent_messages[1_233]["content"] == "note 1233"
