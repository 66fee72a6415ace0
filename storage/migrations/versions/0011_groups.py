"""work groups (工作群): groups bound to a unit, the office or the leaders, their one-time
links, and notifications addressed to a group

Revision ID: 0011_groups
Revises: 0010_documents
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0011_groups"
down_revision: str | None = "0010_documents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "work_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("bound_by_id", sa.Integer(), nullable=True),
        sa.Column("bound_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("broken_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("forum", sa.Boolean(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["bound_by_id"], ["people.id"], name=op.f("fk_work_groups_bound_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_work_groups_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_groups")),
        sa.UniqueConstraint("chat_id", name=op.f("uq_work_groups_chat_id")),
    )
    op.create_index(op.f("ix_work_groups_kind"), "work_groups", ["kind"], unique=False)
    op.create_index(op.f("ix_work_groups_unit_id"), "work_groups", ["unit_id"], unique=False)
    op.create_table(
        "group_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_group_links_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_group_links_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_group_links_token_hash")),
    )
    op.create_index(op.f("ix_group_links_person_id"), "group_links", ["person_id"], unique=False)
    op.create_table(
        "item_topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["work_groups.id"],
            name=op.f("fk_item_topics_group_id_work_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_topics_item_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_topics")),
        sa.UniqueConstraint("group_id", "item_id", name=op.f("uq_item_topics_group_id")),
    )
    with op.batch_alter_table("items") as batch:
        batch.add_column(
            sa.Column("confidential", sa.Boolean(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_notifications_group_id"), ["group_id"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_notifications_group_id_work_groups"),
            "work_groups",
            ["group_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(batch.f("fk_notifications_group_id_work_groups"), type_="foreignkey")
        batch.drop_index(batch.f("ix_notifications_group_id"))
        batch.drop_column("group_id")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("confidential")
    op.drop_table("item_topics")
    op.drop_index(op.f("ix_group_links_person_id"), table_name="group_links")
    op.drop_table("group_links")
    op.drop_index(op.f("ix_work_groups_unit_id"), table_name="work_groups")
    op.drop_index(op.f("ix_work_groups_kind"), table_name="work_groups")
    op.drop_table("work_groups")
