"""Three `govproxy serve` replicas on one PostgreSQL database and one Redis, behind a round-robin loopback
balancer: a rate limit of 10 per minute holds across them, a revoked key is refused by every replica within a
second (the key cache TTL is 10 minutes, so only the pub/sub announcement can do it), a conversation started on one
replica continues on the others with the same pseudonyms, budgets hold across replicas (429 naming the budget and
when it resets, tokens from plain and streamed usage, `govproxy usage`); then Redis is stopped mid-run: every
request is still answered, every one has its audit record, the chain verifies, nothing leaks anywhere."""

from __future__ import annotations

import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest
import redis
import yaml

from tests.audit_db import create_pg_database, drop_pg_database, execute
from tests.canaries import CANARIES, leaked
from tests.conftest import Upstreams, catalogue_for
from tests.harness import ProxyProcess, base_env, cli, create_key, write_policies
from tests.replicas import RedisServer, RoundRobinBalancer

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

REDACTION_KEY = "replica-test-" + "k" * 32


@dataclass
class Cluster:
    replicas: list[ProxyProcess]
    balancer: RoundRobinBalancer
    redis: RedisServer
    env: dict[str, str]
    pg_url: str
    policies: Path

    def key(self, team: str, user: str) -> tuple[str, str]:
        key = create_key(self.env, team, user)
        return key, key.split("_")[1]


def _budgets(ops_key_id: str) -> str:
    return yaml.safe_dump({"apiVersion": "govproxy/v1", "budgets": [
        {"name": "ops-external-daily", "team": "ops", "period": "day", "location": "external", "requests": 4},
        {"name": "tok-monthly", "key": ops_key_id, "period": "month", "tokens": 40},
    ]})


@pytest.fixture(scope="module")
def cluster(upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("replicas")
    pg_url = create_pg_database()
    redis_server = RedisServer(tmp).start()
    policies = write_policies(tmp / "policies", catalogue_for(upstreams))
    (policies / "budgets.yaml").write_text(_budgets("none"))
    env = base_env(GOVPROXY_DATABASE_URL=pg_url, GOVPROXY_POLICIES_DIR=str(policies), GOVPROXY_TEST_CWD=str(tmp),
                   GOVPROXY_REDIS_URL=redis_server.url, GOVPROXY_REDIS_PREFIX=f"t{secrets.token_hex(3)}:",
                   GOVPROXY_REDACTION_KEY=REDACTION_KEY, GOVPROXY_RATE_LIMIT_PER_MINUTE="10",
                   GOVPROXY_KEY_CACHE_TTL_S="600", GOVPROXY_POLICY_RELOAD_INTERVAL_S="0.5",
                   GOVPROXY_REDIS_TIMEOUT_S="1")  # this machine runs many things at once
    cli("db", "upgrade", env=env)
    replicas = [ProxyProcess(tmp, env) for _ in range(3)]
    try:
        with ThreadPoolExecutor(3) as pool:  # start together: each loads spaCy and litellm
            list(pool.map(lambda p: p.start(timeout=240), replicas))
        balancer = RoundRobinBalancer([p.port for p in replicas]).start()
        yield Cluster(replicas, balancer, redis_server, env, pg_url, policies)
        balancer.stop()
    finally:
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda p: p.stop(), replicas))
        redis_server.stop()
        drop_pg_database(pg_url)


def _chat(url: str, key: str, content: str, model: str = "onprem-chat", stream: bool = False) -> httpx.Response:
    # A new connection per request (no pooling), so the balancer spreads them like separate clients.
    return httpx.post(url + "/v1/chat/completions", headers={"authorization": f"Bearer {key}"}, timeout=60,
                      json={"model": model, "stream": stream, "messages": [{"role": "user", "content": content}]})


def _audit_rows(pg_url: str) -> int:
    return int(execute(pg_url, "SELECT count(*) FROM audit_outcomes")[0][0])


def _wait_audit(pg_url: str, n: int) -> int:
    deadline = time.time() + 15
    while (got := _audit_rows(pg_url)) < n and time.time() < deadline:
        time.sleep(0.1)
    return got


def test_redis_without_a_redaction_key_refuses_to_start(tmp_path: Path, upstreams: Upstreams) -> None:
    policies = write_policies(tmp_path / "policies", catalogue_for(upstreams))
    env = base_env(GOVPROXY_DATABASE_URL=f"sqlite:///{tmp_path}/g.db", GOVPROXY_POLICIES_DIR=str(policies),
                   GOVPROXY_REDIS_URL="redis://127.0.0.1:6379/0")
    with pytest.raises(RuntimeError, match="GOVPROXY_REDACTION_KEY is not"):
        ProxyProcess(tmp_path, env).start(timeout=120)


