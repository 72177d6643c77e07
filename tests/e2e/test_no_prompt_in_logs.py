"""Logs carry ids, names, counts and timings; never prompt or response text, on success or failure."""

from __future__ import annotations

import json

import httpx
import openai

from tests.canaries import SENTENCE, leaked
from tests.conftest import Proxy


def test_logs_hold_no_prompt_text(proxy: Proxy) -> None:
    marker = "zebra-quokka-unlikely-phrase"
    client = openai.OpenAI(base_url=proxy.v1, api_key=proxy.key, max_retries=0)
    client.chat.completions.create(model="onprem-chat", messages=[{"role": "user", "content": f"{marker} ok"}])
    list(client.chat.completions.create(model="onprem-chat", stream=True,
                                        messages=[{"role": "user", "content": f"{marker} stream"}]))
    # Failures too: invalid types (pydantic would quote the input), unknown model, upstream errors.
    h = {"authorization": f"Bearer {proxy.key}"}
    httpx.post(proxy.v1 + "/chat/completions", headers=h,
               json={"model": "onprem-chat", "messages": [{"role": "user", "content": 12, "x": marker}]})
    httpx.post(proxy.v1 + "/chat/completions", headers=h,
               json={"model": "nope", "messages": [{"role": "user", "content": SENTENCE}]})
    httpx.post(proxy.v1 + "/embeddings", headers=h, json={"model": "onprem-chat", "input": {"bad": SENTENCE}})
    logs = proxy.process.logs()
    assert marker not in logs
    assert leaked(logs) == []
    events = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    stages = [e for e in events if e.get("event") == "stage"]
    assert stages and all(e.get("request_id", "").startswith("req_") for e in stages)
    assert {"identify", "parse", "route"} <= {e["stage"] for e in stages}


def test_error_bodies_do_not_echo_input(proxy: Proxy) -> None:
    h = {"authorization": f"Bearer {proxy.key}"}
    r = httpx.post(proxy.v1 + "/chat/completions", headers=h,
                   json={"model": "onprem-chat", "messages": [{"role": "user", "content": {"t": SENTENCE}}]})
    assert r.status_code == 400 and leaked(r.text) == []
    r = httpx.post(proxy.v1 + "/completions", headers=h, json={"model": "onprem-chat", "prompt": [{"p": SENTENCE}]})
    assert r.status_code == 400 and leaked(r.text) == []
