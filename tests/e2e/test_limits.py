"""Per-key rate limits through the HTTP surface."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import openai
import pytest

from tests.audit_db import execute
from tests.canaries import CANARIES, leaked
from tests.conftest import Proxy, Upstreams, start_proxy
from tests.fault_checks import audit_rows, audit_store_text


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


def test_text_over_the_scan_budget_413_audited_nothing_sent(upstreams: Upstreams, tmp_path: Path) -> None:
    """More text than GOVPROXY_MAX_TEXT_CHARS (all fields together) is refused before detection and routing."""
    p = start_proxy(tmp_path, upstreams, GOVPROXY_MAX_TEXT_CHARS="5000")
    try:
        client = openai.OpenAI(base_url=p.v1, api_key=p.key, max_retries=0)
        secret = CANARIES["EMAIL_ADDRESS"]
        messages = [{"role": "system", "content": "a" * 3000},
                    {"role": "user", "content": f"mail {secret} " + "b" * 2000}]
        with pytest.raises(openai.APIStatusError) as info:
            client.chat.completions.create(model="onprem-chat", messages=messages)
        err = info.value
        assert err.status_code == 413
        body = err.response.json()["error"]
        assert body["code"] == "text_too_long" and body["type"] == "invalid_request_error"
        assert "limit is 5000" in body["message"] and "GOVPROXY_MAX_TEXT_CHARS" in body["message"]
        rid = err.response.headers["x-request-id"]
        db = p.env["GOVPROXY_DATABASE_URL"]
        deadline = time.time() + 10
        while not audit_rows(db).get(rid, {}).get("outcome") and time.time() < deadline:
            time.sleep(0.1)
        record = audit_rows(db)[rid]
        assert (record["outcome"], record["error_status"]) == ("bad_request", 413)
        assert upstreams.onprem.recorder.all() == [] and upstreams.external.recorder.all() == []
        # The same text split under the limit passes: the budget is per request, not per conversation.
        ok = client.chat.completions.create(model="onprem-chat", messages=[messages[0]])
        assert ok.choices[0].message.content
        logs = p.process.logs()
        assert rid in logs and not leaked(logs)
        assert not leaked(audit_store_text(db))
    finally:
        p.process.stop()
