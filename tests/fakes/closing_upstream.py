"""A fake upstream that closes a kept-alive connection when it is reused, without answering: what a server does
when its keep-alive timeout ends just as a client sends the next request on that connection (uvicorn, which
serves vLLM, closes idle connections after 5 s). Deterministic here: the first request on a connection gets an
answer, the second gets the connection closed.

Raw asyncio HTTP/1.1 on 127.0.0.1 in a background thread. Answers `POST /v1/chat/completions` (OpenAI, plain)
and `POST /v1/messages` (Anthropic, plain) with a fixed text; records every request it read, answered or not.
"""

from __future__ import annotations

import asyncio
import json
import threading

from tests.fakes.openai_upstream import Recorder

OPENAI = {"id": "chatcmpl-closing", "object": "chat.completion", "created": 1, "model": "closing",
          "choices": [{"index": 0, "message": {"role": "assistant", "content": "fine"}, "finish_reason": "stop"}],
          "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
ANTHROPIC = {"id": "msg_closing", "type": "message", "role": "assistant", "model": "closing",
             "content": [{"type": "text", "text": "fine"}], "stop_reason": "end_turn", "stop_sequence": None,
             "usage": {"input_tokens": 1, "output_tokens": 1}}


class ClosingUpstream:
    def __init__(self, port: int) -> None:
        self.port = port
        self.recorder = Recorder()
        self.dropped = 0  # connections closed on reuse
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        served = 0
        self._open.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                length = next((int(v) for k, _, v in (line.partition(":") for line in lines[1:])
                               if k.lower() == "content-length"), 0)
                body = await reader.readexactly(length)
                path = lines[0].split(" ")[1]
                self.recorder.append({"path": path, "headers": {}, "body": json.loads(body or b"{}")})
                if served:  # a reused connection: close it without a word
                    self.dropped += 1
                    return
                served += 1
                answer = json.dumps(ANTHROPIC if path.endswith("/messages") else OPENAI).encode()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                             b"content-length: %d\r\n\r\n%s" % (len(answer), answer))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            self._open.discard(writer)
            writer.close()

    def start(self) -> ClosingUpstream:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", self.port), self._loop).result(10)
        return self

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._open):  # connections the proxy still keeps open: their handlers then end
            writer.transport.abort()
        handlers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if handlers:
            await asyncio.wait(handlers, timeout=5)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
