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
Cost: one case-folded substring test per remembered value and text picks the candidates; only those are compiled
into one pattern (Python's `re` caches it while the candidates stay the same).
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


def _pattern(value: str) -> str:
    body = r"\s+".join(re.escape(word) for word in value.split(" "))
    if len(value) >= CASEFOLD_MIN_CHARS:
        body = f"(?i:{body})"
    if re.match(r"\w", value[0]):
        body = r"(?<!\w)" + body
    if re.match(r"\w", value[-1]):
        body += r"(?!\w)"
    return body


def _matcher(values: list[str]) -> re.Pattern[str]:
    """One pattern for `values`, longest first (the longest remembered value wins where two start together)."""
    return re.compile("|".join(f"(?P<v{i}>{_pattern(v)})" for i, v in enumerate(values)))


def recall(pmap: PseudonymMap, texts: Sequence[str], findings: Sequence[Finding]) -> list[Finding]:
    """A Finding for every occurrence of a remembered value in `texts` (one per entity type it was remembered as),
    except where a finding of the same entity type already overlaps it."""
    memory = pmap.remembered()
    if not memory:
        return []
    by_field: dict[int, list[Finding]] = {}
    for f in findings:
        by_field.setdefault(f.field, []).append(f)
    # Every word of a value must be in the text, so its first word is a cheap, safe pre-filter.
    firsts = [(value, value.split(" ", 1)[0].casefold()) for value in memory]
    out: list[Finding] = []
    for index, text in enumerate(texts):
        if not text:
            continue
        view = normalise(text)
        haystack = view.text.casefold()
        present = sorted((v for v, first in firsts if first in haystack), key=lambda v: (-len(v), v))
        if not present:
            continue
        existing = by_field.get(index, [])
        for m in _matcher(present).finditer(view.text):
            if m.lastgroup is None or m.end() <= m.start():
                continue
            start, end = view.to_original(m.start(), m.end())
            for entity_type, score in memory[present[int(m.lastgroup[1:])]].items():
                if any(f.entity_type == entity_type and f.start < end and start < f.end for f in existing):
                    continue
                out.append(Finding(index, start, end, entity_type, score, RECOGNIZER))
    return out
