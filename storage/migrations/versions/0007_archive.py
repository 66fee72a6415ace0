"""archive: items.archived_at (立卷归档)

Revision ID: 0007_archive
Revises: 0006_sweep_lock
Create Date: 2026-11-24 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007_archive"
down_revision: str | None = "0006_sweep_lock"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(
            sa.Column("archived_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_index(batch.f("ix_items_archived_at"), ["archived_at"], unique=False)
    # An item archived before the column existed was archived when it last changed.
    items = sa.table(
        "items",
        sa.column("status", sa.String()),
        sa.column("updated_at", storage.types.UTCDateTime(timezone=True)),
        sa.column("archived_at", storage.types.UTCDateTime(timezone=True)),
    )
    op.execute(
        items.update().where(items.c.status == "archived").values(archived_at=items.c.updated_at)
    )


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_index(batch.f("ix_items_archived_at"))
        batch.drop_column("archived_at")