def test_limits_revocation_conversations_and_budgets_hold_across_replicas(cluster: Cluster,
                                                                          upstreams: Upstreams) -> None:
    lb = cluster.balancer.url
    sent = 0

    # A limit of 10 per minute holds across three replicas (without Redis it would be 30).
    key, _ = cluster.key("eng", "rita")
    t0 = time.monotonic()
    with ThreadPoolExecutor(5) as pool:
        codes = list(pool.map(lambda i: _chat(lb, key, f"question {i}").status_code, range(15)))
    refilled = int((time.monotonic() - t0) / 6)  # the bucket refills one request every 6 s
    sent += 15
    assert codes.count(200) + codes.count(429) == 15 and 10 <= codes.count(200) <= 10 + refilled < 15, codes
    assert all(cluster.balancer.connections[p.port] >= 5 for p in cluster.replicas), cluster.balancer.connections

    # A revoked key is refused by every replica within a second (key cache TTL is 600 s: pub/sub does it).
    key, key_id = cluster.key("eng", "viktor")
    for p in cluster.replicas:  # every replica has the key in its cache
        assert _chat(p.url, key, "hello").status_code == 200
    sent += 3
    cli("keys", "revoke", key_id, env=cluster.env)
    revoked_at = time.monotonic()
    pending = {p.url for p in cluster.replicas}
    while pending and time.monotonic() - revoked_at < 1.0:
        for url in list(pending):
            sent += 1
            if _chat(url, key, "hello").status_code == 401:
                pending.discard(url)
    assert not pending, f"still accepted after 1 s by {pending}"

    # A conversation started on one replica continues on the others: the client sends its conversation id and
    # trims the history, so only the shared map can keep the numbering and restore the first turn's value.
    key, _ = cluster.key("eng", "conv")
    first, second, third = CANARIES["EMAIL_ADDRESS"], "second.contact.canary@example.org", "third.cc@example.net"
    headers = {"x-govproxy-conversation-id": "conv-" + secrets.token_hex(4)}
    clients = [openai.OpenAI(base_url=p.url + "/v1", api_key=key, default_headers=headers, max_retries=0)
               for p in cluster.replicas]
    upstreams.external.recorder.clear()
    a = clients[0].chat.completions.create(model="external-chat",
                                           messages=[{"role": "user", "content": f"write to {first}"}])
    b = clients[1].chat.completions.create(model="external-chat",
                                           messages=[{"role": "user", "content": f"and to {second}"}])
    c = clients[2].chat.completions.create(model="external-chat", messages=[
        {"role": "user", "content": f"was <EMAIL_ADDRESS_1> cc {third}?"}])
    sent += 3
    seen = [r["body"]["messages"][-1]["content"] for r in upstreams.external.recorder.all()]
    assert seen == ["write to <EMAIL_ADDRESS_1>", "and to <EMAIL_ADDRESS_2>",
                    "was <EMAIL_ADDRESS_1> cc <EMAIL_ADDRESS_3>?"]
    assert a.choices[0].message.content == f"echo: write to {first}"
    assert b.choices[0].message.content == f"echo: and to {second}"
    # restored by a replica that never saw the first value: it came from the shared map
    assert c.choices[0].message.content == f"echo: was {first} cc {third}?"
    dump = cluster.redis.dump()
    assert b"pmap" in dump and leaked(dump.decode("latin-1")) == [] and second.encode() not in dump

    # Budgets hold across replicas: 4 external requests a day for team ops, 40 tokens a month for one key.
    key, key_id = cluster.key("ops", "olga")
    def budget_versions() -> set[str]:
        return {httpx.get(p.url + "/readyz").json()["checks"]["budgets"]["version"] for p in cluster.replicas}

    old = budget_versions()
    # Hot reload, as the policy does; written whole at once, as a ConfigMap update swaps the file.
    staged = cluster.policies / ".budgets.yaml.new"
    staged.write_text(_budgets(key_id))
    staged.replace(cluster.policies / "budgets.yaml")
    # One reading per check: two readings in one condition could see the replicas before and during the reload (the
    # loop then left early, and the assertion caught them half-way).
    deadline = time.time() + 30
    while len(versions := budget_versions()) != 1 or versions == old:
        assert time.time() < deadline, f"budgets.yaml not in force on every replica after 30 s: {versions}"
        time.sleep(0.2)
    redis_client = cluster.redis.client()

    def tokens_used() -> int:
        keys = list(redis_client.scan_iter("*tok-monthly*"))
        return int(redis_client.hget(keys[0], "tokens") or 0) if keys else 0

    results = []
    for i, stream in enumerate([False, True, False]):  # 18 tokens each from the fake's usage, plain and streamed
        r = _chat(lb, key, f"q{i}", model="external-chat", stream=stream)
        sent += 1
        results.append(r.status_code)
        deadline = time.time() + 5
        while time.time() < deadline and tokens_used() < 18 * (i + 1):
            time.sleep(0.05)
    assert results == [200, 200, 200] and tokens_used() == 54
    r = _chat(lb, key, "q3", model="onprem-chat")
    sent += 1
    assert r.status_code == 429 and r.json()["error"]["code"] == "budget_exceeded"
    assert "'tok-monthly'" in r.json()["error"]["message"] and "resets at" in r.json()["error"]["message"]
    other, _ = cluster.key("ops", "otto")  # same team, own key: only the team's external request budget
    codes = [_chat(lb, other, f"x{i}", model="external-chat").status_code for i in range(2)]
    sent += 2
    assert codes == [200, 429], codes  # 3 of the team's 4 were used by olga
    r = _chat(lb, other, "onprem is not external", model="onprem-chat")
    sent += 1
    assert r.status_code == 200
    r = _chat(lb, other, "x3", model="external-chat")
    sent += 1
    body = r.json()["error"]
    assert r.status_code == 429 and "'ops-external-daily'" in body["message"]
    assert "4 requests per day" in body["message"]
    assert int(r.headers["retry-after"]) <= 86400
    usage = cli("usage", "--budgets", env=cluster.env).stdout
    assert re.search(r"ops-external-daily\s+team ops\s+external\s+day \S+\s+requests 4/4 \(100%\)", usage), usage
    assert re.search(r"tok-monthly\s+key \w+\s+any\s+month \S+\s+requests 3\s+tokens 54/40", usage), usage

    assert _wait_audit(cluster.pg_url, sent) == sent


