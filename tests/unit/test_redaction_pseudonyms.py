"""The per-conversation pseudonym map, the conversation key, and the store (turns, replicas, expiry, bounds)."""

from __future__ import annotations

import asyncio
import json
import threading

from proxy.detection.findings import Finding
from proxy.redaction.apply import apply_redactions
from proxy.redaction.keys import RedactionKeys
from proxy.redaction.pseudonyms import PseudonymMap, PseudonymStore, conversation_key, conversation_opening

KEYS = RedactionKeys.from_secret("test-secret-for-pseudonyms")
NAMES = ("Anna Berg", "Bob Stone", "Carl Diaz", "Dora Eck")


def findings_for(texts: list[str]) -> list[Finding]:
    """What a detector would find: every known name, in every field."""
    out = []
    for i, text in enumerate(texts):
        for name in NAMES:
            start = text.find(name)
            while start != -1:
                out.append(Finding(i, start, start + len(name), "PERSON", 0.9, "test"))
                start = text.find(name, start + 1)
    return out


def turn(store: PseudonymStore, caller: str, messages: list[tuple[str, str]], conversation_id: str | None = None
         ) -> tuple[list[str], PseudonymMap]:
    """One request through the store, as the request path does it."""
    texts = [t for _, t in messages]

    async def go() -> tuple[list[str], PseudonymMap]:
        key = conversation_key(caller, conversation_id, conversation_opening(messages))
        pmap = await store.for_conversation(key)
        out = apply_redactions(texts, findings_for(texts), {"PERSON": "placeholder"}, pmap, KEYS).texts
        await store.save(key, pmap)
        return out, pmap

    return asyncio.run(go())


HISTORY_1 = [("system", "You help Anna Berg."), ("user", "Write to Bob Stone.")]
HISTORY_2 = [*HISTORY_1, ("assistant", "Done: a note to Bob Stone from Anna Berg."), ("user", "Now Carl Diaz.")]
HISTORY_3 = [*HISTORY_2, ("assistant", "Wrote to Carl Diaz."), ("user", "And Dora Eck, cc Anna Berg.")]


def test_the_same_value_keeps_its_placeholder_across_turns_through_the_store() -> None:
    store = PseudonymStore()
    first, pmap1 = turn(store, "key-1", HISTORY_1)
    second, pmap2 = turn(store, "key-1", HISTORY_2)
    assert pmap1 is pmap2 and len(store) == 1
    assert first == ["You help <PERSON_1>.", "Write to <PERSON_2>."]
    assert second == [*first, "Done: a note to <PERSON_2> from <PERSON_1>.", "Now <PERSON_3>."]
    assert pmap2.restore("<PERSON_3> and <PERSON_1>") == "Carl Diaz and Anna Berg"


def test_a_replica_without_state_rebuilds_the_same_numbers() -> None:
    replica_a, replica_b = PseudonymStore(), PseudonymStore()
    turn(replica_a, "key-1", HISTORY_1)
    turn(replica_a, "key-1", HISTORY_2)
    on_a, _ = turn(replica_a, "key-1", HISTORY_3)
    on_b, _ = turn(replica_b, "key-1", HISTORY_3)      # never saw the conversation
    assert on_a == on_b
    assert on_b[-1] == "And <PERSON_4>, cc <PERSON_1>."
    # Turns that alternate between replicas (a stale map is a prefix of the rebuilt one) agree as well.
    stale = PseudonymStore()
    turn(stale, "key-1", HISTORY_1)
    assert turn(stale, "key-1", HISTORY_3)[0] == on_a


def test_a_client_conversation_id_keeps_numbers_when_history_is_trimmed() -> None:
    store = PseudonymStore()
    turn(store, "key-1", HISTORY_2, conversation_id="conv-42")
    trimmed = [("user", "Now Carl Diaz and Anna Berg.")]
    out, _ = turn(store, "key-1", trimmed, conversation_id="conv-42")
    assert out == ["Now <PERSON_3> and <PERSON_1>."]


def test_callers_never_share_a_map() -> None:
    store = PseudonymStore()
    _, mine = turn(store, "key-1", HISTORY_1, conversation_id="same")
    _, theirs = turn(store, "key-2", HISTORY_1, conversation_id="same")
    assert mine is not theirs and len(store) == 2


