"""Provider request bodies -> one NormalizedRequest, and the list of every text-bearing field in it.

Chat bodies of both dialects end up in the OpenAI chat shape (Anthropic is converted first), which is what
litellm takes. Validation errors name the field and what was expected, never the value sent.
"""

from __future__ import annotations

import copy
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from proxy.errors import BadRequest
from proxy.request.context import Dialect, Endpoint, NormalizedRequest, TextField

# Bodies nested deeper than this are refused before anything walks them: later steps (copying, serialising,
# litellm) recurse, and a 1,000-deep array would exhaust Python's stack. Real bodies (tool JSON schemas included)
# stay far below it.
MAX_JSON_DEPTH = 64


class _Open(BaseModel):
    # Unknown provider parameters pass through to the upstream (SDKs add new ones faster than we can list them).
    model_config = ConfigDict(extra="allow")


class _ChatMessage(_Open):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None


class ChatBody(_Open):
    model: str = Field(min_length=1)
    messages: list[_ChatMessage] = Field(min_length=1)
    stream: bool = False
    tools: list[dict[str, Any]] | None = None


# A prompt or input list may not be empty: there is nothing to complete or embed (the upstream client fails on it,
# which used to read as an unreachable upstream, 503).
_Batch = Annotated[list[str], Field(min_length=1)] | Annotated[list[int], Field(min_length=1)] \
    | Annotated[list[list[int]], Field(min_length=1)]


class CompletionBody(_Open):
    model: str = Field(min_length=1)
    prompt: str | _Batch
    stream: bool = False


class EmbeddingBody(_Open):
    model: str = Field(min_length=1)
    input: str | _Batch


def validation_message(exc: ValidationError) -> tuple[str, str | None]:
    """A caller-facing summary of a pydantic error: locations and expectations, never the input values."""
    errors = exc.errors(include_input=False, include_url=False)
    parts = []
    for e in errors[:5]:
        loc = ".".join(str(p) for p in e["loc"]) or "body"
        parts.append(f"{loc}: {e['msg']}")
    first = ".".join(str(p) for p in errors[0]["loc"]) if errors else None
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "Invalid request: " + "; ".join(parts) + more, first


def json_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply a parsed JSON value nests objects and arrays (a flat object is 1), counted without recursion;
    counting stops as soon as the depth passes `limit`."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def check_depth(body: Any) -> None:
    """Raise BadRequest if the body nests deeper than MAX_JSON_DEPTH."""
    if json_depth(body) > MAX_JSON_DEPTH:
        raise BadRequest(f"Invalid request: the body is nested deeper than {MAX_JSON_DEPTH} levels.",
                         code="too_deeply_nested")


def _validate(model: type[BaseModel], body: Any) -> BaseModel:
    if not isinstance(body, dict):
        raise BadRequest("Invalid request: the body must be a JSON object.")
    check_depth(body)
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        message, param = validation_message(exc)
        raise BadRequest(message, param=param) from None


# Content part types a chat message may carry, by role (the OpenAI chat API). A part of any other type, or without
# one, is refused here: the detector reads only the parts it knows, so an unknown part could carry text past it,
# and litellm refuses such a body itself before sending it (which used to read as an unreachable upstream, 503).
PART_TYPES: dict[str, tuple[str, ...]] = {
    "user": ("text", "image_url", "input_audio", "file"),
    "assistant": ("text", "refusal"),
    "system": ("text",), "developer": ("text",), "tool": ("text",), "function": ("text",),
}


def check_content_parts(body: dict[str, Any]) -> None:
    """Raise BadRequest naming the first content part whose type its message's role does not take (the value
    sent is not echoed)."""
    for i, msg in enumerate(body.get("messages") or []):
        content = msg.get("content")
        if not isinstance(content, list):
            continue
        allowed = PART_TYPES[msg["role"]]
        for j, part in enumerate(content):
            if part.get("type") not in allowed:
                where = f"messages.{i}.content.{j}.type"
                raise BadRequest(f"Invalid request: {where}: a {msg['role']} message's content parts must have a "
                                 f"type, one of: {', '.join(allowed)}.", param=where)


def chat_texts(body: dict[str, Any]) -> list[TextField]:
    """Every text in an OpenAI chat body: system/developer/user/assistant/tool messages, text and refusal parts
    (and an assistant's refusal), tool-call arguments (and the legacy function_call), and tool definitions'
    descriptions. Parts are dicts of a known type here (check_content_parts ran first)."""
    out: list[TextField] = []
    for i, msg in enumerate(body.get("messages") or []):
        role = msg.get("role")
        kind = "tool_result" if role in ("tool", "function") else ("system" if role in ("system", "developer")
                                                                    else "message")
        content = msg.get("content")
        if isinstance(content, str):
            out.append(TextField(("messages", i, "content"), content, kind, role))
        elif isinstance(content, list):
            for j, part in enumerate(content):
                key = "refusal" if part.get("type") == "refusal" else "text"
                if isinstance(part.get(key), str):
                    out.append(TextField(("messages", i, "content", j, key), part[key], kind, role))
        if isinstance(msg.get("refusal"), str):  # an earlier assistant turn's refusal travels upstream too
            out.append(TextField(("messages", i, "refusal"), msg["refusal"], kind, role))
        for k, call in enumerate(msg.get("tool_calls") or []):
            fn = call.get("function") if isinstance(call, dict) else None
            if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
                out.append(TextField(("messages", i, "tool_calls", k, "function", "arguments"),
                                     fn["arguments"], "tool_arguments", role))
        fc = msg.get("function_call")
        if isinstance(fc, dict) and isinstance(fc.get("arguments"), str):
            out.append(TextField(("messages", i, "function_call", "arguments"), fc["arguments"],
                                 "tool_arguments", role))
    for t, tool in enumerate(body.get("tools") or []):
        fn = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(fn, dict) and isinstance(fn.get("description"), str):
            out.append(TextField(("tools", t, "function", "description"), fn["description"], "tool_definition"))
    return out


def _prompt_texts(body: dict[str, Any], key: str, kind: str) -> list[TextField]:
    value = body.get(key)
    if isinstance(value, str):
        return [TextField((key,), value, kind)]
    if isinstance(value, list):
        return [TextField((key, i), v, kind) for i, v in enumerate(value) if isinstance(v, str)]
    return []


def parse_openai(endpoint: Endpoint, body: Any, conversation_id: str | None = None) -> NormalizedRequest:
    model: type[BaseModel] = {Endpoint.CHAT: ChatBody, Endpoint.COMPLETIONS: CompletionBody,
                              Endpoint.EMBEDDINGS: EmbeddingBody}[endpoint]
    parsed = _validate(model, body)
    # Keep the caller's own body (not pydantic's re-serialisation) so unknown parameters pass through untouched.
    data = copy.deepcopy(body)
    if endpoint is Endpoint.CHAT:
        check_content_parts(data)
        texts = chat_texts(data)
    elif endpoint is Endpoint.COMPLETIONS:
        texts = _prompt_texts(data, "prompt", "prompt")
    else:
        texts = _prompt_texts(data, "input", "input")
    return NormalizedRequest(dialect=Dialect.OPENAI, endpoint=endpoint, model=parsed.model,  # type: ignore[attr-defined]
                             stream=bool(data.get("stream")), body=data, texts=texts,
                             conversation_id=conversation_id)


def set_path(body: dict[str, Any], path: tuple[str | int, ...], value: str) -> None:
    node: Any = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
