"""The sweep's notices: the messages of an item's due occasions (reminders, the chases of a
missed plan, feedback or periodic report and their notices upward, ladder levels), built once
per language and audience and queued for each person told, with the timeline entries that
record them.

Who is told comes from ``domain.recipients``; the texts from ``texts.reminders``. Every
notification has an idempotency key ``item:<id>|<scope>|person:<id>|<occasion key>``, so a
re-run adds nothing twice. A ladder level may issue a numbered urging notice (once per item,
level and due date: its number is kept on the timeline) and mark the item an inspection item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
from domain.buttons import Button
from domain.deadlines import local_date
from domain.documents import reply_by
from domain.ladder import respects_quiet_hours
from domain.listing import Listing
from domain.occasions import PlannedOccasion
from domain.policy import LadderAction, LadderLevel, Recipient
from domain.recipients import (
    Addressee,
    Directory,
    LevelRecipient,
    NamedPerson,
    UnitContacts,
    deputy_leader_id,
    group_ids,
    item_people,
    level_recipients,
    names_told,
    person_ids,
    reminder_recipients,
)
from domain.records import ItemRecord
from domain.reminders import Occasion, OccasionKind, is_late, send_from
from domain.views import ItemView, PersonRef
from domain.vocabulary import GroupKind, GroupTopic
from services.chases import owed_listing, owed_message
from services.group_notices import live_groups, office_forum
from services.outbox.kinds import ESCALATION
from services.outbox.queue import notification_row
from services.runtime import Runtime
from services.sweep_batch import QueuedEntry, SweepWrites, timeline_row
from services.sweep_people import ItemUnits, people_by_id
from services.sweep_urging import IssuedNotice, NoticeKey, issue_item_notice, issued_notices
from services.timeline import Kind
from services.views import build_item_view
from storage.models import WorkGroup
from texts import Text
from texts import items as item_texts
from texts import referrals as referral_texts
from texts import reminders as texts

Message = tuple[str, list[Button]]  # a text and its row of buttons


@dataclass
class LoadedBatch:
    """What a batch's messages need: the runtime, the session and the moment of the pass, and
    the people and urging notices read in a few queries for the whole batch."""

    rt: Runtime
    session: AsyncSession
    now: datetime
    people: Directory
    names: dict[int, NamedPerson]
    refs: dict[int, PersonRef]
    notices: dict[NoticeKey, IssuedNotice]  # urging notices issued (``services.sweep_urging``)
    unit_groups: dict[int, WorkGroup] = field(default_factory=dict)  # unit → its live group
    office_forum: WorkGroup | None = None  # the office's group with a topic per item


async def load_for_messages(
    rt: Runtime,
    session: AsyncSession,
    now: datetime,
    people: Directory,
    items: Mapping[int, ItemRecord],
    units: dict[int, ItemUnits],
    due: dict[int, list[PlannedOccasion]],
) -> LoadedBatch:
    """The people the due items' messages name, and the urging notices already issued."""
    wanted: set[int | None] = set()
    urging: list[int] = []
    for item_id, planned in due.items():
        if not planned:
            continue
        item = items[item_id]
        wanted.add(item.leader_id)
        wanted.add(deputy_leader_id(item.leader_id, units[item_id].units))
        wanted.update(assignment.acknowledged_by_id for assignment, _, _ in units[item_id].rows)
        for plan in planned:
            if plan.occasion.kind is OccasionKind.ESCALATION:
                level = rt.policy.ladder.get(plan.occasion.level)
                if level is not None and level.urging_notice:
                    urging.append(item_id)
    names = await people_by_id(session, wanted)
    unit_ids = {unit.unit_id for item_units in units.values() for unit in item_units.units}
    groups = await live_groups(session, GroupKind.UNIT, sorted(unit_ids))
    return LoadedBatch(
        rt=rt,
        session=session,
        now=now,
        people=people,
        names=names,
        refs={pid: PersonRef(pid, p.key, p.name) for pid, p in names.items()},
        notices=await issued_notices(session, urging, rt.tz),
        unit_groups={group.unit_id: group for group in groups if group.unit_id is not None},
        office_forum=await office_forum(session),
    )


