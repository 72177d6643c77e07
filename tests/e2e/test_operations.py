"""Operating the proxy: metrics across worker processes, graceful shutdown with a stream in flight."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import openai
import pytest

from tests.conftest import Upstreams, catalogue_for, start_proxy
from tests.fault_checks import worker_pids
from tests.harness import ProxyProcess, base_env, write_policies


def _requests_total(text: str) -> float:
    return sum(float(m.group(1)) for m in re.finditer(r"^govproxy_requests_total\{[^}]*\} (\S+)$", text, re.M))


def test_metrics_count_every_request_across_two_workers(upstreams: Upstreams, tmp_path: Path) -> None:
    p = start_proxy(tmp_path, upstreams, workers=2)
    try:
        headers = {"authorization": f"Bearer {p.key}"}
        body = {"model": "onprem-chat", "messages": [{"role": "user", "content": "count me"}]}
        n_ok, n_bad = 24, 6
        with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0)) as c:  # new connection each time
            for _ in range(n_ok):
                assert c.post(p.v1 + "/chat/completions", json=body, headers=headers).status_code == 200
            for _ in range(n_bad):
                assert c.post(p.v1 + "/chat/completions", json={"model": "nope", "messages": []},
                              headers=headers).status_code == 400
        deadline = time.time() + 10  # outcomes (and their metrics) are written just after each response
        while _requests_total(text := httpx.get(p.url + "/metrics").text) < n_ok + n_bad and time.time() < deadline:
            time.sleep(0.1)
        assert _requests_total(text) == n_ok + n_bad
        assert re.search(r'govproxy_requests_total\{.*outcome="allowed".*\} 24\.0', text)
        assert "govproxy_stage_seconds_bucket" in text
        assert len(upstreams.onprem.recorder.all()) == n_ok
        # The models were loaded once, in the parent, and both workers forked from it share them.
        logs = p.process.logs()
        assert logs.count('"event": "detector_ready"') == 1
        assert logs.count('"event": "worker_forked"') == 2 and logs.count('"event": "started"') == 2
        # glibc here: the parent gave its heap's free pages back before forking (prefork.release_free_heap)
        started = [line for line in logs.splitlines() if '"event": "prefork_started"' in line]
        assert len(started) == 1 and '"heap_released": true' in started[0]
    finally:
        p.process.stop()


def test_workers_that_cannot_start_stop_the_server(upstreams: Upstreams, tmp_path: Path) -> None:
    """A worker whose start-up fails (here budgets.yaml, which only a worker reads) ends the server with exit 3,
    instead of being forked again and again."""
    policies = write_policies(tmp_path / "policies", catalogue_for(upstreams))
    (policies / "budgets.yaml").write_text("apiVersion: govproxy/v1\nbudgets: [not: {a: budget}\n")
    env = base_env(GOVPROXY_DATABASE_URL=f"sqlite:///{tmp_path}/govproxy.db", GOVPROXY_POLICIES_DIR=str(policies),
                   GOVPROXY_TEST_CWD=str(tmp_path))
    process = ProxyProcess(tmp_path, env, workers=2)
    with pytest.raises(RuntimeError, match="govproxy exited 3"):
        process.start()
    assert '"event": "worker_startup_failed"' in process.logs()


def test_workers_stop_when_the_parent_is_killed(upstreams: Upstreams, tmp_path: Path) -> None:
    """SIGKILL to the parent (it cannot pass a stop on): its workers stop too instead of serving unsupervised."""
    p = start_proxy(tmp_path, upstreams, workers=2)
    assert p.process.proc is not None
    parent = p.process.proc.pid
    deadline = time.time() + 30
    while len(workers := worker_pids(parent)) < 2:
        assert time.time() < deadline
        time.sleep(0.1)
    os.kill(parent, signal.SIGKILL)
    p.process.proc.wait(timeout=10)
    deadline = time.time() + 60
    while any(_state(pid) not in ("gone", "Z") for pid in workers):
        assert time.time() < deadline, "a worker kept running after its parent was killed"
        time.sleep(0.2)
    with pytest.raises(httpx.TransportError):
        httpx.get(p.url + "/healthz", timeout=2)


def _state(pid: int) -> str:
    """The process's state letter (Z: exited, not yet reaped), or "gone"."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def test_sigterm_lets_a_stream_in_flight_finish(upstreams: Upstreams, tmp_path: Path) -> None:
    p = start_proxy(tmp_path, upstreams)
    upstreams.onprem.chunk_delay_s = 0.1
    result: dict[str, str] = {}

    def consume() -> None:
        client = openai.OpenAI(base_url=p.v1, api_key=p.key, max_retries=0)
        stream = client.chat.completions.create(
            model="onprem-chat", stream=True, messages=[{"role": "user", "content": "twenty words " * 3}])
        result["text"] = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

    t = threading.Thread(target=consume)
    t.start()
    # Wait until the upstream has the request, then ask the proxy to stop.
    for _ in range(100):
        if upstreams.onprem.recorder.all():
            break
        threading.Event().wait(0.05)
    code = p.process.stop(timeout=60)
    t.join(timeout=60)
    assert result.get("text") == "echo: " + "twenty words " * 3
    assert code == 0
    assert '"event": "stopped"' in p.process.logs()
    # The stream's audit record was completed before the process exited.
    db = p.env["GOVPROXY_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT r.stream, o.outcome, o.target, o.completion_tokens FROM audit_records r "
                            "JOIN audit_outcomes o ON o.record_id = r.id").fetchall()
    assert rows == [(1, "allowed", "onprem-chat", 7)]


HASH_NAMES = """apiVersion: govproxy/v1
default:
  action: redact
  redact:
    PERSON: hash
"""


def test_workers_share_the_generated_redaction_key(upstreams: Upstreams, tmp_path: Path) -> None:
    """Without GOVPROXY_REDACTION_KEY the parent draws one key for all workers: a name hashes the same whichever
    worker takes the request (a key per worker would give the upstream two different hashes for one person)."""
    p = start_proxy(tmp_path, upstreams, workers=2, rules={"90-hash-names.yaml": HASH_NAMES})
    try:
        headers = {"authorization": f"Bearer {p.key}"}
        body = {"model": "onprem-chat", "messages": [{"role": "user", "content": "Write to Annika Vogelsang today."}]}
        with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0)) as c:  # new connection each time
            for _ in range(16):
                assert c.post(p.v1 + "/chat/completions", json=body, headers=headers).status_code == 200
        sent = {r["body"]["messages"][0]["content"] for r in upstreams.onprem.recorder.all()}
        assert len(sent) == 1 and "Vogelsang" not in next(iter(sent))
        logs = p.process.logs()
        assert logs.count('"event": "worker_forked"') == 2
        assert logs.count('"event": "redaction_key_generated"') == 1  # drawn once, in the parent
    finally:
        p.process.stop()
