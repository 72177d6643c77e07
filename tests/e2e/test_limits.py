"""Per-key rate limits through the HTTP surface."""

from __future__ import annotations

from pathlib import Path

import httpx
import openai
import pytest

from tests.audit_db import execute
from tests.conftest import Proxy, Upstreams, start_proxy


def test_rate_limit_429_with_retry_after(upstreams: Upstreams, tmp_path: Path) -> None:
    p = start_proxy(tmp_path, upstreams, GOVPROXY_RATE_LIMIT_PER_MINUTE="3")
    try:
        body = {"model": "onprem-chat", "messages": [{"role": "user", "content": "hi"}]}
        headers = {"authorization": f"Bearer {p.key}"}
        codes = [httpx.post(p.v1 + "/chat/completions", json=body, headers=headers).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        r = httpx.post(p.v1 + "/chat/completions", json=body, headers=headers)
        assert r.status_code == 429
        assert r.json()["error"]["type"] == "rate_limit_error" and int(r.headers["retry-after"]) >= 1
        with pytest.raises(openai.RateLimitError):
            openai.OpenAI(base_url=p.v1, api_key=p.key, max_retries=0).chat.completions.create(**body)
        # One budget per key, whatever the dialect: the Anthropic endpoint answers in its own error shape.
        r = httpx.post(p.v1 + "/messages", headers={"x-api-key": p.key}, json={
            "model": "claude-external", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]})
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert r.json()["type"] == "error" and r.json()["error"]["type"] == "rate_limit_error"
        # Admin routes spend the same per-key budget (the auditor key's first three reads pass); the 429 is audited.
        auditor = {"authorization": f"Bearer {p.auditor_key}"}
        codes = [httpx.get(p.url + "/admin/audit/stats", headers=auditor).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        r = httpx.get(p.url + "/admin/audit/export", headers=auditor)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert r.json()["error"]["code"] == "rate_limit_exceeded"
        page = httpx.get(p.url + "/admin/", headers=auditor)
        assert page.status_code == 429 and int(page.headers["retry-after"]) >= 1
        rows = execute(p.env["GOVPROXY_DATABASE_URL"],
                       "SELECT o.outcome FROM audit_records r JOIN audit_outcomes o ON o.record_id = r.id "
                       "WHERE r.request_id = :rid", rid=r.headers["x-request-id"])
        assert [tuple(row) for row in rows] == [("rate_limited",)]
        # Another key has its own budget.
        r = httpx.post(p.v1 + "/chat/completions", json=body, headers={"authorization": f"Bearer {p.admin_key}"})
        assert r.status_code == 200
        assert len(upstreams.onprem.recorder.all()) == 4
    finally:
        p.process.stop()


def test_oversized_anthropic_body_413_in_anthropic_shape(proxy: Proxy, upstreams: Upstreams) -> None:
    big = {"model": "claude-external", "max_tokens": 8, "messages": [{"role": "user", "content": "x" * (5 << 20)}]}
    r = httpx.post(proxy.v1 + "/messages", json=big, headers={"x-api-key": proxy.key})
    assert r.status_code == 413
    assert r.json()["type"] == "error" and r.json()["error"]["type"] == "request_too_large"
    assert upstreams.external.recorder.all() == []
