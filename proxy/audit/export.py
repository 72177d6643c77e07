"""Export the audit log as JSON lines or CSV, streamed (nothing is held in memory)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from proxy.audit.query import AuditFilter, AuditRecord, iter_records

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = (
    "id", "seq", "kind", "time", "request_id", "key_id", "team", "user", "role", "client_addr", "endpoint",
    "dialect", "requested_model", "stream", "policy_version", "classification", "action", "rule", "shadow_rules",
    "matches", "entities", "strategies", "targets", "rerouted_from", "outcome", "target", "location", "attempted",
    "redactions", "upstream_status", "prompt_tokens", "completion_tokens", "total_tokens", "timings",
    "error_class", "error_status", "completed_at", "erased", "has_original", "entry_hash",
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    else:
        text = str(value)
    # Spreadsheets run cells starting with these as formulas; caller-controlled text (model names) could.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_row(rec: AuditRecord) -> list[str]:
    data = rec.to_json()
    outcome = data.pop("outcome") or {}
    data["completed_at"] = outcome.pop("time", None)
    for key, value in outcome.items():
        data[key] = value
    return [_cell(data.get(col)) for col in CSV_COLUMNS]


def _csv_line(cells: list[str] | tuple[str, ...]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()


async def export_lines(engine: AsyncEngine, flt: AuditFilter, fmt: str) -> AsyncIterator[str]:
    """The export, line by line (oldest record first); CSV starts with its header."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}; use one of {', '.join(FORMATS)}.")
    if fmt == "csv":
        yield _csv_line(CSV_COLUMNS)
    async for rec in iter_records(engine, flt):
        if fmt == "jsonl":
            yield json.dumps(rec.to_json(), sort_keys=True, ensure_ascii=False) + "\n"
        else:
            yield _csv_line(csv_row(rec))
