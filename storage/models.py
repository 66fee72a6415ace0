"""The database schema as typed SQLAlchemy 2 models.

Every change to this file is accompanied by an Alembic migration in ``storage/migrations``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from domain.satisfaction import Rating, Review
from domain.tokens import hash_token
from domain.vocabulary import (
    AssignmentRole,
    AssignmentStatus,
    ComplaintStatus,
    ItemStatus,
    NotificationStatus,
    ReportKind,
    ReportStatus,
)
from storage.types import StrEnumColumn, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


# --- people, roles, units -------------------------------------------------------------------


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    locale: Mapped[str | None] = mapped_column(String(8))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    bound_at: Mapped[datetime | None]
    unreachable_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    roles: Mapped[list[PersonRole]] = relationship(
        back_populates="person", cascade="all, delete-orphan", lazy="raise"
    )


class PersonRole(Base):
    """A roster role (admin, supervisor, principal, deputy). Unit roles live on units."""

    __tablename__ = "person_roles"
    __table_args__ = (UniqueConstraint("person_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))

    person: Mapped[Person] = relationship(back_populates="roles", lazy="raise")


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    head_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    contacts: Mapped[list[UnitContact]] = relationship(
        back_populates="unit",
        cascade="all, delete-orphan",
        order_by="UnitContact.position",
        lazy="raise",
    )


class UnitContact(Base):
    """A unit's contact person (专人); the first by position is the main one."""

    __tablename__ = "unit_contacts"
    __table_args__ = (UniqueConstraint("unit_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    unit: Mapped[Unit] = relationship(back_populates="contacts", lazy="raise")


class Invite(Base):
    """A one-time invite; only the SHA-256 of its token is kept."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    used_by_telegram_id: Mapped[int | None] = mapped_column(BigInteger)


class Setting(Base):
    """Small facts the deployment learns at run time, such as the bot's username."""

    __tablename__ = "settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


# --- items ----------------------------------------------------------------------------------


class Counter(Base):
    """Per-year sequences for item codes and urging notices; never reused."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("year", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20))
    time_class: Mapped[str] = mapped_column(String(20))
    status: Mapped[ItemStatus] = mapped_column(StrEnumColumn(ItemStatus, 24), index=True)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    approval_step: Mapped[int] = mapped_column(Integer, default=0)
    due_date: Mapped[date | None] = mapped_column(Date)
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    acknowledge_by: Mapped[datetime | None]
    plan_by: Mapped[datetime | None]
    first_feedback_by: Mapped[datetime | None]
    dispatched_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    inspection: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    # When the sweep must look at this item next (reminders, ladder); NULL: nothing ahead.
    # Changing a date or the status resets it to CHECK_NOW (see the listener below).
    next_check_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # 立卷归档: when the office archived it; its year decides the archive it belongs to.
    archived_at: Mapped[datetime | None] = mapped_column(index=True)
    # 内部: a confidential item never goes to any work group, only to the people themselves.
    confidential: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # 整改: when a follow-up check last reopened it, and when its rectification plan is due.
    reopened_at: Mapped[datetime | None]
    rectify_plan_by: Mapped[datetime | None]

    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="item", order_by="Assignment.id", lazy="raise"
    )


CHECK_NOW = datetime(2000, 1, 1, tzinfo=UTC)
"""``Item.next_check_at`` meaning "the sweep should look at this item at its next pass"."""


def _schedule_changed(target: Item, value: object, oldvalue: object, initiator: object) -> None:
    if value != oldvalue:
        target.next_check_at = CHECK_NOW


for _attribute in (
    Item.status,
    Item.dispatched_at,
    Item.due_at,
    Item.acknowledge_by,
    Item.plan_by,
    Item.first_feedback_by,
    Item.rectify_plan_by,
):
    event.listen(_attribute, "set", _schedule_changed)


class Assignment(Base):
    """One unit's share of an item (承办), with its own receipt, feedback and completion."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("item_id", "unit_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[AssignmentRole] = mapped_column(StrEnumColumn(AssignmentRole, 8))
    status: Mapped[AssignmentStatus] = mapped_column(StrEnumColumn(AssignmentStatus, 24))
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    last_report_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    item: Mapped[Item] = relationship(back_populates="assignments", lazy="raise")


class TimelineEvent(Base):
    """The append-only record of everything that happened to an item (全过程留痕)."""

    __tablename__ = "timeline_events"
    __table_args__ = (Index("ix_timeline_item_at", "item_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    detail: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Report(Base):
    """A unit's report (反馈): plan, progress, completion, extension request, periodic report."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("author_id", "source_message_id"),
        Index("ix_reports_item", "item_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[ReportKind] = mapped_column(StrEnumColumn(ReportKind, 16))
    text: Mapped[str] = mapped_column(Text, default="")
    requested_due: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ReportStatus] = mapped_column(
        StrEnumColumn(ReportStatus, 16), default=ReportStatus.SUBMITTED
    )
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    confirmed_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    media_group_id: Mapped[str | None] = mapped_column(String(64), index=True)
    source_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class RectificationProblem(Base):
    """One problem a follow-up check found (问题清单), numbered within its reopening, and the
    unit's answer to it (整改情况) once a report gives one."""

    __tablename__ = "rectification_problems"
    __table_args__ = (UniqueConstraint("item_id", "round", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)  # the item's reopenings counted from 1
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))


class Attachment(Base):
    """An evidence file kept under the media directory, with its hashes."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), index=True
    )
    complaint_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    phash: Mapped[str | None] = mapped_column(String(32), index=True)
    captured_at: Mapped[datetime | None]
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]


# --- outbox ---------------------------------------------------------------------------------


class Notification(Base):
    """An outgoing message, written in the same transaction as the change that causes it.

    ``key`` is the idempotency key (item, person, kind, occasion): a second attempt to queue
    the same notification finds the row already there and adds nothing.
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    level: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    photo_path: Mapped[str | None] = mapped_column(String(255))
    # An official document (公文) that goes with the message as a file (sendDocument).
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    status: Mapped[NotificationStatus] = mapped_column(
        StrEnumColumn(NotificationStatus, 16), default=NotificationStatus.PENDING
    )
    not_before: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_until: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime | None]
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    # What a reminder or escalation was computed from (``due:2026-12-03``, ``ack:17``); one
    # whose basis no longer holds when its turn comes is cancelled instead of sent.
    basis: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    # A message to a work group (工作群) instead of a person: exactly one of the two is set.
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("work_groups.id", ondelete="CASCADE"), index=True
    )
    # A ladder notice's place in a list (``domain.listing``: its heading and its line), for
    # when several reach one chat at once and go as one message; None: never listed.
    listing: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


# --- complaints -----------------------------------------------------------------------------


class Complaint(Base):
    """An anonymous complaint. Nothing here identifies the sender: only a hash of the code."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    category: Mapped[str] = mapped_column(String(16))
    place: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[ComplaintStatus] = mapped_column(
        StrEnumColumn(ComplaintStatus, 16), default=ComplaintStatus.NEW
    )
    answer: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    created_on: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime]


class ComplaintNote(Base):
    """More information from the complainant, or a message from the office."""

    __tablename__ = "complaint_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    from_office: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text)
    created_on: Mapped[date] = mapped_column(Date)


# --- execution: report drafts and chat prompts ----------------------------------------------


class ReportDraft(Base):
    """A report being written in chat (反馈草稿): kind, text and files until it is confirmed.

    One open draft per person and item; an album's photos all land in it. Files are kept as
    Telegram file ids and downloaded when the report is submitted.
    """

    __tablename__ = "report_drafts"
    __table_args__ = (UniqueConstraint("person_id", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    kind: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    files: Mapped[list[Any]] = mapped_column(JSON, default=list)
    media_group_id: Mapped[str | None] = mapped_column(String(64))
    first_message_id: Mapped[int | None] = mapped_column(BigInteger)
    prompt_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ChatPrompt(Base):
    """A bot message that asks for an answer (a reason, a date, report content).

    A reply to it (Telegram's ForceReply) is routed by ``purpose`` to ``target``.
    """

    __tablename__ = "chat_prompts"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(24))
    target: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


# --- web console: sign-in links and sessions ------------------------------------------------


class _PersonToken:
    """A secret given to one person, of which only the hash is kept, valid until it expires."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class WebSignIn(_PersonToken, Base):
    """A one-time sign-in link to the web console, sent by the bot on /web; only its hash."""

    __tablename__ = "web_sign_ins"

    used_at: Mapped[datetime | None]


class WebSession(_PersonToken, Base):
    """A signed-in browser: only the hash of the cookie's session id is kept."""

    __tablename__ = "web_sessions"

    last_seen_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


_Token = TypeVar("_Token", Invite, WebSignIn, WebSession)


def token_row(
    kind: type[_Token],
    person_id: int,
    token: str,
    now: datetime,
    lifetime: timedelta,
    **more: Any,
) -> _Token:
    """A new secret for one person, valid for ``lifetime`` from ``now``: only its hash is kept."""
    return kind(
        person_id=person_id,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + lifetime,
        **more,
    )


# --- several instances: chat conversations and leases ----------------------------------------


class ChatConversation(Base):
    """Where a person's chat conversation (such as /new) stands, and what it has gathered so far.

    Kept in the database rather than one process's memory, so that the next update may land on
    any instance. ``state`` is the conversation's step; ``data`` its draft.
    """

    __tablename__ = "chat_conversations"
    __table_args__ = (UniqueConstraint("chat_id", "user_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(32))
    state: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


class SealedDraft(Base):
    """A complaint being written in chat, kept between its steps so any instance may take the
    next one. ``key`` is a keyed hash of the chat and ``sealed`` its step and draft encrypted
    for that chat (``services.sealing``): neither names the complainant without the deployment
    secret. Deleted when filed or cancelled; unread after ``expires_at`` and then deleted."""

    __tablename__ = "complaint_drafts"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ComplaintLimit(Base):
    """One count of the complaint abuse limits, shared by every instance: events of ``kind``
    (wrong codes, filings, a lockout) under ``key`` (a keyed hash of the sender that changes
    every day, or ``*`` for everyone together) in the window starting at ``window_start``."""

    __tablename__ = "complaint_limits"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SendPace(Base):
    """When the next message may start, shared by every instance sending with one bot token:
    per chat (``chat:<id>``) and for the bot as a whole (``bot``). ``next_at`` is seconds since
    the epoch by the database server's clock, so instances' clocks play no part."""

    __tablename__ = "send_pace"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float)


# --- official documents ---------------------------------------------------------------------


class Document(Base):
    """An official document (公文) as issued: its kind, its number within the kind's year, the
    .docx kept under the media directory with its SHA-256, and the PDF when one was made.

    ``(kind, year, seq)`` is unique: a number is never given twice; the counter row
    ``(kind, year)`` in ``counters`` is advanced in the transaction that issues it."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("kind", "year", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    pdf_path: Mapped[str | None] = mapped_column(String(255))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]


# --- work groups (工作群) ---------------------------------------------------------------------


class WorkGroup(Base):
    """A Telegram group bound to a unit, the office or the leaders; one binding per group.

    ``kind`` is a :class:`domain.groups.GroupKind`; ``unit_id`` is set for a unit's group.
    ``broken_at``: the bot was removed or blocked there; its traffic falls back to private
    messages until the group is bound again.
    """

    __tablename__ = "work_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    title: Mapped[str] = mapped_column(String(255), default="")
    kind: Mapped[str] = mapped_column(String(16), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    bound_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    bound_at: Mapped[datetime]
    broken_at: Mapped[datetime | None]
    # A forum (topics on): each item gets its own topic there (``ItemTopic``).
    forum: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class GroupLink(Base):
    """A one-time link (``?startgroup=TOKEN``) that binds the group it is used in; only the
    SHA-256 of its token is kept."""

    __tablename__ = "group_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ItemTopic(Base):
    """An item's own topic in a forum work group: everything about the item goes into it."""

    __tablename__ = "item_topics"
    __table_args__ = (UniqueConstraint("group_id", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("work_groups.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


# --- the leaders' measures: talks (约谈) ----------------------------------------------------------


class Talk(Base):
    """A talk (约谈) a leader ordered with the heads of an item's units, once per item, leader
    kind (deputy or principal) and due date; the office records it once held: when, where, who
    attended, what the units committed to and by when (``commit_by``, then chased)."""

    __tablename__ = "talks"
    __table_args__ = (UniqueConstraint("item_id", "talk_by", "basis"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    talk_by: Mapped[str] = mapped_column(String(16))  # domain.talks.TalkBy
    basis: Mapped[str] = mapped_column(String(32))  # the due date it was ordered under
    ordered_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    ordered_at: Mapped[datetime]
    # The units' shares talked to (assignment ids): the open ones when it was ordered.
    assignment_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    held_on: Mapped[date | None] = mapped_column(Date)
    held_time: Mapped[str | None] = mapped_column(String(5))  # HH:MM, local
    place: Mapped[str] = mapped_column(Text, default="")
    attendees: Mapped[str] = mapped_column(Text, default="")
    commitment: Mapped[str] = mapped_column(Text, default="")
    commit_by: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    recorded_at: Mapped[datetime | None]


class Referral(Base):
    """A referral for accountability (问责建议): the item remained undone (typically after a
    talk); the principal leader or the office proposes to refer it to ``to_whom`` (e.g. the
    discipline inspection and supervision body, 纪检监察机关) for ``reason``, dated ``on``."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    to_whom: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    on: Mapped[date] = mapped_column(Date)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime]


# --- notices of criticism and praise (通报批评, 通报表扬), the bodies copied -----------------


class Organisation(Base):
    """A body the roster lists to copy notices to (县委办, 人大办, 政协办); its members receive
    the copies in chat."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The people who receive its copies (person ids, in roster order).
    member_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)


class PublicNotice(Base):
    """A notice of criticism or of praise (通报批评/通报表扬) of a unit: drafted (``draft``),
    confirmed and sent once (``sent``), or left unconfirmed until ``expires_at`` (``expired``)
    or dropped (``dropped``). A criticism is about an item; a praise may be about none."""

    __tablename__ = "public_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # domain.notices.NoticeKind
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), index=True
    )
    unit_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    basis: Mapped[str] = mapped_column(String(32), default="")
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    ordered_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    ordered_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None]


# --- complaints: satisfaction and review (满意度, 异议复核) -----------------------------------


class ComplaintRating(Base):
    """A complainant's rating of their complaint's answer, and the request for review that a
    不满意 is. Nothing identifies the complainant: the rating is reached only through the
    complaint's code, and its day (not its moment) is kept. ``answer`` is the answer rated;
    ``unit_id`` the unit that answered it (the item's lead unit then; none when the office
    answered a complaint without an item). ``superseded`` when a review reopened the item:
    the next answer may be rated again."""

    __tablename__ = "complaint_ratings"
    __table_args__ = (UniqueConstraint("complaint_id", "round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int] = mapped_column(Integer, default=1)  # the complaint's 1st, 2nd… answer
    rating: Mapped[Rating] = mapped_column(StrEnumColumn(Rating, 16))
    rated_on: Mapped[date] = mapped_column(Date, index=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    review: Mapped[Review | None] = mapped_column(StrEnumColumn(Review, 16))
    reply: Mapped[str | None] = mapped_column(Text)  # the office's reason, or the reopening
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_on: Mapped[date | None] = mapped_column(Date)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)


class MonthlyReport(Base):
    """The month's supervision report (督查专报) as the schedule issued it: one row per month
    (``2026-11``), inserted before its number is taken, so two instances or a re-run issue
    and send it once."""

    __tablename__ = "monthly_reports"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    created_at: Mapped[datetime]
