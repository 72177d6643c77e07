"""Restoring streamed chunks: tokens split across chunks, per choice and field, and nothing held needlessly."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.redaction.encrypt import encrypt
from proxy.redaction.keys import RedactionKeys
from proxy.redaction.pseudonyms import PseudonymMap
from proxy.response.sse import StreamRestorer, restore_stream

KEYS = RedactionKeys.from_secret("test-secret-for-sse")
VALUES = {"PERSON": ["Anna Berg", "Bob", *[f"P{i}" for i in range(3, 12)]], "EMAIL_ADDRESS": ["a@b.de"]}


def make_map() -> PseudonymMap:
    """PERSON_1 .. PERSON_11 (so <PERSON_1 is a prefix of <PERSON_10> and <PERSON_11>), an email, an encrypt token."""
    pmap = PseudonymMap()
    for entity, values in VALUES.items():
        for v in values:
            pmap.placeholder_for(entity, v)
    pmap.register(encrypt("PERSON", 'Eve "E"', KEYS), "PERSON", 'Eve "E"')
    return pmap


SEALED = encrypt("PERSON", 'Eve "E"', KEYS)


def chunk(content: str | None = None, finish: str | None = None, index: int = 0, **delta: Any) -> dict[str, Any]:
    d: dict[str, Any] = dict(delta)
    if content is not None:
        d["content"] = content
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": index, "delta": d, "finish_reason": finish}]}


def contents(chunks: Iterable[dict[str, Any]], index: int = 0, field: str = "content") -> list[str]:
    out = []
    for c in chunks:
        for choice in c.get("choices") or []:
            if choice.get("index") == index and (choice.get("delta") or {}).get(field) is not None:
                out.append(choice["delta"][field])
    return out


def arguments(chunks: Iterable[dict[str, Any]], index: int = 0) -> dict[int, str]:
    out: dict[int, str] = {}
    for c in chunks:
        for choice in c.get("choices") or []:
            for call in (choice.get("delta") or {}).get("tool_calls") or []:
                if choice.get("index") == index:
                    out[call["index"]] = out.get(call["index"], "") + call["function"].get("arguments", "")
    return out


def split(text: str, cuts: list[int]) -> list[str]:
    pieces, i, k = [], 0, 0
    while i < len(text):
        n = cuts[k % len(cuts)]
        pieces.append(text[i:i + n])
        i, k = i + n, k + 1
    return pieces


def run(chunks: list[dict[str, Any]], pmap: PseudonymMap) -> list[dict[str, Any]]:
    async def source() -> AsyncIterator[dict[str, Any]]:
        for c in chunks:
            yield c

    async def collect() -> list[dict[str, Any]]:
        return [c async for c in restore_stream(source(), pmap)]

    return asyncio.run(collect())


TEXT = f"Dear <PERSON_1>, <PERSON_10> and {SEALED} wrote to <EMAIL_ADDRESS_1>; <PERSON_99> is not ours."
RESTORED = 'Dear Anna Berg, P10 and Eve "E" wrote to a@b.de; <PERSON_99> is not ours.'


@pytest.mark.parametrize("cuts", [[len(TEXT) // 2], [9, 20], [7, 1, 3], [2], [1]],
                         ids=["2 chunks", "3 chunks", "uneven", "many", "one char each"])
def test_split_placeholders_are_restored_exactly(cuts: list[int]) -> None:
    pieces = split(TEXT, cuts)
    out = run([chunk(p) for p in pieces] + [chunk(finish="stop")], make_map())
    assert "".join(contents(out)) == RESTORED
    assert len(out) == len(pieces) + 1  # one chunk out per chunk in: ids, order and finish chunk kept


def test_nothing_is_held_when_no_token_prefix_is_pending() -> None:
    r = StreamRestorer(make_map())
    assert contents([r.process(chunk("Hello "))]) == ["Hello "] and not r.holding
    assert contents([r.process(chunk("a < b and 2<3"))]) == ["a < b and 2<3"] and not r.holding
    assert contents([r.process(chunk("<PERSON_99"))]) == ["<PERSON_99"] and not r.holding  # no token goes there
    assert contents([r.process(chunk("<EMAIL_ADDRESS_1> done"))]) == ["a@b.de done"] and not r.holding
    # Only the possible start of a token is held, and released as soon as it resolves.
    assert contents([r.process(chunk("so <PERSON_"))]) == ["so "] and r.holding
    assert contents([r.process(chunk("1> ok"))]) == ["Anna Berg ok"] and not r.holding
    assert contents([r.process(chunk("end <"))]) == ["end "] and r.holding
    assert contents([r.process(chunk("= 3"))]) == ["<= 3"] and not r.holding


def test_a_prefix_of_a_longer_token_waits_for_the_next_character() -> None:
    r = StreamRestorer(make_map())
    assert contents([r.process(chunk("<PERSON_1"))]) == [""]       # could be <PERSON_1>, _10> or _11>
    assert contents([r.process(chunk("1>"))]) == ["P11"]
    assert contents([r.process(chunk("<PERSON_1"))]) == [""]
    assert contents([r.process(chunk("2>"))]) == ["<PERSON_12>"]   # never issued: left as it is


def test_held_text_is_released_in_the_finish_chunk_ahead_of_its_own_text() -> None:
    r = StreamRestorer(make_map())
    assert contents([r.process(chunk("x <EMAIL"))]) == ["x "]
    last = r.process(chunk(" tail", finish="stop"))
    assert contents([last]) == ["<EMAIL tail"] and last["choices"][0]["finish_reason"] == "stop"
    r2 = StreamRestorer(make_map())
    r2.process(chunk("x <PERS"))
    bare_finish = {"id": "c", "choices": [{"index": 0, "finish_reason": "length"}]}  # no delta at all
    assert contents([r2.process(bare_finish)]) == ["<PERS"] and not r2.holding and r2.flush() == []


def test_flush_emits_held_text_when_the_stream_ends_without_finish() -> None:
    out = run([chunk("cut off at <PERSON_")], make_map())
    assert contents(out) == ["cut off at ", "<PERSON_"]
    assert out[-1]["id"] == "chatcmpl-1" and out[-1]["model"] == "m" and out[-1]["choices"][0]["index"] == 0


def tool_chunk(fragment: str, call_index: int = 0, finish: str | None = None, **fn: Any) -> dict[str, Any]:
    return chunk(finish=finish, tool_calls=[{"index": call_index, "function": {"arguments": fragment, **fn}}])


def test_tool_call_arguments_split_across_chunks_per_call_index() -> None:
    args0 = json.dumps({"to": "<EMAIL_ADDRESS_1>", "who": SEALED})
    args1 = json.dumps({"name": "<PERSON_2>", "not": "<PERSON_99>"})
    pieces0, pieces1 = split(args0, [3]), split(args1, [4])
    chunks = [tool_chunk(pieces0[0], 0, name="send"), tool_chunk(pieces1[0], 1, name="lookup")]
    for i in range(1, max(len(pieces0), len(pieces1))):  # interleaved, as parallel tool calls may arrive
        if i < len(pieces0):
            chunks.append(tool_chunk(pieces0[i], 0))
        if i < len(pieces1):
            chunks.append(tool_chunk(pieces1[i], 1))
    chunks.append(chunk(finish="tool_calls"))
    got = arguments(run(chunks, make_map()))
    assert json.loads(got[0]) == {"to": "a@b.de", "who": 'Eve "E"'}   # escaped: still valid JSON
    assert json.loads(got[1]) == {"name": "Bob", "not": "<PERSON_99>"}


def test_tool_call_fragment_held_at_finish_goes_out_with_the_finish_chunk() -> None:
    r = StreamRestorer(make_map())
    first = r.process(tool_chunk('{"to": "<PER', 2, name="send"))
    assert arguments([first]) == {2: '{"to": "'}
    last = r.process(chunk(finish="tool_calls"))
    assert arguments([last]) == {2: "<PER"} and last["choices"][0]["finish_reason"] == "tool_calls"


def test_choices_and_fields_are_tracked_separately() -> None:
    r = StreamRestorer(make_map())
    out = [r.process({"id": "c", "choices": [{"index": 0, "delta": {"content": "A <PERS"}, "finish_reason": None},
                                            {"index": 1, "delta": {"content": "B <EMAIL_"}, "finish_reason": None}]}),
           r.process(chunk("ON_2>!", index=0, reasoning_content="think <PERSON_")),
           r.process(chunk("ADDRESS_1>?", index=1)),
           r.process(chunk(None, index=0, reasoning_content="1>.", refusal="no <EMA")),
           r.process(chunk(None, index=0, refusal="IL_ADDRESS_1>")),
           r.process(chunk(finish="stop", index=0)), r.process(chunk(finish="stop", index=1))]
    assert "".join(contents(out, 0)) == "A Bob!" and "".join(contents(out, 1)) == "B a@b.de?"
    assert "".join(contents(out, 0, "reasoning_content")) == "think Anna Berg."
    assert "".join(contents(out, 0, "refusal")) == "no a@b.de"


def test_legacy_function_call_and_completion_text_streams() -> None:
    pmap = make_map()
    fc = [chunk(function_call={"name": "f", "arguments": '{"a": "<PERSO'}),
          chunk(function_call={"arguments": 'N_1>"}'}), chunk(finish="stop")]
    out = run(fc, pmap)
    args = "".join((c["choices"][0]["delta"].get("function_call") or {}).get("arguments", "") for c in out)
    assert json.loads(args) == {"a": "Anna Berg"}
    text = [{"id": "cmpl", "object": "text_completion", "choices": [{"index": 0, "text": t, "finish_reason": None}]}
            for t in ("Hi <PER", "SON_2> and <EMA")]
    out = run(text, pmap)
    assert "".join(c["choices"][0]["text"] for c in out) == "Hi Bob and <EMA"
    assert out[-1]["object"] == "text_completion"


def test_usage_chunks_and_unknown_fields_pass_unchanged_and_input_is_not_modified() -> None:
    usage = {"id": "c", "choices": [], "usage": {"total_tokens": 3}}
    original = chunk("<PERSON_1>", logprobs=None)
    original["choices"][0]["x_extra"] = {"k": 1}
    r = StreamRestorer(make_map())
    out = r.process(original)
    assert out["choices"][0]["delta"]["content"] == "Anna Berg" and out["choices"][0]["x_extra"] == {"k": 1}
    assert original["choices"][0]["delta"]["content"] == "<PERSON_1>"
    assert r.process(usage) == usage


def test_an_empty_map_is_a_pass_through() -> None:
    async def source() -> AsyncIterator[dict[str, Any]]:
        yield chunk("<PERSON_1>")

    stream = source()
    assert restore_stream(stream, PseudonymMap()) is stream


def test_closing_the_restored_stream_closes_the_source() -> None:
    closed = []

    async def source() -> AsyncIterator[dict[str, Any]]:
        try:
            for _ in range(10):
                yield chunk("x")
        finally:
            closed.append(True)

    async def go() -> None:
        restored = restore_stream(source(), make_map())
        assert contents([await restored.__anext__()]) == ["x"]
        await restored.aclose()  # type: ignore[attr-defined]

    asyncio.run(go())
    assert closed == [True]


PIECES = st.sampled_from(["Anna", " ", "text", "<", ">", "<<", "<PERSON_", "1", "0", "<PERSON_1>", "<PERSON_10>",
                          "<PERSON_11>", "<PERSON_2>", "<PERSON_99>", "<EMAIL_ADDRESS_1>", "<EMAIL", "_ADDRESS_",
                          SEALED, SEALED[:9], "ü", '"', "\\", "\n"])


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=25), st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=30),
       st.booleans(), st.booleans())
def test_any_chunking_restores_like_the_whole_text(pieces: list[str], cuts: list[int], finish: bool,
                                                   as_arguments: bool) -> None:
    pmap = make_map()
    text = "".join(pieces)
    if as_arguments:
        chunks = [tool_chunk(p, 0) for p in split(text, cuts)]
    else:
        chunks = [chunk(p) for p in split(text, cuts)]
    if finish:
        chunks.append(chunk(finish="stop"))
    out = run(chunks, pmap)
    if as_arguments:
        assert arguments(out).get(0, "") == pmap.restore(text, json_escape=True)
    else:
        assert "".join(contents(out)) == pmap.restore(text)
