"""Faults while serving, each a test: the upstream refuses connections, hangs past the timeout (before and in a
stream), answers 500, drops a stream half-way, or drops reused keep-alive connections; the audit database goes
away and comes back; policy files are replaced with garbage, deleted or half-written; a worker is killed with
SIGKILL mid-stream; the proxy gets SIGTERM mid-stream.

Each checks that the caller gets the right error (status and code, or an error event once a stream has begun),
that the audit record says what happened, and then (tests/fault_checks.py) that nothing was forwarded without a
record holding its decision and that no canary reached a sink it must not; and that the proxy serves again once
the fault clears.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.audit_db import PG_SERVER, create_pg_database, drop_pg_database
from tests.canaries import CANARIES
from tests.conftest import Proxy, Upstreams, catalogue_for
from tests.fakes.closing_upstream import ClosingUpstream
from tests.fakes.openai_upstream import FakeState, fake_app
from tests.fault_checks import (
    Client,
    assert_clean,
    audit_rows,
    connection_owner,
    serves,
    wait_for_outcomes,
    worker_pids,
)
from tests.harness import ProxyProcess, ThreadedServer, base_env, cli, create_key, free_port, write_policies


def launch(workdir: Path, models: list[dict[str, Any]], *, workers: int = 1, database_url: str | None = None,
           **env_extra: str) -> Proxy:
    """A govproxy on a given catalogue (the shipped rules), with a caller and an admin key."""
    workdir.mkdir(parents=True, exist_ok=True)
    policies = write_policies(workdir / "policies", models)
    env = base_env(GOVPROXY_DATABASE_URL=database_url or f"sqlite:///{workdir}/govproxy.db",
                   GOVPROXY_POLICIES_DIR=str(policies), GOVPROXY_TEST_CWD=str(workdir), **env_extra)
    if database_url:
        cli("db", "upgrade", env=env)
    key, admin = create_key(env, "eng", "alice"), create_key(env, "platform", "root", "admin")
    proc = ProxyProcess(workdir, env, workers=workers).start()
    return Proxy(proc.url, key, admin, admin, env, proc, workdir)


# -- the upstream fails ----------------------------------------------------------------------------------------

FLAKY = "flaky-external"


@dataclass
class Faulty:
    proxy: Proxy
    flaky_port: int    # FLAKY's upstream: nothing listens there until a test starts a server
    closing_port: int  # closing-external and closing-claude: a server that drops reused connections


@pytest.fixture(scope="module")
def faulty(upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Faulty]:
    """One proxy for the upstream and policy faults: a 1 s upstream timeout, policy polled every 0.3 s, and
    external targets on ports the tests serve themselves."""
    flaky_port, closing_port = free_port(), free_port()
    extra = [{"alias": FLAKY, "model": "openai/fake-flaky", "api_base": f"http://127.0.0.1:{flaky_port}/v1",
              "location": "external", "clearance": "internal", "capabilities": ["chat", "embeddings"]},
             {"alias": "closing-external", "model": "openai/closing", "location": "external",
              "api_base": f"http://127.0.0.1:{closing_port}/v1", "clearance": "internal", "capabilities": ["chat"]},
             {"alias": "closing-claude", "model": "anthropic/closing", "location": "external",
              "api_base": f"http://127.0.0.1:{closing_port}", "clearance": "internal", "capabilities": ["chat"]}]
    p = launch(tmp_path_factory.mktemp("faults"), [*catalogue_for(upstreams), *extra],
               GOVPROXY_UPSTREAM_TIMEOUT_S="1", GOVPROXY_POLICY_RELOAD_INTERVAL_S="0.3")
    yield Faulty(p, flaky_port, closing_port)
    p.process.stop()


def _outcomes(p: Proxy, calls: list[Any]) -> list[tuple[Any, ...]]:
    rows = wait_for_outcomes(p.env["GOVPROXY_DATABASE_URL"], calls)
    return [(rows[c.request_id]["outcome"], rows[c.request_id]["error_status"], rows[c.request_id]["target"])
            for c in calls]


def test_upstream_refuses_connections_then_comes_back(faulty: Faulty, upstreams: Upstreams) -> None:
    p, port = faulty.proxy, faulty.flaky_port
    client = Client(p)
    calls = [client.send(kind, FLAKY) for kind in ("chat", "stream", "embeddings")]
    # Unreachable and no compliant fallback: 503 before any byte of an answer, naming the code, not the data.
    assert [(c.status, c.error_code()) for c in calls] == [(503, "no_compliant_target")] * 3
    assert _outcomes(p, calls) == [("no_route", 503, FLAKY)] * 3
    flaky = FakeState("flaky")
    server = ThreadedServer(fake_app(flaky), port=port).start()  # the fault clears
    try:
        assert serves(p, client, FLAKY)
        assert len(flaky.recorder.all()) == 2
        assert_clean(p, client.calls, onprem=[upstreams.onprem.recorder],
                     external=[upstreams.external.recorder, flaky.recorder])
    finally:
        server.stop()


def test_upstream_times_out_then_answers_again(faulty: Faulty, upstreams: Upstreams) -> None:
    p = faulty.proxy
    client = Client(p)
    upstreams.external.behaviour = "timeout"  # takes the request, never answers (the proxy waits 1 s)
    calls = [client.send(kind, model) for kind, model in (("chat", "external-chat"), ("stream", "external-chat"),
                                                           ("messages", "claude-external"),
                                                           ("messages_stream", "claude-external"),
                                                           ("embeddings", "external-chat"))]
    assert [c.status for c in calls] == [504] * 5
    assert [c.error_code() for c in calls] == ["upstream_timeout", "upstream_timeout", "api_error", "api_error",
                                               "upstream_timeout"]
    outcomes = _outcomes(p, calls)
    assert [o[:2] for o in outcomes] == [("upstream_error", 504)] * 5
    # A stream that stalls after it began: the caller gets an error event, the record says upstream_error.
    upstreams.external.behaviour, upstreams.external.chunk_delay_s = "ok", 3.0
    stalled = client.send("stream", "external-chat")
    assert stalled.status == 200 and stalled.error_code() == "upstream_timeout", stalled.text[-300:]
    assert _outcomes(p, [stalled]) == [("upstream_error", 504, "external-chat")]
    upstreams.external.chunk_delay_s = 0.0  # the fault clears
    assert serves(p, client)
    assert_clean(p, client.calls, onprem=[upstreams.onprem.recorder], external=[upstreams.external.recorder])


def test_upstream_500_then_recovers(faulty: Faulty, upstreams: Upstreams) -> None:
    p = faulty.proxy
    client = Client(p)
    upstreams.external.behaviour = "error500"
    calls = [client.send(kind, model) for kind, model in (("chat", "external-chat"), ("stream", "external-chat"),
                                                           ("messages", "claude-external"),
                                                           ("messages_stream", "claude-external"),
                                                           ("embeddings", "external-chat"))]
    # A failing target with no compliant fallback: 503 (the message says nothing was sent anywhere else).
    assert [c.status for c in calls] == [503] * 5
    assert [c.error_code() for c in calls] == ["no_compliant_target", "no_compliant_target", "overloaded_error",
                                               "overloaded_error", "no_compliant_target"]
    rows = wait_for_outcomes(p.env["GOVPROXY_DATABASE_URL"], calls)
    assert {(rows[c.request_id]["outcome"], rows[c.request_id]["upstream_status"]) for c in calls} == {
        ("no_route", 500)}
    upstreams.external.behaviour = "ok"
    assert serves(p, client)
    assert_clean(p, client.calls, onprem=[upstreams.onprem.recorder], external=[upstreams.external.recorder])


def test_upstream_drops_the_stream_midway(faulty: Faulty, upstreams: Upstreams) -> None:
    p = faulty.proxy
    client = Client(p)
    upstreams.external.behaviour = "drop"
    openai_stream = client.send("stream", "external-chat")
    anthropic_stream = client.send("messages_stream", "claude-external")
    for call in (openai_stream, anthropic_stream):
        # The headers said 200; part of the answer came; then an error event in the provider's stream shape.
        assert call.status == 200 and call.broken is None
        assert '"text_delta"' in call.text or '"content":"echo' in call.text
        assert len(call.errors) == 1
    assert openai_stream.error_code() == "upstream_error" and anthropic_stream.error_code() == "api_error"
    assert not openai_stream.text.rstrip().endswith("data: [DONE]")
    assert "message_stop" not in anthropic_stream.text
    assert [o[:2] for o in _outcomes(p, [openai_stream, anthropic_stream])] == [("upstream_error", 502)] * 2
    upstreams.external.behaviour = "ok"
    assert serves(p, client)
    assert_clean(p, client.calls, onprem=[upstreams.onprem.recorder], external=[upstreams.external.recorder])



def test_upstream_closes_reused_connections_and_the_call_is_retried(faulty: Faulty, upstreams: Upstreams) -> None:
    p = faulty.proxy
    client = Client(p)
    closing = ClosingUpstream(faulty.closing_port).start()
    try:
        calls = [client.send(kind, model) for kind, model in (("chat", "closing-external"),
                                                               ("messages", "closing-claude")) * 3]
        # Every second request on a kept-alive connection is dropped unanswered; a retry on a fresh one answers.
        assert closing.dropped >= 2
        assert [c.status for c in calls] == [200] * 6, [c.text[-200:] for c in calls]
        assert [o[0] for o in _outcomes(p, calls)] == ["redacted"] * 6
        assert '"upstream_retry"' in p.process.logs()
        assert_clean(p, client.calls, onprem=[upstreams.onprem.recorder],
                     external=[upstreams.external.recorder, closing.recorder])
    finally:
        closing.stop()

# -- the policy files break ------------------------------------------------------------------------------------

def _policy_state(p: Proxy) -> dict[str, Any]:
    return httpx.get(p.url + "/readyz", timeout=10).json()["checks"]["policy"]


def _until(predicate: Any, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "condition not reached in time"
        time.sleep(0.1)


def test_broken_policy_files_keep_the_last_good_policy(faulty: Faulty, upstreams: Upstreams) -> None:
    p = faulty.proxy
    client, traffic_client = Client(p), Client(p)
    rules = Path(p.env["GOVPROXY_POLICIES_DIR"]) / "rules"
    secrets_file, personal_file = rules / "10-secrets.yaml", rules / "30-personal-data.yaml"
    originals = {f: f.read_bytes() for f in (secrets_file, personal_file)}
    version0 = _policy_state(p)["version"]
    stop = threading.Event()

    def traffic() -> None:  # personal data to an external model, all the time the files are broken
        while not stop.is_set():
            traffic_client.send("chat", "external-chat")

    def enforced() -> None:
        """Both rules of the last good policy still decide: secrets blocked, personal data pseudonymised."""
        blocked = client.send("chat", "onprem-chat", text="my key is " + CANARIES["AWS_ACCESS_KEY_ID"])
        assert (blocked.status, blocked.error_code()) == (403, "policy_blocked")
        redacted = client.send("chat", "external-chat")
        assert redacted.status == 200 and redacted.headers["x-govproxy-decision"] == "redact"
        assert _policy_state(p)["version"] == version0

    def rejected(name: str, words: str) -> Any:
        def check() -> bool:
            error = _policy_state(p)["last_reload_error"] or ""
            return name in error and words in error
        return check

    thread = threading.Thread(target=traffic)
    thread.start()
    try:
        personal_file.write_bytes(os.urandom(64) + b"\xff\xfe garbage")  # replaced with garbage
        _until(rejected("30-personal-data.yaml", "not UTF-8"))
        enforced()
        personal_file.write_bytes(originals[personal_file])
        _until(lambda: _policy_state(p)["last_reload_error"] is None)

        secrets_file.unlink()  # deleted: not taken as a change until confirmed by an explicit reload
        _until(rejected("10-secrets.yaml", "disappeared"))
        enforced()
        secrets_file.write_bytes(originals[secrets_file])
        _until(lambda: _policy_state(p)["last_reload_error"] is None)

        data = originals[secrets_file]
        secrets_file.write_bytes(data[: len(data) // 2])  # half-written: the writer stopped mid-rule
        _until(rejected("10-secrets.yaml", "action"))
        enforced()
        secrets_file.write_bytes(data)  # the writer finishes
        _until(lambda: _policy_state(p)["last_reload_error"] is None)
        enforced()
    finally:
        stop.set()
        thread.join()
        for f, content in originals.items():
            f.write_bytes(content)
    assert httpx.get(p.url + "/readyz", timeout=10).status_code == 200
    # Every request during the breakage was served, and decided by the last good policy.
    rows = wait_for_outcomes(p.env["GOVPROXY_DATABASE_URL"], traffic_client.calls)
    assert traffic_client.calls and {c.status for c in traffic_client.calls} == {200}
    assert {rows[c.request_id]["rule"] for c in traffic_client.calls} == {"pseudonymise-for-external"}
    assert_clean(p, client.calls + traffic_client.calls, onprem=[upstreams.onprem.recorder],
                 external=[upstreams.external.recorder])


# -- the audit database goes away ------------------------------------------------------------------------------

def _allow_connections(db_url: str, allow: bool) -> None:
    name = db_url.rsplit("/", 1)[1]
    engine = create_engine(PG_SERVER.replace("postgresql://", "postgresql+psycopg://") + "/postgres",
                           isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:  # the database goes away for this proxy; the server stays up
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"true" if allow else "false"}'))
        if not allow:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                         {"n": name})
    engine.dispose()


@pytest.mark.postgres
def test_database_outage_mid_run_fails_closed_and_recovers(upstreams: Upstreams, tmp_path: Path) -> None:
    db_url = create_pg_database("govproxy_test_faults_")
    p = None
    try:
        p = launch(tmp_path, catalogue_for(upstreams), database_url=db_url, GOVPROXY_KEY_CACHE_TTL_S="600")
        client = Client(p)
        stop = threading.Event()
        mix = itertools.cycle([("chat", "external-chat"), ("stream", "onprem-chat"),
                               ("messages", "claude-external"), ("embeddings", "external-chat")])
        lock = threading.Lock()

        def traffic() -> None:
            while not stop.is_set():
                with lock:
                    kind, model = next(mix)
                client.send(kind, model)

        def count(status: int) -> int:
            return sum(1 for c in list(client.calls) if c.status == status)

        threads = [threading.Thread(target=traffic) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            _until(lambda: count(200) >= 8)
            _allow_connections(db_url, False)
            _until(lambda: count(503) >= 6)
            assert httpx.get(p.url + "/readyz", timeout=30).status_code == 503
            _allow_connections(db_url, True)
            served = count(200)
            _until(lambda: count(200) >= served + 8, timeout=30)  # serves again once the database is back
        finally:
            stop.set()
            for t in threads:
                t.join()
            _allow_connections(db_url, True)
        calls = client.calls
        assert {c.status for c in calls} == {200, 503}, {c.status for c in calls}
        refused = [c for c in calls if c.status == 503]
        assert {c.error_code() for c in refused} <= {"audit_unavailable", "overloaded_error"}
        upstream_text = upstreams.onprem.recorder.dump() + upstreams.external.recorder.dump()
        assert not [c for c in refused if c.nonce in upstream_text], "a request refused for the audit was forwarded"
        assert httpx.get(p.url + "/readyz", timeout=30).status_code == 200
        verify = cli("audit", "verify", env=p.env, check=False)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        assert_clean(p, calls, onprem=[upstreams.onprem.recorder], external=[upstreams.external.recorder])
    finally:
        if p is not None:
            p.process.stop()
        drop_pg_database(db_url)


# -- the process is killed or stopped --------------------------------------------------------------------------

@dataclass
class Running:
    proxy: Proxy


@pytest.fixture(scope="module")
def two_workers(upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A proxy with two uvicorn workers (starting one costs ~20 s here, so both process tests share it; the SIGTERM
    test starts it again afterwards)."""
    running = Running(launch(tmp_path_factory.mktemp("workers"), catalogue_for(upstreams), workers=2))
    yield running
    running.proxy.process.stop()


