"""Chat content parts: only the types the OpenAI chat API gives each role pass; their texts are all scanned."""

from __future__ import annotations

from typing import Any

import pytest

from proxy.errors import BadRequest
from proxy.request.context import Endpoint
from proxy.request.schemas import parse_openai


def chat(*messages: dict[str, Any]) -> dict[str, Any]:
    return {"model": "m", "messages": list(messages)}


@pytest.mark.parametrize("part", [{"type": None, "text": "Zacharias"}, {"type": "no-such-part", "text": "Zacharias"},
                                  {"text": "Zacharias"}, {"type": "refusal", "refusal": "Zacharias"},
                                  {"type": ["text"], "text": "Zacharias"}])
def test_unknown_user_part_is_a_400_naming_the_place_not_the_value(part: dict[str, Any]) -> None:
    with pytest.raises(BadRequest) as exc:
        parse_openai(Endpoint.CHAT, chat({"role": "user", "content": [{"type": "text", "text": "hi"}, part]}))
    assert exc.value.status == 400 and exc.value.param == "messages.0.content.1.type"
    assert "Zacharias" not in exc.value.message and "no-such-part" not in exc.value.message


def test_image_part_in_a_system_message_is_refused() -> None:
    with pytest.raises(BadRequest):
        parse_openai(Endpoint.CHAT, chat({"role": "system", "content": [{"type": "image_url", "image_url": {}}]}))


def test_known_parts_pass_and_every_text_is_found() -> None:
    req = parse_openai(Endpoint.CHAT, chat(
        {"role": "system", "content": [{"type": "text", "text": "sys"}]},
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "image_url", "image_url": {"url": "x"}},
                                     {"type": "input_audio", "input_audio": {"data": "", "format": "wav"}},
                                     {"type": "file", "file": {"file_id": "f"}}]},
        {"role": "assistant", "content": [{"type": "text", "text": "b"}, {"type": "refusal", "refusal": "c"}]},
        {"role": "assistant", "content": None, "refusal": "d"},
        {"role": "tool", "tool_call_id": "t", "content": [{"type": "text", "text": "e"}]}))
    texts = [(t.text, t.kind, t.opaque) for t in req.texts]
    # Every string leaf but role, part type and the audio format enum; media are opaque (the policy decides).
    assert texts == [("sys", "system", None), ("a", "message", None), ("x", "media", "image"),
                     ("", "media", "audio"), ("f", "media", "file"), ("b", "message", None),
                     ("c", "message", None), ("d", "message", None), ("t", "identifier", None),
                     ("e", "tool_result", None)]
    assert req.texts[6].path == ("messages", 2, "content", 1, "refusal")
