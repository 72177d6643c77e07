"""The audit through the real proxy: one record per request whatever the outcome (through the OpenAI SDK and raw
HTTP), two server processes writing one PostgreSQL chain at once, canaries absent from a pg_dump, and the
fail-closed guarantee (audit store down -> 503, the upstream receives nothing) on PostgreSQL and SQLite."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from sqlalchemy import create_engine, text

from tests.audit_db import PG_SERVER, create_pg_database, drop_pg_database, pg_dump
from tests.canaries import CANARIES, SENTENCE, leaked
from tests.conftest import Proxy, Upstreams, catalogue_for
from tests.harness import ProxyProcess, base_env, cli, create_key, write_policies

pytestmark = pytest.mark.postgres


@dataclass
class PgProxies:
    db_url: str
    a: Proxy
    b: Proxy


@pytest.fixture(scope="module")
def pg_proxies(upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgProxies]:
    """Two `govproxy serve` processes sharing one fresh PostgreSQL database."""
    db_url = create_pg_database("govproxy_test_e2e_")
    workdir = tmp_path_factory.mktemp("pgproxies")
    policies = write_policies(workdir / "policies", catalogue_for(upstreams))
    env = base_env(GOVPROXY_DATABASE_URL=db_url, GOVPROXY_POLICIES_DIR=str(policies),
                   GOVPROXY_TEST_CWD=str(workdir), GOVPROXY_KEY_CACHE_TTL_S="600")
    procs: list[ProxyProcess] = []
    try:
        cli("db", "upgrade", env=env)
        keys = [create_key(env, "eng", "alice"), create_key(env, "compliance", "carol", "auditor"),
                create_key(env, "platform", "root", "admin")]
        for _ in range(2):
            procs.append(ProxyProcess(workdir, env).start())
        a, b = (Proxy(p.url, *keys, env, p, workdir) for p in procs)
        yield PgProxies(db_url, a, b)
    finally:
        for p in procs:
            p.stop()
        drop_pg_database(db_url)


def chat(p: Proxy, text_: str, model: str = "external-chat", key: str | None = None, **extra: Any) -> httpx.Response:
    return httpx.post(p.v1 + "/chat/completions", timeout=60, headers={"authorization": f"Bearer {key or p.key}"},
                      json={"model": model, "messages": [{"role": "user", "content": text_}], **extra})


def records(p: Proxy, **params: Any) -> dict[str, dict[str, Any]]:
    """Request/security records by request id, through the admin API."""
    out: dict[str, dict[str, Any]] = {}
    for kind in ("request", "security"):
        r = httpx.get(p.url + "/admin/audit", params={"kind": kind, "limit": 1000, **params}, timeout=30,
                      headers={"authorization": f"Bearer {p.auditor_key}"})
        assert r.status_code == 200, r.text
        for rec in r.json()["data"]:
            assert rec["request_id"] not in out, "two records for one request"
            out[rec["request_id"]] = rec
    return out


def verify_ok(p: Proxy) -> str:
    result = cli("audit", "verify", env=p.env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_every_request_gets_exactly_one_record(pg_proxies: PgProxies, upstreams: Upstreams) -> None:
    p = pg_proxies.a
    before = len(records(p))
    sdk = openai.OpenAI(base_url=p.v1, api_key=p.key, max_retries=0)
    expected: dict[str, tuple[str, str, str | None, str | None, int | None]] = {}  # rid -> kind, outcome, ...

    def via_sdk(text_: str, model: str = "external-chat", **kw: Any) -> str:
        raw = sdk.chat.completions.with_raw_response.create(
            model=model, messages=[{"role": "user", "content": text_}], **kw)
        parsed = raw.parse()
        if kw.get("stream"):
            for _ in parsed:
                pass
        return str(raw.headers["x-request-id"])

    expected[via_sdk("Summarise the plan.")] = ("request", "allowed", "allow", "external-chat", 200)
    expected[via_sdk(f"Mail {CANARIES['EMAIL_ADDRESS']} to {CANARIES['PERSON']}")] = (
        "request", "redacted", None, "external-chat", 200)
    expected[via_sdk(f"My Steuer-ID is {CANARIES['DE_TAX_ID']}.")] = ("request", "allowed", "route", "onprem-chat",
                                                                      200)
    expected[via_sdk("stream this please", stream=True)] = ("request", "allowed", "allow", "external-chat", 200)
    with pytest.raises(openai.PermissionDeniedError) as blocked:
        sdk.chat.completions.create(model="external-chat",
                                    messages=[{"role": "user", "content": f"key {CANARIES['AWS_ACCESS_KEY_ID']}"}])
    expected[blocked.value.response.headers["x-request-id"]] = ("request", "blocked", "block", None, None)
    r = chat(p, "hello", key="gpk_unknown_key")
    assert r.status_code == 401
    expected[r.headers["x-request-id"]] = ("security", "rejected_auth", None, None, None)
    r = chat(p, "hello", key=p.auditor_key)
    assert r.status_code == 403
    expected[r.headers["x-request-id"]] = ("security", "rejected_auth", None, None, None)
    r = httpx.post(p.v1 + "/chat/completions", content=b"{not json", timeout=30,
                   headers={"authorization": f"Bearer {p.key}", "content-type": "application/json"})
    assert r.status_code == 400
    expected[r.headers["x-request-id"]] = ("request", "bad_request", None, None, None)
    upstreams.external.behaviour = "error500"
    r = chat(p, "the upstream is down")
    assert r.status_code == 503
    expected[r.headers["x-request-id"]] = ("request", "no_route", "allow", "external-chat", 500)
    upstreams.external.behaviour, upstreams.external.chunk_delay_s = "ok", 0.2
    with httpx.stream("POST", p.v1 + "/chat/completions", timeout=30, headers={"authorization": f"Bearer {p.key}"},
                      json={"model": "external-chat", "stream": True,
                            "messages": [{"role": "user", "content": "a long answer " * 20}]}) as resp:
        rid = resp.headers["x-request-id"]
        next(resp.iter_raw())  # first bytes arrive, then the client goes away
    expected[rid] = ("request", "client_disconnect", "allow", "external-chat", 200)

    deadline = time.time() + 30
    while True:  # stream records complete when the stream ends (the disconnect one a moment later)
        found = records(p)
        if all(rid in found and found[rid]["outcome"] for rid in expected) or time.time() > deadline:
            break
        time.sleep(0.3)
    assert len(found) - before == len(expected) == 10
    for rid, (kind, outcome, action, target, upstream) in expected.items():
        rec = found[rid]
        assert rec["outcome"] is not None, (rid, kind, outcome)
        got = (rec["kind"], rec["outcome"]["outcome"], rec["outcome"]["target"], rec["outcome"]["upstream_status"])
        assert got == (kind, outcome, target, upstream), rec
        if action is not None:
            assert rec["action"] == action
        if kind == "request" and outcome != "bad_request":
            assert (rec["team"], rec["user"], rec["endpoint"]) == ("eng", "alice", "/v1/chat/completions")
            assert rec["policy_version"] and rec["classification"]
            assert "identify" in rec["outcome"]["timings"] and rec["client_addr"] == "127.0.0.1"
    by_outcome = {found[rid]["outcome"]["outcome"]: found[rid] for rid in expected}
    assert by_outcome["blocked"]["rule"] == "block-secrets" and "AWS_ACCESS_KEY_ID" in by_outcome["blocked"][
        "entities"]
    redacted = by_outcome["redacted"]
    assert {"EMAIL_ADDRESS", "PERSON"} <= set(redacted["entities"]) and redacted["outcome"]["redactions"]
    routed = found[list(expected)[2]]
    assert routed["rule"] == "national-ids-onprem" and routed["entities"] == {"DE_TAX_ID": 1}
    assert routed["outcome"]["location"] == "onprem"
    streamed = found[list(expected)[3]]
    assert streamed["stream"] is True and streamed["outcome"]["total_tokens"] == 18
    auditor_rec = found[list(expected)[6]]
    assert auditor_rec["user"] == "carol" and auditor_rec["outcome"]["error_status"] == 403
    verify_ok(p)


def test_two_server_processes_write_one_valid_chain(pg_proxies: PgProxies) -> None:
    before = len(records(pg_proxies.a))

    def one(i: int) -> int:
        p = pg_proxies.a if i % 2 else pg_proxies.b
        return chat(p, f"concurrent request number {i}").status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(one, range(40)))
    assert statuses == [200] * 40
    assert len(records(pg_proxies.b)) - before == 40
    out = verify_ok(pg_proxies.a)
    assert out.startswith("OK")


def test_no_canary_in_a_pg_dump(pg_proxies: PgProxies) -> None:
    p = pg_proxies.a
    no_secret = SENTENCE.replace(CANARIES["AWS_ACCESS_KEY_ID"], "")
    personal = f"{CANARIES['PERSON']} <{CANARIES['EMAIL_ADDRESS']}> paid with {CANARIES['CREDIT_CARD']}"
    statuses = [chat(p, t, model=m).status_code for t, m in ((SENTENCE, "external-chat"),
                                                              (no_secret, "external-chat"),
                                                              (personal, "external-chat"),
                                                              (personal, "onprem-chat"))]
    assert statuses == [403, 200, 200, 200]
    dump = pg_dump(pg_proxies.db_url).decode("utf-8", errors="replace")
    assert "block-secrets" in dump and "national-ids-onprem" in dump  # the records are in the dump
    assert leaked(dump) == []


def _set_connections(db_url: str, allow: bool) -> None:
    name = db_url.rsplit("/", 1)[1]
    engine = create_engine(PG_SERVER.replace("postgresql://", "postgresql+psycopg://") + "/postgres",
                           isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"true" if allow else "false"}'))
        if not allow:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                         {"n": name})
    engine.dispose()


def test_database_unreachable_means_503_and_nothing_forwarded(pg_proxies: PgProxies, upstreams: Upstreams) -> None:
    p = pg_proxies.a
    assert chat(p, "warm the key cache").status_code == 200
    upstreams.external.recorder.clear()
    upstreams.onprem.recorder.clear()
    _set_connections(pg_proxies.db_url, allow=False)
    try:
        r = chat(p, "this must not leave")
        assert r.status_code == 503 and r.json()["error"]["code"] == "audit_unavailable"
        assert upstreams.external.recorder.all() == [] and upstreams.onprem.recorder.all() == []
        assert httpx.get(p.url + "/readyz", timeout=30).status_code == 503
    finally:
        _set_connections(pg_proxies.db_url, allow=True)
    deadline = time.time() + 30
    while chat(p, "back again").status_code != 200:
        assert time.time() < deadline, "the proxy did not recover when the database came back"
        time.sleep(0.5)
    verify_ok(p)


def test_sqlite_audit_store_broken_means_503_and_nothing_forwarded(proxy: Proxy, upstreams: Upstreams) -> None:
    db = Path(proxy.env["GOVPROXY_DATABASE_URL"].removeprefix("sqlite:///"))
    assert chat(proxy, "warm up").status_code == 200
    upstreams.external.recorder.clear()
    with sqlite3.connect(db) as conn:
        conn.execute("ALTER TABLE audit_chain RENAME TO audit_chain_hidden")
    try:
        r = chat(proxy, "this must not leave")
        assert r.status_code == 503 and r.json()["error"]["code"] == "audit_unavailable"
        assert upstreams.external.recorder.all() == [] and upstreams.onprem.recorder.all() == []
    finally:
        with sqlite3.connect(db) as conn:
            conn.execute("ALTER TABLE audit_chain_hidden RENAME TO audit_chain")
    assert chat(proxy, "works again").status_code == 200
    verify_ok(proxy)


def test_an_auditor_reads_the_outcome_of_a_request_answered_a_moment_ago(proxy: Proxy) -> None:
    """Outcomes may wait ~20 ms to share the next request's transaction; an auditor's read through the admin API
    commits what is waiting first, so a request just answered (plain or streamed) shows how it ended."""
    client = openai.OpenAI(base_url=proxy.v1, api_key=proxy.key, max_retries=0)
    auditor = {"authorization": f"Bearer {proxy.auditor_key}"}
    plain = client.chat.completions.with_raw_response.create(
        model="onprem-chat", messages=[{"role": "user", "content": "read me back"}])
    with client.chat.completions.with_streaming_response.create(
            model="onprem-chat", stream=True, messages=[{"role": "user", "content": "stream me back"}]) as streamed:
        assert "".join(streamed.iter_lines())
    for response in (streamed, plain):  # the last answered first: its outcome is the one still waiting
        request_id = response.headers["x-request-id"]
        record = httpx.get(proxy.url + f"/admin/audit/{request_id}", headers=auditor, timeout=30).json()
        assert record["request_id"] == request_id
        assert record["outcome"] is not None and record["outcome"]["upstream_status"] == 200
