"""complaint drafts in chat and the complaint abuse limits, kept under keyed hashes

Revision ID: 0008_complaint_drafts
Revises: 0007_archive
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0008_complaint_drafts"
down_revision: str | None = "0007_archive"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "complaint_drafts",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_complaint_drafts")),
    )
    op.create_index(
        op.f("ix_complaint_drafts_expires_at"), "complaint_drafts", ["expires_at"], unique=False
    )
    op.create_table(
        "complaint_limits",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("window_start", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", "kind", "window_start", name=op.f("pk_complaint_limits")),
    )
    op.create_index(
        op.f("ix_complaint_limits_expires_at"), "complaint_limits", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_complaint_limits_expires_at"), table_name="complaint_limits")
    op.drop_table("complaint_limits")
    op.drop_index(op.f("ix_complaint_drafts_expires_at"), table_name="complaint_drafts")
    op.drop_table("complaint_drafts")
