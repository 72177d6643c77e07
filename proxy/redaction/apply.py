"""Apply a decision's redactions to the request's text fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from proxy.detection.findings import Finding
from proxy.redaction.keys import RedactionKeys
from proxy.redaction.mask import MaskStyle
from proxy.redaction.pseudonyms import PseudonymMap
from proxy.redaction.strategies import STRATEGIES, StrategyInputs, StrategyName


class Whole(Enum):
    """How a field that is replaced whole is replaced (see apply_redactions)."""

    IDENTIFIER = "identifier"
    OPAQUE = "opaque"


@dataclass(frozen=True, slots=True)
class RedactionResult:
    texts: list[str]          # the new text of every field, same order
    applied: dict[str, str]   # entity type -> strategy applied
    counts: dict[str, int]    # entity type -> spans redacted


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    entity_type: str
    score: float


def merge_spans(findings: Sequence[Finding], length: int) -> list[_Span]:
    """Non-overlapping spans of one field, left to right, clamped to the text.

    Overlapping (or nested) findings become one span covering their union, so nothing of either value survives;
    it takes the entity type of the higher-scoring finding (then the longer one, then the earlier one).
    """
    out: list[_Span] = []
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        start, end = max(0, f.start), min(length, f.end)
        if start >= end:
            continue
        if out and start < out[-1].end:
            prev = out[-1]
            prev_rank = (prev.score, prev.end - prev.start)
            winner = prev if prev_rank >= (f.score, end - start) else _Span(start, end, f.entity_type, f.score)
            out[-1] = _Span(prev.start, max(prev.end, end), winner.entity_type, winner.score)
        else:
            out.append(_Span(start, end, f.entity_type, f.score))
    return out


def apply_redactions(texts: Sequence[str], findings: Sequence[Finding], strategies: Mapping[str, str],
                     pmap: PseudonymMap, keys: RedactionKeys, *, mask_style: MaskStyle = MaskStyle(),
                     whole: Mapping[int, Whole] | None = None) -> RedactionResult:
    """Replace every finding whose entity type has a strategy in `strategies`; other findings stay as they are.

    Fields are processed in order and each field's spans left to right, so placeholder numbers follow first
    appearance (the numbering rule in proxy.redaction.pseudonyms). Each new text is assembled from slices of the
    original, so every offset refers to the original text however long the replacements are. Placeholder-shaped
    text already in the request is reserved in `pmap` before anything is issued. An unknown strategy name raises
    ValueError (the policy schema admits only the five names; failing here keeps a bad caller from leaking).

    `whole` names fields that are replaced whole when anything in them is redacted: identifiers (tool names, call
    ids) by an identifier-shaped token that restore puts back, opaque content (an image URL, file bytes) by the
    strategy applied to the whole value.
    """
    unknown = sorted({s for s in strategies.values() if s not in STRATEGIES})
    if unknown:
        raise ValueError(f"unknown redaction strategies: {', '.join(unknown)}")
    by_field: dict[int, list[Finding]] = {}
    for f in findings:
        if f.entity_type in strategies and 0 <= f.field < len(texts):
            by_field.setdefault(f.field, []).append(f)
    if not by_field:
        return RedactionResult(list(texts), {}, {})
    if StrategyName.PLACEHOLDER in strategies.values():
        for text in texts:
            pmap.reserve_lookalikes(text)
    inputs = StrategyInputs(pmap, keys, mask_style)
    out = list(texts)
    applied: dict[str, str] = {}
    counts: dict[str, int] = {}
    for index in sorted(by_field):
        text = texts[index]
        how = whole.get(index) if whole else None
        if how is not None:
            first = min(by_field[index], key=lambda f: (f.start, -f.end))
            strategy = strategies[first.entity_type]
            out[index] = pmap.identifier_for(first.entity_type, text) if how is Whole.IDENTIFIER \
                else STRATEGIES[strategy](first.entity_type, text, inputs)
            applied[first.entity_type] = strategy
            counts[first.entity_type] = counts.get(first.entity_type, 0) + 1
            continue
        pieces: list[str] = []
        cursor = 0
        for span in merge_spans(by_field[index], len(text)):
            strategy = strategies[span.entity_type]
            pieces.append(text[cursor:span.start])
            pieces.append(STRATEGIES[strategy](span.entity_type, text[span.start:span.end], inputs))
            cursor = span.end
            applied[span.entity_type] = strategy
            counts[span.entity_type] = counts.get(span.entity_type, 0) + 1
        pieces.append(text[cursor:])
        out[index] = "".join(pieces)
    return RedactionResult(out, applied, counts)
