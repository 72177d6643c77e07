"""Packing many small texts into one analysis, and cutting the findings back to each text."""

from __future__ import annotations

from proxy.detection.findings import Finding
from proxy.detection.packing import PACK_CHARS, PACK_MIN_TEXTS, SEPARATOR, plan, unpack


def test_few_texts_are_analysed_one_by_one() -> None:
    texts = [f"text {i}" for i in range(PACK_MIN_TEXTS)]
    assert [p.members for p in plan(texts)] == [(i,) for i in range(PACK_MIN_TEXTS)]


def test_many_small_texts_share_packs_and_long_ones_stand_alone() -> None:
    texts = [f"hi {i}" for i in range(2_000)]
    texts[700] = "x" * 5_000
    packs = plan(texts)
    assert sorted(m for p in packs for m in p.members) == list(range(2_000))  # each text in exactly one pack
    assert any(p.members == (700,) for p in packs)
    assert all(len(p.text) <= PACK_CHARS + 600 for p in packs if len(p.members) > 1)
    for p in packs:
        for member, start in zip(p.members, p.starts, strict=True):
            assert p.text[start:start + len(texts[member])] == texts[member]


def test_a_finding_across_the_separator_is_cut_into_one_per_text() -> None:
    texts = [f"t{i}" for i in range(PACK_MIN_TEXTS)] + ["Anna", "Schmidt"]
    pack = next(p for p in plan(texts) if 33 in p.members)
    a, b = pack.starts[pack.members.index(32)], pack.starts[pack.members.index(33)]
    assert pack.text[a:b] == "Anna" + SEPARATOR
    spanning = Finding(0, a, b + len("Schmidt"), "PERSON", 0.9, "test")
    per_text = unpack(pack, [spanning], [len(texts[m]) for m in pack.members])
    by_member = dict(zip(pack.members, per_text, strict=True))
    assert [(f.start, f.end) for f in by_member[32]] == [(0, 4)]
    assert [(f.start, f.end) for f in by_member[33]] == [(0, 7)]
    assert by_member[31] == ()
