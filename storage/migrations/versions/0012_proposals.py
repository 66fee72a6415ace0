"""rectification (整改): items.reopened_at and rectify_plan_by, and the problems found
(rectification_problems) with the unit's answers

Revision ID: 0012_proposals
Revises: 0011_groups
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0012_proposals"
down_revision: str | None = "0011_groups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        for name in ("reopened_at", "rectify_plan_by"):
            batch.add_column(
                sa.Column(name, storage.types.UTCDateTime(timezone=True), nullable=True)
            )
    op.create_table(
        "rectification_problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_rectification_problems_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_rectification_problems_report_id_reports")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_rectification_problems_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification_problems")),
        sa.UniqueConstraint(
            "item_id", "round", "number", name=op.f("uq_rectification_problems_item_id")
        ),
    )
    op.create_index(
        op.f("ix_rectification_problems_item_id"),
        "rectification_problems",
        ["item_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_rectification_problems_item_id"), table_name="rectification_problems")
    op.drop_table("rectification_problems")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("rectify_plan_by")
        batch.drop_column("reopened_at")