def test_kill_9_of_a_worker_mid_stream(two_workers: Running, upstreams: Upstreams) -> None:
    p = two_workers.proxy
    assert p.process.proc is not None
    parent = p.process.proc.pid
    _until(lambda: len(worker_pids(parent)) == 2)
    before = worker_pids(parent)
    client = Client(p)
    upstreams.onprem.chunk_delay_s = 0.2  # a stream that takes seconds
    killed: list[int] = []

    def kill_server(resp: httpx.Response) -> None:
        pid = connection_owner(resp, p.process.port, before)
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    call = client.send("stream", "onprem-chat", on_open=kill_server)
    assert killed and call.status == 200 and call.broken is not None  # the client sees the connection break
    row = audit_rows(p.env["GOVPROXY_DATABASE_URL"])[call.request_id]
    # The decision part was written before forwarding; the killed process could not write the outcome.
    assert row["action"] == "allow" and row["outcome"] is None
    upstreams.onprem.chunk_delay_s = 0.0
    assert all(client.send("chat", "external-chat").status == 200 for _ in range(6))  # the other worker
    # uvicorn's supervisor notices the dead worker and starts a new one, which then takes connections too.
    _until(lambda: len(worker_pids(parent)) == 2 and worker_pids(parent) != before, timeout=30)
    replacement = (worker_pids(parent) - before).pop()
    owners: list[int] = []

    def record_owner(resp: httpx.Response) -> None:
        owners.append(connection_owner(resp, p.process.port, worker_pids(parent)))

    deadline = time.time() + 60
    while replacement not in owners:
        assert time.time() < deadline, "the replacement worker never served a request"
        assert client.send("chat", "external-chat", on_open=record_owner).status == 200
    verify = cli("audit", "verify", env=p.env, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert_clean(p, client.calls, onprem=[upstreams.onprem.recorder], external=[upstreams.external.recorder])


def test_sigterm_mid_stream_finishes_streams_then_restarts(two_workers: Running, upstreams: Upstreams) -> None:
    p = two_workers.proxy
    client = Client(p)
    upstreams.external.chunk_delay_s = 0.1  # each stream takes about three seconds
    streams: list[Any] = []
    threads = [threading.Thread(target=lambda k=kind, m=model: streams.append(client.send(k, m)))
               for kind, model in (("stream", "external-chat"), ("messages_stream", "claude-external"))]
    for t in threads:
        t.start()
    _until(lambda: len(upstreams.external.recorder.all()) == 2)
    code = p.process.stop(timeout=60)
    for t in threads:
        t.join(timeout=60)
    assert code == 0
    for call in streams:  # both streams ran to their end, pseudonyms restored, no error event
        assert call.status == 200 and call.broken is None and not call.errors
        assert CANARIES["PERSON"] in "".join(re.findall(r'"(?:content|text)":"([^"]*)"', call.text))
        assert call.text.rstrip().endswith(("data: [DONE]", '{"type":"message_stop"}'))
    rows = audit_rows(p.env["GOVPROXY_DATABASE_URL"])  # complete before the process exited
    assert sorted((rows[c.request_id]["outcome"], rows[c.request_id]["target"]) for c in streams) == [
        ("redacted", "claude-external"), ("redacted", "external-chat")]
    upstreams.external.chunk_delay_s = 0.0
    again = ProxyProcess(p.workdir, p.env, workers=2).start()  # the fault clears: the proxy is started again
    two_workers.proxy = restarted = replace(p, url=again.url, process=again)
    after = Client(restarted)
    assert serves(restarted, after)
    verify = cli("audit", "verify", env=p.env, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert_clean(restarted, client.calls + after.calls, onprem=[upstreams.onprem.recorder],
                 external=[upstreams.external.recorder], logs=p.process.logs() + again.logs())
