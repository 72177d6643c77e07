"""Pieces for multi-replica tests and benchmarks: a round-robin TCP balancer on loopback (what a Kubernetes
Service does at L4: each new connection goes to the next replica) and a private redis-server that a test may stop
and start again without touching the machine's shared Redis."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import redis

from tests.harness import free_port


class RoundRobinBalancer:
    """Listens on a free loopback port; connection n goes to backend n mod len(backends)."""

    def __init__(self, backend_ports: list[int]) -> None:
        self.backends = list(backend_ports)
        self.port = free_port()
        self.connections: Counter[int] = Counter()  # backend port -> connections sent to it
        self._next = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            try:
                writer.close()
            except (ConnectionError, OSError):
                pass

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = self.backends[self._next % len(self.backends)]
        self._next += 1
        self.connections[port] += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    def start(self) -> RoundRobinBalancer:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", self.port), self._loop).result(10)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


class RedisServer:
    """`redis-server` on a free port, no persistence; stop() and start() again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.workdir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.time() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        client.close()
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port)

    def dump(self) -> bytes:
        """Every key and value (strings and hashes), for leak checks."""
        out = []
        with self.client() as r:
            for key in r.scan_iter(count=1000):
                kind = r.type(key)
                out.append(key)
                if kind == b"string":
                    out.append(r.get(key) or b"")
                elif kind == b"hash":
                    out.extend(b"%s=%s" % kv for kv in r.hgetall(key).items())
        return b"\n".join(out)
