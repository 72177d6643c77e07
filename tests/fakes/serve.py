"""Run the fake upstream as its own process: `python -m tests.fakes.serve --port 9000` (used by bench/).

Serves the OpenAI-compatible routes and the Anthropic Messages route on one port. Latency options give it a
realistic spread: `--delay-ms 200 --jitter-ms 600` answers each request after 200-800 ms; `--chunk-delay-ms`
spaces streamed chunks out and `--chunk-size` sets how many characters of the answer each chunk carries.

It also times itself: for every request whose body contains `Request <n>:` it keeps how long it took from
receiving the request to its first and to its last response byte. `GET /stats` returns {n: [first_ms, last_ms]}
and forgets them, so a bench can subtract exactly the upstream's own time from what its client saw.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.fakes.anthropic_upstream import anthropic_routes
from tests.fakes.openai_upstream import FakeState, fake_app

SEQ = re.compile(rb"Request (\d+):")


class Timed:
    """ASGI wrapper: per-request service times by the request's sequence number, and `GET /stats`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.times: dict[int, list[float]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/stats":
            body = json.dumps(self.times).encode()
            self.times = {}
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": body})
            return
        t0, body, first = time.perf_counter(), bytearray(), None

        async def receive_body() -> Message:
            message = await receive()
            body.extend(message.get("body", b""))
            return message

        async def send_timed(message: Message) -> None:
            nonlocal first
            await send(message)
            if message["type"] == "http.response.body":
                now = (time.perf_counter() - t0) * 1000
                first = now if first is None else first
                if not message.get("more_body") and (m := SEQ.search(body)):
                    self.times[int(m.group(1))] = [round(first, 3), round(now, 3)]

        await self.app(scope, receive_body, send_timed)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--name", default="fake")
    ap.add_argument("--delay-ms", type=float, default=0.0, help="latency added to every answer")
    ap.add_argument("--jitter-ms", type=float, default=0.0, help="extra uniform random latency, 0 to this")
    ap.add_argument("--chunk-delay-ms", type=float, default=0.0, help="pause before each streamed chunk")
    ap.add_argument("--chunk-size", type=int, default=4, help="answer characters per streamed chunk")
    args = ap.parse_args()
    state = FakeState(args.name)
    state.delay_s = args.delay_ms / 1000.0
    state.jitter_s = args.jitter_ms / 1000.0
    state.chunk_delay_s = args.chunk_delay_ms / 1000.0
    state.chunk_size = max(1, args.chunk_size)
    state.recorder.append = lambda item: None  # type: ignore[method-assign]  # benches need no recording
    app: Any = Timed(fake_app(state, anthropic_routes(state)))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="error", access_log=False)


if __name__ == "__main__":
    main()
