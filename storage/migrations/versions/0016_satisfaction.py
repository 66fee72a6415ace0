"""complainants' ratings of their answers (满意度) and their requests for review (异议复核)

Revision ID: 0016_satisfaction
Revises: 0015_batched_notices
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_satisfaction"
down_revision: str | None = "0015_batched_notices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "complaint_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("rating", sa.String(length=16), nullable=False),
        sa.Column("rated_on", sa.Date(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("review", sa.String(length=16), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("superseded", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_ratings_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_complaint_ratings_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["people.id"],
            name=op.f("fk_complaint_ratings_decided_by_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_ratings")),
        sa.UniqueConstraint(
            "complaint_id", "round", name=op.f("uq_complaint_ratings_complaint_id")
        ),
    )
    op.create_index(
        op.f("ix_complaint_ratings_complaint_id"),
        "complaint_ratings",
        ["complaint_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_complaint_ratings_rated_on"), "complaint_ratings", ["rated_on"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_complaint_ratings_rated_on"), table_name="complaint_ratings")
    op.drop_index(op.f("ix_complaint_ratings_complaint_id"), table_name="complaint_ratings")
    op.drop_table("complaint_ratings")
