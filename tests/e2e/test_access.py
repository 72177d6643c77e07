"""Access control through the running proxy: no key, an invalid key, a revoked key, and every role against every
/admin route (audit API, export, policy reload, the review page and its sign-in) and the model endpoints. Every
refusal must be refused with the right status and written to the audit log (found by the answer's request id).
Plus: key comparison is timing-safe (hmac.compare_digest, and an unknown key id takes the same path)."""

from __future__ import annotations

import asyncio
import hmac
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from proxy.auth import keys as keys_module
from proxy.auth.caller import Role
from proxy.auth.keys import KeyStore
from proxy.db import async_engine
from proxy.migrate import upgrade
from tests.audit_db import execute
from tests.conftest import Proxy
from tests.harness import cli, create_key

ANONYMOUS, INVALID, REVOKED, CALLER, AUDITOR, ADMIN = "none", "invalid", "revoked", "caller", "auditor", "admin"
WHO = (ANONYMOUS, INVALID, REVOKED, CALLER, AUDITOR, ADMIN)
AUDIT_READS = ("/admin/audit", "/admin/audit/{id}", "/admin/audit/export", "/admin/audit/verify",
               "/admin/audit/stats")
WEB_PAGES = ("/admin/", "/admin/records/{id}")


@dataclass
class Access:
    proxy: Proxy
    db_url: str
    keys: dict[str, str | None]
    record_id: str

    def headers(self, who: str) -> dict[str, str]:
        key = self.keys[who]
        return {"authorization": f"Bearer {key}"} if key else {}

    def audited(self, response: httpx.Response, wait_s: float = 0.0) -> list[Any]:
        """The audit rows (kind, endpoint, outcome, role, error_status) written for this response's request."""
        rid = response.headers["x-request-id"]
        deadline = time.monotonic() + wait_s
        while True:
            rows = execute(self.db_url, "SELECT r.kind, r.endpoint, o.outcome, r.role, o.error_status "
                                        "FROM audit_records r JOIN audit_outcomes o ON o.record_id = r.id "
                                        "WHERE r.request_id = :rid", rid=rid)
            if rows or time.monotonic() >= deadline:
                return [tuple(row) for row in rows]
            time.sleep(0.1)  # model requests write their outcome record off the response path


@pytest.fixture(scope="module")
def access(proxy: Proxy) -> Access:
    revoked = create_key(proxy.env, "eng", "mallory")
    cli("keys", "revoke", revoked.split("_")[1], env=proxy.env)  # revoked before first use: never cached
    r = httpx.post(proxy.v1 + "/chat/completions", headers={"authorization": f"Bearer {proxy.key}"},
                   json={"model": "onprem-chat", "messages": [{"role": "user", "content": "hello"}]}, timeout=60)
    assert r.status_code == 200
    db_url = proxy.env["GOVPROXY_DATABASE_URL"]
    a = Access(proxy, db_url, {ANONYMOUS: None, INVALID: "gpk_0123456789ab_not-the-secret", REVOKED: revoked,
                               CALLER: proxy.key, AUDITOR: proxy.auditor_key, ADMIN: proxy.admin_key}, "")
    assert a.audited(r, wait_s=10)
    a.record_id = execute(db_url, "SELECT id FROM audit_records WHERE request_id = :rid",
                          rid=r.headers["x-request-id"])[0][0]
    return a


def _url(access: Access, route: str) -> str:
    return access.proxy.url + route.replace("{id}", access.record_id)


# ---- the audit API and export: 401 without a valid key, 403 for callers, auditors and admins read --------------

