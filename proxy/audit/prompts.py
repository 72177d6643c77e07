"""Opt-in prompt storage: the prompt with every detected span masked by its entity type, and the original,
encrypted. Stored only when `audit_store_prompts` is set; the original only when an audit key is configured too.

The masked text masks every finding, whatever the policy did with it (an `allow` rule lets a value through to the
model; it still does not go into the audit store).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from proxy.audit.crypto import AuditCipher
    from proxy.detection.findings import Finding
    from proxy.request.context import RequestContext, TextField


def mask(text: str, spans: Sequence[tuple[int, int, str]]) -> str:
    """Replace each (start, end, entity type) span with `<ENTITY_TYPE>`; overlapping spans merge (first type)."""
    out: list[str] = []
    pos = 0
    for start, end, entity in sorted(spans):
        start, end = max(start, 0), min(end, len(text))
        if end <= pos:
            continue
        if start < pos:  # overlaps the previous mask: extend it silently
            pos = end
            continue
        out.append(text[pos:start])
        out.append(f"<{entity}>")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def masked_texts(texts: Sequence[TextField], findings: Sequence[Finding]) -> list[dict[str, Any]]:
    by_field: dict[int, list[tuple[int, int, str]]] = {}
    for f in findings:
        by_field.setdefault(f.field, []).append((f.start, f.end, f.entity_type))
    return [{"kind": t.kind, "role": t.role, "text": mask(t.text, by_field.get(i, []))}
            for i, t in enumerate(texts)]


def prompt_values(ctx: RequestContext, record_id: str, *, store: bool,
                  cipher: AuditCipher | None) -> dict[str, Any]:
    """The prompt columns of a record: all None unless storing is enabled and there is a prompt."""
    if not store or ctx.request is None or not ctx.request.texts:
        return {}
    texts = ctx.request.texts
    values: dict[str, Any] = {"prompt_redacted": masked_texts(texts, ctx.findings)}
    if cipher is not None:
        original = orjson.dumps([{"kind": t.kind, "role": t.role, "text": t.text} for t in texts])
        values["prompt_encrypted"] = cipher.encrypt(record_id, original)
        values["prompt_key_id"] = cipher.key_id
    return values
