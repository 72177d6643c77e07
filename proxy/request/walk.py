"""Every string a provider body carries, found by walking the body as a tree: fail closed by construction.

What goes upstream is the body the caller sent (after the dialect conversion), so every string leaf of it is a
text field for detection and redaction, at its own path, whatever its key. Nothing is forwarded because nobody
listed it; only the values in `STRUCTURAL` are exempt, each because it is checked against a closed set (or never
leaves the proxy). Numbers, booleans and null carry no text.

Dict keys are text too (a JSON-schema property or a metadata key can hold an e-mail). A key made only of
lower-case ASCII letters and underscores is exempt: that is the shape of every API parameter and of ordinary
property names, and no identifier, secret or name a recognizer finds has that shape.

Content that cannot be read as text (image, audio and file bytes, remote media, token-id arrays) becomes a field
with `opaque` set: detection does not read it, and the detect stage reports it as an `UNSCANNED_*` finding, so
the policy decides where it may go (see policies/rules). `data:` URIs with a text media type are decoded and
scanned as text, and re-encoded after redaction. The query string of a remote media URL is scanned like any text.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

from proxy.request.context import DataUri, TextField

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_PART_TYPES = frozenset({"text", "image_url", "input_audio", "file", "refusal"})
_TOOL_TYPES = frozenset({"function", "custom"})


@dataclass(frozen=True, slots=True)
class Structural:
    """A value that is not scanned: at `path` (list indices written `*`), one of `values` (None: any value)."""

    path: tuple[str, ...]
    values: frozenset[str] | None
    why: str


# The reviewed list. Anything not here, or here with a value outside its set, is scanned.
STRUCTURAL: tuple[Structural, ...] = (
    Structural(("model",), None, "never sent: the target's own model name replaces it, and a value that names no "
               "catalogue or policy alias is refused (404) before anything leaves; the audit keeps only aliases"),
    Structural(("messages", "*", "role"), _ROLES, "validated against the chat roles (400 otherwise)"),
    Structural(("messages", "*", "content", "*", "type"), _PART_TYPES,
               "validated against the part types each role takes (400 otherwise)"),
    Structural(("messages", "*", "tool_calls", "*", "type"), _TOOL_TYPES, "a tool call's kind"),
    Structural(("tools", "*", "type"), _TOOL_TYPES, "a tool definition's kind"),
    Structural(("tool_choice",), frozenset({"none", "auto", "required"}), "an enum"),
    Structural(("tool_choice", "type"), frozenset({"function", "custom", "allowed_tools"}), "an enum"),
    Structural(("function_call",), frozenset({"none", "auto"}), "an enum (legacy functions)"),
    Structural(("response_format", "type"), frozenset({"text", "json_object", "json_schema"}), "an enum"),
    Structural(("reasoning_effort",), frozenset({"none", "minimal", "low", "medium", "high", "xhigh"}), "an enum"),
    Structural(("service_tier",), frozenset({"auto", "default", "flex", "scale", "priority"}), "an enum"),
    Structural(("verbosity",), frozenset({"low", "medium", "high"}), "an enum"),
    Structural(("modalities", "*"), frozenset({"text", "audio"}), "an enum"),
    Structural(("encoding_format",), frozenset({"float", "base64"}), "an enum (embeddings)"),
    Structural(("messages", "*", "content", "*", "image_url", "detail"), frozenset({"auto", "low", "high"}),
               "an enum"),
    Structural(("messages", "*", "content", "*", "input_audio", "format"), frozenset({"wav", "mp3"}), "an enum"),
)
_STRUCTURAL = {s.path: s.values for s in STRUCTURAL}

# Identifiers the app's tool dispatch matches on: when one carries a sensitive value it is replaced whole, by a
# token of identifier shape, consistently across the request, and restored in the answer.
IDENTIFIERS = frozenset({
    ("messages", "*", "tool_calls", "*", "id"), ("messages", "*", "tool_calls", "*", "function", "name"),
    ("messages", "*", "tool_call_id"), ("messages", "*", "function_call", "name"), ("messages", "*", "name"),
    ("tools", "*", "function", "name"), ("tools", "*", "name"), ("functions", "*", "name"),
    ("tool_choice", "function", "name"), ("tool_choice", "name"), ("function_call", "name"),
})

# Content whose bytes cannot be read as text, by where it sits: the kind of unscannable content it is.
_MEDIA = {
    ("messages", "*", "content", "*", "image_url", "url"): "image",
    ("messages", "*", "content", "*", "input_audio", "data"): "audio",
    ("messages", "*", "content", "*", "file", "file_data"): "file",
    ("messages", "*", "content", "*", "file", "file_id"): "file",
}
_PLAIN_KEY = re.compile(r"[a-z_]+")
_DATA_URI = re.compile(r"data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(?:;[\w.+-]+=[^;,]*)*)(?P<b64>;base64)?,",
                       re.IGNORECASE)
_TEXT_TYPES = re.compile(r"text/.*|application/(json|xml|x-yaml|yaml|javascript|x-www-form-urlencoded|.*\+json|"
                         r".*\+xml)", re.IGNORECASE)
_ROLE_KIND = {"system": "system", "developer": "system", "tool": "tool_result", "function": "tool_result"}
# Keys walked first, in this order, so the numbering of placeholders follows the conversation (see pseudonyms.py).
_FIRST = ("messages", "prompt", "input")


def normal_path(path: tuple[str | int, ...]) -> tuple[str, ...]:
    """The path with list indices written `*`, as the tables above write them."""
    return tuple("*" if isinstance(p, int) else p for p in path)


def text_fields(body: dict[str, Any]) -> list[TextField]:
    """Every text field of an OpenAI-shaped body (chat, completions, embeddings), in request order."""
    messages = body.get("messages")
    roles = [m.get("role") if isinstance(m, dict) else None for m in messages] if isinstance(messages, list) else []
    out: list[TextField] = []
    top = [k for k in _FIRST if k in body] + [k for k in body if k not in _FIRST]
    # An explicit stack, not recursion: bodies are depth-checked, but a wide one should not cost frames either.
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(_Key(k) if step else body[k], (k,))
                                                     for k in reversed(top) for step in (0, 1)]
    while stack:
        node, path = stack.pop()
        role = roles[path[1]] if path[0] == "messages" and len(path) > 1 and isinstance(path[1], int) \
            and path[1] < len(roles) else None
        if isinstance(node, _Key):
            if not _PLAIN_KEY.fullmatch(node.name):
                out.append(TextField(path, node.name, "key", role, is_key=True))
        elif isinstance(node, str):
            field = _string(node, path, role)
            if field is not None:
                out.append(field)
        elif isinstance(node, dict):
            for k in reversed(list(node)):
                stack.append((node[k], (*path, k)))
                stack.append((_Key(k), (*path, k)))
        elif isinstance(node, list):
            if node and path[0] in ("prompt", "input") and all(type(v) is int for v in node):
                out.append(TextField(path, "", "tokens", opaque="tokens"))  # token ids: text we cannot read
                continue
            stack.extend((node[i], (*path, i)) for i in range(len(node) - 1, -1, -1))
    return out


@dataclass(frozen=True, slots=True)
class _Key:
    """A dict key on the walk's stack (its path is the path of its value)."""

    name: str


