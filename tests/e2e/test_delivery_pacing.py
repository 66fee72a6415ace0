"""The sender's pacing rules on their own (no I/O): per chat, per group, overall; 429 judging."""

from __future__ import annotations

import pytest

from bot.outbox.composing import merged_rows, plan_groups
from bot.outbox.pacing import FloodJudge, Pacer
from domain.policy import Delivery
from services.outbox.claims import Outgoing
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
