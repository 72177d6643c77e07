"""OpenAI chat chunks -> the Anthropic Messages event stream.

Order, as Anthropic sends it: message_start, ping, then for each content block content_block_start,
content_block_delta* (text_delta or input_json_delta), content_block_stop -- the text first, then one tool_use
block per tool call, each with its own index -- then message_delta (stop_reason, stop_sequence, usage) and
message_stop. Usage arrives last in OpenAI streams (the usage-only chunk of stream_options.include_usage), so
message_start reports input_tokens 0 unless known, and message_delta carries the totals (the SDK takes them).

Tool calls are expected the way OpenAI, vLLM and litellm send them: per call, a first fragment with id and name,
then argument fragments; calls one after another. A call whose name comes late has its fragments held until the
name is known (a content_block_start cannot be amended). Only the first choice is encoded (Anthropic has no `n`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from proxy.api.anthropic_message import (
    matched_stop_sequence,
    message_id,
    stop_reason_for,
    tool_use_id,
    usage_for,
)
from proxy.errors import ProxyError

Event = tuple[str, dict[str, Any]]


def sse_bytes(event: str, data: dict[str, Any]) -> bytes:
    """One server-sent event: `event: <name>\\ndata: <json>\\n\\n`."""
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def error_event(exc: ProxyError) -> Event:
    """The event for an error after the stream began (headers are gone): Anthropic's `error` event, whose data is
    the same body as an HTTP error; the SDK raises it as an APIStatusError."""
    return "error", exc.anthropic_body()


@dataclass(slots=True)
class _ToolCall:
    id: str | None = None
    name: str | None = None
    index: int | None = None  # the content block index, once started
    held: list[str] = field(default_factory=list)  # argument fragments that arrived before the name


class AnthropicStreamEncoder:
    """Turns OpenAI chat-completion chunk dicts into Anthropic stream events. One encoder per response."""

    def __init__(self, *, requested_model: str, input_tokens: int | None = None) -> None:
        self.model = requested_model
        self._input_tokens = input_tokens
        self._started = self._finished = False
        self._index = -1  # the last block index handed out
        self._open: tuple[str, int] | None = None  # ("text", -1) or ("tool", call key) while a block is open
        self._calls: dict[int, _ToolCall] = {}
        self._finish_reason: str | None = None
        self._stop_sequence: str | None = None
        self._refusal = False
        self._usage: dict[str, Any] | None = None

    # -- events ------------------------------------------------------------------------------------------------

    def _start(self, chunk: dict[str, Any]) -> list[Event]:
        self._started = True
        usage = usage_for(self._usage)
        if self._input_tokens is not None and not usage["input_tokens"]:
            usage["input_tokens"] = self._input_tokens
        usage["output_tokens"] = 0
        return [("message_start", {"type": "message_start", "message": {
                    "id": message_id(chunk.get("id")), "type": "message", "role": "assistant", "model": self.model,
                    "content": [], "stop_reason": None, "stop_sequence": None, "usage": usage}}),
                ("ping", {"type": "ping"})]

    def _close(self) -> list[Event]:
        if self._open is None:
            return []
        self._open = None
        return [("content_block_stop", {"type": "content_block_stop", "index": self._index})]

    def _begin(self, kind: str, key: int, block: dict[str, Any]) -> list[Event]:
        events = self._close()
        self._index += 1
        self._open = (kind, key)
        events.append(("content_block_start", {"type": "content_block_start", "index": self._index,
                                               "content_block": block}))
        return events

    def _text(self, text: str) -> list[Event]:
        events = [] if self._open == ("text", -1) else self._begin("text", -1, {"type": "text", "text": ""})
        events.append(("content_block_delta", {"type": "content_block_delta", "index": self._index,
                                               "delta": {"type": "text_delta", "text": text}}))
        return events

    @staticmethod
    def _json(index: int, fragment: str) -> Event:
        return ("content_block_delta", {"type": "content_block_delta", "index": index,
                                        "delta": {"type": "input_json_delta", "partial_json": fragment}})

    def _start_tool(self, key: int, call: _ToolCall) -> list[Event]:
        call.id = tool_use_id(call.id)
        events = self._begin("tool", key, {"type": "tool_use", "id": call.id, "name": call.name or "",
                                           "input": {}})
        call.index = self._index
        if call.held:
            events.append(self._json(self._index, "".join(call.held)))
            call.held.clear()
        return events

    def _tool(self, key: int, fragment: dict[str, Any]) -> list[Event]:
        call = self._calls.get(key)
        if call is None:
            call = self._calls[key] = _ToolCall()
        fn = fragment.get("function") or {}
        if call.id is None and isinstance(fragment.get("id"), str) and fragment["id"]:
            call.id = fragment["id"]
        if call.name is None and isinstance(fn.get("name"), str) and fn["name"]:
            call.name = fn["name"]
        args = fn.get("arguments")
        events: list[Event] = []
        if call.index is None and call.name is not None:
            events = self._start_tool(key, call)
        if isinstance(args, str) and args:
            if call.index is None:
                call.held.append(args)
            else:
                # A fragment for an earlier, already closed call (interleaved calls) still goes to its own index:
                # the SDK accumulates by index.
                events.append(self._json(call.index, args))
        return events

    # -- public ------------------------------------------------------------------------------------------------

    def feed(self, chunk: dict[str, Any]) -> list[Event]:
        """Events for one OpenAI chunk (possibly none, e.g. for a usage-only chunk)."""
        if self._finished:
            return []
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self._usage = usage
        events = [] if self._started else self._start(chunk)
        for choice in chunk.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if isinstance(text, str) and text:
                events += self._text(text)
            refusal = delta.get("refusal")
            if isinstance(refusal, str) and refusal:
                self._refusal = True
                events += self._text(refusal)
            for pos, fragment in enumerate(delta.get("tool_calls") or ()):
                key = fragment.get("index")
                events += self._tool(key if isinstance(key, int) else pos, fragment)
            if choice.get("finish_reason"):
                self._finish_reason = choice["finish_reason"]
                self._stop_sequence = matched_stop_sequence(choice)
        return events

    def finish(self) -> list[Event]:
        """The closing events: any open block's stop, message_delta and message_stop. Call once, when the upstream
        stream has ended; later calls return nothing."""
        if self._finished:
            return []
        events = [] if self._started else self._start({})
        for key, call in self._calls.items():
            if call.index is None:  # never named: still delivered, with an empty name, rather than dropped
                events += self._start_tool(key, call)
        events += self._close()
        self._finished = True
        reason = stop_reason_for(self._finish_reason, has_tool_use=bool(self._calls))
        if self._refusal and reason == "end_turn":
            reason = "refusal"
        if self._stop_sequence is not None and reason == "end_turn":
            reason = "stop_sequence"
        usage: dict[str, Any] = usage_for(self._usage) if self._usage is not None else {"output_tokens": 0}
        events.append(("message_delta", {"type": "message_delta", "delta": {
            "stop_reason": reason, "stop_sequence": self._stop_sequence if reason == "stop_sequence" else None},
            "usage": usage}))
        events.append(("message_stop", {"type": "message_stop"}))
        return events