def _string(value: str, path: tuple[str | int, ...], role: str | None) -> TextField | None:
    norm = normal_path(path)
    allowed = _STRUCTURAL.get(norm, ())
    if allowed is None or (allowed and value in allowed):
        return None
    kind = _kind(norm, role)
    media = _MEDIA.get(norm)
    if value[:5].lower() == "data:":
        return _data_uri(value, path, kind, role, media)
    if media is not None:
        # A reference to remote or provider-held content: the reference is text (its query string may carry a
        # token), the content behind it is not scannable.
        return TextField(path, value, "media", role, opaque=media)
    return TextField(path, value, kind, role)


def _data_uri(value: str, path: tuple[str | int, ...], kind: str, role: str | None, media: str | None
              ) -> TextField:
    m = _DATA_URI.match(value)
    media_type = (m.group("type") or "text/plain") if m else ""
    if m and _TEXT_TYPES.fullmatch(media_type):
        payload = value[m.end():]
        try:
            raw = base64.b64decode(payload, validate=True) if m.group("b64") else \
                urllib.parse.unquote_to_bytes(payload)
            text = raw.decode("utf-8")
        except (binascii.Error, ValueError):
            text = None
        if text is not None:
            return TextField(path, text, kind, role, codec=DataUri(value[:m.end()], bool(m.group("b64"))))
    return TextField(path, "", "media", role, opaque=media or "file")


def _kind(norm: tuple[str, ...], role: str | None) -> str:
    if norm in IDENTIFIERS:
        return "identifier"
    head = norm[0]
    if head == "messages":
        if norm[-1] == "arguments":
            return "tool_arguments"
        if len(norm) > 2 and norm[2] in ("content", "refusal"):
            return _ROLE_KIND.get(role or "", "message")
        return "message"
    if head in ("tools", "functions"):
        return "tool_definition"
    if head in ("prompt", "input"):
        return head
    return "parameter"


def encode_field(field: TextField, text: str) -> str:
    """The value to write back at the field's path for (redacted) `text`: re-encoded if it came from a data URI."""
    if field.codec is None:
        return text
    if field.codec.base64:
        return field.codec.header + base64.b64encode(text.encode("utf-8")).decode("ascii")
    return field.codec.header + urllib.parse.quote(text, safe="")


def describe_path(path: tuple[str | int, ...]) -> str:
    """A field's path for a caller-facing message, e.g. `messages.1.content.2.image_url.url`; a key that is not a
    plain lower-case word (it could hold the caller's data) is written `…`."""
    return ".".join(str(p) if isinstance(p, int) or _PLAIN_KEY.fullmatch(p) else "…" for p in path)
