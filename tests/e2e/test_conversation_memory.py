"""Conversation memory end to end, through the OpenAI SDK to an external model with the shipped policy: a value
the detector finds in one turn (only because a cue marks it there) is redacted, or blocked, in every later turn of
the same conversation where the detector alone misses it. The recording fake upstream never sees it.

The values are marked by company recognizers that need their cue (`codename …`, `case …`), as a name is marked
by `my colleague …`; later turns repeat them bare. Each test also shows the premise: the same bare text in
another conversation goes out as it is, because the detector does not find it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from tests.conftest import Proxy, Upstreams, start_proxy
from tests.harness import REPO, create_key

CODENAME = "Quokka42"
CASE = "Z-4410"
PLACEHOLDER = re.compile(r"<[A-Z_]+_\d+>")
# The shipped recognizers plus two that only fire after their cue word. CASE_NUMBER has no level in the
# classification, so it counts as confidential (`unlisted`) and no rule redacts it: to an external model it is
# blocked.
CUED = """
  - name: codename-after-its-cue
    entity_type: PROJECT_CODENAME
    regex: '(?<=codename is )[A-Z][a-z]+[0-9]{2}\\b'
    score: 0.9
  - name: case-number-after-its-cue
    entity_type: CASE_NUMBER
    regex: '(?<=case )[A-Z]-[0-9]{4}\\b'
    score: 0.9
"""


def recognizers() -> str:
    shipped = (REPO / "policies" / "recognizers.yaml").read_text()
    anchor = "    context: [employee, personalnummer, mitarbeiter]\n"
    assert anchor in shipped
    return shipped.replace(anchor, anchor + CUED.lstrip("\n"))


@pytest.fixture(scope="module")
def cued_proxy(upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    p = start_proxy(tmp_path_factory.mktemp("memory"), upstreams, recognizers=recognizers())
    yield p
    p.process.stop()


def chat(proxy: Proxy, messages: list[dict[str, Any]], conversation: str | None = None,
         key: str | None = None) -> tuple[int, str]:
    """(status, answer text or error code) for one turn."""
    client = openai.OpenAI(base_url=proxy.v1, api_key=key or proxy.key, max_retries=0)
    headers = {"x-govproxy-conversation-id": conversation} if conversation else None
    try:
        answer = client.chat.completions.create(model="external-chat", messages=messages,  # type: ignore[arg-type]
                                                extra_headers=headers)
    except openai.APIStatusError as exc:
        return exc.status_code, exc.response.json()["error"]["code"]
    return 200, answer.choices[0].message.content or ""


def last_sent(up: Upstreams) -> dict[str, Any]:
    sent = up.external.recorder.all()
    assert sent, "nothing reached the external model"
    return sent[-1]["body"]


def test_three_turn_chat_redacts_a_value_the_detector_misses_in_turn_three(cued_proxy: Proxy,
                                                                           upstreams: Upstreams) -> None:
    system = {"role": "system", "content": "You help the product team write short messages."}
    turns = ["Our new codename is Quokka42; please draft the kickoff mail.",
             "Make it shorter and friendlier.",
             "Who else should hear about Quokka42 before Friday?"]
    messages: list[dict[str, Any]] = [system]
    for n, text in enumerate(turns, start=1):
        messages.append({"role": "user", "content": text})
        status, answer = chat(cued_proxy, messages)  # no header: the conversation is known by its opening
        assert status == 200, (n, answer)
        body = last_sent(upstreams)
        assert CODENAME not in str(body), f"turn {n} sent the code name"
        if CODENAME in text:
            assert PLACEHOLDER.search(body["messages"][-1]["content"]), body["messages"][-1]
            assert CODENAME in answer  # the echo is restored for the caller
        messages.append({"role": "assistant", "content": answer})
    # Premise: the third turn alone, opening another conversation, is not found by the detector.
    status, _ = chat(cued_proxy, [system, {"role": "user", "content": turns[2]}])
    assert status == 200 and CODENAME in str(last_sent(upstreams))
    assert CODENAME not in cued_proxy.process.logs()


def test_the_conversation_id_carries_the_memory_when_history_is_trimmed(cued_proxy: Proxy,
                                                                        upstreams: Upstreams) -> None:
    first = [{"role": "user", "content": "Our new codename is Quokka42; please draft the kickoff mail."}]
    assert chat(cued_proxy, first, "conv-trimmed")[0] == 200
    later = [{"role": "user", "content": "Who else should hear about Quokka42 before Friday?"}]
    status, answer = chat(cued_proxy, later, "conv-trimmed")
    assert status == 200 and CODENAME in answer
    sent = last_sent(upstreams)["messages"][-1]["content"]
    assert CODENAME not in sent and PLACEHOLDER.search(sent)
    # Another conversation id, or another caller with the same id, shares nothing.
    assert chat(cued_proxy, later, "conv-other")[0] == 200
    assert CODENAME in str(last_sent(upstreams))
    other_key = create_key(cued_proxy.env, "sales", "mallory")
    assert chat(cued_proxy, later, "conv-trimmed", key=other_key)[0] == 200
    assert CODENAME in str(last_sent(upstreams))


def test_a_value_blocked_in_one_turn_stays_blocked_when_repeated_without_its_cue(cued_proxy: Proxy,
                                                                                upstreams: Upstreams) -> None:
    turn1 = [{"role": "user", "content": "Please file this under case Z-4410 today."}]
    assert chat(cued_proxy, turn1, "conv-blocked") == (403, "policy_blocked")
    turn2 = [{"role": "user", "content": "Any news on Z-4410?"}]
    assert chat(cued_proxy, turn2, "conv-blocked") == (403, "policy_blocked")
    assert upstreams.external.recorder.all() == []
    # Premise: bare, in a conversation that never saw its cue, the detector lets it through.
    assert chat(cued_proxy, turn2, "conv-fresh")[0] == 200
    assert CASE in str(last_sent(upstreams))
