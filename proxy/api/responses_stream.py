"""OpenAI chat chunks (pseudonyms already restored) -> the Responses API's typed event stream.

response.created, response.in_progress; for the text: response.output_item.added (a message item),
response.content_part.added, response.output_text.delta*; for each tool call: response.output_item.added (a
function_call item), response.function_call_arguments.delta*; at the end every open item is closed in output order
(output_text.done, content_part.done, function_call_arguments.done, output_item.done), then response.completed with
the whole response and its usage. Every event carries a `sequence_number`, as the SDKs expect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from proxy.api.responses_message import call_item, message_item, new_id, response_object, usage_for

Event = dict[str, Any]


def event_bytes(event: Event) -> bytes:
    return b"event: " + event["type"].encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"


@dataclass(slots=True)
class _Call:
    output_index: int
    item_id: str
    call_id: str
    name: str
    arguments: list[str] = field(default_factory=list)


class ResponsesStreamEncoder:
    """Turns chat-completion chunk dicts into Responses events. One encoder per response."""

    def __init__(self, *, requested_model: str, previous_response_id: str | None = None, store: bool = False
                 ) -> None:
        self.model = requested_model
        self._kept = {"previous_response_id": previous_response_id, "store": store}
        self.id = new_id("resp")
        self._seq = 0
        self._next_output = 0
        self._text: tuple[int, str] | None = None  # (output index, item id) of the message item
        self._text_parts: list[str] = []
        self._calls: dict[int, _Call] = {}
        self._held: dict[int, dict[str, Any]] = {}  # tool-call fragments whose name has not arrived
        self._usage: dict[str, Any] | None = None
        self._finish: str | None = None

    def _event(self, kind: str, **data: Any) -> Event:
        event = {"type": kind, "sequence_number": self._seq, **data}
        self._seq += 1
        return event

    def start(self) -> list[Event]:
        response = response_object(self.id, self.model, [], status="in_progress", **self._kept)
        return [self._event("response.created", response=response),
                self._event("response.in_progress", response=response)]

    def feed(self, chunk: dict[str, Any]) -> list[Event]:
        events: list[Event] = []
        if isinstance(chunk.get("usage"), dict):
            self._usage = usage_for(chunk["usage"])
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            self._finish = choice.get("finish_reason") or self._finish
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if isinstance(text, str) and text:
                events += self._text_delta(text)
            for call in delta.get("tool_calls") or []:
                events += self._call_delta(call)
        return events

    def _text_delta(self, text: str) -> list[Event]:
        events: list[Event] = []
        if self._text is None:
            self._text = (self._next_output, new_id("msg"))
            self._next_output += 1
            index, item_id = self._text
            events.append(self._event("response.output_item.added", output_index=index,
                                      item=message_item(item_id, None, None, status="in_progress")))
            events.append(self._event("response.content_part.added", item_id=item_id, output_index=index,
                                      content_index=0, part={"type": "output_text", "text": "",
                                                             "annotations": [], "logprobs": []}))
        index, item_id = self._text
        self._text_parts.append(text)
        events.append(self._event("response.output_text.delta", item_id=item_id, output_index=index,
                                  content_index=0, delta=text, logprobs=[]))
        return events

    def _call_delta(self, call: dict[str, Any]) -> list[Event]:
        key = call.get("index", 0)
        fn = call.get("function") or {}
        known = self._calls.get(key)
        if known is None:
            held = self._held.setdefault(key, {"id": None, "name": None, "arguments": []})
            held["id"] = call.get("id") or held["id"]
            held["name"] = fn.get("name") or held["name"]
            if isinstance(fn.get("arguments"), str):
                held["arguments"].append(fn["arguments"])
            if not held["name"]:
                return []
            del self._held[key]
            known = self._calls[key] = _Call(self._next_output, new_id("fc"), held["id"] or new_id("call"),
                                             held["name"])
            self._next_output += 1
            events = [self._event("response.output_item.added", output_index=known.output_index,
                                  item=call_item(known.item_id, known.call_id, known.name, "", "in_progress"))]
            pieces = [p for p in held["arguments"] if p]
        else:
            events = []
            pieces = [fn["arguments"]] if isinstance(fn.get("arguments"), str) and fn["arguments"] else []
        for piece in pieces:
            known.arguments.append(piece)
            events.append(self._event("response.function_call_arguments.delta", item_id=known.item_id,
                                      output_index=known.output_index, delta=piece))
        return events

    def finish(self) -> list[Event]:
        """Close every open item, then response.completed (or .incomplete when the length limit cut it)."""
        events: list[Event] = []
        output: list[tuple[int, dict[str, Any]]] = []
        if self._text is not None:
            index, item_id = self._text
            text = "".join(self._text_parts)
            part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
            events.append(self._event("response.output_text.done", item_id=item_id, output_index=index,
                                      content_index=0, text=text, logprobs=[]))
            events.append(self._event("response.content_part.done", item_id=item_id, output_index=index,
                                      content_index=0, part=part))
            item = message_item(item_id, text, None)
            events.append(self._event("response.output_item.done", output_index=index, item=item))
            output.append((index, item))
        for call in sorted(self._calls.values(), key=lambda c: c.output_index):
            arguments = "".join(call.arguments)
            events.append(self._event("response.function_call_arguments.done", item_id=call.item_id,
                                      output_index=call.output_index, name=call.name, arguments=arguments))
            item = call_item(call.item_id, call.call_id, call.name, arguments)
            events.append(self._event("response.output_item.done", output_index=call.output_index, item=item))
            output.append((call.output_index, item))
        incomplete = "max_output_tokens" if self._finish == "length" else None
        response = response_object(self.id, self.model, [item for _, item in sorted(output, key=lambda o: o[0])],
                                   usage=self._usage, status="incomplete" if incomplete else "completed",
                                   incomplete=incomplete, **self._kept)
        events.append(self._event("response.incomplete" if incomplete else "response.completed", response=response))
        return events


def error_event(body: dict[str, Any]) -> Event:
    """The `error` event for a failure after the stream began (an OpenAI error body inside)."""
    err = body.get("error") or {}
    return {"type": "error", "sequence_number": 0, "code": err.get("code"), "message": err.get("message"),
            "param": err.get("param")}
