"""Native Anthropic answers restored: a Message's blocks (text, thinking, tool_use input and identifiers,
citations; signatures left alone) and its events, with placeholders split across content_block_delta events."""

from __future__ import annotations

import json
from typing import Any

from proxy.redaction.pseudonyms import PseudonymMap
from proxy.request.thinking_signatures import SignatureTagger, tag_message, untag
from proxy.response.anthropic_restore import EventRestorer, restore_message

NAME, EMAIL = "Margaret Thornton", 'm."t"@example.org'


def _pmap() -> PseudonymMap:
    pmap = PseudonymMap()
    pmap.placeholder_for("PERSON", NAME)
    pmap.placeholder_for("EMAIL_ADDRESS", EMAIL)
    pmap.identifier_for("PERSON", "notify_thornton")
    return pmap


def test_message_blocks_are_restored() -> None:
    msg = {"type": "message", "content": [
        {"type": "thinking", "thinking": "about <PERSON_1>", "signature": "<PERSON_1>"},
        {"type": "text", "text": "Hi <PERSON_1>", "citations": [{"type": "char_location", "cited_text": "<PERSON_1>",
                                                                 "document_title": "for <PERSON_1>"}]},
        {"type": "tool_use", "id": "toolu_1", "name": "gp_person_1", "input": {"to": ["<EMAIL_ADDRESS_1>"]}}]}
    out = restore_message(msg, _pmap())["content"]
    assert out[0] == {"type": "thinking", "thinking": f"about {NAME}", "signature": "<PERSON_1>"}
    assert out[1]["text"] == f"Hi {NAME}" and out[1]["citations"][0]["cited_text"] == NAME
    assert out[1]["citations"][0]["document_title"] == f"for {NAME}"
    assert out[2]["name"] == "notify_thornton" and out[2]["input"] == {"to": [EMAIL]}
    assert msg["content"][1]["text"] == "Hi <PERSON_1>"  # the input is not modified


def _delta(index: int, kind: str, field: str, text: str) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": {"type": kind, field: text}}


def test_events_are_restored_across_boundaries() -> None:
    restorer = EventRestorer(_pmap())
    args = json.dumps({"to": "<EMAIL_ADDRESS_1>"})
    events = [
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        *[_delta(0, "text_delta", "text", piece) for piece in ("Hi <PER", "SON", "_1>", " and <PERSON_")],
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": {
            "type": "tool_use", "id": "toolu_1", "name": "gp_person_1", "input": {}}},
        *[_delta(1, "input_json_delta", "partial_json", args[i:i + 4]) for i in range(0, len(args), 4)],
        {"type": "content_block_stop", "index": 1},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}},
    ]
    out = [e for event in events for e in restorer.process(event)] + restorer.flush()
    text = "".join(e["delta"]["text"] for e in out if e.get("index") == 0 and e["type"] == "content_block_delta")
    assert text == f"Hi {NAME} and <PERSON_"  # an unfinished look-alike is released at the block's end
    stops = [i for i, e in enumerate(out) if e["type"] == "content_block_stop"]
    assert out[stops[0] - 1]["delta"]["text"] == "<PERSON_"  # held, then released before the stop
    start = next(e for e in out if e["type"] == "content_block_start" and e["index"] == 1)
    assert start["content_block"]["name"] == "notify_thornton"
    arguments = "".join(e["delta"]["partial_json"] for e in out if e.get("index") == 1
                        and e["type"] == "content_block_delta")
    assert json.loads(arguments) == {"to": EMAIL}  # JSON-escaped where restored inside a JSON string


def test_thinking_signatures_are_tagged_and_recognised() -> None:
    key, other = b"k" * 32, b"o" * 32
    msg = restore_message({"content": [{"type": "thinking", "thinking": "x", "signature": "EqSIG"},
                                       {"type": "redacted_thinking", "data": "EqDATA"}]}, _pmap())
    tagged = tag_message(msg, key)["content"]
    assert untag(key, tagged[0]["signature"]) == "EqSIG" and untag(key, tagged[1]["data"]) == "EqDATA"
    assert untag(other, tagged[0]["signature"]) is None  # another redaction key: not recognised
    assert untag(key, "EqSIG") is None and untag(key, "EqSIG.0123") is None
    tagger = SignatureTagger(key)
    events = [{"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "",
                                                                          "signature": ""}},
              {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "Eq"}},
              {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "SIG"}},
              {"type": "content_block_stop", "index": 0}]
    out = [e for event in events for e in tagger.process(event)]
    deltas = [e["delta"]["signature"] for e in out if e["type"] == "content_block_delta"]
    assert len(deltas) == 1 and untag(key, deltas[0]) == "EqSIG" and out[-1]["type"] == "content_block_stop"
