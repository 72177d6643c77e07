"""(7) Restore pseudonymised values in native Anthropic answers: a Message, and its event stream.

In a Message, every string of every content block is restored (text, thinking, tool_use input at any depth,
citations), and tool_use ids and names are looked up as identifier tokens; `signature` and `type` are left alone.
In a stream, content_block_start is restored like a block; content_block_delta text (`text_delta.text`,
`thinking_delta.thinking`, `input_json_delta.partial_json` with JSON escaping) is restored across event
boundaries exactly as chat chunks are (proxy/response/sse.py: only a trailing fragment that could still complete
an issued token is held back, and it is released before the block's content_block_stop).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from proxy.redaction.pseudonyms import PseudonymMap
from proxy.request.thinking_signatures import SignatureTagger

_LEFT_ALONE = frozenset({"type", "signature"})
_IDENTIFIERS = frozenset({"id", "name", "tool_use_id"})
_DELTA_FIELDS = {"text_delta": "text", "thinking_delta": "thinking", "input_json_delta": "partial_json"}


def _restore(node: Any, pmap: PseudonymMap, key: str | None = None) -> Any:
    if isinstance(node, str):
        if key in _LEFT_ALONE:
            return node
        value = pmap.restore(node)
        return pmap.restore_identifier(value) if key in _IDENTIFIERS else value
    if isinstance(node, dict):
        return {pmap.restore(k): _restore(v, pmap, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_restore(v, pmap, key) for v in node]
    return node


def restore_message(message: dict[str, Any], pmap: PseudonymMap) -> dict[str, Any]:
    """The Message with its content restored (a new dict)."""
    content = message.get("content")
    if not isinstance(content, list):
        return message
    return {**message, "content": [_restore(block, pmap) for block in content]}


class EventRestorer:
    """Restores one Anthropic event stream; `process` each event in order, `flush` at the end."""

    def __init__(self, pmap: PseudonymMap) -> None:
        self._pmap = pmap
        self._held: dict[int, tuple[str, str]] = {}  # block index -> (delta type, held text)

    def _release(self, index: int, kind: str, new: str, final: bool) -> str:
        _, held = self._held.pop(index, (kind, ""))
        buf = held + new
        if not final:
            cut = buf.rfind("<")
            if cut != -1 and self._pmap.is_token_prefix(buf[cut:]):
                self._held[index] = (kind, buf[cut:])
                buf = buf[:cut]
        return self._pmap.restore(buf, json_escape=kind == "input_json_delta") if buf else buf

    def _flush_block(self, index: int) -> list[dict[str, Any]]:
        if index not in self._held:
            return []
        kind = self._held[index][0]
        text = self._release(index, kind, "", True)
        return [{"type": "content_block_delta", "index": index, "delta": {"type": kind, _DELTA_FIELDS[kind]: text}}]

    def process(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        kind = event.get("type")
        index = event.get("index") if isinstance(event.get("index"), int) else 0
        if kind == "content_block_start" and isinstance(event.get("content_block"), dict):
            return [{**event, "content_block": _restore(event["content_block"], self._pmap)}]
        if kind == "content_block_delta" and isinstance(event.get("delta"), dict):
            delta = event["delta"]
            field = _DELTA_FIELDS.get(str(delta.get("type")))
            if field is None:
                return [{**event, "delta": _restore(delta, self._pmap)}]  # citations_delta; signature left alone
            if not isinstance(delta.get(field), str):
                return [event]
            text = self._release(index, str(delta["type"]), delta[field], False)
            return [{**event, "delta": {**delta, field: text}}] if text else []
        if kind == "content_block_stop":
            return [*self._flush_block(index), event]
        if kind in ("message_delta", "message_stop"):
            return [*self.flush(), event]
        return [event]

    def flush(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for index in sorted(self._held):
            out += self._flush_block(index)
        return out


def restore_events(events: AsyncIterator[dict[str, Any]], pmap: PseudonymMap) -> AsyncIterator[dict[str, Any]]:
    """The event stream with issued tokens restored; `events` itself when nothing was pseudonymised."""
    if not pmap:
        return events
    return _restoring(events, EventRestorer(pmap))


async def _restoring(events: AsyncIterator[dict[str, Any]], restorer: EventRestorer
                     ) -> AsyncIterator[dict[str, Any]]:
    try:
        async for event in events:
            for out in restorer.process(event):
                yield out
        for out in restorer.flush():
            yield out
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()


async def tag_events(events: AsyncIterator[dict[str, Any]], key: bytes) -> AsyncIterator[dict[str, Any]]:
    """The event stream with thinking signatures tagged (proxy/request/thinking_signatures.py)."""
    tagger = SignatureTagger(key)
    try:
        async for event in events:
            for out in tagger.process(event):
                yield out
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
