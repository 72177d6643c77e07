"""OpenAI chat completions -> Anthropic Messages answers (the plain, non-streaming side), and the pieces the
stream encoder shares: stop-reason mapping, usage mapping, ids.

These functions never raise on odd upstream output (the response is already on its way to the caller and its
audit record is being finished): malformed parts degrade to the closest valid Anthropic shape.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson

# OpenAI finish_reason -> Anthropic stop_reason. Anything else (None, provider extras) reads as end_turn.
STOP_REASONS: dict[str, str] = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use",
                                "function_call": "tool_use", "content_filter": "refusal", "refusal": "refusal"}


def message_id(upstream_id: Any = None) -> str:
    """An Anthropic message id: the upstream's own when it already is one (an Anthropic target), else fresh."""
    if isinstance(upstream_id, str) and upstream_id.startswith("msg_"):
        return upstream_id
    return f"msg_{uuid.uuid4().hex[:24]}"


def tool_use_id(upstream_id: Any = None) -> str:
    if isinstance(upstream_id, str) and upstream_id:
        return upstream_id
    return f"toolu_{uuid.uuid4().hex[:24]}"


def stop_reason_for(finish_reason: Any, *, has_tool_use: bool = False) -> str:
    """Map an OpenAI finish_reason. Some servers (Ollama, some vLLM versions) say "stop" after tool calls: a
    message that ends in tool_use blocks is reported as tool_use, as Anthropic would."""
    reason = STOP_REASONS.get(finish_reason, "end_turn") if isinstance(finish_reason, str) else "end_turn"
    if has_tool_use and reason == "end_turn":
        return "tool_use"
    return reason


def matched_stop_sequence(choice: dict[str, Any]) -> str | None:
    """The stop string that ended generation, where the server says so (vLLM: `choices[i].stop_reason` holds the
    matched string, or a token id for stop tokens). OpenAI itself does not tell; then it is unknown (None)."""
    value = choice.get("stop_reason")
    return value if isinstance(value, str) and value and choice.get("finish_reason") == "stop" else None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def usage_for(usage: Any) -> dict[str, int]:
    """OpenAI usage -> Anthropic usage. OpenAI's prompt_tokens include cached ones; Anthropic's input_tokens do not,
    so cache reads (prompt_tokens_details.cached_tokens, or litellm's cache_read_input_tokens) and cache writes are
    taken out and reported in their own fields."""
    if not isinstance(usage, dict):
        usage = {}
    details = usage.get("prompt_tokens_details")
    cached = _int(details.get("cached_tokens")) if isinstance(details, dict) else 0
    cache_read = _int(usage.get("cache_read_input_tokens")) or cached
    cache_write = _int(usage.get("cache_creation_input_tokens"))
    return {"input_tokens": max(_int(usage.get("prompt_tokens")) - cache_read - cache_write, 0),
            "output_tokens": _int(usage.get("completion_tokens")),
            "cache_creation_input_tokens": cache_write, "cache_read_input_tokens": cache_read}


def tool_input(arguments: Any) -> dict[str, Any]:
    """Tool-call arguments (a JSON string) -> the `input` object. Anthropic requires an object: empty arguments
    give {}, and arguments that are not a JSON object are kept whole under "arguments" rather than lost."""
    if isinstance(arguments, dict):
        return arguments
    if not isinstance(arguments, str) or not arguments.strip():
        return {}
    try:
        value = orjson.loads(arguments)
    except orjson.JSONDecodeError:
        return {"arguments": arguments}
    return value if isinstance(value, dict) else {"arguments": value}


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # some providers answer with content parts
        return "".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def _tool_blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    calls = list(message.get("tool_calls") or [])
    legacy = message.get("function_call")
    if isinstance(legacy, dict):
        calls.append({"function": legacy})
    blocks = []
    for call in calls:
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict):
            continue
        blocks.append({"type": "tool_use", "id": tool_use_id(call.get("id")), "name": str(fn.get("name") or ""),
                       "input": tool_input(fn.get("arguments"))})
    return blocks


def openai_to_anthropic(resp: dict[str, Any], *, requested_model: str) -> dict[str, Any]:
    """Convert an OpenAI chat completion into an Anthropic Message.

    `model` is the name the caller asked for (not the upstream's). Content: a text block (when there is text, or
    an OpenAI `refusal`), then one tool_use block per tool call with its arguments parsed. Only the first choice
    is used (Anthropic has no `n`).
    """
    choices = resp.get("choices") or []
    choice = choices[0] if choices and isinstance(choices[0], dict) else {}
    message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
    text = _text(message.get("content"))
    refusal = message.get("refusal")
    content: list[dict[str, Any]] = []
    if not text and isinstance(refusal, str) and refusal:
        text = refusal
    if text:
        content.append({"type": "text", "text": text})
    tools = _tool_blocks(message)
    content.extend(tools)
    stop_reason = stop_reason_for(choice.get("finish_reason"), has_tool_use=bool(tools))
    if isinstance(refusal, str) and refusal and stop_reason == "end_turn":
        stop_reason = "refusal"
    sequence = matched_stop_sequence(choice)
    if sequence is not None and stop_reason == "end_turn":
        stop_reason = "stop_sequence"
    return {"id": message_id(resp.get("id")), "type": "message", "role": "assistant", "model": requested_model,
            "content": content, "stop_reason": stop_reason,
            "stop_sequence": sequence if stop_reason == "stop_sequence" else None,
            "usage": usage_for(resp.get("usage"))}
