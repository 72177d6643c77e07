"""The hash chain, as pure functions: canonical JSON, the hashes of a record, an outcome and a chain entry.

Every appended row (a record in `audit_records` or an outcome in `audit_outcomes`) is one chain entry with a
position `seq` (1, 2, 3, ... across both tables, no gaps) and

    content_hash = sha256(canonical JSON of the row's content columns)
    entry_hash   = sha256("govproxy-audit/1|<table>|<seq>|<prev_hash>|<content_hash>")

where prev_hash is the entry_hash of entry seq-1 (or of the last purged entry, kept in a checkpoint). Editing a
column changes content_hash; deleting, inserting or moving a row breaks the seq run or the prev_hash link.

Personal columns (who, from where, stored prompts) enter content_hash only through `personal_hash`, a hash over
them plus a random per-record salt, so an erasure can clear them and keep the rest verifiable; the salt goes with
them, so the remaining hash cannot be used to confirm a guessed user name.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

CHAIN_VERSION = "govproxy-audit/1"
RECORDS, OUTCOMES = "audit_records", "audit_outcomes"

# The columns hashed into a record's content (personal ones enter through personal_hash).
RECORD_CONTENT = (
    "id", "kind", "time", "request_id", "team", "role", "endpoint", "dialect", "requested_model", "stream",
    "policy_version", "classification", "action", "rule", "rules", "matches", "entities", "strategies", "targets",
    "rerouted_from", "detail", "prompt_key_id", "personal_hash",
)
PERSONAL_CONTENT = ("personal_salt", "key_id", "user", "client_addr", "prompt_redacted", "prompt_encrypted")
OUTCOME_CONTENT = (
    "record_id", "time", "outcome", "target", "location", "attempted", "redactions", "upstream_status",
    "prompt_tokens", "completion_tokens", "total_tokens", "timings", "error_class", "error_status",
)


def iso_utc(value: datetime) -> str:
    """A datetime as fixed-width UTC text. Naive values are UTC (SQLite returns them without a zone)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"not canonical JSON: {type(value).__name__}")


def canonical(obj: Any) -> bytes:
    """Canonical JSON: sorted keys, no whitespace, UTF-8, datetimes as UTC text, no NaN."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                      default=_json_default).encode()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_salt() -> str:
    return secrets.token_hex(16)


def personal_hash(values: Mapping[str, Any]) -> str:
    return _sha(canonical({k: values.get(k) for k in PERSONAL_CONTENT}))


def record_content_hash(values: Mapping[str, Any]) -> str:
    """Over the record's content columns; `values` must already hold personal_hash."""
    return _sha(canonical({k: values.get(k) for k in RECORD_CONTENT}))


def outcome_content_hash(values: Mapping[str, Any]) -> str:
    return _sha(canonical({k: values.get(k) for k in OUTCOME_CONTENT}))


def content_hash(table: str, values: Mapping[str, Any]) -> str:
    return record_content_hash(values) if table == RECORDS else outcome_content_hash(values)


def entry_hash(table: str, seq: int, prev_hash: str, content: str) -> str:
    return _sha(f"{CHAIN_VERSION}|{table}|{seq}|{prev_hash}|{content}".encode())


def seal_record(values: dict[str, Any]) -> dict[str, Any]:
    """Fill a record's salt, personal_hash and content_hash (everything but its place in the chain)."""
    if values.get("personal_salt") is None:
        values["personal_salt"] = new_salt()
    values["personal_hash"] = personal_hash(values)
    values["content_hash"] = record_content_hash(values)
    return values


def seal_outcome(values: dict[str, Any]) -> dict[str, Any]:
    values["content_hash"] = outcome_content_hash(values)
    return values


def link(table: str, values: dict[str, Any], seq: int, prev_hash: str) -> str:
    """Give a sealed row its chain position; returns its entry hash (the next entry's prev_hash)."""
    values["seq"], values["prev_hash"] = seq, prev_hash
    values["entry_hash"] = entry_hash(table, seq, prev_hash, values["content_hash"])
    return str(values["entry_hash"])
