"""Restoring plain (non-streamed) chat and text completion responses."""

from __future__ import annotations

import copy
import json
from typing import Any

from proxy.redaction.encrypt import encrypt
from proxy.redaction.keys import RedactionKeys
from proxy.redaction.pseudonyms import PseudonymMap
from proxy.response.restore import restore_chat_response, restore_completion_response, restore_response

KEYS = RedactionKeys.from_secret("test-secret-for-restore")


def make_map() -> tuple[PseudonymMap, str, str, str]:
    pmap = PseudonymMap()
    person = pmap.placeholder_for("PERSON", "Anna Berg")
    email = pmap.placeholder_for("EMAIL_ADDRESS", "anna@example.com")
    sealed = encrypt("PERSON", 'Bob "the builder"', KEYS)
    pmap.register(sealed, "PERSON", 'Bob "the builder"')
    return pmap, person, email, sealed


def chat(message: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": "stop",
                         "logprobs": None}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}, **extra}


def test_chat_content_string_and_parts() -> None:
    pmap, person, email, sealed = make_map()
    out = restore_chat_response(chat({"content": f"Dear {person}, mail {email}; {sealed}; <PERSON_9>"}), pmap)
    assert out["choices"][0]["message"]["content"] == \
        'Dear Anna Berg, mail anna@example.com; Bob "the builder"; <PERSON_9>'
    parts = chat({"content": [{"type": "text", "text": f"Hi {person}"}, {"type": "image_url", "image_url": {
        "url": f"https://x/{person}"}}, "odd"]})
    out = restore_chat_response(parts, pmap)
    assert out["choices"][0]["message"]["content"][0] == {"type": "text", "text": "Hi Anna Berg"}
    assert out["choices"][0]["message"]["content"][1:] == parts["choices"][0]["message"]["content"][1:]


def test_tool_call_arguments_and_legacy_function_call_stay_valid_json() -> None:
    pmap, person, email, sealed = make_map()
    args = json.dumps({"to": email, "name": person, "other": sealed})
    resp = chat({"content": None, "tool_calls": [{"id": "call_1", "type": "function",
                                                  "function": {"name": "send", "arguments": args}}],
                 "function_call": {"name": "send", "arguments": args}})
    out = restore_chat_response(resp, pmap)
    message = out["choices"][0]["message"]
    expected = {"to": "anna@example.com", "name": "Anna Berg", "other": 'Bob "the builder"'}
    assert json.loads(message["tool_calls"][0]["function"]["arguments"]) == expected
    assert json.loads(message["function_call"]["arguments"]) == expected
    assert message["tool_calls"][0]["id"] == "call_1" and message["tool_calls"][0]["function"]["name"] == "send"


def test_reasoning_content_is_restored_and_unknown_fields_are_untouched() -> None:
    pmap, person, _, _ = make_map()
    resp = chat({"content": person, "reasoning_content": f"who is {person}?", "x_vendor": person},
                x_top_level={"note": person}, system_fingerprint="fp")
    out = restore_chat_response(resp, pmap)
    message = out["choices"][0]["message"]
    assert message["content"] == "Anna Berg" and message["reasoning_content"] == "who is Anna Berg?"
    assert message["x_vendor"] == person and out["x_top_level"] == {"note": person}
    assert out["usage"] == resp["usage"] and out["system_fingerprint"] == "fp" and out["id"] == "chatcmpl-1"


def test_the_input_is_not_modified() -> None:
    pmap, person, _, _ = make_map()
    resp = chat({"content": person, "tool_calls": [{"id": "c", "type": "function",
                                                    "function": {"name": "f", "arguments": person}}]})
    before = copy.deepcopy(resp)
    out = restore_chat_response(resp, pmap)
    assert resp == before and out is not resp and out["choices"][0]["message"]["content"] == "Anna Berg"


def test_completion_text_and_the_dispatcher() -> None:
    pmap, person, _, _ = make_map()
    completion = {"id": "cmpl-1", "object": "text_completion", "model": "m",
                  "choices": [{"index": 0, "text": f"{person}!", "finish_reason": "stop", "logprobs": None},
                              {"index": 1, "text": "no token", "finish_reason": "stop", "logprobs": None}]}
    assert restore_completion_response(completion, pmap)["choices"][0]["text"] == "Anna Berg!"
    assert restore_response(completion, pmap)["choices"][0]["text"] == "Anna Berg!"
    assert restore_response(chat({"content": person}), pmap)["choices"][0]["message"]["content"] == "Anna Berg"


def test_nothing_to_restore() -> None:
    pmap, person, _, _ = make_map()
    empty = restore_chat_response(chat({"content": person}), PseudonymMap())
    assert empty["choices"][0]["message"]["content"] == person   # an empty map restores nothing
    embeddings = {"object": "list", "data": [{"embedding": [0.1], "index": 0}], "model": "e"}
    assert restore_response(embeddings, pmap) == embeddings
    odd = {"choices": [None, {"index": 1}, {"index": 2, "message": None}]}
    assert restore_response(odd, pmap) == odd
