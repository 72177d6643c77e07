"""The audit tables.

`audit_records` holds exactly one row per request (and one per security event: admin access, reveal, purge,
erasure). Requests that are forwarded upstream get their row before forwarding (the decision part); when the
response ends, the completion goes into `audit_outcomes` (one row per record, appended, never updated), so hashed
rows stay immutable. Both tables share one hash chain through `seq` (see chain.py); `audit_chain` holds its head,
`audit_checkpoints` the anchors purges leave behind.

Columns marked personal (key id, user, client address, stored prompts) are erasable on a GDPR request: the record's
content hash covers them only through `personal_hash`, a salted hash, so the rest stays verifiable after erasure.
JSON columns use the portable `JSON` type (text on SQLite, json on PostgreSQL: values round-trip unchanged).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from proxy.db import Base

GENESIS_HASH = "0" * 64


class AuditRecordRow(Base):
    __tablename__ = "audit_records"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)

    # Who: key id, user and client address are personal (erasable); team and role are not.
    key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    team: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    user: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    client_addr: Mapped[str | None] = mapped_column(String(64), nullable=True)

    # What was asked.
    endpoint: Mapped[str] = mapped_column(String(64))
    dialect: Mapped[str | None] = mapped_column(String(16), nullable=True)
    requested_model: Mapped[str | None] = mapped_column(String(256), nullable=True)
    stream: Mapped[bool | None] = mapped_column(Boolean, nullable=True)

    # The decision that was enforced, field for field.
    policy_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    classification: Mapped[str | None] = mapped_column(String(64), nullable=True)
    action: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    rule: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # Every matched rule (enforced and shadow) as "|a|b|", so a rule filter is a portable LIKE.
    rules: Mapped[str] = mapped_column(String(2048), default="")
    matches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    entities: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # entity type -> count, never values
    strategies: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # entity type -> planned strategy
    targets: Mapped[list[str]] = mapped_column(JSON, default=list)  # aliases the decision allowed, in order
    rerouted_from: Mapped[str | None] = mapped_column(String(256), nullable=True)
    # For security events (admin access, reveal, purge, erasure): what was done, never data.
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    # Optional prompt storage (settings.audit_store_prompts): detected spans masked by type; and the original,
    # AES-GCM encrypted under the audit key named by prompt_key_id. Both personal.
    prompt_redacted: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    prompt_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    prompt_key_id: Mapped[str | None] = mapped_column(String(64), nullable=True)

    # Chain.
    personal_salt: Mapped[str | None] = mapped_column(String(32), nullable=True)
    personal_hash: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuditOutcomeRow(Base):
    __tablename__ = "audit_outcomes"

    record_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    location: Mapped[str | None] = mapped_column(String(16), nullable=True)
    attempted: Mapped[list[str]] = mapped_column(JSON, default=list)
    redactions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # entity type -> strategy applied
    upstream_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    prompt_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    completion_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    total_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    timings: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)  # stage -> ms
    error_class: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_status: Mapped[int | None] = mapped_column(Integer, nullable=True)

    content_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """One row (id 1): the last appended entry. Appends lock it (or the database) to stay serial."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditCheckpoint(Base):
    """What a purge removed: the chain up to `anchor_seq`, whose last entry hashed to `anchor_hash`."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    anchor_seq: Mapped[int] = mapped_column(BigInteger, index=True)
    anchor_hash: Mapped[str] = mapped_column(String(64))
    cutoff: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    purged_records: Mapped[int] = mapped_column(Integer)
    purge_record_id: Mapped[str] = mapped_column(String(32))


# Columns a GDPR erasure clears (see retention.py).
PERSONAL_COLUMNS = ("key_id", "user", "client_addr", "prompt_redacted", "prompt_encrypted", "personal_salt")
