"""Routing that respects the rules, through the real SDK with two fake upstreams (one on-prem, one external)."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.canaries import CANARIES, leaked
from tests.conftest import Proxy, Upstreams


def post(proxy: Proxy, model: str, text: str, **headers: str) -> httpx.Response:
    return httpx.post(proxy.v1 + "/chat/completions", timeout=60,
                      headers={"authorization": f"Bearer {proxy.key}", **headers},
                      json={"model": model, "messages": [{"role": "user", "content": text}]})


def test_secret_is_blocked_and_sent_nowhere(proxy: Proxy, upstreams: Upstreams) -> None:
    r = post(proxy, "external-chat", f"deploy with {CANARIES['AWS_ACCESS_KEY_ID']} please")
    assert r.status_code == 403
    err = r.json()["error"]
    assert err["code"] == "policy_blocked" and "block-secrets" in err["message"]
    assert leaked(r.text) == []
    assert r.headers["x-govproxy-decision"] == "block" and r.headers["x-govproxy-policy-version"]
    assert upstreams.onprem.recorder.all() == [] and upstreams.external.recorder.all() == []
    with pytest.raises(openai.PermissionDeniedError):
        openai.OpenAI(base_url=proxy.v1, api_key=proxy.key, max_retries=0).chat.completions.create(
            model="onprem-chat", messages=[{"role": "user", "content": f"key {CANARIES['AWS_ACCESS_KEY_ID']}"}])


def test_national_id_goes_onprem_even_when_external_was_asked(proxy: Proxy, upstreams: Upstreams) -> None:
    r = post(proxy, "external-chat", f"My Steuer-ID is {CANARIES['DE_TAX_ID']}.")
    assert r.status_code == 200, r.text
    assert r.headers["x-govproxy-route"].startswith("onprem-chat")
    assert r.headers["x-govproxy-decision"] == "route"
    assert upstreams.external.recorder.all() == []
    # On-prem is cleared for it: the value travels unredacted there, and comes back.
    assert CANARIES["DE_TAX_ID"] in upstreams.onprem.recorder.dump()
    assert CANARIES["DE_TAX_ID"] in r.json()["choices"][0]["message"]["content"]


def test_restricted_never_reaches_external_even_when_onprem_is_down(proxy: Proxy, upstreams: Upstreams) -> None:
    # dead-onprem's catalogue fallbacks are [onprem-chat, external-chat]; take on-prem down too.
    upstreams.onprem.behaviour = "error500"
    r = post(proxy, "dead-onprem", f"Steuer-ID {CANARIES['DE_TAX_ID']}")
    assert r.status_code == 503
    err = r.json()["error"]
    assert err["code"] == "no_compliant_target" and "Nothing was sent anywhere else" in err["message"]
    assert leaked(r.text) == []
    assert upstreams.external.recorder.all() == []


def test_header_raises_classification_never_lowers(proxy: Proxy, upstreams: Upstreams) -> None:
    r = post(proxy, "external-chat", "harmless text", **{"x-data-classification": "restricted"})
    assert r.status_code == 200 and r.headers["x-govproxy-route"].startswith("onprem-chat")
    assert upstreams.external.recorder.all() == []
    r = post(proxy, "external-chat", f"Steuer-ID {CANARIES['DE_TAX_ID']}", **{"x-data-classification": "public"})
    assert r.status_code == 200 and r.headers["x-govproxy-route"].startswith("onprem-chat")
    assert upstreams.external.recorder.all() == []
    r = post(proxy, "external-chat", "x", **{"x-data-classification": "top-secret"})
    assert r.status_code == 400 and "x-data-classification" in r.json()["error"]["message"]


def test_auto_alias_picks_by_classification(proxy: Proxy, upstreams: Upstreams) -> None:
    r = post(proxy, "auto", "Summarise the quarterly plan in three bullet points.")
    assert r.status_code == 200 and r.headers["x-govproxy-route"].startswith("external-chat")
    r = post(proxy, "auto", f"Steuer-ID {CANARIES['DE_TAX_ID']}")
    assert r.status_code == 200 and r.headers["x-govproxy-route"].startswith("onprem-chat")
    assert CANARIES["DE_TAX_ID"] not in upstreams.external.recorder.dump()


def test_ordinary_questions_go_out_personal_data_about_someone_stays_in(proxy: Proxy, upstreams: Upstreams) -> None:
    """A place or a public figure alone is not confidential: `auto` sends it out (pseudonymised: a place may be a
    street address); personal data about someone (a name with a phone number, with where they live) stays on-prem."""
    client = openai.OpenAI(base_url=proxy.v1, api_key=proxy.key, max_retries=0)

    def ask(text: str) -> str:
        raw = client.chat.completions.with_raw_response.create(
            model="auto", messages=[{"role": "user", "content": text}])
        return raw.headers["x-govproxy-route"]

    assert ask("What is the capital of France?").startswith("external-chat")
    assert ask("Who was Angela Merkel?").startswith("external-chat")
    assert ask("Explain the difference between a list and a tuple.").startswith("external-chat")
    sent = upstreams.external.recorder.dump()
    assert "What is the capital of <LOCATION_1>?" in sent and "France" not in sent
    assert "Who was <PERSON_1>?" in sent and "Merkel" not in sent
    assert "Explain the difference between a list and a tuple." in sent
    upstreams.external.recorder.clear()
    assert ask("Call John Smith on +44 20 7946 0958 about the renewal.").startswith("onprem-chat")
    assert ask("Anna Schmidt lives in Munich; write her a birthday card.").startswith("onprem-chat")
    assert upstreams.external.recorder.all() == []
    assert "John Smith" in upstreams.onprem.recorder.dump()  # on-prem is cleared for it: sent as written


def test_models_endpoint_lists_policy_aliases(proxy: Proxy) -> None:
    ids = {m.id for m in openai.OpenAI(base_url=proxy.v1, api_key=proxy.key).models.list()}
    assert {"onprem-chat", "external-chat", "auto"} <= ids