@pytest.mark.parametrize("route", AUDIT_READS)
@pytest.mark.parametrize("who", WHO)
def test_audit_api(access: Access, route: str, who: str) -> None:
    r = httpx.get(_url(access, route), headers=access.headers(who), timeout=60)
    expected = {ANONYMOUS: 401, INVALID: 401, REVOKED: 401, CALLER: 403, AUDITOR: 200, ADMIN: 200}[who]
    assert r.status_code == expected, r.text[:300]
    audited = access.audited(r)
    assert len(audited) == 1, audited
    kind, endpoint, outcome, role, status = audited[0]
    assert (kind, endpoint) == ("admin", route)
    if expected == 200:
        assert (outcome, role, status) == ("allowed", who, None)
        return
    assert r.json()["error"]["type"] == ("authentication_error" if expected == 401 else "permission_error")
    assert (outcome, status) == ("rejected_auth", expected)
    assert role == (CALLER if who == CALLER else None)
    for key in access.keys.values():
        assert key is None or key not in r.text


@pytest.mark.parametrize("who", WHO)
def test_policy_reload_is_admin_only(access: Access, who: str) -> None:
    r = httpx.post(access.proxy.url + "/admin/policy/reload", headers=access.headers(who), timeout=60)
    expected = {ANONYMOUS: 401, INVALID: 401, REVOKED: 401, CALLER: 403, AUDITOR: 403, ADMIN: 200}[who]
    assert r.status_code == expected, r.text[:300]
    (kind, endpoint, outcome, role, status), = access.audited(r)
    assert (kind, endpoint) == ("admin", "/admin/policy/reload")
    if expected == 200:
        assert r.json()["error"] is None and (outcome, role) == ("allowed", ADMIN)
    else:
        assert (outcome, status) == ("rejected_auth", expected)
        assert role == (who if who in (CALLER, AUDITOR) else None)


# ---- the review page: no/invalid/revoked key -> the sign-in form, callers 403; each refusal audited -----------

@pytest.mark.parametrize("route", WEB_PAGES)
@pytest.mark.parametrize("who", WHO)
def test_review_pages_with_bearer(access: Access, route: str, who: str) -> None:
    r = httpx.get(_url(access, route), headers=access.headers(who), timeout=60)
    expected = {ANONYMOUS: 303, INVALID: 303, REVOKED: 303, CALLER: 403, AUDITOR: 200, ADMIN: 200}[who]
    assert r.status_code == expected
    if expected == 303:
        assert r.headers["location"] == "/admin/login"
    (kind, endpoint, outcome, role, _), = access.audited(r)
    assert (kind, endpoint) == ("admin", route)
    assert outcome == ("allowed" if expected == 200 else "rejected_auth")
    assert role == (who if who in (CALLER, AUDITOR, ADMIN) else None)


@pytest.mark.parametrize("who", [REVOKED, INVALID, CALLER])
def test_review_page_with_a_bad_cookie(access: Access, who: str) -> None:
    r = httpx.get(access.proxy.url + "/admin/", cookies={"govproxy_admin": str(access.keys[who])}, timeout=60)
    if who == CALLER:
        assert r.status_code == 403 and "text/html" in r.headers["content-type"]
    else:  # sent back to sign in, and the cookie is cleared
        assert r.status_code == 303 and r.headers["location"] == "/admin/login?expired=1"
        assert 'govproxy_admin=""' in r.headers["set-cookie"]
    (_, endpoint, outcome, _, _), = access.audited(r)
    assert (endpoint, outcome) == ("/admin/", "rejected_auth")


@pytest.mark.parametrize("who", WHO)
def test_sign_in(access: Access, who: str) -> None:
    r = httpx.post(access.proxy.url + "/admin/login", data={"key": access.keys[who] or ""}, timeout=60)
    expected = {ANONYMOUS: 401, INVALID: 401, REVOKED: 401, CALLER: 403, AUDITOR: 303, ADMIN: 303}[who]
    assert r.status_code == expected
    assert ("set-cookie" in r.headers) == (expected == 303)
    (_, endpoint, outcome, _, _), = access.audited(r)
    assert (endpoint, outcome) == ("/admin/login", "allowed" if expected == 303 else "rejected_auth")


