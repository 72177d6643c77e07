"""Operations through a real `govproxy serve`: the new Prometheus metrics (bounded labels), OpenTelemetry traces
received by an OTLP/HTTP receiver the test runs, and the SIEM feed to a file and to syslog (RFC 5424 over UDP).
One proxy serves all three (GOVPROXY_OTEL_ENDPOINT and GOVPROXY_SIEM_SINKS set); requests go through the OpenAI SDK.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import openai
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from proxy.pipeline.stages import STAGES as PIPELINE
from tests.canaries import CANARIES, leaked
from tests.conftest import Proxy, Upstreams, start_proxy
from tests.harness import ThreadedServer, cli, free_port

T = TypeVar("T")
# Every stage of the one ordered list, plus the audit stage the runner always ends with.
STAGES = (*(stage.name for stage in PIPELINE), "audit")


@dataclass
class Receivers:
    spans: list[dict[str, Any]] = field(default_factory=list)   # every span the OTLP receiver got, decoded
    otlp_bodies: list[bytes] = field(default_factory=list)
    syslog: list[bytes] = field(default_factory=list)


def otlp_app(got: Receivers) -> Starlette:
    async def traces(request: Request) -> Response:
        body = await request.body()
        got.otlp_bodies.append(body)
        message = ExportTraceServiceRequest()
        message.ParseFromString(body)
        for resource in message.resource_spans:
            service = {a.key: a.value.string_value for a in resource.resource.attributes}.get("service.name")
            for scope in resource.scope_spans:
                for span in scope.spans:
                    attrs = {a.key: _value(a.value) for a in span.attributes}
                    got.spans.append({"name": span.name, "trace_id": span.trace_id.hex(), "id": span.span_id.hex(),
                                      "parent": span.parent_span_id.hex(), "attributes": attrs, "service": service,
                                      "status": span.status.code})
        return Response(b"", media_type="application/x-protobuf")

    return Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])


def _value(v: Any) -> Any:
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [_value(x) for x in v.array_value.values]
    return getattr(v, kind) if kind else None


def wait_for(fn: Callable[[], T | None], timeout: float = 20) -> T:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


@pytest.fixture(scope="module")
def observed(upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Proxy, Receivers,
                                                                                           Path]]:
    got = Receivers()
    otlp = ThreadedServer(otlp_app(got)).start()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", free_port()))
    udp.settimeout(0.2)
    stop = threading.Event()

    def listen() -> None:
        while not stop.is_set():
            try:
                got.syslog.append(udp.recv(65536))
            except TimeoutError:
                continue

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    workdir = tmp_path_factory.mktemp("observed")
    siem_file = workdir / "siem" / "audit.jsonl"
    proxy = start_proxy(workdir, upstreams, GOVPROXY_OTEL_ENDPOINT=otlp.url,
                        GOVPROXY_SIEM_SINKS=f"file:{siem_file},syslog+udp://127.0.0.1:{udp.getsockname()[1]}")
    yield proxy, got, siem_file
    proxy.process.stop()
    stop.set()
    listener.join(timeout=5)
    udp.close()
    otlp.stop()


def chat(proxy: Proxy, model: str, text: str) -> str:
    c = openai.OpenAI(base_url=proxy.v1, api_key=proxy.key, max_retries=0)
    raw = c.chat.completions.with_raw_response.create(model=model, messages=[{"role": "user", "content": text}])
    return str(raw.headers["x-request-id"])


def test_trace_per_request_with_a_span_per_stage_and_no_raw_values(observed: tuple[Proxy, Receivers, Path]) -> None:
    proxy, got, _ = observed
    text = f"Please pay with card {CANARIES['CREDIT_CARD']} and mail {CANARIES['EMAIL_ADDRESS']}."
    request_id = chat(proxy, "external-chat", text)
    root = wait_for(lambda: next((s for s in got.spans if s["attributes"].get("govproxy.request_id") == request_id),
                                 None))
    assert root["name"] == "govproxy.request" and root["service"] == "govproxy" and root["parent"] == ""
    attrs = root["attributes"]
    assert attrs["govproxy.outcome"] == "redacted" and attrs["govproxy.rule"] == "pseudonymise-for-external"
    assert attrs["govproxy.shadow_rules"] == ["trial-block-card-numbers-external"]
    assert attrs["govproxy.target"] == "external-chat" and attrs["govproxy.location"] == "external"
    assert {"CREDIT_CARD", "EMAIL_ADDRESS"} <= set(attrs["govproxy.entity_types"])
    children = wait_for(lambda: [s for s in got.spans if s["parent"] == root["id"]]
                        if len([s for s in got.spans if s["parent"] == root["id"]]) == len(STAGES) else None)
    assert sorted(s["name"] for s in children) == sorted(f"govproxy.{s}" for s in STAGES)
    assert all(s["trace_id"] == root["trace_id"] for s in children)
    assert not leaked(b"".join(got.otlp_bodies).decode("latin-1"))  # nothing of the card or the address


def test_siem_feed_to_file_and_syslog_matches_the_export(observed: tuple[Proxy, Receivers, Path]) -> None:
    proxy, got, siem_file = observed
    request_id = chat(proxy, "external-chat", f"Card {CANARIES['CREDIT_CARD']} again")

    def line_for() -> dict[str, Any] | None:
        lines = siem_file.read_text().splitlines() if siem_file.exists() else []
        return next((json.loads(x) for x in lines if json.loads(x)["request_id"] == request_id), None)

    line = wait_for(line_for)
    exported = [json.loads(x) for x in cli("audit", "export", "--request-id", request_id, env=proxy.env)
                .stdout.splitlines()]
    assert len(exported) == 1
    has_prompt = exported[0].pop("prompt_redacted") is not None
    expected = {**exported[0], "has_prompt": has_prompt}
    assert line == expected  # the same fields and values as `govproxy audit export`
    assert line["outcome"]["outcome"] == "redacted" and line["entities"] == {"CREDIT_CARD": 1}

    message = wait_for(lambda: next((m for m in got.syslog if request_id.encode() in m), None)).decode()
    m = re.match(r"^<(\d+)>1 (\S+) (\S+) govproxy (\d+) request \[govproxy@32473 outcome=\"redacted\" "
                 r"record_id=\"([0-9a-f]{32})\"\] (\{.*\})$", message)
    assert m, message
    assert int(m.group(1)) == 16 * 8 + 6 and m.group(2).endswith("Z") and m.group(5) == line["id"]
    assert json.loads(m.group(6)) == line
    assert not leaked(siem_file.read_text()) and not leaked("".join(x.decode() for x in got.syslog))


def test_metrics_by_target_rule_upstream_tokens_and_language(observed: tuple[Proxy, Receivers, Path]) -> None:
    proxy, _, _ = observed
    chat(proxy, "onprem-chat", "Please summarise the quarterly report for the board meeting next week.")
    chat(proxy, "onprem-chat", "Bitte fasse den Quartalsbericht für die Vorstandssitzung nächste Woche zusammen.")
    chat(proxy, "dead-onprem", "hello")  # down: falls back to onprem-chat
    chat(proxy, "external-chat", f"Card {CANARIES['CREDIT_CARD']}")
    with pytest.raises(openai.APIStatusError):
        chat(proxy, "external-chat", f"key {CANARIES['AWS_ACCESS_KEY_ID']}")  # blocked by the secrets rule
    text = httpx.get(proxy.url + "/metrics").text

    def value(name: str, **labels: str) -> float:
        for line in text.splitlines():
            if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    assert value("govproxy_target_requests_total", target="onprem-chat", location="onprem", outcome="allowed") >= 3
    assert value("govproxy_target_requests_total", target="none", location="none", outcome="blocked") >= 1
    assert value("govproxy_rule_matches_total", rule="pseudonymise-for-external", mode="enforce") >= 1
    assert value("govproxy_rule_matches_total", rule="trial-block-card-numbers-external", mode="shadow") >= 1
    assert value("govproxy_upstream_errors_total", target="dead-onprem") >= 1
    assert value("govproxy_upstream_errors_total", target="onprem-chat") == 0
    assert value("govproxy_upstream_seconds_count", target="onprem-chat") >= 3
    assert value("govproxy_tokens_total", team="eng", model="onprem-chat", kind="prompt") >= 33  # 3 x 11
    assert value("govproxy_tokens_total", team="eng", model="external-chat", kind="completion") >= 7
    assert value("govproxy_detection_seconds_count", language="de") >= 1
    assert value("govproxy_detection_seconds_count", language="en") >= 1
    assert "alice" not in text and 'user="' not in text  # no user ids as labels
    assert not leaked(text)