@dataclass
class _ItemNotices:
    """One item's notices being built: what they say, and where they go (``own``; ``kept`` for
    what is written even when the item fails later)."""

    batch: LoadedBatch
    item: ItemRecord
    view: ItemView
    units: list[UnitContacts]
    leader: Addressee | None  # the item's deputy leader, when active
    own: SweepWrites
    kept: SweepWrites

    @property
    def rt(self) -> Runtime:
        return self.batch.rt

    @property
    def now(self) -> datetime:
        return self.batch.now


async def queue_due(
    batch: LoadedBatch,
    item: ItemRecord,
    units: ItemUnits,
    due: list[PlannedOccasion],
    own: SweepWrites,
    kept: SweepWrites,
) -> None:
    """Queue the item's due occasions into ``own``; an urging notice's number, once issued,
    goes into ``kept`` (written even when the item fails later, so the number is not lost)."""
    view = build_item_view(item, units.rows, batch.refs, batch.now, batch.rt.policy)
    found = batch.names.get(deputy_leader_id(item.leader_id, units.units) or 0)
    leader = found.addressed_as(Recipient.DEPUTY_LEADER) if found is not None else None
    ctx = _ItemNotices(batch, item, view, units.units, leader, own, kept)
    for plan in due:
        if plan.occasion.kind is OccasionKind.ESCALATION:
            await _queue_level(ctx, plan)
        else:
            _queue_reminder(ctx, plan)


def _key(item_id: int, scope: str, person_id: int, occasion_key: str) -> str:
    return f"item:{item_id}|{scope}|person:{person_id}|{occasion_key}"


def _notify(
    ctx: _ItemNotices,
    plan: PlannedOccasion,
    person: Addressee,
    scope: str,
    message: Message,
    *,
    kind: str,
    level: int = 0,
    not_before: datetime,
    late: bool,
    document_id: int | None = None,
    listing: Listing | None = None,
) -> tuple[str, Addressee]:
    """Add the notification of ``message`` to ``person``; its key and addressee."""
    if person.group_id is None:
        key = _key(ctx.item.id, scope, person.id, plan.occasion.key)
    else:
        key = f"item:{ctx.item.id}|{scope}|group:{person.group_id}|{plan.occasion.key}"
    ctx.own.notifications.append(
        notification_row(
            key=key,
            person_id=person.id if person.group_id is None else None,
            group_id=person.group_id,
            item_id=ctx.item.id,
            text=message[0],
            buttons=[message[1]],
            kind=kind,
            level=level,
            not_before=not_before,
            created_at=ctx.now,
            late=late,
            basis=plan.basis,
            document_id=document_id,
            listing=listing.as_json() if listing is not None else None,
        )
    )
    return key, person


def _with_group(
    ctx: _ItemNotices, topic: GroupTopic, unit: UnitContacts, people: list[Addressee]
) -> list[Addressee]:
    """``people``, with the unit's work group first when the policy sends ``topic`` there (the
    people only when the route says they keep a private copy), and the office's forum (the
    item's topic) last. A confidential item goes to no group."""
    if ctx.item.confidential:
        return people
    forum = ctx.batch.office_forum
    story = [_as_group(forum, unit)] if forum is not None else []
    route = ctx.rt.policy.groups.route(topic)
    group = ctx.batch.unit_groups.get(unit.unit_id)
    if route.group is not GroupKind.UNIT or group is None:
        return people + story
    return [_as_group(group, unit), *(people if route.private else []), *story]


def _as_group(group: WorkGroup, unit: UnitContacts) -> Addressee:
    """A work group told for ``unit``'s people."""
    return Addressee(0, f"{unit.name} ({group.title})", None, Recipient.UNIT_CONTACT, group.id)


def _details(t: Text, ref: str) -> Button:
    return Button(t.raw(item_texts.DETAILS), callbacks.make(callbacks.DETAIL, ref))


# --- reminders ---------------------------------------------------------------------------------


_CHASES = frozenset({OccasionKind.DUTY_CHASE, OccasionKind.DUTY_NOTICE})


