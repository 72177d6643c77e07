"""Audit log: records, outcomes, the chain head and purge checkpoints.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64


def upgrade() -> None:
    op.create_table(
        "audit_records",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("key_id", sa.String(32), nullable=True),
        sa.Column("team", sa.String(128), nullable=True),
        sa.Column("user", sa.String(128), nullable=True),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("client_addr", sa.String(64), nullable=True),
        sa.Column("endpoint", sa.String(64), nullable=False),
        sa.Column("dialect", sa.String(16), nullable=True),
        sa.Column("requested_model", sa.String(256), nullable=True),
        sa.Column("stream", sa.Boolean(), nullable=True),
        sa.Column("policy_version", sa.String(64), nullable=True),
        sa.Column("classification", sa.String(64), nullable=True),
        sa.Column("action", sa.String(16), nullable=True),
        sa.Column("rule", sa.String(128), nullable=True),
        sa.Column("rules", sa.String(2048), nullable=False),
        sa.Column("matches", sa.JSON(), nullable=False),
        sa.Column("entities", sa.JSON(), nullable=False),
        sa.Column("strategies", sa.JSON(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("rerouted_from", sa.String(256), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("prompt_redacted", sa.JSON(), nullable=True),
        sa.Column("prompt_encrypted", sa.Text(), nullable=True),
        sa.Column("prompt_key_id", sa.String(64), nullable=True),
        sa.Column("personal_salt", sa.String(32), nullable=True),
        sa.Column("personal_hash", sa.String(64), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_records")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_records_seq")),
    )
    for column in ("kind", "time", "team", "user", "action"):
        op.create_index(op.f(f"ix_audit_records_{column}"), "audit_records", [column])

    op.create_table(
        "audit_outcomes",
        sa.Column("record_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("target", sa.String(128), nullable=True),
        sa.Column("location", sa.String(16), nullable=True),
        sa.Column("attempted", sa.JSON(), nullable=False),
        sa.Column("redactions", sa.JSON(), nullable=False),
        sa.Column("upstream_status", sa.Integer(), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=True),
        sa.Column("completion_tokens", sa.Integer(), nullable=True),
        sa.Column("total_tokens", sa.Integer(), nullable=True),
        sa.Column("timings", sa.JSON(), nullable=False),
        sa.Column("error_class", sa.String(64), nullable=True),
        sa.Column("error_status", sa.Integer(), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_audit_outcomes")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_outcomes_seq")),
    )
    op.create_index(op.f("ix_audit_outcomes_outcome"), "audit_outcomes", ["outcome"])
    op.create_index(op.f("ix_audit_outcomes_target"), "audit_outcomes", ["target"])

    head = op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain")),
    )
    # The genesis head: appends lock this row, so it must exist before the first one.
    op.bulk_insert(head, [{"id": 1, "seq": 0, "head_hash": GENESIS_HASH, "updated_at": datetime.now(UTC)}])

    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("anchor_seq", sa.BigInteger(), nullable=False),
        sa.Column("anchor_hash", sa.String(64), nullable=False),
        sa.Column("cutoff", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_records", sa.Integer(), nullable=False),
        sa.Column("purge_record_id", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    op.create_index(op.f("ix_audit_checkpoints_anchor_seq"), "audit_checkpoints", ["anchor_seq"])


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_checkpoints_anchor_seq"), table_name="audit_checkpoints")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_chain")
    op.drop_index(op.f("ix_audit_outcomes_target"), table_name="audit_outcomes")
    op.drop_index(op.f("ix_audit_outcomes_outcome"), table_name="audit_outcomes")
    op.drop_table("audit_outcomes")
    for column in ("action", "user", "team", "time", "kind"):
        op.drop_index(op.f(f"ix_audit_records_{column}"), table_name="audit_records")
    op.drop_table("audit_records")
