"""Two `govproxy serve` replicas sharing one PostgreSQL database: keys made on one work on the other, every
request of mixed outcomes lands as exactly one audit record, the chain verifies, metrics count every request,
canaries are in no table; and an audit-store outage fails closed (503, nothing forwarded) and recovers."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.audit_db import create_pg_database, drop_pg_database
from tests.canaries import CANARIES, SENTENCE, leaked
from tests.conftest import Upstreams, catalogue_for
from tests.harness import ProxyProcess, base_env, cli, create_key, write_policies

pytestmark = pytest.mark.postgres


@pytest.fixture()
def pg_url() -> Iterator[str]:
    url = create_pg_database()
    yield url
    drop_pg_database(url)


def _count(url: str, sql: str) -> int:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        n = int(conn.execute(text(sql)).scalar_one())
    engine.dispose()
    return n


def _requests_total(metrics: str) -> float:
    return sum(float(v) for v in re.findall(r"^govproxy_requests_total\{[^}]*\} (\S+)$", metrics, re.M))


def test_two_replicas_share_keys_audit_and_count_everything(upstreams: Upstreams, tmp_path: Path,
                                                             pg_url: str) -> None:
    policies = write_policies(tmp_path / "policies", catalogue_for(upstreams))
    env = base_env(GOVPROXY_DATABASE_URL=pg_url, GOVPROXY_POLICIES_DIR=str(policies),
                   GOVPROXY_TEST_CWD=str(tmp_path))
    cli("db", "upgrade", env=env)
    a = ProxyProcess(tmp_path, env).start()
    b = ProxyProcess(tmp_path, env).start()
    try:
        key = create_key(env, "eng", "dana")  # made after both replicas started
        headers = {"authorization": f"Bearer {key}"}

        def call(i: int) -> int:
            url = (a if i % 2 else b).url + "/v1/chat/completions"
            kind = i % 5
            if kind == 4:
                return httpx.post(url, headers={"authorization": "Bearer gpk_nope_nope"},
                                  json={"model": "onprem-chat", "messages": []}, timeout=60).status_code
            content = ["plain question", f"mail {CANARIES['EMAIL_ADDRESS']} now",
                       f"key {CANARIES['AWS_ACCESS_KEY_ID']}", SENTENCE][kind]
            model = "external-chat" if kind == 1 else "onprem-chat"
            return httpx.post(url, headers=headers, timeout=60,
                              json={"model": model, "messages": [{"role": "user", "content": content}]}).status_code

        n = 40
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(call, range(n)))
        assert codes.count(401) == 8 and codes.count(403) == 16 and codes.count(200) == 16, codes

        deadline = time.time() + 10  # outcomes are written just after each response
        while _count(pg_url, "SELECT count(*) FROM audit_outcomes") < n and time.time() < deadline:
            time.sleep(0.1)
        assert _count(pg_url, "SELECT count(*) FROM audit_outcomes") == n
        assert _count(pg_url, "SELECT count(*) FROM audit_records") == n
        verify = cli("audit", "verify", "--database-url", pg_url, env=env, check=False)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        total = _requests_total(httpx.get(a.url + "/metrics").text) + _requests_total(
            httpx.get(b.url + "/metrics").text)
        assert total == n  # every outcome above was written, so every request was counted
        dump = subprocess.run(["pg_dump", "-h", "127.0.0.1", "-U", "postgres", pg_url.rsplit("/", 1)[1]],
                              capture_output=True, text=True, check=True).stdout
        assert "audit_records" in dump and leaked(dump) == []
        assert leaked(a.logs() + b.logs()) == []
        assert leaked(upstreams.external.recorder.dump()) == []
    finally:
        a.stop()
        b.stop()


def test_audit_store_outage_fails_closed_and_recovers(upstreams: Upstreams, tmp_path: Path, pg_url: str) -> None:
    policies = write_policies(tmp_path / "policies", catalogue_for(upstreams))
    env = base_env(GOVPROXY_DATABASE_URL=pg_url, GOVPROXY_POLICIES_DIR=str(policies),
                   GOVPROXY_TEST_CWD=str(tmp_path), GOVPROXY_KEY_CACHE_TTL_S="600")
    cli("db", "upgrade", env=env)
    key = create_key(env, "eng", "erin")
    p = ProxyProcess(tmp_path, env).start()
    name = pg_url.rsplit("/", 1)[1]
    admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    body = {"model": "onprem-chat", "messages": [{"role": "user", "content": "hello"}]}
    headers = {"authorization": f"Bearer {key}"}
    try:
        assert httpx.post(p.url + "/v1/chat/completions", json=body, headers=headers).status_code == 200
        upstreams.onprem.recorder.clear()
        with admin.connect() as conn:  # the database goes away for this proxy (the server stays up)
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                         {"n": name})
        r = httpx.post(p.url + "/v1/chat/completions", json=body, headers=headers, timeout=60)
        assert r.status_code == 503 and r.json()["error"]["code"] == "audit_unavailable"
        assert upstreams.onprem.recorder.all() == []
        assert httpx.get(p.url + "/readyz").status_code == 503
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        r = httpx.post(p.url + "/v1/chat/completions", json=body, headers=headers, timeout=60)
        assert r.status_code == 200 and len(upstreams.onprem.recorder.all()) == 1
        assert httpx.get(p.url + "/readyz").status_code == 200
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
        p.stop()
