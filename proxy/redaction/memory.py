"""Conversation memory: a value found sensitive once in a conversation is found again wherever it recurs in that
conversation, even where the detector misses it this time (a name a cue marked in turn 1, repeated bare in turn 3;
a code name blocked in one turn and repeated without its context word in the next).

`remember` records a request's findings in the conversation's PseudonymMap; `recall` returns one more Finding, with
the remembered entity type and score, for every occurrence of a remembered value the findings do not cover yet.
Both run in the `recall` stage, after detection and before the policy decides, so the policy sees recalled
findings like any other (proxy/pipeline/stages.py). Because the current request's own findings are remembered
before recalling, a value found in one field of a request is also found in every other field of it (the history
a chat client resends), on a replica that has never seen the conversation before.

Matching, on the normalised text (Unicode folding and markup escapes, detection/normalise.py) with offsets mapped
back to the original, so a recalled value is found in the same disguises the detector sees through:
- whole words: a value that starts (ends) with a letter, digit or `_` does not match right after (before) one, so
  `Ann` is not found in `Annual`;
- whitespace-folded: any run of whitespace between the value's words (`Anna  Müller`, a line break);
- case-folded for values of at least `CASEFOLD_MIN_CHARS` characters (`ANNA MÜLLER`); shorter ones as found;
- values shorter than `MIN_CHARS` are not remembered: too short to look for on their own.
Cost: each text's words are collected once; a remembered value is tried only where its first word occurs. No regex
is built from a value, so no value outlives its conversation in a pattern cache.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from proxy.detection.findings import Finding
from proxy.detection.normalise import normalise
from proxy.redaction.pseudonyms import PseudonymMap

MIN_CHARS = 3
CASEFOLD_MIN_CHARS = 4
RECOGNIZER = "conversation_memory"
_WORD = re.compile(r"\w+")


def fold_value(value: str) -> str:
    """The form a value is remembered by: normalised, whitespace runs as one space, stripped."""
    return " ".join(normalise(value).text.split())


def remember(pmap: PseudonymMap, texts: Sequence[str], findings: Sequence[Finding]) -> int:
    """Record every finding's value in `pmap`; returns how many were recorded (too short ones are not)."""
    count = 0
    for f in findings:
        # Unscannable content is no value to look for in text (the finding stands for what could not be read).
        if f.recognizer in (RECOGNIZER, "unscannable") or not 0 <= f.field < len(texts):
            continue
        value = fold_value(texts[f.field][f.start:f.end])
        if len(value) >= MIN_CHARS:
            pmap.remember(value, f.entity_type, f.score)
            count += 1
    return count


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _match_at(text: str, pos: int, words: Sequence[str], fold: bool) -> int | None:
    """Where the value spelt by `words` (single-space separated) ends if it starts at `pos` in `text`: whole words,
    any whitespace run between its words, any case when `fold`; None where it does not."""
    n = len(text)
    if pos < 0 or (_is_word(words[0][0]) and pos > 0 and _is_word(text[pos - 1])):
        return None
    i = pos
    for k, word in enumerate(words):
        if k:
            j = i
            while j < n and text[j].isspace():
                j += 1
            if j == i:
                return None
            i = j
        segment = text[i:i + len(word)]
        if segment != word and not (fold and segment.casefold() == word.casefold()):
            return None
        i += len(word)
    if _is_word(words[-1][-1]) and i < n and _is_word(text[i]):
        return None
    return i


def _anchor(words: Sequence[str]) -> tuple[str, int | None]:
    """(the value's first word run, case-folded; its offset in the value, or None when the value's first word holds
    none). A text holds the value only where it holds this run as a whole word run (the value matches on word
    boundaries), and the value starts that offset before it."""
    run = _WORD.search(words[0])
    return (run.group().casefold(), run.start()) if run else ("", None)


def recall(pmap: PseudonymMap, texts: Sequence[str], findings: Sequence[Finding]) -> list[Finding]:
    """A Finding for every occurrence of a remembered value in `texts` (one per entity type it was remembered as),
    except where a finding of the same entity type already overlaps it.

    A text's words are collected once (at C speed); a value whose first word is among them is tried only where
    that word occurs. No pattern is compiled from a value (Python's regex cache would keep it past the
    conversation). The cost follows the text and the values it holds, not remembered values times text."""
    memory = pmap.remembered()
    if not memory:
        return []
    by_field: dict[int, list[Finding]] = {}
    for f in findings:
        by_field.setdefault(f.field, []).append(f)
    spelt = {value: (value.split(" "), len(value) >= CASEFOLD_MIN_CHARS) for value in memory}
    anchored: dict[str, list[tuple[str, int]]] = {}   # first word run -> (value, the run's offset in the value)
    unanchored: list[str] = []                         # a first word without a word run (`+ 49 …`): found by find
    for value, (words, _fold) in spelt.items():
        key, offset = _anchor(words)
        if offset is None:
            unanchored.append(value)
        else:
            anchored.setdefault(key, []).append((value, offset))
    out: list[Finding] = []
    for index, text in enumerate(texts):
        if not text:
            continue
        view = normalise(text)
        matches: list[tuple[int, int, str]] = []
        for value in unanchored:
            words, fold = spelt[value]
            at = view.text.find(words[0])
            while at >= 0:
                if (stop := _match_at(view.text, at, words, fold)) is not None:
                    matches.append((at, stop, value))
                at = view.text.find(words[0], at + 1)
        present = anchored.keys() & set(_WORD.findall(view.text.casefold()))
        if present:
            for run in _WORD.finditer(view.text):
                key = run.group().casefold()
                if key not in present:
                    continue
                for value, offset in anchored[key]:
                    words, fold = spelt[value]
                    if (stop := _match_at(view.text, run.start() - offset, words, fold)) is not None:
                        matches.append((run.start() - offset, stop, value))
        existing = by_field.get(index, [])
        for m_start, m_end, value in _leftmost_longest(matches):
            start, end = view.to_original(m_start, m_end)
            for entity_type, score in memory[value].items():
                if any(f.entity_type == entity_type and f.start < end and start < f.end for f in existing):
                    continue
                out.append(Finding(index, start, end, entity_type, score, RECOGNIZER))
    return out


def _leftmost_longest(matches: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Non-overlapping matches, left to right; where two overlap, the one that starts first, then the longer."""
    kept: list[tuple[int, int, str]] = []
    for match in sorted(matches, key=lambda m: (m[0], -m[1])):
        if match[1] > match[0] and (not kept or match[0] >= kept[-1][1]):
            kept.append(match)
    return kept
