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
Cost: each text's words are collected once; a remembered value is tried only where its first word occurs, with its
own memoised pattern anchored there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

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
        if f.recognizer == RECOGNIZER or not 0 <= f.field < len(texts):
            continue
        value = fold_value(texts[f.field][f.start:f.end])
        if len(value) >= MIN_CHARS:
            pmap.remember(value, f.entity_type, f.score)
            count += 1
    return count


@lru_cache(maxsize=4096)
def _pattern(value: str) -> re.Pattern[str]:
    """The pattern of one remembered value (a pure function of it, so memoised; it holds no request text)."""
    body = r"\s+".join(re.escape(word) for word in value.split(" "))
    if len(value) >= CASEFOLD_MIN_CHARS:
        body = f"(?i:{body})"
    if _WORD.match(value):
        body = r"(?<!\w)" + body
    if _WORD.match(value[-1]):
        body += r"(?!\w)"
    return re.compile(body)


@lru_cache(maxsize=4096)
def _anchor(value: str) -> tuple[str, int | None]:
    """(first word run of `value`, case-folded; its offset in the value, or None where whitespace comes before it
    and the offset in a text may differ). A text holds the value only where it holds this run as a whole word run
    (the value matches on word boundaries), and the match starts that offset before it."""
    run = _WORD.search(value)
    if run is None:
        return "", None
    return run.group().casefold(), (None if " " in value[:run.start()] else run.start())


@lru_cache(maxsize=256)
def _word_finder(words: frozenset[str]) -> re.Pattern[str]:
    """Whole-word occurrences of any of `words`, any case."""
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def recall(pmap: PseudonymMap, texts: Sequence[str], findings: Sequence[Finding]) -> list[Finding]:
    """A Finding for every occurrence of a remembered value in `texts` (one per entity type it was remembered as),
    except where a finding of the same entity type already overlaps it.

    A text's words are collected once (at C speed); a value whose first word is among them is tried only where
    that word occurs, with its own memoised pattern anchored there. The cost follows the text and the values it
    holds, not remembered values times text."""
    memory = pmap.remembered()
    if not memory:
        return []
    by_field: dict[int, list[Finding]] = {}
    for f in findings:
        by_field.setdefault(f.field, []).append(f)
    anchored: dict[str, list[tuple[str, int]]] = {}   # first word -> (value, the word's offset in the value)
    unanchored: list[str] = []                         # no word, or whitespace before it: searched
    for value in memory:
        word, offset = _anchor(value)
        if word and offset is not None:
            anchored.setdefault(word, []).append((value, offset))
        else:
            unanchored.append(value)
    out: list[Finding] = []
    for index, text in enumerate(texts):
        if not text:
            continue
        view = normalise(text)
        matches = [(m.start(), m.end(), value) for value in unanchored for m in _pattern(value).finditer(view.text)]
        present = anchored.keys() & set(_WORD.findall(view.text.casefold()))
        if present:
            for word in _word_finder(frozenset(present)).finditer(view.text):
                for value, offset in anchored.get(word.group().casefold(), ()):
                    at = word.start() - offset
                    if at >= 0 and (m := _pattern(value).match(view.text, at)) is not None:
                        matches.append((m.start(), m.end(), value))
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
