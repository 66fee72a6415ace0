"""sweep: items.next_check_at, notifications.basis

Revision ID: 0003_sweep
Revises: 0002_execution
Create Date: 2026-11-23 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0003_sweep"
down_revision: str | None = "0002_execution"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = ("dispatched", "in_progress", "completion_submitted")


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(
            sa.Column("next_check_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_index(batch.f("ix_items_next_check_at"), ["next_check_at"], unique=False)
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("basis", sa.String(length=64), nullable=True))
    # Open items already out get looked at by the first sweep.
    items = sa.table(
        "items",
        sa.column("status", sa.String()),
        sa.column("next_check_at", storage.types.UTCDateTime(timezone=True)),
    )
    op.execute(
        items.update()
        .where(items.c.status.in_(OPEN))
        .values(next_check_at=datetime(2000, 1, 1, tzinfo=UTC))
    )


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("basis")
    with op.batch_alter_table("items") as batch:
        batch.drop_index(batch.f("ix_items_next_check_at"))
        batch.drop_column("next_check_at")
