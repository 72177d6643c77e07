"""OpenAI Responses API requests (`POST /v1/responses`) -> OpenAI chat bodies, what every later stage and litellm
speak. The answer side (a chat completion or its chunks -> a Response and its typed events) is
proxy/api/responses_message.py and responses_stream.py.

Converted: `instructions` -> a system message; `input` (a string, or message items with input_text, output_text,
refusal, input_image and input_file parts; function_call and function_call_output items) -> messages, tool calls and
tool results; function tools, `tool_choice`, `text.format` -> `response_format`, `max_output_tokens`,
`temperature`, `top_p`, `parallel_tool_calls`, `reasoning.effort`, `user`, `metadata`, `safety_identifier`,
`prompt_cache_key`, `service_tier`, `stream`.

Dropped: `reasoning` items in the input (provider-encrypted thinking), `include`, `truncation`, `store` (the
translated request keeps nothing at the provider: no response is stored anywhere), and unknown top-level fields:
a field that is not forwarded needs no scanning. `previous_response_id` was resolved before (the kept chain is
part of `input` here: proxy/pipeline/chains.py). Refused with 400, naming the field: `conversation` and
`background`, hosted
tools (web search, file search, computer use, MCP, code interpreter) and input items of other types.
"""

from __future__ import annotations

from typing import Any

from proxy.errors import BadRequest
from proxy.request.schemas import check_depth

_COPIED = ("temperature", "top_p", "parallel_tool_calls", "user", "metadata", "safety_identifier",
           "prompt_cache_key", "service_tier", "stream", "top_logprobs")
_REFUSED = {
    # previous_response_id is resolved before conversion (proxy/pipeline/chains.py); a Conversations API object
    # is not kept.
    "conversation": "govproxy keeps no Conversations API objects; send the conversation as `input` or chain "
                    "responses with `previous_response_id`",
    "background": "background responses are not supported",
}
_PART_TYPES = {"input_text": "text", "output_text": "text", "text": "text", "refusal": "refusal"}
_ROLES = ("user", "assistant", "system", "developer")


def _fail(where: str, message: str) -> BadRequest:
    return BadRequest(f"Invalid request: {where}: {message}", param=where)


def responses_to_openai(body: Any) -> dict[str, Any]:
    """The chat body for a Responses API body; BadRequest (naming the field, never the value) where it cannot be
    converted."""
    if not isinstance(body, dict):
        raise BadRequest("Invalid request: the body must be a JSON object.")
    check_depth(body)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _fail("model", "a model name is required")
    for key, why in _REFUSED.items():
        if body.get(key) not in (None, False):
            raise _fail(key, why)
    messages: list[dict[str, Any]] = []
    instructions = body.get("instructions")
    if instructions is not None:
        if not isinstance(instructions, str):
            raise _fail("instructions", "must be a string")
        messages.append({"role": "system", "content": instructions})
    messages.extend(_input(body.get("input")))
    if not messages:
        raise _fail("input", "give `input` (a string or a list of items)")
    out: dict[str, Any] = {"model": model, "messages": messages}
    out.update({k: body[k] for k in _COPIED if body.get(k) is not None})
    if body.get("max_output_tokens") is not None:
        out["max_tokens"] = body["max_output_tokens"]
    reasoning = body.get("reasoning")
    if isinstance(reasoning, dict) and reasoning.get("effort") is not None:
        out["reasoning_effort"] = reasoning["effort"]
    if body.get("tools"):
        out["tools"] = [_tool(t, i) for i, t in enumerate(_list(body["tools"], "tools"))]
    if body.get("tool_choice") is not None:
        out["tool_choice"] = _tool_choice(body["tool_choice"])
    text = body.get("text")
    if isinstance(text, dict) and isinstance(text.get("format"), dict):
        fmt = _response_format(text["format"])
        if fmt is not None:
            out["response_format"] = fmt
    return out


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(where, "must be a list")
    return value


