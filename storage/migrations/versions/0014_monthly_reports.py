"""monthly supervision reports: the month each scheduled report (督查专报) was issued for

Revision ID: 0014_monthly_reports
Revises: 0013_consequences
Create Date: 2026-12-04 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0014_monthly_reports"
down_revision: str | None = "0013_consequences"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monthly_reports",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_monthly_reports_document_id_documents"),
        ),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_monthly_reports")),
    )


def downgrade() -> None:
    op.drop_table("monthly_reports")
