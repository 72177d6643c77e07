"""Provider-side storage is a policy decision: a request that asks an external provider to keep it (`store: true`)
is sent with `store: false` unless the deciding rule allows it, and the audit record says what was sent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Proxy, Upstreams, start_proxy

ALLOW_STORAGE = """apiVersion: govproxy/v1
rules:
  - name: evals-may-be-stored
    match: {teams: [eng], models: [external-chat]}
    action: allow
    providerStorage: true
default:
  action: allow
"""


def ask(p: Proxy, **extra: Any) -> httpx.Response:
    r = httpx.post(p.v1 + "/chat/completions", headers={"authorization": f"Bearer {p.key}"}, timeout=30,
                   json={"model": "external-chat", "messages": [{"role": "user", "content": "What is two plus two?"}],
                         **extra})
    assert r.status_code == 200, r.text
    return r


def detail(p: Proxy, request_id: str) -> Any:
    r = httpx.get(p.url + "/admin/audit", params={"kind": "request", "limit": 100}, timeout=30,
                  headers={"authorization": f"Bearer {p.auditor_key}"})
    return next(rec for rec in r.json()["data"] if rec["request_id"] == request_id)["detail"]


def test_the_shipped_policy_sends_store_false_to_external_targets(proxy: Proxy, upstreams: Upstreams) -> None:
    r = ask(proxy, store=True)
    assert upstreams.external.recorder.all()[-1]["body"]["store"] is False
    assert detail(proxy, r.headers["x-request-id"]) == {"store_requested": True, "store_sent": False}
    r = ask(proxy)
    assert "store" not in upstreams.external.recorder.all()[-1]["body"]
    assert detail(proxy, r.headers["x-request-id"]) is None


@pytest.fixture(scope="module")
def storing(upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    p = start_proxy(tmp_path_factory.mktemp("storing"), upstreams, rules={"50-storage.yaml": ALLOW_STORAGE})
    yield p
    p.process.stop()


def test_a_rule_may_allow_provider_storage(storing: Proxy, upstreams: Upstreams) -> None:
    r = ask(storing, store=True)
    assert upstreams.external.recorder.all()[-1]["body"]["store"] is True
    assert detail(storing, r.headers["x-request-id"]) == {"store_requested": True, "store_sent": True}
