"""The sender's pacing rules on their own (no I/O): per chat, per group, overall; 429 judging."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.outbox.composing import MAX_TEXT, merged_length, merged_rows, message_text, plan_groups
from bot.outbox.pacing import FloodJudge, Pacer
from domain.buttons import Button
from domain.listing import MAX_ITEM_ROWS, Listing
from domain.policy import Delivery
from services.outbox.claims import AttachedDocument, Outgoing
from tests.conftest import START


def test_pacer_spaces_sends_per_chat_per_group_and_overall() -> None:
    pacer = Pacer(Delivery())
    assert pacer.overall_interval == pytest.approx(1 / 28.8)
    pacer.take(7, 100.0)
    assert pacer.overall_wait(100.0) == pytest.approx(1 / 28.8)
    assert pacer.chat_wait(7, 100.0) == pytest.approx(1 / 0.96)
    assert pacer.chat_wait(8, 100.0) == 0
    assert pacer.busy_chats(100.5) == {7}
    assert pacer.busy_chats(101.1) == set()
    pacer.take(-5, 200.0)  # a group: 20 a minute
    assert pacer.chat_wait(-5, 200.0) == pytest.approx(60 / 19.2)
    pacer.refund()  # a 429: Telegram did not count it
    assert pacer.overall_wait(200.0) == pytest.approx(0)


def test_a_start_a_little_late_is_made_up_by_the_next_slot_but_an_idle_gap_is_not() -> None:
    pacer = Pacer(Delivery())
    interval = pacer.overall_interval
    pacer.take(1, 100.0)
    pacer.take(2, 100.0 + interval + 0.003)  # the loop woke 3 ms late
    assert pacer.overall_wait(100.0 + interval + 0.003) == pytest.approx(interval - 0.003)
    pacer.take(3, 100.0 + 2 * interval + 0.02)  # 20 ms late: a real stall, not made up
    assert pacer.overall_wait(100.0 + 2 * interval + 0.02) == pytest.approx(interval)
    pacer.take(4, 500.0)  # after an idle gap the next one simply waits its interval
    assert pacer.overall_wait(500.0) == pytest.approx(interval)


def test_a_bot_wide_flood_is_many_chats_refused_in_a_row() -> None:
    judge = FloodJudge(streak=5)
    assert not any(judge.outcome(chat, refused=True) for chat in range(4))
    assert judge.outcome(4, refused=True)  # five different chats refused in a row
    judge = FloodJudge(streak=5)
    outcomes = [judge.outcome(chat % 2, refused=True) for chat in range(10)]
    assert not any(outcomes)  # one or two chats refused repeatedly: their own limits
    judge = FloodJudge(streak=5)
    outcomes = [judge.outcome(chat, refused=chat % 100 == 0) for chat in range(1000)]
    assert not any(outcomes)  # one chat in a hundred: never a pause


def out(number: int, person: int, kind: str, text: str = "x", rows: int = 1) -> Outgoing:
    return Outgoing(
        id=number,
        person_id=person,
        chat_id=person,
        kind=kind,
        text=text,
        buttons=[[{"text": "详情", "data": f"det:2026-{number}"}]] * rows,
        photo_path=None,
        item_id=number,
        item_ref=f"2026-{number}",
        not_before=START,
        attempts=0,
        late=False,
        created_at=START,
    )


def test_one_message_per_chat_merging_what_a_digest_would() -> None:
    outs = [
        out(1, 10, "before_due"),
        out(2, 11, "escalation"),
        out(3, 10, "report_due_soon"),
        out(4, 11, "escalation"),
        out(5, 10, "escalation"),
        out(6, 10, "before_due", text="y" * 4000),
    ]
    groups, later = plan_groups(outs)
    assert [[o.id for o in group] for group in groups] == [[1, 3], [2]]
    assert [o.id for o in later] == [4, 5, 6]
    assert [row[0]["text"] for row in merged_rows(groups[0])] == ["2026-1 · 详情", "2026-3 · 详情"]


def listed(number: int, person: int, heading: str, document: int | None = None) -> Outgoing:
    line = f"🔴 <b>督〔2026〕{number}号</b> 背街小巷环境卫生整治第{number}段 · 已逾期5天"
    more = Button("📋 查看全部逾期事项", "pg:overdue:1:new")
    attached = AttachedDocument(document, "x.docx", "催办通知.docx", None) if document else None
    return replace(
        out(number, person, "escalation", text=f"{line}\n{heading}"),
        listing=Listing(heading, line, more),
        document=attached,
    )


def test_a_long_list_splits_at_the_length_limit_without_losing_an_item() -> None:
    """Ladder notices due to one chat are listed as few messages as the length allows, in
    order; what does not fit waits for the chat's next turn, and no item is lost or doubled."""
    headings = ["🔺 以下事项已逾期，按规定提请您督办：", "📄 已发出催办通知（催〔2026〕1号）："]
    pending = [listed(n, 10, headings[n % 2]) for n in range(1, 301)]
    pending.insert(150, out(999, 10, "before_due"))  # a reminder waits for a turn of its own
    messages: list[list[Outgoing]] = []
    while pending:
        groups, later = plan_groups(pending)
        assert len(groups) == 1  # one message per chat per turn
        messages.append(groups[0])
        pending = later
    lists = [m for m in messages if len(m) > 1]
    assert all(merged_length(m) <= MAX_TEXT for m in lists)
    assert all(merged_length(m) > MAX_TEXT - 200 for m in lists[:-1])  # full before cutting
    whole = merged_length([o for m in lists for o in m])  # the list in one imagined message
    assert len(lists) <= whole // (MAX_TEXT - 200) + 1  # as few messages as the length allows
    ids = [o.id for m in messages for o in m]
    assert sorted(ids) == sorted([*range(1, 301), 999])
    for message in lists:
        text = message_text(message)
        assert all(o.listing is not None and o.listing.line in text for o in message)
        labels = [[b["text"] for b in row] for row in merged_rows(message)]
        if len(message) > MAX_ITEM_ROWS:
            assert labels == [["📋 查看全部逾期事项"]]
        else:  # the tail of the list: a button per item
            assert labels == [[f"{o.item_ref} · 详情"] for o in message]