def _input(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    messages: list[dict[str, Any]] = []
    for i, item in enumerate(_list(value, "input")):
        where = f"input.{i}"
        if not isinstance(item, dict):
            raise _fail(where, "each input item must be an object")
        kind = item.get("type", "message")
        if kind == "message":
            messages.append(_message(item, where))
        elif kind == "function_call":
            call = {"id": _str(item, "call_id", where), "type": "function",
                    "function": {"name": _str(item, "name", where), "arguments": _str(item, "arguments", where)}}
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant" and "tool_calls" in last:
                last["tool_calls"].append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item.get("output")
            if isinstance(output, list):
                output = [_part(p, f"{where}.output.{j}", "tool") for j, p in enumerate(output)]
            elif not isinstance(output, str):
                raise _fail(f"{where}.output", "must be a string or a list of content parts")
            messages.append({"role": "tool", "tool_call_id": _str(item, "call_id", where), "content": output})
        elif kind == "reasoning":
            continue  # provider-encrypted thinking from an earlier turn: not forwarded
        else:
            raise _fail(f"{where}.type", "supported input items: message, function_call, function_call_output")
    return messages


def _str(item: dict[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str):
        raise _fail(f"{where}.{key}", "must be a string")
    return value


def _message(item: dict[str, Any], where: str) -> dict[str, Any]:
    role = item.get("role")
    if role not in _ROLES:
        raise _fail(f"{where}.role", f"must be one of: {', '.join(_ROLES)}")
    content = item.get("content")
    if isinstance(content, str):
        return {"role": role, "content": content}
    parts = [_part(p, f"{where}.content.{j}", role) for j, p in enumerate(_list(content, f"{where}.content"))]
    return {"role": role, "content": parts}


def _part(part: Any, where: str, role: str) -> dict[str, Any]:
    if not isinstance(part, dict):
        raise _fail(where, "each content part must be an object")
    kind = part.get("type")
    if kind in _PART_TYPES:
        key = "refusal" if kind == "refusal" else "text"
        return {"type": _PART_TYPES[kind], key: _str(part, key, where)}
    if kind == "input_image" and role == "user":
        url = part.get("image_url")
        if not isinstance(url, str):
            raise _fail(f"{where}.image_url", "an image URL or data URI is required (file ids are not supported)")
        image: dict[str, Any] = {"url": url}
        if part.get("detail") is not None:
            image["detail"] = part["detail"]
        return {"type": "image_url", "image_url": image}
    if kind == "input_file" and role == "user":
        file = {k: part[k] for k in ("file_data", "file_id", "filename") if part.get(k) is not None}
        return {"type": "file", "file": file}
    raise _fail(f"{where}.type", "supported parts: input_text, output_text, refusal, input_image, input_file")


def _tool(tool: Any, i: int) -> dict[str, Any]:
    where = f"tools.{i}"
    if not isinstance(tool, dict) or tool.get("type") != "function":
        raise _fail(f"{where}.type", "only function tools are supported; hosted tools cannot be routed to "
                                     "other providers")
    fn = {"name": _str(tool, "name", where)}
    for key in ("description", "parameters", "strict"):
        if tool.get(key) is not None:
            fn[key] = tool[key]
    return {"type": "function", "function": fn}


def _tool_choice(choice: Any) -> Any:
    if isinstance(choice, str):
        return choice
    if isinstance(choice, dict) and choice.get("type") == "function" and isinstance(choice.get("name"), str):
        return {"type": "function", "function": {"name": choice["name"]}}
    raise _fail("tool_choice", "must be auto, none, required or {type: function, name}")


def _response_format(fmt: dict[str, Any]) -> dict[str, Any] | None:
    kind = fmt.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_schema":
        schema = {k: fmt[k] for k in ("name", "schema", "strict", "description") if fmt.get(k) is not None}
        return {"type": "json_schema", "json_schema": schema}
    raise _fail("text.format.type", "must be text, json_object or json_schema")
