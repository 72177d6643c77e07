"""Anthropic Messages requests -> OpenAI chat bodies (what every later stage and litellm speak).

The answer side lives in proxy/api: anthropic_message.py (a plain completion -> a Message) and
anthropic_stream.py (chunks -> the event stream).

Converted: `system` (string, text blocks, or `role: "system"` messages) -> system messages; text and image
blocks -> content parts; assistant `tool_use` -> `tool_calls` with JSON-string arguments; user `tool_result`
-> `role: "tool"` messages (their text as text; their images follow in the user message); plain-text documents
-> text parts; custom tools, `tool_choice`, `max_tokens`, `temperature`, `top_p`, `stop_sequences` -> `stop`,
`stream`, `metadata.user_id` -> `user`. Kept for Anthropic targets (litellm passes them on; the forward stage
removes them for any other target and names them in `x-govproxy-dropped`): `cache_control` on system, text and
document blocks and on tools, and `thinking`; the `anthropic-beta` header is forwarded to Anthropic targets.

Dropped on purpose: every other top-level field (`service_tier`, `container`, unknown ones from newer SDKs): a
field that is not forwarded needs no scanning. `top_k` is validated and dropped: litellm forwards it verbatim to
OpenAI-compatible targets, and OpenAI rejects the request for it. Also dropped: `thinking` and
`redacted_thinking` blocks in history (their signatures cannot be checked after redaction), `citations` on
blocks, a document's title and context, `is_error` on tool results (OpenAI has no such field).

Rejected with BadRequest: content we cannot pass on as inspectable text or a plain image (PDF and file
documents, server-tool blocks and server tools). Messages name the field and the expectation, never the value.
"""

from __future__ import annotations

import json
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from proxy.errors import BadRequest
from proxy.request.schemas import check_depth

__all__ = ["anthropic_to_openai"]

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


class _Open(BaseModel):
    # Fields we do not use (cache_control, citations, new SDK additions) are accepted and ignored.
    model_config = ConfigDict(extra="allow")


class _Metadata(_Open):
    user_id: StrictStr | None = None


class _Message(_Open):
    role: Literal["user", "assistant", "system"]
    content: Any  # a string or a list of blocks: checked by _blocks, for a clearer error than a union gives


class MessagesBody(_Open):
    """The Anthropic `POST /v1/messages` body: the fields govproxy reads (content blocks are checked one by one)."""

    model: StrictStr = Field(min_length=1)
    max_tokens: StrictInt = Field(ge=0)
    messages: list[_Message] = Field(min_length=1)
    system: Any = None
    stream: StrictBool = False
    temperature: float | None = Field(default=None, ge=0, strict=True)
    top_p: float | None = Field(default=None, ge=0, le=1, strict=True)
    top_k: StrictInt | None = Field(default=None, ge=0)
    stop_sequences: list[StrictStr] | None = None
    metadata: _Metadata | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: dict[str, Any] | None = None


class _TextBlock(_Open):
    type: Literal["text"]
    text: StrictStr


class _ImageSource(_Open):
    type: Literal["base64", "url"]
    media_type: StrictStr | None = None
    data: StrictStr | None = None
    url: StrictStr | None = None


class _ImageBlock(_Open):
    type: Literal["image"]
    source: _ImageSource


class _ToolUseBlock(_Open):
    type: Literal["tool_use"]
    id: StrictStr = Field(min_length=1)
    name: StrictStr = Field(min_length=1)
    input: dict[str, Any]


class _ToolResultBlock(_Open):
    type: Literal["tool_result"]
    tool_use_id: StrictStr = Field(min_length=1)
    content: Any = None


class _TextSource(_Open):
    type: Literal["text"]
    data: StrictStr


class _DocumentBlock(_Open):
    type: Literal["document"]
    source: _TextSource


class _Tool(_Open):
    type: Literal["custom"] | None = None
    name: StrictStr = Field(min_length=1)
    description: StrictStr | None = None
    input_schema: dict[str, Any]
    strict: StrictBool | None = None


class _ToolChoice(_Open):
    type: Literal["auto", "any", "tool", "none"]
    name: StrictStr | None = None
    disable_parallel_tool_use: StrictBool = False


_BLOCKS: dict[str, type[BaseModel]] = {"text": _TextBlock, "image": _ImageBlock, "tool_use": _ToolUseBlock,
                                       "tool_result": _ToolResultBlock, "document": _DocumentBlock}