def test_redis_stopped_mid_run_loses_nothing(cluster: Cluster, upstreams: Upstreams) -> None:
    lb = cluster.balancer.url
    before = _audit_rows(cluster.pg_url)
    key, _ = cluster.key("eng", "outage")
    body = f"mail {CANARIES['EMAIL_ADDRESS']} about {CANARIES['PERSON']}"
    upstreams.external.recorder.clear()

    def call(i: int) -> int:
        return _chat(lb, key, f"{body} #{i}", model="external-chat" if i % 2 else "onprem-chat",
                     stream=i % 3 == 0).status_code

    with ThreadPoolExecutor(4) as pool:
        first = pool.map(call, range(8))
        cluster.redis.stop()  # mid-run
        codes = list(first) + list(pool.map(call, range(8, 24)))
    # Nothing lost: every request answered; limits fell back per replica (10 per minute each, so 24 > 10 pass).
    assert set(codes) == {200}, codes
    for p in cluster.replicas:
        ready = httpx.get(p.url + "/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "degraded", ready.text
        metrics = httpx.get(p.url + "/metrics").text
        assert re.search(r"^govproxy_redis_up(\{[^}]*\})? 0\.0$", metrics, re.M), metrics[-500:]
    errors = sum(float(v) for v in re.findall(r"^govproxy_redis_errors_total\{[^}]*\} (\S+)$",
                                                   httpx.get(cluster.replicas[0].url + "/metrics").text, re.M))
    assert errors >= 1
    logs = "".join(p.logs() for p in cluster.replicas)
    assert "redis_unavailable" in logs
    assert _wait_audit(cluster.pg_url, before + 24) == before + 24
    verify = cli("audit", "verify", "--database-url", cluster.pg_url, env=cluster.env, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert leaked(logs) == [] and leaked(upstreams.external.recorder.dump()) == []
    dump = subprocess.run(["pg_dump", "-h", "127.0.0.1", "-U", "postgres", cluster.pg_url.rsplit("/", 1)[1]],
                          capture_output=True, text=True, check=True).stdout
    assert leaked(dump) == []

    cluster.redis.start()  # back: readiness recovers without a restart
    deadline = time.time() + 10
    while time.time() < deadline and any(httpx.get(p.url + "/readyz").json()["status"] != "ready"
                                         for p in cluster.replicas):
        time.sleep(0.2)
    assert [httpx.get(p.url + "/readyz").json()["status"] for p in cluster.replicas] == ["ready"] * 3


def test_a_responses_chain_continues_on_every_replica(cluster: Cluster, upstreams: Upstreams) -> None:
    # The kept response is in Redis (encrypted): a chain started on one replica goes on on the others, with the
    # first turn's placeholders, and the value never reaches the external upstream.
    key, _ = cluster.key("eng", "chain")
    name = "Margaret Thornton"

    def create(url: str, text: str, previous: str | None = None) -> dict[str, object]:
        body: dict[str, object] = {"model": "external-chat", "input": text}
        if previous is not None:
            body["previous_response_id"] = previous
        r = httpx.post(url + "/v1/responses", headers={"authorization": f"Bearer {key}"}, json=body, timeout=60)
        assert r.status_code == 200, r.text
        return dict(r.json())

    first = create(cluster.replicas[0].url, f"Customer {name} called about the invoice.")
    previous = str(first["id"])
    for replica in cluster.replicas[1:]:
        nxt = create(replica.url, "What did the customer call about?", previous)
        sent = upstreams.external.recorder.all()[-1]["body"]["messages"]
        assert sent[0]["content"] == "Customer <PERSON_1> called about the invoice."
        previous = str(nxt["id"])
    assert name not in upstreams.external.recorder.dump()
    with redis.Redis.from_url(cluster.redis.url) as r:
        blobs = [r.get(k) or b"" for k in r.scan_iter(cluster.env["GOVPROXY_REDIS_PREFIX"] + "resp:*")]
    assert len(blobs) >= 3 and all(name.encode() not in blob for blob in blobs)
