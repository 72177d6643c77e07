"""Upstream failures that are not the caller's, through the HTTP surface with fake upstreams: a target that takes
the request and does not answer in time falls back to the next COMPLIANT target (never across the decision's
location or clearance); an upstream that has no such model or endpoint, and a model asked for on an endpoint it
does not serve, say so; a body litellm would refuse is the caller's invalid request and nothing leaves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.audit_db import execute
from tests.conftest import Proxy, Upstreams, catalogue_for
from tests.fakes.openai_upstream import FakeState, fake_app
from tests.fault_checks import Call, Client, wait_for_outcomes
from tests.harness import ProxyProcess, ThreadedServer, base_env, create_key, write_policies

HARMLESS = "Summarise the quarterly plan in three bullet points."
SLOW_S = 6.0  # the slow fake's delay: longer than its targets' 1 s timeout (and the one retry)


@dataclass
class Setup:
    proxy: Proxy
    slow: FakeState    # behind the slow-* targets; answers after SLOW_S
    wrong: FakeState   # behind wrong-endpoint: knows /v1/chat/completions only for the test that says so


def _models(up: Upstreams, slow_url: str, wrong_url: str) -> list[dict[str, Any]]:
    slow = {"model": "openai/fake-slow", "api_base": slow_url + "/v1", "timeout_s": 1}
    return [
        *catalogue_for(up),
        # external-chat is listed first: the decision drops it (another location), so it is never tried.
        {**slow, "alias": "slow-onprem", "location": "onprem", "clearance": "restricted",
         "capabilities": ["chat", "completions"], "fallbacks": ["external-chat", "onprem-chat"]},
        {**slow, "alias": "slow-onprem-alone", "location": "onprem", "clearance": "restricted",
         "capabilities": ["chat"], "fallbacks": ["external-chat"]},
        # external-chat is cleared for internal only: a fallback for internal data, never for confidential.
        {**slow, "alias": "slow-external", "location": "external", "clearance": "confidential",
         "capabilities": ["chat"], "fallbacks": ["external-chat"]},
        {"alias": "wrong-endpoint", "model": "openai/fake-wrong", "api_base": wrong_url + "/v1",
         "location": "onprem", "clearance": "restricted", "capabilities": ["chat", "completions"]},
    ]


@pytest.fixture(scope="module")
def setup(upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    slow, wrong = FakeState("slow"), FakeState("wrong")
    s_slow = ThreadedServer(fake_app(slow)).start()
    # A chat-only OpenAI-compatible server: /v1/completions is not there (404).
    chat_only = fake_app(wrong)
    chat_only.router.routes = [r for r in chat_only.router.routes if getattr(r, "path", "") == "/v1/chat/completions"]
    s_wrong = ThreadedServer(chat_only).start()
    workdir = tmp_path_factory.mktemp("fallback")
    policies = write_policies(workdir / "policies", _models(upstreams, s_slow.url, s_wrong.url))
    env = base_env(GOVPROXY_DATABASE_URL=f"sqlite:///{workdir}/govproxy.db", GOVPROXY_POLICIES_DIR=str(policies),
                   GOVPROXY_TEST_CWD=str(workdir))
    key, admin = create_key(env, "eng", "alice"), create_key(env, "platform", "root", "admin")
    proc = ProxyProcess(workdir, env).start()
    slow.delay_s = SLOW_S
    yield Setup(Proxy(proc.url, key, admin, admin, env, proc, workdir), slow, wrong)
    proc.stop()
    s_slow.stop()
    s_wrong.stop()


def _outcome(p: Proxy, call: Call) -> dict[str, Any]:
    wait_for_outcomes(p.env["GOVPROXY_DATABASE_URL"], [call])
    rows = execute(p.env["GOVPROXY_DATABASE_URL"],
                   "SELECT o.outcome, o.target, o.attempted, o.error_status, o.error_class, r.targets "
                   "FROM audit_records r JOIN audit_outcomes o ON o.record_id = r.id WHERE r.request_id = :rid",
                   rid=call.request_id)
    assert len(rows) == 1, rows
    outcome, target, attempted, status, error_class, targets = rows[0]

    def as_list(v: Any) -> list[str]:
        return v if isinstance(v, list) else json.loads(v)

    return {"outcome": outcome, "target": target, "attempted": as_list(attempted), "error_status": status,
            "error_class": error_class, "targets": as_list(targets)}


@pytest.mark.parametrize("kind", ["chat", "stream"])
def test_timed_out_primary_falls_back_to_the_compliant_target(setup: Setup, upstreams: Upstreams,
                                                              kind: str) -> None:
    call = Client(setup.proxy).send(kind, "slow-onprem", HARMLESS)
    assert call.status == 200 and call.errors == [], call.text[-300:]
    if kind == "chat":
        assert call.nonce in call.text
    assert call.headers["x-govproxy-route"] == "onprem-chat; location=onprem"
    assert len(setup.slow.recorder.all()) >= 1            # the primary was tried (and did not answer in time)
    assert len(upstreams.onprem.recorder.all()) == 1      # the fallback answered
    assert upstreams.external.recorder.all() == []        # listed as a fallback, but across the location boundary
    audit = _outcome(setup.proxy, call)
    assert audit["targets"] == ["slow-onprem", "onprem-chat"]
    assert (audit["outcome"], audit["target"], audit["attempted"]) == ("allowed", "onprem-chat",
                                                                       ["slow-onprem", "onprem-chat"])
    setup.slow.recorder.clear()


def test_timeout_never_falls_back_across_a_location(setup: Setup, upstreams: Upstreams) -> None:
    call = Client(setup.proxy).send("chat", "slow-onprem-alone", HARMLESS)
    assert call.status == 504 and call.error_code() == "upstream_timeout", call.text
    assert upstreams.external.recorder.all() == [] and upstreams.onprem.recorder.all() == []
    audit = _outcome(setup.proxy, call)
    assert (audit["outcome"], audit["target"], audit["attempted"], audit["error_status"]) == (
        "upstream_error", "slow-onprem-alone", ["slow-onprem-alone"], 504)
    setup.slow.recorder.clear()


def test_timeout_falls_back_only_where_the_clearance_allows(setup: Setup, upstreams: Upstreams) -> None:
    client = Client(setup.proxy)
    # Internal data: external-chat (cleared for internal, same location) may take it.
    ok = client.send("chat", "slow-external", HARMLESS)
    assert ok.status == 200 and ok.headers["x-govproxy-route"] == "external-chat; location=external", ok.text
    assert len(upstreams.external.recorder.all()) == 1
    upstreams.external.recorder.clear()
    # Confidential data (the caller says so): external-chat is not cleared for it; the timeout is the answer.
    with httpx.Client(timeout=60) as http:
        r = http.post(setup.proxy.v1 + "/chat/completions", headers={
            "authorization": f"Bearer {setup.proxy.key}", "x-data-classification": "confidential"},
            json={"model": "slow-external", "messages": [{"role": "user", "content": HARMLESS}]})
    assert r.status_code == 504 and r.json()["error"]["code"] == "upstream_timeout", r.text
    assert upstreams.external.recorder.all() == []
    assert HARMLESS not in r.text
    setup.slow.recorder.clear()


def test_upstream_without_the_endpoint_is_a_502_that_says_so(setup: Setup) -> None:
    client = Client(setup.proxy)
    r = httpx.post(setup.proxy.v1 + "/completions", timeout=60, headers={"authorization": f"Bearer {setup.proxy.key}"},
                   json={"model": "wrong-endpoint", "prompt": HARMLESS})
    assert r.status_code == 502, r.text
    err = r.json()["error"]
    assert err["code"] == "upstream_not_found" and "wrong-endpoint" in err["message"] and "404" in err["message"]
    assert "catalogue" in err["message"] and HARMLESS not in r.text
    # The same target serves chat.
    assert client.send("chat", "wrong-endpoint", HARMLESS).status == 200


def test_model_on_an_endpoint_it_does_not_serve_is_a_404(setup: Setup, upstreams: Upstreams) -> None:
    r = httpx.post(setup.proxy.v1 + "/completions", timeout=60, headers={"authorization": f"Bearer {setup.proxy.key}"},
                   json={"model": "claude-external", "prompt": HARMLESS})
    assert r.status_code == 404, r.text
    err = r.json()["error"]
    assert err["type"] == "invalid_request_error" and err["code"] == "model_not_supported" and err["param"] == "model"
    assert "claude-external" in err["message"] and "/v1/chat/completions" in err["message"]
    assert upstreams.external.recorder.all() == []


def test_unknown_content_part_is_refused_as_invalid_and_audited_so(setup: Setup, upstreams: Upstreams) -> None:
    with httpx.Client(timeout=60) as http:
        r = http.post(setup.proxy.v1 + "/chat/completions", headers={"authorization": f"Bearer {setup.proxy.key}"},
                      json={"model": "onprem-chat", "messages": [{"role": "user", "content": [
                          {"type": "no-such-part", "text": HARMLESS}]}]})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error", r.text
    assert r.json()["error"]["param"] == "messages.0.content.0.type" and HARMLESS not in r.text
    assert upstreams.onprem.recorder.all() == []
    call = Call("", request_id=r.headers["x-request-id"])
    audit = _outcome(setup.proxy, call)
    assert (audit["outcome"], audit["target"], audit["attempted"], audit["error_class"]) == (
        "bad_request", None, [], "BadRequest")