def _queue_reminder(ctx: _ItemNotices, plan: PlannedOccasion) -> None:
    occasion, unit = plan.occasion, plan.unit
    assert unit is not None
    if occasion.kind is OccasionKind.DUTY_NOTICE:
        recipients = item_people(occasion.recipients, ctx.leader, ctx.batch.people)
    else:
        recipients = _with_group(
            ctx, GroupTopic.REMINDER, unit, reminder_recipients(occasion.recipients, unit)
        )
    if not recipients:
        return
    rt, now = ctx.rt, ctx.now
    late = is_late(occasion.at, now)
    not_before = send_from(occasion, now, rt.policy, rt.tz, quiet=True)
    messages: dict[tuple[str | None, bool], tuple[Message, Listing | None]] = {}
    keys = []
    for person in recipients:
        to_head = person.role is Recipient.UNIT_HEAD
        cache = (person.locale, to_head)
        if cache not in messages:
            messages[cache] = _reminder_message(ctx, person.locale, unit, plan, to_head)
        message, listing = messages[cache]
        keys.append(
            _notify(
                ctx,
                plan,
                person,
                f"a:{unit.assignment_id}",
                message,
                kind=str(occasion.kind),
                not_before=not_before,
                late=late,
                listing=listing,
            )
        )
    describe = partial(_reminded, occasion, late)
    ctx.own.entries.append(
        QueuedEntry(
            keys,
            escalation=False,
            item_id=ctx.item.id,
            at=now,
            kind=Kind.CHASED if occasion.kind in _CHASES else Kind.REMINDED,
            unit_id=unit.unit_id,
            describe=describe,
        )
    )


def _reminder_message(
    ctx: _ItemNotices,
    locale: str | None,
    unit: UnitContacts,
    plan: PlannedOccasion,
    to_head: bool,
) -> tuple[Message, Listing | None]:
    """The reminder's message, and (a chase, a deadline's reminder or notice) its place in a
    list of several (``domain.listing``)."""
    occasion, view = plan.occasion, ctx.view
    t = ctx.rt.text(locale)
    buttons = [_details(t, view.ref)]
    listing = None
    if occasion.kind is OccasionKind.RECEIPT_CHASE:
        text = texts.receipt_chase(
            t, view, unit.name, ctx.rt.tz, to_head=to_head, hours=occasion.hours
        )
        heading = texts.receipt_heading(t, unit.name, to_head=to_head)
        said = texts.receipt_said(t, view, ctx.rt.tz)
        listing = texts.item_listing(t, heading, view, said, _show_items(t))
        if not to_head:
            buttons.insert(
                0,
                Button(
                    t.raw(item_texts.ACKNOWLEDGE),
                    callbacks.make(callbacks.ACKNOWLEDGE, unit.assignment_id),
                ),
            )
    elif occasion.kind is OccasionKind.BEFORE_DUE:
        text = texts.before_due(t, view, unit.name, occasion.days)
    elif occasion.duty is not None:
        text = owed_message(t, view, unit.name, occasion, ctx.rt, to_head=to_head)
        listing = owed_listing(
            t, view, unit.name, occasion, ctx.rt, to_head=to_head, show_all=_show_items(t)
        )
    else:
        assert plan.report_on is not None
        text = texts.report_due(t, view, unit.name, plan.report_on, plan.quarterly)
    return (text, buttons), listing


def _show_items(t: Text) -> Button:
    """A listed reminder's button to the whole list of the reader's new items."""
    return Button(t.raw(texts.SHOW_ITEMS), callbacks.make(callbacks.PAGE, "items", 1, "new"))


def _reminded(
    occasion: Occasion, late: bool, queued: list[Addressee]
) -> tuple[str, dict[str, Any]]:
    """The detail and data of the timeline entry of a reminder queued to ``queued``."""
    data = {
        "occasion": occasion.key,
        "recipients": person_ids(queued),
        "groups": group_ids(queued),
        "state": "queued",
        "late": late,
    }
    return _detail(occasion.kind, queued, late), data


