"""A chat completion (OpenAI shape, pseudonyms already restored) -> an OpenAI Responses API `response` object.

Output items, in the order the SDKs expect them: one `message` item with the text (and a refusal, if any), then
one `function_call` item per tool call. Usage moves to the Responses names (input/output tokens).
"""

from __future__ import annotations

import time
import uuid
from typing import Any


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def usage_for(usage: Any) -> dict[str, Any] | None:
    if not isinstance(usage, dict):
        return None
    prompt, completion = usage.get("prompt_tokens") or 0, usage.get("completion_tokens") or 0
    return {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": completion, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": usage.get("total_tokens") or prompt + completion}


def message_item(item_id: str, text: str | None, refusal: str | None, status: str = "completed") -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if text:
        content.append({"type": "output_text", "text": text, "annotations": [], "logprobs": []})
    if refusal:
        content.append({"type": "refusal", "refusal": refusal})
    return {"type": "message", "id": item_id, "status": status, "role": "assistant", "content": content}


def call_item(item_id: str, call_id: str, name: str, arguments: str, status: str = "completed") -> dict[str, Any]:
    return {"type": "function_call", "id": item_id, "call_id": call_id, "name": name, "arguments": arguments,
            "status": status}


def response_object(response_id: str, model: str, output: list[dict[str, Any]], *, status: str = "completed",
                    usage: dict[str, Any] | None = None, created_at: int | None = None,
                    incomplete: str | None = None, previous_response_id: str | None = None,
                    store: bool = False) -> dict[str, Any]:
    """The `response` object with the fields the SDKs read. `store`: whether govproxy keeps it for chains
    (proxy/redaction/kept_responses.py); no provider stores it."""
    return {
        "id": response_id, "object": "response", "created_at": created_at or int(time.time()), "status": status,
        "model": model, "output": output, "usage": usage, "error": None,
        "incomplete_details": {"reason": incomplete} if incomplete else None,
        "instructions": None, "metadata": {}, "parallel_tool_calls": True, "temperature": None, "top_p": None,
        "tool_choice": "auto", "tools": [], "max_output_tokens": None, "previous_response_id": previous_response_id,
        "reasoning": {"effort": None, "summary": None}, "store": store, "text": {"format": {"type": "text"}},
        "truncation": "disabled", "user": None,
    }


def chat_to_response(result: dict[str, Any], *, requested_model: str, previous_response_id: str | None = None,
                     store: bool = False) -> dict[str, Any]:
    """The Response for a (restored) chat completion; only the first choice is used (Responses has no `n`)."""
    choices = result.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    message = choice.get("message") or {}
    output: list[dict[str, Any]] = []
    text, refusal = message.get("content"), message.get("refusal")
    if text or refusal:
        output.append(message_item(new_id("msg"), text if isinstance(text, str) else None,
                                   refusal if isinstance(refusal, str) else None))
    for call in message.get("tool_calls") or []:
        fn = call.get("function") or {}
        output.append(call_item(new_id("fc"), call.get("id") or new_id("call"), fn.get("name") or "",
                                fn.get("arguments") or ""))
    incomplete = "max_output_tokens" if choice.get("finish_reason") == "length" else None
    return response_object(new_id("resp"), requested_model, output, usage=usage_for(result.get("usage")),
                           status="incomplete" if incomplete else "completed", incomplete=incomplete,
                           previous_response_id=previous_response_id, store=store)