def test_cross_site_sign_in_is_refused_and_audited(access: Access) -> None:
    r = httpx.post(access.proxy.url + "/admin/login", data={"key": access.keys[AUDITOR]},
                   headers={"origin": "https://evil.example"}, timeout=60)
    assert r.status_code == 403 and "set-cookie" not in r.headers
    (_, endpoint, outcome, _, status), = access.audited(r)
    assert (endpoint, outcome, status) == ("/admin/login", "rejected_auth", 403)


def test_oversized_sign_in_form_is_refused_without_reading_it(access: Access) -> None:
    """The sign-in route is open to anyone: it answers 413 after 8 KB instead of buffering the whole body (a
    300 MB POST used to take 1 GB of memory). The client announces 300 MB and sends 64 KB: only a bounded read can
    answer before the rest arrives."""
    with socket.create_connection(("127.0.0.1", access.proxy.process.port), timeout=30) as s:
        s.sendall(b"POST /admin/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: 300000000\r\n\r\nkey=" + b"a" * 65536)
        answer = s.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]


def test_public_admin_paths_hold_no_data(access: Access) -> None:
    """What answers without a key: the redirect, the sign-in form and the stylesheet. None carries audit data."""
    assert httpx.get(access.proxy.url + "/admin").status_code == 307
    form = httpx.get(access.proxy.url + "/admin/login")
    assert form.status_code == 200 and "<form" in form.text and access.record_id not in form.text
    assert httpx.post(access.proxy.url + "/admin/logout").status_code == 303


# ---- the model endpoints: refusals are audited as security records ---------------------------------------------

@pytest.mark.parametrize("who", [ANONYMOUS, INVALID, REVOKED, AUDITOR])
@pytest.mark.parametrize("route", ["/v1/chat/completions", "/v1/messages", "/v1/embeddings", "/v1/models"])
def test_model_endpoints_refuse_and_audit(access: Access, route: str, who: str) -> None:
    body = {"model": "onprem-chat", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}], "input": "x"}
    url = access.proxy.url + route
    r = httpx.get(url, headers=access.headers(who)) if route == "/v1/models" else \
        httpx.post(url, json=body, headers=access.headers(who), timeout=60)
    if route == "/v1/models" and who == AUDITOR:
        assert r.status_code == 200  # listing model names is not traffic
        return
    expected = 403 if who == AUDITOR else 401
    assert r.status_code == expected, r.text[:300]
    rows = access.audited(r, wait_s=10)
    assert len(rows) == 1, rows
    kind, endpoint, outcome, role, status = rows[0]
    assert (kind, endpoint, outcome, status) == ("security", route, "rejected_auth", expected)
    assert role == (AUDITOR if who == AUDITOR else None)


def test_duplicate_credentials_are_refused(access: Access) -> None:
    """Two Authorization headers (or two x-api-key) are one invalid key, whichever order: no component may pick
    the one it likes."""
    body = {"model": "onprem-chat", "messages": [{"role": "user", "content": "hi"}]}
    valid, other = f"Bearer {access.keys[CALLER]}", f"Bearer {access.keys[ADMIN]}"
    for pair in ([valid, other], [other, valid], [valid, valid]):
        headers = [("authorization", v) for v in pair]
        r = httpx.post(access.proxy.v1 + "/chat/completions", json=body, headers=headers, timeout=60)
        assert r.status_code == 401
        r = httpx.get(access.proxy.url + "/admin/audit/stats", timeout=60,
                      headers=[("authorization", f"Bearer {access.keys[AUDITOR]}"), ("authorization", pair[1])])
        assert r.status_code == 401
    r = httpx.post(access.proxy.url + "/v1/messages", timeout=60, json={**body, "max_tokens": 8},
                   headers=[("x-api-key", str(access.keys[CALLER])), ("x-api-key", str(access.keys[ADMIN]))])
    assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"


