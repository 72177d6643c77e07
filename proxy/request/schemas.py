"""Provider request bodies -> one NormalizedRequest, with every text-bearing field in it (walk.py finds them).

Chat bodies of both dialects end up in the OpenAI chat shape (Anthropic is converted first), which is what
litellm takes. Validation errors name the field and what was expected, never the value sent.
"""

from __future__ import annotations

import copy
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from proxy.errors import BadRequest
from proxy.request.context import Dialect, Endpoint, NormalizedRequest, TextField
from proxy.request.walk import encode_field, text_fields

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


def parse_openai(endpoint: Endpoint, body: Any, conversation_id: str | None = None) -> NormalizedRequest:
    model: type[BaseModel] = {Endpoint.CHAT: ChatBody, Endpoint.COMPLETIONS: CompletionBody,
                              Endpoint.EMBEDDINGS: EmbeddingBody}[endpoint]
    parsed = _validate(model, body)
    # Keep the caller's own body (not pydantic's re-serialisation) so unknown parameters pass through untouched.
    data = copy.deepcopy(body)
    if endpoint is Endpoint.CHAT:
        check_content_parts(data)
    texts = text_fields(data)  # every string leaf, whatever its key (proxy/request/walk.py)
    return NormalizedRequest(dialect=Dialect.OPENAI, endpoint=endpoint, model=parsed.model,  # type: ignore[attr-defined]
                             stream=bool(data.get("stream")), body=data, texts=texts,
                             conversation_id=conversation_id)


def rewrite(body: dict[str, Any], fields: list[TextField], texts: list[str]) -> dict[str, Any]:
    """A copy of `body` with each field's value (or key) replaced by its new text, re-encoded where it came from
    a data URI. Values are written first, then keys deepest first, so no path goes stale under a renamed key."""
    out = copy.deepcopy(body)
    keys: list[tuple[TextField, str]] = []
    for field, text in zip(fields, texts, strict=True):
        if field.is_key:
            if text != field.text:
                keys.append((field, text))
        elif text != field.text:
            # Unchanged fields keep the caller's value: an opaque field's text is only what can be read of it (empty
            # for image bytes), so writing it back would blank the image.
            _parent(out, field.path)[field.path[-1]] = encode_field(field, text)
    for field, text in sorted(keys, key=lambda kt: -len(kt[0].path)):
        parent = _parent(out, field.path)
        # Rebuilt in order, so the renamed key keeps its place.
        items = [(text if k == field.text else k, v) for k, v in parent.items()]
        parent.clear()
        parent.update(items)
    return out


def _parent(body: dict[str, Any], path: tuple[str | int, ...]) -> Any:
    node: Any = body
    for key in path[:-1]:
        node = node[key]
    return node
