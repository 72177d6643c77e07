"""Audit: look records up by the request id a client saw in `x-request-id`.

Revision ID: 0003_audit_request_id
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003_audit_request_id"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_audit_records_request_id"), "audit_records", ["request_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_records_request_id"), table_name="audit_records")