def test_conversation_key_rules() -> None:
    opening = ["sys", "first user"]
    assert conversation_key("k1", None, opening) == conversation_key("k1", None, opening)
    assert conversation_key("k1", None, opening) != conversation_key("k2", None, opening)
    assert conversation_key("k1", None, opening) != conversation_key("k1", None, ["sys", "other user"])
    assert conversation_key("k1", None, ["ab", "c"]) != conversation_key("k1", None, ["a", "bc"])
    # The header wins over the opening, and blank headers do not count.
    assert conversation_key("k1", "c-9", ["x"]) == conversation_key("k1", "c-9", ["y"])
    assert conversation_key("k1", "  ", ["x"]) == conversation_key("k1", None, ["x"])
    assert conversation_key("k1", None, "x") == conversation_key("k1", None, ["x"])
    key = conversation_key("k1", None, ["Anna Berg"])
    assert len(key) == 64 and "Anna" not in key


def test_conversation_opening_is_everything_up_to_the_first_user_message() -> None:
    assert conversation_opening(HISTORY_3) == ["You help Anna Berg.", "Write to Bob Stone."]
    assert conversation_opening([("user", "a"), ("assistant", "b"), ("user", "c")]) == ["a"]
    assert conversation_opening([(None, "prompt one"), (None, "prompt two")]) == ["prompt one"]
    assert conversation_opening([]) == []


def test_restore_leaves_unissued_lookalikes_and_longer_numbers() -> None:
    pmap = PseudonymMap()
    token = pmap.placeholder_for("PERSON", "Anna")
    assert token == "<PERSON_1>"
    text = "<PERSON_1> met <PERSON_10>, <PERSON_2>, <EMAIL_ADDRESS_1>, <PERSON:hmac:abc>, <<PERSON_1>> and <PERSON_1"
    assert pmap.restore(text) == "Anna met <PERSON_10>, <PERSON_2>, <EMAIL_ADDRESS_1>, <PERSON:hmac:abc>, <Anna> and " \
                                 "<PERSON_1"


def test_restore_into_json_escapes_raw_values_only() -> None:
    pmap = PseudonymMap()
    quoted = pmap.placeholder_for("PERSON", 'Anna "Ann" O\\Berg')
    escaped = pmap.placeholder_for("PERSON", "M\\u00fcller")  # as found inside JSON text: already escaped
    args = json.dumps({"to": quoted, "cc": escaped})
    assert json.loads(pmap.restore(args, json_escape=True)) == {"to": 'Anna "Ann" O\\Berg', "cc": "Müller"}


def test_prefix_checks_and_repr() -> None:
    pmap = PseudonymMap()
    pmap.placeholder_for("PERSON", "Anna")
    pmap.register("<PERSON:enc:QUJD>", "PERSON", "Bob")
    for fragment in ("<", "<P", "<PERSON_", "<PERSON_1", "<PERSON:enc:QU"):
        assert pmap.is_token_prefix(fragment), fragment
    for fragment in ("<PERSON_1>", "<PERSON_2", "<E", "<PERSON_1 ", "x<P"):
        assert not pmap.is_token_prefix(fragment), fragment
    assert repr(pmap) == "PseudonymMap(2 tokens, 0 remembered)" and "Anna" not in repr(pmap)
    assert len(pmap) == 2 and bool(pmap) and not PseudonymMap()


def test_concurrent_issuing_gives_each_value_one_number() -> None:
    pmap = PseudonymMap()
    values = [f"person {i}" for i in range(200)]
    results: list[dict[str, str]] = [{} for _ in range(4)]

    def work(slot: int) -> None:
        for v in values[slot::2] + values:
            results[slot][v] = pmap.placeholder_for("PERSON", v)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == results[0] for r in results)
    assert sorted(results[0].values()) == sorted(f"<PERSON_{n}>" for n in range(1, 201))


def test_the_store_expires_and_bounds_its_maps() -> None:
    now = [0.0]
    store = PseudonymStore(max_conversations=2, ttl_s=60.0, max_tokens=3, timer=lambda: now[0])

    async def get(key: str) -> PseudonymMap:
        return await store.for_conversation(key)

    a = asyncio.run(get("a"))
    a.placeholder_for("PERSON", "Anna")
    now[0] = 59.0
    assert asyncio.run(get("a")) is a          # used within the TTL (and the use refreshes it)
    now[0] = 118.0
    assert asyncio.run(get("a")) is a
    now[0] = 179.0
    a2 = asyncio.run(get("a"))
    assert a2 is not a and not a2              # idle for more than the TTL: a new, empty map
    b = asyncio.run(get("b"))
    assert asyncio.run(get("a")) is a2         # "a" is now the most recently used ...
    c = asyncio.run(get("c"))                  # ... so the third conversation pushes out "b"
    assert len(store) == 2 and asyncio.run(get("a")) is a2 and asyncio.run(get("c")) is c
    assert asyncio.run(get("b")) is not b
    for i in range(4):
        a2.placeholder_for("PERSON", f"p{i}")
    assert asyncio.run(get("a")) is not a2     # grown past max_tokens: started afresh
