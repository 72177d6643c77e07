"""SIEM sinks over real sockets and files: RFC 5424 framing over TCP (octet counting, RFC 6587) and UDP, a file
sink that follows rotation, and the sink list's validation."""

from __future__ import annotations

import json
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from proxy.audit.query import AuditRecord, OutcomeView
from proxy.audit.siem import FileSink, SyslogSink, parse_sinks, siem_line


def record(outcome: str = "blocked") -> AuditRecord:
    out = OutcomeView(datetime.now(UTC), outcome, None, None, [], {}, None, None, None, None, {}, "PolicyBlocked",
                      403)
    return AuditRecord(
        id="a" * 32, seq=7, kind="request", time=datetime(2026, 12, 6, 20, 0, 1, 250000, tzinfo=UTC),
        request_id="req_1", key_id="k1", team="eng", user="alice", role="caller", client_addr="10.0.0.1",
        endpoint="/v1/chat/completions", dialect="openai", requested_model="external-chat", stream=False,
        policy_version="v1", classification="restricted", action="block", rule="block-secrets", matches=[],
        entities={"AWS_ACCESS_KEY_ID": 1}, strategies={}, targets=[], rerouted_from=None, detail=None,
        prompt_redacted=[{"text": "key <AWS_ACCESS_KEY_ID>"}], has_original=False, erased=False, entry_hash="e" * 64,
        outcome=out)


def test_syslog_over_tcp_uses_octet_counting() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    received: list[bytes] = []

    def accept() -> None:
        conn, _ = server.accept()
        with conn:
            while chunk := conn.recv(65536):
                received.append(chunk)

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    sink = parse_sinks(f"syslog+tcp://127.0.0.1:{server.getsockname()[1]}")[0]
    assert isinstance(sink, SyslogSink)
    rec = record()
    line = json.dumps(siem_line(rec), sort_keys=True)
    sink.write(rec, line)
    sink.write(rec, line)
    sink.close()
    t.join(timeout=5)
    server.close()
    data = b"".join(received)
    frames = []
    while data:
        size, rest = data.split(b" ", 1)
        frames.append(rest[:int(size)])
        data = rest[int(size):]
    assert len(frames) == 2 and frames[0] == frames[1]
    text = frames[0].decode()
    assert text.startswith("<133>1 2026-12-06T20:00:01.250000Z ")  # local0.notice: a block
    assert ' govproxy ' in text and ' request [govproxy@32473 outcome="blocked" record_id="' + "a" * 32 + '"] {' in text
    body = json.loads(text.split("] ", 1)[1])
    assert body["has_prompt"] is True and "prompt_redacted" not in body  # no stored prompt text in the feed


def test_file_sink_follows_rotation(tmp_path: Path) -> None:
    path = tmp_path / "siem" / "audit.jsonl"
    sink = FileSink(path)
    rec = record("allowed")
    sink.write(rec, "one")
    path.rename(tmp_path / "audit.jsonl.1")
    sink.write(rec, "two")
    sink.close()
    assert (tmp_path / "audit.jsonl.1").read_text() == "one\n" and path.read_text() == "two\n"


@pytest.mark.parametrize("spec", ["kafka://x", "syslog+udp://", "file"])
def test_unknown_or_incomplete_sinks_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_sinks(spec)
