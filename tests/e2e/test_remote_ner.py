"""GOVPROXY_REMOTE_NER_URL end to end: the proxy sends each text to a remote NER service (Presidio analyzer's
`/analyze` shape, here a fake started on 127.0.0.1), merges its findings and redacts them before the external
upstream; when the service errs, times out or answers garbage, the request is refused, audited, and never forwarded.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import openai
import pytest

from tests.conftest import Proxy, Upstreams, start_proxy
from tests.fakes.remote_ner import FakeNerState, fake_ner_app
from tests.fault_checks import audit_rows
from tests.harness import ThreadedServer

# Words no local recognizer takes for a name: only the remote model knows them.
REMOTE_NAME = "Quibbleton Varga-Ostrowe"
PROMPT = f"please ask quibbly, I mean {REMOTE_NAME}, to review the release notes."


@pytest.fixture(scope="module")
def ner() -> Iterator[tuple[FakeNerState, str]]:
    state = FakeNerState({REMOTE_NAME: "PERSON"})
    server = ThreadedServer(fake_ner_app(state)).start()
    yield state, server.url + "/analyze"
    server.stop()


@pytest.fixture(scope="module")
def remote_proxy(upstreams: Upstreams, ner: tuple[FakeNerState, str],
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    p = start_proxy(tmp_path_factory.mktemp("remote-ner"), upstreams, GOVPROXY_REMOTE_NER_URL=ner[1],
                    GOVPROXY_REMOTE_NER_TIMEOUT_S="1")
    yield p
    p.process.stop()


def _client(p: Proxy) -> openai.OpenAI:
    return openai.OpenAI(base_url=p.v1, api_key=p.key, max_retries=0)


@pytest.fixture(autouse=True)
def _reset(ner: tuple[FakeNerState, str]) -> None:
    ner[0].behaviour = "ok"
    ner[0].recorder.clear()


def test_remote_findings_are_merged_and_redacted(remote_proxy: Proxy, upstreams: Upstreams,
                                                  ner: tuple[FakeNerState, str]) -> None:
    messages = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": PROMPT}]
    answer = _client(remote_proxy).chat.completions.create(model="external-chat", messages=messages)
    sent = upstreams.external.recorder.dump()
    assert REMOTE_NAME not in sent and "Quibbleton" not in sent
    assert "<PERSON_1>" in sent
    assert REMOTE_NAME in (answer.choices[0].message.content or "")  # restored for the caller
    requests = ner[0].recorder.all()
    assert {r["body"]["text"] for r in requests} == {"You are terse.", PROMPT}  # every text field, one request each
    assert all(set(r["body"]) >= {"text", "language"} for r in requests)


@pytest.mark.parametrize("behaviour", ["error500", "timeout", "garbage"])
def test_remote_failure_refuses_the_request(behaviour: str, remote_proxy: Proxy, upstreams: Upstreams,
                                            ner: tuple[FakeNerState, str]) -> None:
    ner[0].behaviour = behaviour
    with pytest.raises(openai.APIStatusError) as err:
        _client(remote_proxy).chat.completions.with_raw_response.create(
            model="external-chat", messages=[{"role": "user", "content": PROMPT}])
    assert err.value.status_code == 503
    body = err.value.response.json()["error"]
    assert body["code"] == "remote_ner_unavailable" and REMOTE_NAME not in err.value.response.text
    assert ner[0].recorder.all(), "the remote service was asked"
    assert upstreams.external.recorder.all() == [] and upstreams.onprem.recorder.all() == []
    request_id = err.value.response.headers["x-request-id"]
    deadline = time.time() + 15
    while (row := audit_rows(remote_proxy.env["GOVPROXY_DATABASE_URL"]).get(request_id)) is None \
            and time.time() < deadline:
        time.sleep(0.2)
    assert row is not None and row["error_status"] == 503 and row["target"] is None
    assert REMOTE_NAME not in remote_proxy.process.logs()
