"""(7) Restore pseudonymised values in streamed OpenAI-shaped chunks, across chunk boundaries.

A placeholder may arrive split over several chunks (`<PER` + `SON_` + `1>`). Text is tracked per choice and per
field (delta.content, .reasoning_content and .refusal, each tool call's arguments by its index, the legacy
delta.function_call.arguments, and a completion's text). Everything is released at once except a trailing
fragment that could still become an issued token: since a token starts with `<` and holds no other `<`, the only
candidate is the text from the last `<`, and it is held only while it is a proper prefix of a token this
conversation issued. Held text is released in the chunk that carries the choice's finish_reason (ahead of that
chunk's own text), or by `flush()` when the stream ends without one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from proxy.redaction.pseudonyms import PseudonymMap

FieldKey = tuple[int, str, int]  # (choice index, field, tool call index or -1)
_DELTA_TEXT = ("content", "reasoning_content", "refusal")
_JSON_FIELDS = frozenset({"arguments", "function_call"})  # JSON text: restored values are escaped
_BASE_KEYS = ("id", "object", "created", "model", "system_fingerprint")


def _index(value: Any) -> int:
    return value if isinstance(value, int) else 0


class StreamRestorer:
    """Restores one stream. `process` each chunk in order, then `flush` at the end of the stream."""

    def __init__(self, pmap: PseudonymMap) -> None:
        self._pmap = pmap
        self._held: dict[FieldKey, str] = {}
        self._base: dict[str, Any] = {}

    @property
    def holding(self) -> bool:
        """Whether some text is held back, waiting to see if it completes a token."""
        return bool(self._held)

    def _release(self, key: FieldKey, new: str, final: bool) -> str:
        """Restored text of this field that can go out now; keeps back a possible token prefix unless final."""
        buf = self._held.pop(key, "") + new if self._held else new
        if not final:
            cut = buf.rfind("<")
            if cut != -1 and self._pmap.is_token_prefix(buf[cut:]):
                self._held[key] = buf[cut:]
                buf = buf[:cut]
        if not buf:
            return buf
        return self._pmap.restore(buf, json_escape=key[1] in _JSON_FIELDS)

    def _held_for(self, i: int, field: str) -> list[FieldKey]:
        return [k for k in self._held if k[0] == i and k[1] == field]

    def process(self, chunk: dict[str, Any]) -> dict[str, Any]:
        """The chunk with its text restored (a new dict; the input is not modified). Text that could be the start
        of a token is removed here and comes out at the front of a later chunk of the same choice and field."""
        self._base = {k: chunk[k] for k in _BASE_KEYS if k in chunk}
        choices = chunk.get("choices")
        if not isinstance(choices, list) or not choices:
            return chunk
        return {**chunk, "choices": [self._choice(c) if isinstance(c, dict) else c for c in choices]}

    def _choice(self, choice: dict[str, Any]) -> dict[str, Any]:
        i = _index(choice.get("index"))
        final = choice.get("finish_reason") is not None
        out = dict(choice)
        delta = choice.get("delta")
        pending_delta = final and any(k[0] == i and k[1] != "text" for k in self._held)
        if isinstance(delta, dict) or pending_delta:
            out["delta"] = self._delta(i, dict(delta) if isinstance(delta, dict) else {}, final)
        key = (i, "text", -1)
        if isinstance(choice.get("text"), str) or (final and key in self._held):
            out["text"] = self._release(key, choice.get("text") or "", final)
        return out

    def _delta(self, i: int, delta: dict[str, Any], final: bool) -> dict[str, Any]:
        for name in _DELTA_TEXT:
            key = (i, name, -1)
            if isinstance(delta.get(name), str) or (final and key in self._held):
                delta[name] = self._release(key, delta.get(name) or "", final)
        calls = delta.get("tool_calls")
        if isinstance(calls, list):
            delta["tool_calls"] = [self._tool_call(i, c, final) if isinstance(c, dict) else c for c in calls]
        if final:
            # Argument fragments of tool calls that this last chunk does not mention.
            for key in sorted(self._held_for(i, "arguments")):
                delta.setdefault("tool_calls", []).append(
                    {"index": key[2], "function": {"arguments": self._release(key, "", True)}})
        fc = delta.get("function_call")
        key = (i, "function_call", -1)
        if isinstance(fc, dict) and isinstance(fc.get("name"), str):
            fc = delta["function_call"] = {**fc, "name": self._pmap.restore_identifier(fc["name"])}
        if isinstance(fc, dict) and isinstance(fc.get("arguments"), str):
            delta["function_call"] = {**fc, "arguments": self._release(key, fc["arguments"], final)}
        elif final and key in self._held:
            delta["function_call"] = {"arguments": self._release(key, "", True)}
        return delta

    def _tool_call(self, i: int, call: dict[str, Any], final: bool) -> dict[str, Any]:
        # Ids and names arrive whole (in the call's first delta): identifier tokens are looked up, not streamed.
        call = dict(call)
        if isinstance(call.get("id"), str):
            call["id"] = self._pmap.restore_identifier(call["id"])
        fn = call.get("function")
        if not isinstance(fn, dict):
            return call
        fn = dict(fn)
        if isinstance(fn.get("name"), str):
            fn["name"] = self._pmap.restore_identifier(fn["name"])
        if isinstance(fn.get("arguments"), str):
            key = (i, "arguments", _index(call.get("index")))
            fn["arguments"] = self._release(key, fn["arguments"], final)
        return {**call, "function": fn}

    def flush(self) -> list[dict[str, Any]]:
        """Chunks (one per choice, with the stream's id/object/created/model) carrying whatever is still held
        when the stream ends without a finish_reason; empty when nothing is held."""
        out = []
        for i in sorted({k[0] for k in self._held}):
            text_key = (i, "text", -1)
            if text_key in self._held:
                out.append({**self._base, "choices": [
                    {"index": i, "text": self._release(text_key, "", True), "logprobs": None,
                     "finish_reason": None}]})
            if any(k[0] == i for k in self._held):
                delta = self._delta(i, {}, final=True)
                out.append({**self._base, "choices": [{"index": i, "delta": delta, "finish_reason": None}]})
        return out


def restore_stream(chunks: AsyncIterator[dict[str, Any]], pmap: PseudonymMap) -> AsyncIterator[dict[str, Any]]:
    """The stream with issued tokens restored. With an empty map (nothing was pseudonymised) this is `chunks`
    itself: no per-chunk work at all. The source is closed when the restored stream ends or is closed."""
    if not pmap:
        return chunks
    return _restoring(chunks, StreamRestorer(pmap))


async def _restoring(chunks: AsyncIterator[dict[str, Any]], restorer: StreamRestorer
                     ) -> AsyncIterator[dict[str, Any]]:
    try:
        async for chunk in chunks:
            yield restorer.process(chunk)
        for extra in restorer.flush():
            yield extra
    finally:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()