def _detail(kind: str, people: list[Addressee], late: bool) -> str:
    names = ", ".join(p.name for p in people)
    return f"{kind} → {names}" + (" (late)" if late else "")


# --- ladder levels -----------------------------------------------------------------------------


async def _queue_level(ctx: _ItemNotices, plan: PlannedOccasion) -> None:
    occasion, item, now = plan.occasion, ctx.item, ctx.now
    level = ctx.rt.policy.ladder.get(occasion.level)
    assert level is not None
    told = _level_with_groups(
        ctx, level_recipients(level.recipients, ctx.leader, ctx.batch.people, ctx.units)
    )
    notices = await _notices(ctx, level, plan.basis) if level.urging_notice else {}
    if level.inspection_item and not item.inspection:
        item.inspection = True
        ctx.own.entries.append(
            timeline_row(
                item.id,
                now,
                Kind.INSPECTION,
                detail=f"level {level.level}",
                data={"level": level.level, "basis": plan.basis},
            )
        )
    codes = "、".join(dict.fromkeys(notice.code for notice in notices.values())) or None
    facts = texts.LadderFacts(
        level=level.level,
        overdue_days=_overdue_days(ctx),
        units=tuple(u.name for u in ctx.units if u.open),
        leader=ctx.leader.name if ctx.leader else None,
        notice_code=codes,
        inspection=level.inspection_item or item.inspection,
        told=names_told(told),
        makes_inspection=level.inspection_item,
        after_talk=level.after_talk,
    )
    late = is_late(occasion.at, now)
    quiet = respects_quiet_hours(level, ctx.rt.policy)
    not_before = send_from(occasion, now, ctx.rt.policy, ctx.rt.tz, quiet=quiet)
    messages: dict[tuple[str | None, str, bool, str | None], tuple[Message, Listing]] = {}
    keys: list[tuple[str, Addressee]] = []
    for recipient in told:
        person = recipient.person
        notice = _notice_for(recipient, notices)
        code = notice.code if notice is not None and recipient.unit is not None else codes
        cache = (person.locale, recipient.audience, recipient.can_act, code)
        if cache not in messages:
            told_facts = replace(facts, notice_code=code, reply_by=_reply_by(ctx, notice, notices))
            messages[cache] = _escalation_message(ctx, level, told_facts, recipient)
        message, listing = messages[cache]
        scope = f"a:{recipient.unit.assignment_id}" if recipient.unit is not None else "item"
        keys.append(
            _notify(
                ctx,
                plan,
                person,
                scope,
                message,
                kind=ESCALATION,
                level=level.level,
                not_before=not_before,
                late=late,
                document_id=_document_for(person, notice),
                listing=listing,
            )
        )
    if keys:
        describe = partial(_escalated, level, occasion, codes, late)
        ctx.own.entries.append(
            QueuedEntry(keys, True, item.id, now, Kind.ESCALATED, None, describe)
        )


def _level_with_groups(ctx: _ItemNotices, told: list[LevelRecipient]) -> list[LevelRecipient]:
    """A level's recipients, each open unit's work group (urging: 催办) before its people."""
    grouped = ctx.batch.office_forum is not None or any(
        r.unit is not None and r.unit.unit_id in ctx.batch.unit_groups for r in told
    )
    if not grouped:
        return told
    found: list[LevelRecipient] = []
    units_seen: set[int] = set()
    for recipient in told:
        unit = recipient.unit
        if unit is None:
            found.append(recipient)
        elif unit.unit_id not in units_seen:
            units_seen.add(unit.unit_id)
            people = [r.person for r in told if r.unit is unit]
            kept = _with_group(ctx, GroupTopic.URGING, unit, people)
            found += [LevelRecipient(p, unit, can_act=False) for p in kept]
    return found


def _reply_by(
    ctx: _ItemNotices, notice: IssuedNotice | None, notices: dict[int | None, IssuedNotice]
) -> date | None:
    """The day the urging notice a person is told of asks its written answer by, as its
    document states it (the earliest of the item's notices for those told of them all)."""
    named = [notice] if notice is not None else list(notices.values())
    if not named:
        return None
    days = ctx.rt.policy.documents.reply_days
    return min(reply_by(n.issued_on, days) for n in named)


