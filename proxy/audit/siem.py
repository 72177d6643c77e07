"""The SIEM feed: every audit record the proxy completes, as one JSON line, to stdout, a file, or syslog.

Splunk, Elastic and Sentinel pick these up with their standard file / syslog inputs. A line has the fields of
`govproxy audit export --format jsonl` (the same serialisation), except the masked prompt text that optional
prompt storage keeps (that stays in the audit store; the line says `has_prompt`). Nothing in a record is a raw
value: entity types and counts, the decision, the route, tokens and timings.

The writer hands over record ids after each commit (request records once their outcome is written, security
events at once); a background task reads them back in batches and writes the lines, so the feed never slows a
request or the audit. Sinks (GOVPROXY_SIEM_SINKS, comma-separated):
  stdout | file:/var/log/govproxy/audit.jsonl | syslog+udp://host:514 | syslog+tcp://host:601 (RFC 5424; TCP
  frames with octet counting, RFC 6587).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from datetime import UTC
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from proxy.audit.query import AuditRecord, get_records

log = structlog.get_logger()
FACILITY = 16  # local0
SEVERITY = {"allowed": 6, "redacted": 6}  # informational; anything else (blocked, refused, errors) is notice (5)
SD_ID = "govproxy@32473"  # 32473: the example private enterprise number (RFC 5612)


def siem_line(rec: AuditRecord) -> dict[str, Any]:
    """The export's JSON object for one record, less stored prompt text."""
    data = rec.to_json()
    data["has_prompt"] = data.pop("prompt_redacted") is not None
    return data


class Sink(Protocol):
    def write(self, rec: AuditRecord, line: str) -> None: ...
    def close(self) -> None: ...


class StreamSink:
    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, rec: AuditRecord, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        self.stream.flush()


class FileSink(StreamSink):
    """Appends; reopens the file when it was rotated away (moved or deleted) under it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(open(path, "a", encoding="utf-8"))

    def write(self, rec: AuditRecord, line: str) -> None:
        try:
            rotated = os.stat(self.path).st_ino != os.fstat(self.stream.fileno()).st_ino
        except FileNotFoundError:
            rotated = True
        if rotated:
            self.stream.close()
            self.stream = open(self.path, "a", encoding="utf-8")
        super().write(rec, line)

    def close(self) -> None:
        self.stream.close()


class SyslogSink:
    """RFC 5424 messages: `<PRI>1 TIMESTAMP HOST govproxy PID KIND [SD] JSON`."""

    def __init__(self, host: str, port: int, tcp: bool) -> None:
        self.address, self.tcp = (host, port), tcp
        self.hostname = socket.gethostname()[:255] or "-"
        self.sock: socket.socket | None = None

    def _socket(self) -> socket.socket:
        if self.sock is None:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM if self.tcp else socket.SOCK_DGRAM)
            if self.tcp:
                self.sock.settimeout(5)
                self.sock.connect(self.address)
        return self.sock

    def message(self, rec: AuditRecord, line: str) -> bytes:
        outcome = rec.outcome.outcome if rec.outcome else "pending"
        pri = FACILITY * 8 + SEVERITY.get(outcome, 5)
        stamp = rec.time.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        sd = f'[{SD_ID} outcome="{outcome}" record_id="{rec.id}"]'
        return f"<{pri}>1 {stamp} {self.hostname} govproxy {os.getpid()} {rec.kind} {sd} {line}".encode()

    def write(self, rec: AuditRecord, line: str) -> None:
        msg = self.message(rec, line)
        try:
            if self.tcp:
                self._socket().sendall(str(len(msg)).encode() + b" " + msg)
            else:
                self._socket().sendto(msg, self.address)
        except OSError:
            self.close()  # reconnect on the next line
            raise

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def parse_sinks(spec: str) -> list[Sink]:
    """`stdout`, `file:PATH`, `syslog+udp://host:port`, `syslog+tcp://host:port`, comma-separated."""
    sinks: list[Sink] = []
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            continue
        if item == "stdout":
            sinks.append(StreamSink(sys.stdout))
        elif item.startswith("file:"):
            sinks.append(FileSink(Path(item[5:])))
        elif item.startswith(("syslog+udp://", "syslog+tcp://")):
            url = urlsplit(item)
            if not url.hostname:
                raise ValueError(f"SIEM sink {item!r} names no host.")
            sinks.append(SyslogSink(url.hostname, url.port or (514 if url.scheme.endswith("udp") else 601),
                                    tcp=url.scheme.endswith("tcp")))
        else:
            raise ValueError(f"Unknown SIEM sink {item!r}: use stdout, file:PATH, syslog+udp://host:port or "
                             "syslog+tcp://host:port.")
    return sinks


class SiemFeed:
    """Writes completed audit records to the sinks, off the request path."""

    def __init__(self, engine: AsyncEngine, sinks: list[Sink], batch: int = 500) -> None:
        self._engine, self._sinks, self._batch = engine, sinks, batch
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.written = 0
        self.failures = 0

    def notify(self, record_ids: list[str]) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="siem-feed")
        for rid in record_ids:
            self._queue.put_nowait(rid)

    async def close(self) -> None:
        if self._task is not None:
            self._queue.put_nowait(None)
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for sink in self._sinks:
            sink.close()

    async def _run(self) -> None:
        while True:
            ids: list[str] = []
            item = await self._queue.get()
            stopping = item is None
            if item is not None:
                ids.append(item)
            while len(ids) < self._batch and not self._queue.empty():
                nxt = self._queue.get_nowait()
                if nxt is None:
                    stopping = True
                else:
                    ids.append(nxt)
            if ids:
                await self._emit(ids)
            if stopping:
                return

    async def _emit(self, ids: list[str]) -> None:
        try:
            records = await get_records(self._engine, ids)
        except Exception as exc:  # noqa: BLE001 - the feed reports, it never fails the audit
            self.failures += len(ids)
            log.error("siem_read_failed", records=len(ids), error_class=type(exc).__name__)
            return
        # Sinks block (files, sockets): write from a thread, never on the event loop.
        await asyncio.to_thread(self._write, records)

    def _write(self, records: list[AuditRecord]) -> None:
        for rec in records:
            line = json.dumps(siem_line(rec), sort_keys=True, ensure_ascii=False)
            for sink in self._sinks:
                try:
                    sink.write(rec, line)
                    self.written += 1
                except Exception as exc:  # noqa: BLE001
                    self.failures += 1
                    log.error("siem_write_failed", sink=type(sink).__name__, error_class=type(exc).__name__)


def feed_from(spec: str, engine: AsyncEngine) -> SiemFeed | None:
    sinks = parse_sinks(spec)
    return SiemFeed(engine, sinks) if sinks else None

