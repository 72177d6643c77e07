"""Detection and redaction end to end: canaries planted in every field type never reach the upstream, and the
caller gets them back restored, plain and streaming."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.canaries import CANARIES, SENTENCE, leaked
from tests.conftest import Proxy, Upstreams, start_proxy

REDACT_ALL = """apiVersion: govproxy/v1
default:
  action: redact
  redact:
    "*": placeholder
"""


@pytest.fixture(scope="module")
def redacting(upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    p = start_proxy(tmp_path_factory.mktemp("redacting"), upstreams, rules={"90-redact-all.yaml": REDACT_ALL})
    yield p
    p.process.stop()


def client(p: Proxy) -> openai.OpenAI:
    return openai.OpenAI(base_url=p.v1, api_key=p.key, max_retries=0)


def test_every_chat_field_is_redacted_and_restored(redacting: Proxy, upstreams: Upstreams) -> None:
    tool_args = json.dumps({"customer": CANARIES["PERSON"], "email": CANARIES["EMAIL_ADDRESS"]})
    messages = [
        {"role": "system", "content": f"You serve {CANARIES['PERSON']} (tax id {CANARIES['DE_TAX_ID']})."},
        {"role": "user", "content": [{"type": "text", "text": f"Card {CANARIES['CREDIT_CARD']}"},
                                     {"type": "text", "text": f"key {CANARIES['AWS_ACCESS_KEY_ID']}"}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": tool_args}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": f"found {CANARIES['EMAIL_ADDRESS']}"},
        {"role": "user", "content": SENTENCE},
    ]
    r = client(redacting).chat.completions.with_raw_response.create(model="external-chat", messages=messages)
    sent = upstreams.external.recorder.dump()
    assert leaked(sent) == [], sent
    assert "<PERSON_1>" in sent and "<EMAIL_ADDRESS_1>" in sent and "<DE_TAX_ID_1>" in sent
    # The same value gets the same placeholder in every field.
    body = upstreams.external.recorder.all()[0]["body"]
    assert body["messages"][0]["content"].count("<PERSON_1>") == 1
    assert "<PERSON_1>" in body["messages"][4]["content"]
    assert "<EMAIL_ADDRESS_1>" in body["messages"][2]["tool_calls"][0]["function"]["arguments"]
    assert r.headers["x-govproxy-decision"] == "redact"
    # The fake echoes the last user message: the caller sees the original values again.
    assert r.parse().choices[0].message.content == f"echo: {SENTENCE}"


def test_streamed_answer_is_restored_across_chunk_boundaries(redacting: Proxy, upstreams: Upstreams) -> None:
    for size in (1, 3, 7):
        upstreams.external.chunk_size = size
        chunks = list(client(redacting).chat.completions.create(
            model="external-chat", stream=True, messages=[{"role": "user", "content": SENTENCE}]))
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text == f"echo: {SENTENCE}"
    upstreams.external.chunk_size = 4
    assert leaked(upstreams.external.recorder.dump()) == []


def test_tool_call_arguments_are_restored(redacting: Proxy, upstreams: Upstreams) -> None:
    text = f"call_tool for {CANARIES['PERSON']} at {CANARIES['EMAIL_ADDRESS']}"
    done = client(redacting).chat.completions.create(model="external-chat",
                                                     messages=[{"role": "user", "content": text}])
    assert json.loads(done.choices[0].message.tool_calls[0].function.arguments) == {"query": text}
    stream = client(redacting).chat.completions.create(model="external-chat", stream=True,
                                                       messages=[{"role": "user", "content": text}])
    args = "".join(c.choices[0].delta.tool_calls[0].function.arguments or ""
                   for c in stream if c.choices and c.choices[0].delta.tool_calls)
    assert json.loads(args) == {"query": text}
    assert leaked(upstreams.external.recorder.dump()) == []


def test_completions_and_embeddings_inputs_are_redacted(redacting: Proxy, upstreams: Upstreams) -> None:
    c = client(redacting)
    comp = c.completions.create(model="external-chat", prompt=SENTENCE)
    assert comp.choices[0].text == f"echo: {SENTENCE}"
    c.embeddings.create(model="external-chat", input=[SENTENCE, f"only {CANARIES['EMAIL_ADDRESS']}"])
    c.embeddings.create(model="external-chat", input=SENTENCE)
    assert leaked(upstreams.external.recorder.dump()) == []
    assert len(upstreams.external.recorder.all()) == 3


def test_pseudonyms_are_stable_across_turns(redacting: Proxy, upstreams: Upstreams) -> None:
    first = {"role": "user", "content": f"I am {CANARIES['PERSON']}."}
    c = client(redacting)
    answer = c.chat.completions.create(model="external-chat", messages=[first]).choices[0].message.content
    c.chat.completions.create(model="external-chat", messages=[
        first, {"role": "assistant", "content": answer},
        {"role": "user", "content": f"Mail {CANARIES['EMAIL_ADDRESS']} about {CANARIES['PERSON']}."}])
    turn1, turn2 = (r["body"]["messages"] for r in upstreams.external.recorder.all())
    assert turn1[0]["content"] == turn2[0]["content"] == "I am <PERSON_1>."
    assert turn2[2]["content"] == "Mail <EMAIL_ADDRESS_1> about <PERSON_1>."
    assert leaked(upstreams.external.recorder.dump()) == []


CODE = """from starlette.requests import Request


class Route:
    def __init__(self, path: str, app: ASGIApp | None = None, routes: Sequence[BaseRoute] | None = None) -> None:
        self.path = path
        self.name = get_name(app) if name is None else name
        return match.group(1), inspect.isfunction(self.app)
"""


def test_code_reaches_the_model_as_written_but_its_secrets_do_not(redacting: Proxy, upstreams: Upstreams) -> None:
    prompt = f"Why does this fail?\n# maintainer: {CANARIES['EMAIL_ADDRESS']}\n{CODE}"
    out = client(redacting).chat.completions.create(model="external-chat",
                                                    messages=[{"role": "user", "content": prompt}])
    sent = upstreams.external.recorder.all()[-1]["body"]["messages"][0]["content"]
    assert sent == f"Why does this fail?\n# maintainer: <EMAIL_ADDRESS_1>\n{CODE}"
    assert out.choices[0].message.content == f"echo: {prompt}"


def test_unissued_lookalike_placeholders_stay(redacting: Proxy) -> None:
    text = f"Keep <PERSON_7> and <EMAIL_ADDRESS_9> but hide {CANARIES['PERSON']}"
    out = client(redacting).chat.completions.create(model="external-chat",
                                                    messages=[{"role": "user", "content": text}])
    assert out.choices[0].message.content == f"echo: {text}"


def test_canaries_in_logs_and_audit_store(redacting: Proxy, tmp_path: Path) -> None:
    assert leaked(redacting.process.logs()) == []
    db = Path(redacting.env["GOVPROXY_DATABASE_URL"].removeprefix("sqlite:///"))
    raw = db.read_bytes() + b"".join(p.read_bytes() for p in db.parent.glob(db.name + "-wal"))
    assert leaked(raw.decode("latin-1")) == []
