"""(7) Restore pseudonymised values in plain (non-streamed) OpenAI-shaped responses.

Only tokens the conversation's map issued are replaced (placeholders and encrypt tokens); masks, hashes and
anything the model invented stay as they are. Tool-call arguments are JSON text, so values restored there are
JSON-escaped where needed.
"""

from __future__ import annotations

from typing import Any

from proxy.redaction.pseudonyms import PseudonymMap

# Message fields the caller reads as text. reasoning_content is what litellm calls a reasoning model's thinking.
_TEXT_FIELDS = ("content", "reasoning_content", "refusal")


def _restore_arguments(holder: Any, pmap: PseudonymMap) -> Any:
    """A copy of a tool call's function / a function_call dict with its `arguments` restored and its `name` put
    back if it was an identifier token (other shapes unchanged)."""
    if not isinstance(holder, dict):
        return holder
    out = dict(holder)
    if isinstance(out.get("arguments"), str):
        out["arguments"] = pmap.restore(out["arguments"], json_escape=True)
    if isinstance(out.get("name"), str):
        out["name"] = pmap.restore_identifier(out["name"])
    return out


def _restore_call(call: Any, pmap: PseudonymMap) -> Any:
    """A tool call with its id, function name and arguments restored."""
    if not isinstance(call, dict):
        return call
    out = {**call, "function": _restore_arguments(call["function"], pmap)} if "function" in call else dict(call)
    if isinstance(out.get("id"), str):
        out["id"] = pmap.restore_identifier(out["id"])
    return out


def _restore_message(message: dict[str, Any], pmap: PseudonymMap) -> dict[str, Any]:
    out = dict(message)
    for name in _TEXT_FIELDS:
        value = out.get(name)
        if isinstance(value, str):
            out[name] = pmap.restore(value)
        elif name == "content" and isinstance(value, list):
            out[name] = [{**part, "text": pmap.restore(part["text"])}
                         if isinstance(part, dict) and isinstance(part.get("text"), str) else part
                         for part in value]
    if isinstance(out.get("tool_calls"), list):
        out["tool_calls"] = [_restore_call(call, pmap) for call in out["tool_calls"]]
    if "function_call" in out:
        out["function_call"] = _restore_arguments(out["function_call"], pmap)
    return out


def _map_choices(resp: dict[str, Any], pmap: PseudonymMap, chat: bool) -> dict[str, Any]:
    out = dict(resp)
    if not pmap or not isinstance(resp.get("choices"), list):
        return out
    choices = []
    for choice in resp["choices"]:
        if isinstance(choice, dict):
            choice = dict(choice)
            if chat and isinstance(choice.get("message"), dict):
                choice["message"] = _restore_message(choice["message"], pmap)
            if not chat and isinstance(choice.get("text"), str):
                choice["text"] = pmap.restore(choice["text"])
        choices.append(choice)
    out["choices"] = choices
    return out


def restore_chat_response(resp: dict[str, Any], pmap: PseudonymMap) -> dict[str, Any]:
    """A new chat completion dict with issued tokens put back in choices[].message: content (string or text
    parts), reasoning_content, refusal, tool_calls[].function.arguments and the legacy function_call.arguments;
    identifier tokens in tool_calls[].id, tool_calls[].function.name and function_call.name.
    Everything else is carried over untouched (the input is not modified)."""
    return _map_choices(resp, pmap, chat=True)


def restore_completion_response(resp: dict[str, Any], pmap: PseudonymMap) -> dict[str, Any]:
    """A new text completion dict with issued tokens put back in choices[].text."""
    return _map_choices(resp, pmap, chat=False)


def restore_response(resp: dict[str, Any], pmap: PseudonymMap) -> dict[str, Any]:
    """Either of the above, by the response's `object` (or its choices' shape); other dicts (embeddings) come
    back as a shallow copy."""
    choices = resp.get("choices")
    first = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
    if resp.get("object") == "text_completion" or ("text" in first and "message" not in first):
        return restore_completion_response(resp, pmap)
    return restore_chat_response(resp, pmap)
