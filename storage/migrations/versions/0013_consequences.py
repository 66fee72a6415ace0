"""the leaders' measures as records: talks (约谈), referrals (问责建议), notices (通报) and the
organisations they are copied to

Revision ID: 0013_consequences
Revises: 0012_proposals
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0013_consequences"
down_revision: str | None = "0012_proposals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "talks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("talk_by", sa.String(length=16), nullable=False),
        sa.Column("basis", sa.String(length=32), nullable=False),
        sa.Column("ordered_by_id", sa.Integer(), nullable=True),
        sa.Column("ordered_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("assignment_ids", sa.JSON(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("held_time", sa.String(length=5), nullable=True),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("attendees", sa.Text(), nullable=False),
        sa.Column("commitment", sa.Text(), nullable=False),
        sa.Column("commit_by", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_talks_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["ordered_by_id"], ["people.id"], name=op.f("fk_talks_ordered_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["people.id"], name=op.f("fk_talks_recorded_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talks")),
        sa.UniqueConstraint("item_id", "talk_by", "basis", name=op.f("uq_talks_item_id")),
    )
    op.create_index(op.f("ix_talks_item_id"), "talks", ["item_id"], unique=False)
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("to_whom", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["by_id"], ["people.id"], name=op.f("fk_referrals_by_id_people")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_referrals_item_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    op.create_index(op.f("ix_referrals_item_id"), "referrals", ["item_id"], unique=False)
    _notices()


def _notices() -> None:
    """Notices of criticism and praise (通报), and the organisations they are copied to."""
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("member_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("key", name=op.f("uq_organisations_key")),
    )
    op.create_table(
        "public_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("unit_ids", sa.JSON(), nullable=False),
        sa.Column("basis", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ordered_by_id", sa.Integer(), nullable=True),
        sa.Column("ordered_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["people.id"], name=op.f("fk_public_notices_decided_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_public_notices_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ordered_by_id"], ["people.id"], name=op.f("fk_public_notices_ordered_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_notices")),
    )
    op.create_index(op.f("ix_public_notices_item_id"), "public_notices", ["item_id"], unique=False)
    op.create_index(op.f("ix_public_notices_status"), "public_notices", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_public_notices_status"), table_name="public_notices")
    op.drop_index(op.f("ix_public_notices_item_id"), table_name="public_notices")
    op.drop_table("public_notices")
    op.drop_table("organisations")
    op.drop_index(op.f("ix_referrals_item_id"), table_name="referrals")
    op.drop_table("referrals")
    op.drop_index(op.f("ix_talks_item_id"), table_name="talks")
    op.drop_table("talks")