_DROPPED_BLOCKS = frozenset({"thinking", "redacted_thinking"})
# Which block types each place may hold (Anthropic's own rules, narrowed to what we can convert).
_ALLOWED = {"user": ("text", "image", "tool_result", "document"), "assistant": ("text", "tool_use"),
            "system": ("text",), "tool_result": ("text", "image", "document")}


def _fail(loc: Loc, message: str) -> BadRequest:
    where = ".".join(str(p) for p in loc) or "body"
    return BadRequest(f"Invalid request: {where}: {message}", param=where)


def _check(model: type[M], data: Any, loc: Loc) -> M:
    """Validate one piece; the error names its location and what was expected, never the value sent."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        where = [".".join(str(p) for p in (*loc, *e["loc"])) or "body" for e in errors]
        parts = [f"{w}: {e['msg']}" for w, e in zip(where, errors, strict=True)][:5]
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise BadRequest("Invalid request: " + "; ".join(parts) + more, param=where[0]) from None


def _block(data: Any, loc: Loc, place: str) -> BaseModel | None:
    """One content block, validated for its place; None for a block we drop on purpose."""
    allowed = _ALLOWED[place]
    if not isinstance(data, dict):
        raise _fail(loc, "Input should be a content block (an object with a 'type')")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise _fail((*loc, "type"), "Field required: a string naming the block type")
    if kind in _DROPPED_BLOCKS and place == "assistant":
        return None
    if kind not in allowed:
        raise _fail((*loc, "type"), f"block type not supported here; expected one of {', '.join(allowed)}")
    if kind == "document" and not (isinstance(data.get("source"), dict) and data["source"].get("type") == "text"):
        raise _fail((*loc, "source", "type"),
                    "only plain-text documents are supported (govproxy cannot inspect PDF or file content)")
    return _check(_BLOCKS[kind], data, loc)


def _blocks(content: Any, loc: Loc, place: str) -> list[BaseModel]:
    if isinstance(content, str):
        return [_TextBlock(type="text", text=content)]
    if not isinstance(content, list):
        raise _fail(loc, "Input should be a string or a list of content blocks")
    out = []
    for i, data in enumerate(content):
        if (block := _block(data, (*loc, i), place)) is not None:
            out.append(block)
    return out


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _image_part(block: _ImageBlock, loc: Loc) -> dict[str, Any]:
    src = block.source
    if src.type == "url":
        if not src.url:
            raise _fail((*loc, "source", "url"), "Field required for a url image source")
        return {"type": "image_url", "image_url": {"url": src.url}}
    if not src.data or not src.media_type:
        raise _fail((*loc, "source"), "a base64 image source needs 'media_type' and 'data'")
    return {"type": "image_url", "image_url": {"url": f"data:{src.media_type};base64,{src.data}"}}


def _part(block: BaseModel, loc: Loc) -> dict[str, Any]:
    if isinstance(block, _ImageBlock):
        part = _image_part(block, loc)
    elif isinstance(block, _DocumentBlock):
        part = _text_part(block.source.data)
    else:
        assert isinstance(block, _TextBlock)
        part = _text_part(block.text)
    return _with_cache_control(block, part)


def _with_cache_control(block: BaseModel, part: dict[str, Any]) -> dict[str, Any]:
    """Keep a block's prompt-caching marker on its part: litellm passes it on to Anthropic targets, and the
    forward stage takes it off for any other (routing/anthropic_features.py)."""
    marker = (block.model_extra or {}).get("cache_control")
    return {**part, "cache_control": marker} if isinstance(marker, dict) else part


def _content(parts: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    # One text part becomes a plain string: text-only OpenAI-compatible servers accept nothing else.
    if len(parts) == 1 and parts[0]["type"] == "text" and "cache_control" not in parts[0]:
        return str(parts[0]["text"])
    return parts


def _system(content: Any, loc: Loc) -> dict[str, Any] | None:
    parts = [_part(b, (*loc, i)) for i, b in enumerate(_blocks(content, loc, "system"))]
    return {"role": "system", "content": _content(parts)} if parts else None


def _user(content: Any, loc: Loc) -> list[dict[str, Any]]:
    """A user turn: its tool results first, as `tool` messages (OpenAI wants them right after the assistant's
    tool calls), then the remaining text and images as one user message."""
    tool_messages: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for i, block in enumerate(_blocks(content, loc, "user")):
        if isinstance(block, _ToolResultBlock):
            text_parts, images = _tool_result(block, (*loc, i))
            tool_messages.append({"role": "tool", "tool_call_id": block.tool_use_id,
                                  "content": _content(text_parts) if text_parts else ""})
            # OpenAI tool messages carry no images: they follow in the user message, in order.
            parts.extend(images)
        else:
            parts.append(_part(block, (*loc, i)))
    out = tool_messages
    if parts or not tool_messages:
        out = [*tool_messages, {"role": "user", "content": _content(parts) if parts else ""}]
    return out


def _tool_result(block: _ToolResultBlock, loc: Loc) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if block.content is None:
        return [], []
    texts: list[dict[str, Any]] = []
    images: list[dict[str, Any]] = []
    for j, inner in enumerate(_blocks(block.content, (*loc, "content"), "tool_result")):
        part = _part(inner, (*loc, "content", j))
        (images if part["type"] == "image_url" else texts).append(part)
    return texts, images


def _assistant(content: Any, loc: Loc) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    for block in _blocks(content, loc, "assistant"):
        if isinstance(block, _ToolUseBlock):
            calls.append({"id": block.id, "type": "function", "function": {
                "name": block.name, "arguments": json.dumps(block.input, ensure_ascii=False)}})
        else:
            assert isinstance(block, _TextBlock)
            parts.append(_text_part(block.text))
    message: dict[str, Any] = {"role": "assistant", "content": _content(parts) if parts else None}
    if calls:
        message["tool_calls"] = calls
    elif message["content"] is None:
        message["content"] = ""
    return message


def _tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i, data in enumerate(tools):
        kind = data.get("type") if isinstance(data, dict) else None
        if kind not in (None, "custom"):
            raise _fail(("tools", i, "type"), "only custom tools (name, description, input_schema) are supported; "
                                              "Anthropic server tools cannot be routed to other providers")
        tool = _check(_Tool, data, ("tools", i))
        fn: dict[str, Any] = {"name": tool.name, "parameters": tool.input_schema}
        if tool.description is not None:
            fn["description"] = tool.description
        if tool.strict is not None:
            fn["strict"] = tool.strict
        out.append(_with_cache_control(tool, {"type": "function", "function": fn}))
    return out


def _tool_choice(choice: _ToolChoice) -> str | dict[str, Any]:
    if choice.type == "tool":
        if not choice.name:
            raise _fail(("tool_choice", "name"), "Field required when type is 'tool'")
        return {"type": "function", "function": {"name": choice.name}}
    return {"auto": "auto", "any": "required", "none": "none"}[choice.type]


def anthropic_to_openai(body: dict[str, Any]) -> dict[str, Any]:
    """Convert an Anthropic Messages request body into an OpenAI chat-completions body.

    Every text the request carries lands in the result as text: system prompts and text blocks as message
    content, tool_use input as JSON-string `arguments`, tool_result content as `tool` message content, tool
    descriptions as `function.description`. Raises BadRequest naming the field for invalid input.
    """
    if not isinstance(body, dict):
        raise BadRequest("Invalid request: the body must be a JSON object.")
    check_depth(body)
    req = _check(MessagesBody, body, ())
    messages: list[dict[str, Any]] = []
    if req.system is not None and (system := _system(req.system, ("system",))) is not None:
        messages.append(system)
    for i, msg in enumerate(req.messages):
        loc: Loc = ("messages", i, "content")
        if msg.role == "user":
            messages.extend(_user(msg.content, loc))
        elif msg.role == "assistant":
            messages.append(_assistant(msg.content, loc))
        elif (system := _system(msg.content, loc)) is not None:
            messages.append(system)
    out: dict[str, Any] = {"model": req.model, "messages": messages, "max_tokens": req.max_tokens}
    for key in ("temperature", "top_p"):
        if (value := getattr(req, key)) is not None:
            out[key] = value
    if req.stop_sequences:
        out["stop"] = list(req.stop_sequences)
    if req.stream:
        out["stream"] = True
    if req.metadata is not None and req.metadata.user_id:
        out["user"] = req.metadata.user_id
    thinking = (req.model_extra or {}).get("thinking")
    if isinstance(thinking, dict):
        out["thinking"] = thinking  # extended thinking: for Anthropic targets only (see _with_cache_control)
    if req.tools:
        out["tools"] = _tools(req.tools)
    if req.tool_choice is not None:
        choice = _check(_ToolChoice, req.tool_choice, ("tool_choice",))
        # OpenAI rejects tool_choice and parallel_tool_calls without tools; Anthropic tolerates them.
        if req.tools:
            out["tool_choice"] = _tool_choice(choice)
            if choice.disable_parallel_tool_use:
                out["parallel_tool_calls"] = False
    return out