def _overdue_days(ctx: _ItemNotices) -> int:
    if ctx.item.due_date is None:
        return 0
    return max((local_date(ctx.now, ctx.rt.tz) - ctx.item.due_date).days, 0)


def _document_for(person: Addressee, notice: IssuedNotice | None) -> int | None:
    """The urging notice's document goes to the unit's head and contact as a file."""
    if notice is None or person.role not in (Recipient.UNIT_HEAD, Recipient.UNIT_CONTACT):
        return None
    return notice.document_id


def _notice_for(
    recipient: LevelRecipient, notices: dict[int | None, IssuedNotice]
) -> IssuedNotice | None:
    """The notice a unit's people receive: their unit's, else the item's own."""
    unit = recipient.unit.unit_id if recipient.unit is not None else None
    return notices.get(unit) or notices.get(None)


async def _notices(
    ctx: _ItemNotices, level: LadderLevel, basis: str
) -> dict[int | None, IssuedNotice]:
    """The urging notices of this item, level and due date by unit (None: the item's own):
    each open unit's notice issued for the batch (``services.sweep_urging``), else one of the
    item's own, issued once."""
    item, known = ctx.item, ctx.batch.notices
    found: dict[int | None, IssuedNotice] = {}
    for unit in ctx.units:
        notice = known.get((item.id, level.level, basis, unit.unit_id))
        if notice is not None:
            found[unit.unit_id] = notice
    if all(u.unit_id in found for u in ctx.units if u.open) and found:
        return found
    key = (item.id, level.level, basis, None)
    own = known.get(key)
    if own is None:
        own = await issue_item_notice(ctx.rt, ctx.batch.session, ctx.now, key, item, ctx.kept)
        known[key] = own
    return found | {None: own}


def _escalation_message(
    ctx: _ItemNotices, level: LadderLevel, facts: texts.LadderFacts, recipient: LevelRecipient
) -> tuple[Message, Listing]:
    """The level's message to ``recipient``, and its place in a list of several."""
    t = ctx.rt.text(recipient.person.locale)
    ref = ctx.item.ref
    buttons: list[Button] = []
    if recipient.can_act:
        buttons = [_action_button(t, action, ref) for action in level.actions]
    buttons.append(_details(t, ref))
    text = texts.escalation(
        t,
        ctx.view,
        facts,
        audience=recipient.audience,
        actions=bool(level.actions) and recipient.can_act,
    )
    listing = texts.item_listing(
        t,
        texts.ladder_heading(t, facts, recipient.audience),
        ctx.view,
        texts.ladder_said(t, facts.overdue_days),
        Button(t.raw(texts.SHOW_ALL), callbacks.make(callbacks.PAGE, "overdue", 1, "new")),
    )
    return (text, buttons), listing


def _action_button(t: Text, action: LadderAction, ref: str) -> Button:
    label, prefix = {
        LadderAction.URGE: (texts.URGE, callbacks.URGE),
        LadderAction.INSTRUCT: (texts.INSTRUCT, callbacks.INSTRUCT),
        LadderAction.TALK: (texts.TALK, callbacks.TALK),
        LadderAction.CRITICISM: (texts.CRITICISM, callbacks.CRITICISM),
        LadderAction.REFERRAL: (referral_texts.PROPOSE, callbacks.REFERRAL),
    }[action]
    return Button(t.raw(label), callbacks.make(prefix, ref))


def _escalated(
    level: LadderLevel,
    occasion: Occasion,
    notice: str | None,
    late: bool,
    queued: list[Addressee],
) -> tuple[str, dict[str, Any]]:
    """The detail and data of the timeline entry of a level's notices queued to ``queued``."""
    data = {
        "level": level.level,
        "occasion": occasion.key,
        "recipients": person_ids(queued),
        "groups": group_ids(queued),
        "notice": notice,
        "state": "queued",
        "late": late,
    }
    return f"level {level.level} → " + ", ".join(p.name for p in queued), data