def test_no_key_material_in_the_audit_store(access: Access) -> None:
    rows = execute(access.db_url, "SELECT * FROM audit_records")
    dump = "\n".join(repr(tuple(row)) for row in rows)
    for key in access.keys.values():
        if key:
            # gpk_<id>_<secret>: the secret is token_urlsafe and may itself hold "_" (so not rsplit: "…ZcB_4" gave "4").
            assert key not in dump and key.split("_", 2)[2] not in dump


def test_the_chain_still_verifies(access: Access) -> None:
    report = httpx.get(access.proxy.url + "/admin/audit/verify", headers=access.headers(AUDITOR), timeout=60).json()
    assert report["ok"] is True, report


# ---- timing-safe comparison: every lookup ends in one hmac.compare_digest of two SHA-256 digests ----------------

@pytest.fixture()
def key_store(tmp_path: Path) -> Iterator[tuple[KeyStore, asyncio.AbstractEventLoop]]:
    url = f"sqlite:///{tmp_path}/keys.db"
    upgrade(url)
    loop = asyncio.new_event_loop()
    engine = async_engine(url)
    yield KeyStore(engine, cache_ttl_s=0), loop
    loop.run_until_complete(engine.dispose())
    loop.close()


def test_key_comparison_is_constant_time_for_known_and_unknown_ids(
        key_store: tuple[KeyStore, asyncio.AbstractEventLoop], monkeypatch: pytest.MonkeyPatch) -> None:
    store, loop = key_store
    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest  # keys.py calls it through the hmac module: patch it there, keep the original

    def recording_compare(a: str, b: str) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(keys_module.hmac, "compare_digest", recording_compare)
    issued = loop.run_until_complete(store.create("eng", "alice"))
    revoked = loop.run_until_complete(store.create("eng", "bob"))
    loop.run_until_complete(store.revoke(revoked.caller.key_id))
    _, key_id, secret = issued.key.split("_", 2)

    def attempt(key: str) -> str:
        calls.clear()
        try:
            loop.run_until_complete(store.authenticate({"authorization": f"Bearer {key}"}))
            outcome = "accepted"
        except keys_module.Unauthorized:
            outcome = "refused"
        assert len(calls) == 1, f"{len(calls)} comparisons"
        stored, presented = calls[0]
        assert len(stored) == len(presented) == 64 and int(stored, 16) >= 0 and int(presented, 16) >= 0
        return outcome

    assert attempt(issued.key) == "accepted"
    wrong = secret[:-1] + ("y" if secret.endswith("x") else "x")      # a last character the secret does not have
    assert attempt(f"gpk_{key_id}_{wrong}") == "refused"               # known id, wrong secret
    assert attempt(f"gpk_0123456789ab_{secret}") == "refused"          # unknown id: compared against a dummy digest
    assert attempt(revoked.key) == "refused"                           # revoked: compared, then refused
    # The presented secret is never compared in the clear, and an unknown id is not compared against itself.
    attempt(f"gpk_fedcba987654_{secret}")
    assert secret not in calls[0] and calls[0][0] != calls[0][1]


def test_cached_keys_are_compared_the_same_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/keys.db"
    upgrade(url)
    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest
    monkeypatch.setattr(keys_module.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))

    async def go() -> list[str]:
        engine = async_engine(url)
        store = KeyStore(engine, cache_ttl_s=60)
        issued = await store.create("eng", "alice", Role.AUDITOR)
        outcomes = []
        for key in (issued.key, issued.key, issued.key[:-1] + "x"):  # miss, then cache hits (good and bad)
            try:
                outcomes.append((await store.authenticate({"x-api-key": key})).role.value)
            except keys_module.Unauthorized:
                outcomes.append("refused")
        await engine.dispose()
        return outcomes

    assert asyncio.run(go()) == ["auditor", "auditor", "refused"]
    assert len(calls) == 3 and all(len(a) == len(b) == 64 for a, b in calls)