def test_a_list_carries_one_document_at_most() -> None:
    heading = "📄 督查室催办通知（催〔2026〕1号）：你单位承办的以下事项已逾期："
    outs = [listed(1, 10, heading, 7), listed(2, 10, heading, 7), listed(3, 10, heading, 8)]
    groups, later = plan_groups(outs)
    assert [[o.id for o in g] for g in groups] == [[1, 2]] and [o.id for o in later] == [3]
    assert [[b["text"] for b in row] for row in merged_rows(groups[0])] == [
        ["2026-1 · 详情"],
        ["2026-2 · 详情"],
    ]


def test_a_handlers_send_books_the_chat_and_the_bot_and_a_429_holds_them() -> None:
    pacer = Pacer(Delivery())
    pacer.take(1, 100.0)  # the outbox sent to chat 1
    start = pacer.book(2, 100.0)  # a handler's answer to chat 2 takes the bot's next moment
    assert start == pytest.approx(100.0 + pacer.overall_interval)
    assert pacer.chat_wait(2, 100.0) == pytest.approx(pacer.overall_interval + 1 / 0.96)
    assert pacer.busy_chats(100.5) == {1, 2}  # the outbox leaves both chats alone
    pacer.hold(3, 105.0)  # a 429 for chat 3
    assert pacer.chat_wait(3, 101.0) == pytest.approx(4.0)
    pacer.hold_all(110.0)  # the bot as a whole refused
    assert pacer.overall_wait(101.0) == pytest.approx(9.0)
