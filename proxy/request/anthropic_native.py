"""Anthropic Messages requests, kept in Anthropic's own shape: what is scanned, redacted and (for Anthropic
targets) forwarded is the caller's body itself, so prompt caching (`cache_control`), extended thinking, documents
with their titles, context and citations settings, tool definitions and `metadata` arrive as sent.

The body is first validated by the converter (proxy/request/anthropic.py: the same 400s as before, so a body that
could not be translated for another target is refused whatever the target). Then every string leaf of it is a
text field (proxy/request/walk.py), with Anthropic's places told apart:
- `system` is walked first, then `messages`, then the rest (the numbering of placeholders follows the
  conversation); system text has the role and kind `system`;
- image bytes (`source.data` of a base64 image) and image URLs are unscannable content (`opaque`), as on chat;
- `tool_use` ids and names and `tool_result.tool_use_id` are identifiers (replaced whole, identifier-shaped).
Thinking signatures that govproxy handed out (tagged, proxy/request/thinking_signatures.py) come back untagged
and unscanned; any other is scanned. `metadata.user_id` is replaced before anything reads it by a keyed hash
(HMAC-SHA256 under the redaction key): the provider can still tell a caller's users apart, never who they are.

For a target that does not speak Anthropic, the redacted body is converted then (the forward stage), so what the
converter passes on is still only what was scanned here.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
from typing import Any

from proxy.errors import BadRequest
from proxy.request.anthropic import anthropic_to_openai
from proxy.request.context import Dialect, Endpoint, NormalizedRequest, TextField
from proxy.request.thinking_signatures import SIGNED, untag
from proxy.request.walk import text_fields

USER_ID_PREFIX = "gpu_"
# What POST /v1/messages/count_tokens takes; anything else in a count body is dropped (and so needs no scanning).
COUNT_FIELDS = frozenset({"model", "messages", "system", "tools", "tool_choice", "thinking", "mcp_servers"})
_IDENTIFIER_KEYS = {"tool_use": ("id", "name"), "server_tool_use": ("id", "name"), "tool_result": ("tool_use_id",)}


def hashed_user_id(key: bytes, user_id: str) -> str:
    """The keyed hash that stands for an Anthropic `metadata.user_id` upstream (stable for one redaction key)."""
    digest = hmac.new(key, b"anthropic-metadata-user-id\x00" + user_id.encode(), hashlib.sha256).hexdigest()
    return USER_ID_PREFIX + digest[:40]


def parse_anthropic(body: Any, conversation_id: str | None, user_key: bytes, *, count: bool = False
                    ) -> NormalizedRequest:
    """The NormalizedRequest of an Anthropic Messages body in its own shape (BadRequest where it is invalid).
    `count`: a count_tokens body (no max_tokens; only the fields count_tokens takes are kept)."""
    if count and isinstance(body, dict):
        body = {k: v for k, v in body.items() if k in COUNT_FIELDS}
        anthropic_to_openai({**body, "max_tokens": 1})
    else:
        anthropic_to_openai(body)  # validation only: the same errors, naming the field, never the value
    if isinstance(body, dict) and body.get("mcp_servers"):
        # The provider would connect to these servers itself and hand them the conversation: a third party that no
        # rule cleared (and whose answers the proxy never sees). Refused, as hosted tools are on /v1/responses.
        raise BadRequest("Invalid request: mcp_servers: the provider would send the conversation to MCP servers "
                         "that govproxy cannot check; run the MCP tools in the client instead.", param="mcp_servers")
    data = copy.deepcopy(body)
    exempt = _own_signatures(data, user_key)
    metadata = data.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("user_id"), str) and metadata["user_id"]:
        data["metadata"] = {**metadata, "user_id": hashed_user_id(user_key, metadata["user_id"])}
    endpoint = Endpoint.COUNT_TOKENS if count else Endpoint.MESSAGES
    return NormalizedRequest(dialect=Dialect.ANTHROPIC, endpoint=endpoint, model=data["model"],
                             stream=bool(data.get("stream")), body=data, texts=anthropic_fields(data, exempt),
                             conversation_id=conversation_id)


def _own_signatures(body: dict[str, Any], key: bytes) -> set[tuple[str | int, ...]]:
    """Thinking signatures (redacted_thinking data) in assistant turns that carry govproxy's tag: untagged in
    place, and their paths returned, so they go to Anthropic as Anthropic produced them, unscanned."""
    exempt: set[tuple[str | int, ...]] = set()
    for i, message in enumerate(body.get("messages") or []):
        if not isinstance(message, dict) or message.get("role") != "assistant" or \
                not isinstance(message.get("content"), list):
            continue
        for j, block in enumerate(message["content"]):
            field = SIGNED.get(str(block.get("type"))) if isinstance(block, dict) else None
            value = block.get(field) if field else None
            if field and isinstance(value, str) and (original := untag(key, value)) is not None:
                block[field] = original
                exempt.add(("messages", i, "content", j, field))
    return exempt


def anthropic_fields(body: dict[str, Any], exempt: set[tuple[str | int, ...]] | None = None) -> list[TextField]:
    """Every text field of an Anthropic Messages body, system first (see the module docstring); `exempt`: paths of
    values that are not scanned (thinking signatures govproxy tagged)."""
    head = {"system": body["system"]} if "system" in body else {}
    fields = text_fields(head) + text_fields({k: v for k, v in body.items() if k != "system"})
    for field in fields:
        _classify(body, field)
    return [f for f in fields if not _is_hashed_user(f) and (f.is_key or f.path not in (exempt or ()))]


def _is_hashed_user(field: TextField) -> bool:
    return field.path == ("metadata", "user_id") and field.text.startswith(USER_ID_PREFIX) and not field.is_key


def _classify(body: dict[str, Any], field: TextField) -> None:
    path = field.path
    if path[0] == "system":
        field.role, field.kind = "system", "system"
        return
    if field.is_key or len(path) < 5 or path[0] != "messages" or path[2] != "content":
        return
    block = _node(body, path[:4])
    inner = path[4:]
    if isinstance(block, dict) and block.get("type") == "tool_result" and len(inner) >= 3 and inner[0] == "content":
        block, inner = _node(block, inner[:2]), inner[2:]  # a block inside a tool result
    if not isinstance(block, dict):
        return
    kind = block.get("type")
    if len(inner) == 1 and inner[0] in _IDENTIFIER_KEYS.get(str(kind), ()):
        field.kind = "identifier"
    elif kind == "image" and inner in (("source", "data"), ("source", "url")):
        source = block.get("source") if isinstance(block.get("source"), dict) else {}
        if inner[1] == "data" and source.get("type") == "base64":
            field.text, field.kind, field.opaque = "", "media", "image"
        elif inner[1] == "url" and source.get("type") == "url":
            field.kind, field.opaque = "media", "image"


def _node(body: Any, path: tuple[str | int, ...]) -> Any:
    node = body
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    return node
