"""Chaos month (issue 8): a county's month on the injected clock while everything fails.

Eight units get 200 items over the month (10 a day for 20 days, plus complaints the office
accepts): general items, items with a date of their own and routine items (常态化) that owe a
monthly report by the 25th. Contacts acknowledge, report progress, ask for extensions and submit
completions in chat, and send a routine item's monthly report on time, late or never; heads
confirm; the office closes, decides extensions and triages complaints. Each day a
sweep runs (sweep, then deliver): on seven random days the real ``duban sweep --now`` as a
subprocess, SIGKILLed at random moments and started again, on the others the same steps in this
process (an interpreter start costs a second); the Bot API fails its sends at random (10% 5xx,
5% gateway timeouts, bursts of 429); one contact blocks the bot; on a few days no sweep runs at
all; the chat app crashes mid-flight on some days (its tasks cancelled, its connections closed).
At the end:

- every reminder, receipt chase, chase of a plan, first feedback or monthly report, notice
  upward, escalation and digest the policy calls for (computed in
  ``chaos_model`` from what the simulation did, not from the bot's records) was queued, and
  delivered, or reported undeliverable (the blocked contact: passed to the unit head, the office
  told), or cancelled because the item moved on before it could go (closed, extended,
  acknowledged); nothing else was queued;
- no message arrived twice beyond the documented crash window (per kill, one per chat in
  flight): a message a killed run sent but did not record is sent again, or cancelled when its
  item moved on before the retry (it reached the chat once all the same);
- every report submitted in chat is stored once;
- every item's timeline agrees with what happened, and with its deliveries.

The seed and the counts are written to the terminal even under ``pytest -q`` (CI shows them);
``DUBAN_CHAOS_SEED=<seed>`` replays the same choices (timing still varies).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import re
import time as clock_time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.outbox.composing import SEPARATOR
from bot.outbox.sending import IN_FLIGHT
from domain.clock import FakeClock
from domain.roster import parse_roster
from domain.text import ELLIPSIS
from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from services.people import issue_invites
from services.roster import import_roster
from storage.db import Database
from storage.models import (
    Assignment,
    Complaint,
    Item,
    Notification,
    Person,
    Report,
    TimelineEvent,
)
from testbench import FakeUser
from testbench.models import BotMessage
from tests.conftest import SHANGHAI
from tests.e2e.chaos_bench import (
    DEPUTY,
    OFFICE,
    PRINCIPAL,
    UNIT_NAMES,
    UNITS,
    ChaosTelegram,
    ChatApp,
    Ticker,
    roster_yaml,
    settings_for,
)
from tests.e2e.chaos_model import MONTHLY_DAY, Expected, ItemFacts, Model, levels_for
from tests.e2e.test_backlog_ladder import shows

FIRST_DAY = date(2026, 11, 2)
DAYS = 30
DISPATCH_DAYS = 20
PER_DAY = 10
TICK_AT = time(10, 0)
ACT_AT = time(13, 0)
DISPATCH_AT = time(14, 0)
PROCESS_DAYS = 7  # days whose sweep is a real `duban sweep` (else the same steps in-process)
BLOCKED = "contact_eco"
BLOCK_DAY = 6
COMPLAINT_DAYS = {2: "accept", 7: "reject", 11: "accept", 16: "answer"}
CODE = re.compile(r"督〔2026〕\d+号")
PUBLIC_ID = re.compile(r"T\d{4}-\d+")
LOST = "无法判断是哪个事项"  # the bot's answer to a reply it cannot place
HANDLED = "已经处理过了"  # a complaint's button pressed after its triage was done
DECIDED = "此事项已处理"  # a decision's button pressed after the decision was taken
ANSWERED = "answered without a message"
DUTY_KINDS = frozenset({"duty_reminder", "duty_chase", "duty_notice"})
REPORT_ON = date(2026, 11, MONTHLY_DAY)  # the routine items' monthly report in the month
RECEIPT = re.compile(r"查询码[：:]\s*([A-Z0-9-]{6,})")


def local(day: int, at: time) -> datetime:
    return datetime.combine(FIRST_DAY + timedelta(days=day), at, SHANGHAI)


class Lost(Exception):
    """A crash lost a conversation's step (its prompt was sent, its state not kept): the bot
    cannot place what comes next. A person starts the flow again."""


@dataclass
class Plan:
    """One item: what its people will do (drawn from the seed) and what they did."""

    unit: str
    fate: str  # on_time, late, extend_ok, extend_no, never; routine: report_on_time, ...
    ack_delay: int | None  # chat days after the notice arrives; None: never
    progress: bool
    late_by: int
    ref: str = ""
    code: str = ""
    dispatched_at: datetime | None = None
    dues: list[tuple[date, datetime]] = field(default_factory=list)
    notice_day: int | None = None
    acked_at: datetime | None = None
    acked_day: int | None = None
    progress_done: bool = False
    extension_asked: bool = False
    extension_decided: bool = False
    completion_sent: bool = False
    confirmed: bool = False
    closed_at: datetime | None = None
    reports: list[tuple[str, str]] = field(default_factory=list)  # (kind, token) submitted
    reported: list[tuple[str, datetime]] = field(default_factory=list)  # (kind, when) submitted
    general: bool = True
    report_day: date | None = None  # routine: the day its monthly report is sent (None: never)

    @property
    def due(self) -> date:
        return self.dues[-1][0]

    @property
    def routine(self) -> bool:
        return self.fate.startswith("report_")

    def completion_day(self) -> date | None:
        first = self.dues[0][0]
        if self.fate == "on_time":
            return first - timedelta(days=1)
        if self.fate == "late":
            return first + timedelta(days=self.late_by)
        if self.fate == "extend_ok":
            return self.due - timedelta(days=1) if self.extension_decided else None
        if self.fate == "extend_no":
            return first + timedelta(days=self.late_by) if self.extension_decided else None
        return None


def draw_plan(rng: random.Random, unit: str) -> Plan:
    fate = rng.choices(["on_time", "late", "extend_ok", "extend_no", "never"], [50, 22, 10, 6, 12])[
        0
    ]
    ack_delay = rng.choices([0, 1, 2, None], [80, 10, 5, 5])[0]
    return Plan(
        unit=unit,
        fate=fate,
        ack_delay=ack_delay,
        progress=rng.random() < 0.25,
        late_by=rng.randint(1, 9),
    )


def draw_routine(rng: random.Random, unit: str) -> Plan:
    """A routine item's contact sends the month's report before its day, after it (the day
    after, when chased, or after the deputy leader is told) or never."""
    fate = rng.choices(["report_on_time", "report_late", "report_never"], [50, 30, 20])[0]
    late_by = rng.choice([1, 2, 5])
    report_day = {
        "report_on_time": REPORT_ON - timedelta(days=2),
        "report_late": REPORT_ON + timedelta(days=late_by),
        "report_never": None,
    }[fate]
    ack_delay = rng.choices([0, 1, None], [85, 10, 5])[0]
    return Plan(unit, fate, ack_delay, False, late_by, general=False, report_day=report_day)


def has(*words: str) -> Callable[[BotMessage], bool]:
    return lambda message: all(word in message.plain_text for word in words)


class Month:
    """The county's people acting in chat, the sweeps, the crashes: the whole simulation."""

    def __init__(
        self, fake: ChaosTelegram, chat: ChatApp, ticker: Ticker, clock: FakeClock, seed: int
    ) -> None:
        self.fake = fake
        self.chat = chat
        self.ticker = ticker
        self.clock = clock
        self.rng = random.Random(seed)
        self.users: dict[str, FakeUser] = {}
        self.plans: list[Plan] = []
        self.by_code: dict[str, Plan] = {}
        self.handled: set[tuple[int, int]] = set()  # (chat, message id) acted upon
        self.tick_messages: set[tuple[int, int]] = set()
        self.retries = 0
        self.complaints: dict[str, tuple[str, str]] = {}  # receipt code -> (fate, text)
        self.triaged: set[str] = set()
        self.block_at: datetime | None = None
        self.day = 0
        self.process_days: set[int] = set()
        self.crash_failed: BaseException | None = None
        self.pressed: list[str] = []  # "chat:button@message" of the presses done (diagnostics)
        self.found_done = 0  # presses done again after a crash whose button was gone

    # --- waiting and retrying ------------------------------------------------------------------

    @staticmethod
    def _newest(user: FakeUser) -> int:
        messages = user.messages
        return max((m.message_id for m in messages), default=0)

    async def _until(
        self, done: Callable[[], Any], generation: int, who: str = "", chat: int = 0
    ) -> Any:
        """Wait for ``done()`` to give something; None if a crash swallowed the request."""
        started = clock_time.monotonic()
        while True:
            if self.crash_failed is not None:
                raise AssertionError("the chat app did not come back") from self.crash_failed
            found = done()
            if found:
                return found
            if self.chat.generation != generation and clock_time.monotonic() - started > 1.0:
                return None  # the app crashed after the request: do it again
            if clock_time.monotonic() - started > 15:
                raise AssertionError(
                    f"{who}: no answer within 15 s (day {self.day}, crashes {self.chat.crashes}, "
                    f"one under way: {self.chat.crashing}; presses: {self._presses(chat)}; "
                    f"injected faults on this chat in the last 20 s: "
                    f"{self.fake.hits_for(chat, 20)}; {self.fake.queued()})"
                )
            # woken by any change at the fake Bot API, or after a moment (crashes, grace times)
            await self.fake._signal.wait_for(lambda: bool(done()), 0.1)

    def _presses(self, chat: int) -> list[str]:
        return [p for p in self.pressed if p.startswith(f"{chat}:")][-3:]

    async def ask(
        self,
        user: FakeUser,
        action: Callable[[], Awaitable[Any]],
        predicate: Callable[[BotMessage], bool],
        *,
        stale_ok: bool = False,
        since: int | None = None,
    ) -> BotMessage | None:
        """Do ``action`` until the bot answers with a new message matching ``predicate``.

        After a crash the action is done again. A press answered with no message (its work was
        done before a crash, or the conversation it belonged to was lost in one): with
        ``stale_ok`` None, else :class:`Lost`; so is a reply the bot cannot place, and one it
        leaves unanswered when the app crashed since ``since`` (the generation when the flow
        began: the crash may have come between the prompt and keeping its state).
        """
        baseline = self._newest(user)

        def found() -> BotMessage | None:
            return next(
                (m for m in user.messages if m.message_id > baseline and predicate(m)), None
            )

        def lost() -> bool:
            return any(m.message_id > baseline and LOST in m.plain_text for m in user.messages)

        for _ in range(5):
            generation = self.chat.generation
            answers = len(user.callback_answers)
            answered: list[float] = []
            began = clock_time.monotonic()

            def outcome(
                answers: int = answers, answered: list[float] = answered, began: float = began
            ) -> object:
                message = found()
                if message is not None:
                    return message
                if lost():
                    return LOST
                crashed = since is not None and self.chat.generation != since
                if crashed and clock_time.monotonic() - began > 3.0:
                    return LOST
                if len(user.callback_answers) > answers:
                    # the press is answered; a message it brings follows within a moment
                    if not answered:
                        answered.append(clock_time.monotonic())
                    elif clock_time.monotonic() - answered[0] > 3.0:
                        return ANSWERED
                return None

            done = await action()
            if done is False:  # pressing(): the button is gone, the press was carried out
                self.found_done += 1

                def outcome_gone(
                    outcome: Callable[[], object] = outcome, began: float = began
                ) -> object:
                    # nothing was sent: what it brought may still arrive, else it is answered
                    got = outcome()
                    if got is None and clock_time.monotonic() - began > 3.0:
                        return ANSWERED
                    return got

                outcome = outcome_gone
            got = await self._until(outcome, generation, user.history()[-600:], user.chat_id)
            if isinstance(got, BotMessage):
                return got
            if got == ANSWERED and stale_ok:
                return None
            if got in (LOST, ANSWERED):
                self.retries += 1
                raise Lost(f"{user.callback_answers[answers:]} {user.history()[-400:]}")
            self.retries += 1
        raise AssertionError(f"{user.display_name}: no answer after 5 tries\n{user.history()}")

    async def again(self, steps: Callable[[], Awaitable[None]]) -> None:
        """Do a flow of several steps; from its start again when a crash lost its conversation."""
        for _ in range(4):
            try:
                await steps()
                return
            except Lost as lost:
                why = str(lost)
        raise AssertionError(f"a flow lost to crashes four times: {why}")

    async def must(
        self,
        user: FakeUser,
        action: Callable[[], Awaitable[Any]],
        predicate: Callable[[BotMessage], bool],
    ) -> BotMessage:
        message = await self.ask(user, action, predicate)
        assert message is not None
        return message

    async def press(self, user: FakeUser, message: BotMessage, button: str) -> None:
        """Press until the bot answers the press (a callback answer); a button gone since a
        crash means the press was carried out."""
        for _ in range(5):
            if button not in message.button_texts:
                return
            answers = len(user.callback_answers)
            generation = self.chat.generation
            await user.press(message, button)
            answered = await self._until(
                lambda n=answers: len(user.callback_answers) > n,
                generation,
                f"[{button}] {user.history()[-600:]}",
                user.chat_id,
            )
            if answered:
                return
            self.retries += 1
        raise AssertionError(f"{user.display_name}: [{button}] never answered")

    def pressing(
        self, user: FakeUser, message: BotMessage, button: str
    ) -> Callable[[], Awaitable[Any]]:
        """Press ``button`` if it is still there (a crash may have left the press done)."""

        async def go() -> bool:
            if button in message.button_texts:
                await user.press(message, button)
                self.pressed.append(f"{user.chat_id}:{button}@{message.message_id}")
                return True
            self.pressed.append(f"{user.chat_id}:{button}@{message.message_id} gone")
            return False  # a press before a crash was carried out (its keyboard went)

        return go

    # --- setting up ----------------------------------------------------------------------------

    async def join_everyone(self) -> None:
        invites = await issue_invites(self.chat.rt, bot_username=self.fake.bot_username)
        for number, invite in enumerate(invites):
            user = self.fake.user(70_000 + number, invite.name)
            await user.send_text(f"/start {invite.token}")
            await user.wait_message(timeout=10)
            self.users[invite.person] = user

    # --- a day ---------------------------------------------------------------------------------

    async def tick(self, day: int) -> None:
        await self.tick_at(local(day, TICK_AT), process=day in self.process_days)

    async def quiet(self) -> None:
        """Wait until the chat app has answered everything (a message may follow a press's
        callback answer; a press done again after a crash may be answered late), so that what
        arrives during a sweep is the outbox's."""
        last, still = -1, 0.0
        while still < 0.2:
            now = sum(
                len(u.messages) + sum(len(m.edits) for m in u.messages) for u in self.fake.users
            )
            if now != last or self.fake.pending_updates:
                last, still = now, 0.0
            await asyncio.sleep(0.05)
            still += 0.05

    async def tick_at(self, moment: datetime, *, process: bool = False) -> None:
        await self.quiet()
        users = self.fake.users
        counts = {user.chat_id: self._newest(user) for user in users}
        self.clock.set(moment)
        ended = await self.ticker.tick(moment, self.chat.rt, process=process)
        self.clock.set(ended + timedelta(seconds=1))
        for user in users:
            for message in user.messages:
                # An official document follows its message as a file of its own; the outbox
                # records the message, so the file is not a message of its own here.
                if message.message_id > counts[user.chat_id] and message.document is None:
                    self.tick_messages.add((user.chat_id, message.message_id))

    async def act(self, day: int) -> None:
        self.clock.set(local(day, ACT_AT))
        crash: asyncio.Task[None] | None = None
        over = asyncio.Event()
        if day > 0 and self.rng.random() < 0.35:
            crash = asyncio.create_task(self._crash_after(self.rng.uniform(0.05, 1.5), over))
        if day == BLOCK_DAY:
            self.users[BLOCKED].block()
            self.block_at = self.clock.now()
        people = [self._contact(u) for u in UNITS if f"contact_{u}" != BLOCKED or day < BLOCK_DAY]
        people += [self._head(u) for u in UNITS]
        people.append(self._office())
        await asyncio.gather(*people)
        over.set()
        if crash is not None:
            await crash  # a crash under way runs to its end (a new app serving)

    async def _crash_after(self, seconds: float, over: asyncio.Event) -> None:
        """Crash the chat app ``seconds`` (real time) into the day's chat, unless it is over."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(over.wait(), seconds)
            return
        try:
            await self.chat.crash()
        except BaseException as exc:
            self.crash_failed = exc  # the waiting people say so at once
            raise

    async def dispatch(self, day: int) -> None:
        self.clock.set(local(day, DISPATCH_AT))
        if day < DISPATCH_DAYS:
            for _ in range(PER_DAY):
                await self._dispatch_one(day)
        fate = COMPLAINT_DAYS.get(day)
        if fate is not None:
            await self._complain(day, fate)

    async def _dispatch_one(self, day: int) -> None:
        unit = UNITS[len(self.plans) % len(UNITS)]
        time_class = self.rng.choices(
            [TimeClass.GENERAL, TimeClass.CUSTOM, TimeClass.ROUTINE], [50, 35, 15]
        )[0]
        plan = draw_plan(self.rng, unit)
        due: date | None = local(day, DISPATCH_AT).date() + timedelta(
            days=self.rng.randint(4, 14) if time_class is TimeClass.CUSTOM else 10
        )
        if time_class is TimeClass.ROUTINE:
            plan, due = draw_routine(self.rng, unit), None  # open-ended
        view = await register_item(
            self.chat.rt,
            Origin(None, via_api=True),
            ItemDraft(
                title=f"混沌月事项{len(self.plans) + 1}",
                body="按期办结并反馈。",
                source=Source.MEETING,
                time_class=time_class,
                lead_unit=unit,
                due=due if time_class is TimeClass.CUSTOM else None,
            ),
            dispatch=True,
        )
        assert view.due == due, (view.due, due)  # 一般事项: 10 days
        plan.general = time_class is TimeClass.GENERAL
        self._add(plan, view.ref, view.code, due)

    def _add(self, plan: Plan, ref: str, code: str, due: date | None) -> None:
        plan.ref, plan.code = ref, code
        plan.dispatched_at = self.clock.now()
        if due is not None:
            plan.dues.append((due, self.clock.now()))
        self.plans.append(plan)
        self.by_code[code] = plan

    # --- the people ----------------------------------------------------------------------------

    def _about(self, message: BotMessage) -> Plan | None:
        match = CODE.search(message.plain_text)
        return self.by_code.get(match.group(0)) if match else None

    def _fresh(self, user: FakeUser, predicate: Callable[[BotMessage], bool]) -> list[BotMessage]:
        return [
            m
            for m in user.messages
            if (user.chat_id, m.message_id) not in self.handled and predicate(m)
        ]

    async def _contact(self, unit: str) -> None:
        user = self.users[f"contact_{unit}"]
        today = FIRST_DAY + timedelta(days=self.day)
        for plan in [p for p in self.plans if p.unit == unit and p.closed_at is None]:
            if plan.acked_at is None:
                notice = next(
                    (
                        m
                        for m in user.messages
                        if plan.code in m.plain_text and "✅ 签收" in m.button_texts
                    ),
                    None,
                )
                if notice is None:
                    continue
                if plan.notice_day is None:
                    plan.notice_day = self.day
                if plan.ack_delay is None or self.day < plan.notice_day + plan.ack_delay:
                    continue
                await self.press(user, notice, "✅ 签收")
                plan.acked_at, plan.acked_day = self.clock.now(), self.day
                continue
            if plan.routine:
                if not plan.reports and plan.report_day is not None and today >= plan.report_day:
                    await self.report(user, plan, "月度报告", "monthly", "本月工作按计划推进。")
                continue
            if plan.progress and not plan.progress_done:
                await self.report(user, plan, "进展", "progress", "本周已完成现场排查。")
                plan.progress_done = True
            elif plan.fate.startswith("extend") and not plan.extension_asked:
                if today >= plan.due - timedelta(days=2):
                    wanted = plan.due + timedelta(days=10)
                    await self.report(
                        user,
                        plan,
                        "延期申请",
                        "extension",
                        f"申请延期至 {wanted.isoformat()}。计划：分两批完成整改。",
                    )
                    plan.extension_asked = True
            elif not plan.completion_sent:
                day = plan.completion_day()
                if day is not None and today >= day:
                    await self.report(user, plan, "办结报告", "completion", "已全部办结。")
                    plan.completion_sent = True

    async def report(self, user: FakeUser, plan: Plan, label: str, kind: str, text: str) -> None:
        """/report REF → kind → the text → submit; each step again if a crash ate it."""
        token = f"[{plan.ref}#{len(plan.reports) + 1}]"
        previews: list[BotMessage] = []

        async def steps() -> None:
            since = self.chat.generation
            menu = await self.must(
                user, lambda: user.send_text(f"/report {plan.ref}"), has("请选择反馈类型")
            )
            try:
                prompt = await self.must(
                    user, self.pressing(user, menu, label), has("请回复本消息")
                )
            except Lost:
                if "✅ 确认提交" not in menu.button_texts:
                    raise
                # The text of an earlier try reached its draft before a crash: the menu itself
                # became the preview.
                previews.append(menu)
                return
            preview = await self.ask(
                user,
                lambda: user.send_text(f"{text}{token}", reply_to=prompt),
                lambda m: "✅ 确认提交" in m.button_texts,
                since=since,
            )
            assert preview is not None
            previews.append(preview)

        await self.again(steps)
        preview = previews[-1]
        await self.submit(user, preview)
        plan.reports.append((kind, token))
        plan.reported.append((kind, self.clock.now()))

    async def submit(self, user: FakeUser, preview: BotMessage) -> None:
        """Press submit until the preview says it is submitted. The press is answered before
        the work is done, so an answer alone proves nothing; a press done again after a crash
        that had stored the report already is refused, and that is the end of it too."""
        for _ in range(5):
            if "✅ 确认提交" not in preview.button_texts:
                return
            generation = self.chat.generation
            answers = len(user.callback_answers)
            answered: list[float] = []

            def done(answers: int = answers, answered: list[float] = answered) -> bool:
                if "✅ 确认提交" not in preview.button_texts:
                    return True
                if len(user.callback_answers) > answers:
                    if not answered:
                        answered.append(clock_time.monotonic())
                    return clock_time.monotonic() - answered[0] > 3.0
                return False

            await user.press(preview, "✅ 确认提交")
            if await self._until(done, generation, f"[submit] {user.history()[-400:]}"):
                return
            self.retries += 1
        raise AssertionError(f"{user.display_name}: submit never went through")

    async def _head(self, unit: str) -> None:
        user = self.users[f"head_{unit}"]
        for message in self._fresh(user, lambda m: "✅ 核签" in m.button_texts):
            self.handled.add((user.chat_id, message.message_id))
            plan = self._about(message)
            assert plan is not None, message.plain_text
            if plan.confirmed:
                continue  # a repeat
            await self.press(user, message, "✅ 核签")
            plan.confirmed = True

    async def _office(self) -> None:
        user = self.users["qian"]
        for message in self._fresh(user, lambda m: bool(m.buttons)):
            labels = message.button_texts
            if not {"✅ 销号", "✅ 同意延期", "受理并交办"} & set(labels):
                continue
            self.handled.add((user.chat_id, message.message_id))
            if "受理并交办" in labels:
                await self._triage(user, message)
                continue
            plan = self._about(message)
            assert plan is not None, message.plain_text
            if "✅ 销号" in labels and plan.closed_at is None:
                question = await self.ask(
                    user,
                    self.pressing(user, message, "✅ 销号"),
                    has("是否安排回头看"),
                    stale_ok=True,
                )
                if question is not None:
                    await self.press(user, question, "不回头看")
                plan.closed_at = self.clock.now()
            elif "✅ 同意延期" in labels and not plan.extension_decided:
                if plan.fate == "extend_ok":
                    await self.press(user, message, "✅ 同意延期")
                    plan.dues.append((plan.due + timedelta(days=10), self.clock.now()))
                else:
                    await self.again(lambda m=message: self._refuse(user, m))
                plan.extension_decided = True

    async def _refuse(self, user: FakeUser, message: BotMessage) -> None:
        await self._reason(
            user,
            message,
            "❌ 不同意",
            "不同意延期的理由",
            "整改时间充足，请按期办结。",
            "已不同意延期",
        )

    async def _complain(self, day: int, fate: str) -> None:
        citizen = self.fake.user(90_000 + day, f"市民{day}")
        text = f"第{day}天：村口路灯坏了很久没人修，晚上出行不安全。"
        intro = await self.must(citizen, lambda: citizen.send_text("/complain"), has("匿名投诉"))
        place = await self.must(citizen, self.pressing(citizen, intro, "民生问题"), has("第 2 步"))
        await self.must(
            citizen, self.pressing(citizen, place, UNIT_NAMES["housing"]), has("第 3 步")
        )
        photos = await self.must(citizen, lambda: citizen.send_text(text), has("第 4 步"))
        preview = await self.must(citizen, self.pressing(citizen, photos, "完成"), has("请核对"))
        filed = await self.must(citizen, self.pressing(citizen, preview, "✅ 提交"), has("查询码"))
        match = RECEIPT.search(filed.plain_text)
        assert match, filed.plain_text
        self.complaints[match.group(1)] = (fate, text)

    async def _triage(self, user: FakeUser, message: BotMessage) -> None:
        code, fate = next(
            (c, f) for c, (f, text) in self.complaints.items() if text[:8] in message.plain_text
        )
        self.triaged.add(code)
        if fate == "accept":
            units = await self.must(
                user, self.pressing(user, message, "受理并交办"), has("请选择牵头单位")
            )
            unit = UNITS[len(self.plans) % len(UNITS)]
            try:
                done = await self.must(
                    user, self.pressing(user, units, UNIT_NAMES[unit]), has("已受理，立项为")
                )
                code = CODE.search(done.plain_text)
                assert code, done.plain_text
                where = Item.code == code.group(0)
            except Lost:
                # A crash after the acceptance was committed and its buttons taken away, before
                # its message went: the button is gone and the complaint is an item.
                item_id = await self._accepted_as(units)
                if item_id is None:
                    raise
                self.found_done += 1
                where = Item.id == item_id
            async with self.chat.rt.db.session() as session:
                item = (await session.scalars(select(Item).where(where))).one()
            plan = draw_plan(self.rng, unit)
            plan.fate = "on_time"
            self._add(
                plan,
                item.ref,
                item.code,
                self.clock.now().astimezone(SHANGHAI).date() + timedelta(days=10),
            )
        elif fate == "reject":
            await self.again(
                lambda: self._reason(
                    user, message, "不予受理", "不予受理的理由", "已由县纪委处理。", "理由已作为"
                )
            )
        else:
            await self.again(
                lambda: self._reason(
                    user, message, "直接答复", "请写答复", "已安排三日内修复路灯。", "已答复"
                )
            )

    async def _accepted_as(self, units: BotMessage) -> int | None:
        """The item a complaint became, named by its public id in the message asking for the
        lead unit; None while it is not accepted."""
        public_id = PUBLIC_ID.search(units.plain_text)
        assert public_id, units.plain_text
        async with self.chat.rt.db.session() as session:
            return await session.scalar(
                select(Complaint.item_id).where(Complaint.public_id == public_id.group(0))
            )

    async def _reason(
        self, user: FakeUser, message: BotMessage, button: str, asked: str, text: str, done: str
    ) -> None:
        since = self.chat.generation
        answers = len(user.callback_answers)
        try:
            prompt = await self.must(user, self.pressing(user, message, button), has(asked))
        except Lost:
            # the flow was carried out before a crash lost its answer: the bot says so
            said = [a.text or "" for a in user.callback_answers[answers:]]
            if any(HANDLED in text or DECIDED in text for text in said):
                self.found_done += 1
                return
            raise
        answer = await self.ask(
            user, lambda: user.send_text(text, reply_to=prompt), has(done), since=since
        )
        assert answer is not None


# A crash of the chat app cancels PTB's update tasks, some before they began.
@pytest.mark.filterwarnings(
    "ignore:coroutine 'DubanApplication.process_update' was never awaited:RuntimeWarning"
)
async def test_a_month_of_chaos(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def say(line: str) -> None:
        """Straight to the terminal: CI's output shows the counts without ``-s``."""
        with capsys.disabled():
            print(line, flush=True)

    seed = int(os.environ.get("DUBAN_CHAOS_SEED") or random.SystemRandom().randrange(10**6))
    say(f"\nchaos month: seed {seed} (DUBAN_CHAOS_SEED={seed} replays it)")
    started = clock_time.monotonic()
    rng = random.Random(seed)
    db = Database(database_url)
    await db.upgrade()
    await db.dispose()
    clock = FakeClock(local(0, time(9, 0)))
    async with ChaosTelegram(random.Random(rng.random()), now=clock.now) as fake:
        settings = settings_for(fake, database_url, tmp_path)
        chat = ChatApp(settings, clock)
        await chat.start()
        try:
            await import_roster(chat.rt, parse_roster_text(roster_yaml(), tmp_path))
            ticker = Ticker(fake, settings, tmp_path, random.Random(rng.random()))
            month = Month(fake, chat, ticker, clock, rng.randrange(10**9))
            await month.join_everyone()
            down = set(rng.sample(range(1, DAYS - 2), 3))
            month.process_days = set(rng.sample(sorted(set(range(DAYS)) - down), PROCESS_DAYS))
            for day in range(DAYS):
                month.day = day
                if day not in down:
                    await month.tick(day)
                if day > 0:
                    await month.act(day)
                await month.dispatch(day)
            # The month ends: sweeps go on, hourly or when the next waiting message is due,
            # until nothing is left to send.
            for _ in range(8):
                waiting = await pending(chat)
                if not waiting:
                    break
                moment = max(clock.now() + timedelta(hours=1), min(waiting))
                await month.tick_at(moment)
            assert not await pending(chat), "notifications still pending after the month"
            await verify(month, chat, ticker, fake, started, say)
        finally:
            await chat.stop()


def parse_roster_text(text: str, workdir: Path) -> Any:
    path = workdir / "roster.yaml"
    path.write_text(text, encoding="utf-8")
    return parse_roster(path)


async def pending(chat: ChatApp) -> list[datetime]:
    """When each notification still waiting may go."""
    async with chat.rt.db.session() as session:
        rows = await session.scalars(
            select(Notification.not_before).where(Notification.status == "pending")
        )
        return list(rows)


# --- the checks ----------------------------------------------------------------------------------


@dataclass
class Row:
    id: int
    key: str
    kind: str
    status: str
    person: str
    item: str | None
    text: str
    message_id: int | None
    level: int
    basis: str | None
    listing: dict[str, Any] | None = None  # a notice listed with others: heading, line

    def shown_in(self, text: str) -> bool:
        """Whether a message ``text`` shows this notification: in full, or as its line under
        its heading in a list of notices (ladder notices, chases)."""
        if self.text in text:
            return True
        return self.listing is not None and shows(self.listing, text)


async def verify(
    month: Month,
    chat: ChatApp,
    ticker: Ticker,
    fake: ChaosTelegram,
    started: float,
    say: Callable[[str], None],
) -> None:
    rt = chat.rt
    async with rt.db.session() as session:
        keys = {p.id: p.key for p in await session.scalars(select(Person))}
        refs = {i.id: i.ref for i in await session.scalars(select(Item))}
        items = {i.ref: i for i in await session.scalars(select(Item))}
        rows = [
            Row(
                n.id,
                n.key,
                n.kind,
                n.status,
                keys[n.person_id],
                refs.get(n.item_id) if n.item_id else None,
                n.text,
                n.message_id,
                n.level,
                n.basis,
                n.listing,
            )
            for n in await session.scalars(select(Notification).order_by(Notification.id))
        ]
        events = list(await session.scalars(select(TimelineEvent).order_by(TimelineEvent.id)))
        reports = list(await session.scalars(select(Report)))
        assignments = list(await session.scalars(select(Assignment)))
    by_key = {r.key: r for r in rows}
    users = month.users
    chat_of = {key: user.chat_id for key, user in users.items()}

    # What the policy calls for, from what happened.
    people = {
        u: {"head": f"head_{u}", "contact": f"contact_{u}", "deputy": DEPUTY[u]} for u in UNITS
    }
    model = Model(SHANGHAI, people, list(OFFICE), PRINCIPAL)
    facts = [
        ItemFacts(
            p.ref,
            p.unit,
            p.dispatched_at,
            p.dues,
            p.acked_at,
            p.closed_at,
            general=p.general,
            routine=p.routine,
            reports=p.reported,
        )
        for p in month.plans
        if p.dispatched_at is not None
    ]
    expected = model.compute(facts, ticker.sweeps)

    def occasion(row: Row) -> Expected | None:
        if "|fwd:" in row.key:
            return None
        if row.kind in DUTY_KINDS or row.kind in (
            "receipt_chase",
            "before_due",
            "escalation",
            "report_due_soon",
        ):
            return Expected(row.item, row.key.rsplit("|", 1)[1], row.person, row.kind, row.level)
        if row.kind == "digest":
            return Expected(None, f"digest:{row.key.rsplit('|', 1)[1]}", row.person, "digest")
        return None

    actual: dict[Expected, Row] = {}
    for row in rows:
        found = occasion(row)
        if found is not None:
            assert found not in actual, f"queued twice: {found}"
            actual[found] = row
    missing = expected - set(actual)
    extra = set(actual) - expected
    assert not missing, f"{len(missing)} called for, never queued: {sorted(missing, key=str)[:10]}"
    assert not extra, f"{len(extra)} queued, not called for: {sorted(extra, key=str)[:10]}"

    # Each one: delivered (its message is in the chat), or undeliverable and reported, or
    # cancelled because its item moved on.
    plans = {p.ref: p for p in month.plans}
    outcomes: Counter[str] = Counter()
    for want, row in actual.items():
        outcomes[str(row.status)] += 1
        user = users[row.person]
        if row.status == "sent":
            shown = {m.message_id: m for m in user.messages}
            assert row.message_id in shown, f"sent but not in the chat: {want}"
            message = shown[row.message_id]
            versions = [*message.edits, message.text]  # an acknowledged notice is edited
            assert any(row.shown_in(v) for v in versions), want
        elif row.status == "unreachable":
            assert row.person == BLOCKED, f"unreachable: {want}"
            if row.item is not None:
                head = f"head_{plans[row.item].unit}"
                forwards = [r for r in rows if r.key.startswith(row.key + "|fwd:")]
                assert [(r.person, r.status) for r in forwards] == [(head, "sent")], want
        elif row.status == "failed":
            alerts = [r for r in rows if r.key.startswith(f"failed|notification:{row.id}|")]
            assert {r.person for r in alerts} == set(OFFICE), want
        else:
            assert row.status == "cancelled", (want, row.status)
            plan = plans[want.ref] if want.ref else None
            assert plan is not None, want
            moved_on = plan.closed_at is not None or len(plan.dues) > 1 or plan.acked_at is not None
            if want.kind in DUTY_KINDS:  # a chase or notice whose duty was answered meanwhile
                answers = {k for k, _ in plan.reported} - {"extension"}
                moved_on = plan.closed_at is not None or bool(answers)
            assert moved_on, f"cancelled though its item did not move on: {want}"

    # The blocked contact: nothing reached them after the block, the office was told each day.
    assert month.block_at is not None
    blocked_rows = [r for r in rows if r.person == BLOCKED and r.status == "unreachable"]
    assert blocked_rows, "the blocked contact was never found unreachable"
    unreachable_days = {e.at.astimezone(SHANGHAI).date() for e in events if e.kind == "unreachable"}
    for day in unreachable_days:
        for office in OFFICE:
            key = f"unreachable|person:{_id(keys, BLOCKED)}|{day.isoformat()}"
            alert = by_key.get(f"{key}|office:{_id(keys, office)}")
            assert alert is not None and alert.status == "sent", (day, office)

    # No message twice beyond the crash window: tick messages the outbox did not record are the
    # ones a kill cut off between sending and recording; at most one per chat per kill (a chat
    # has one message in flight at a time), IN_FLIGHT per kill in all, each a repeat.
    recorded = {(chat_of[r.person], r.message_id) for r in rows if r.status == "sent"}
    orphans = month.tick_messages - recorded
    shown_orphans = [
        (c, m.message_id, _sent_as(m)[:70])
        for u in fake.users
        for m in u.messages
        for c in [u.chat_id]
        if (c, m.message_id) in orphans
    ]
    assert len(orphans) <= ticker.kills * IN_FLIGHT, (len(orphans), ticker.kills, shown_orphans)
    per_chat = Counter(chat for chat, _ in orphans)
    assert all(n <= ticker.kills for n in per_chat.values()), shown_orphans
    delivered_then_cancelled = 0
    for chat_id, message_id in orphans:
        user = next(u for u in fake.users if u.chat_id == chat_id)
        text = next(_sent_as(m) for m in user.messages if m.message_id == message_id)
        # sent again, maybe merged differently with what else was due to the chat by then
        again = [_sent_as(m) for m in user.messages if (chat_id, m.message_id) in recorded]
        person = next(k for k, u in users.items() if u.chat_id == chat_id)
        for part in text.split(SEPARATOR):
            if any(part in other for other in again):
                continue
            mine = [r for r in rows if r.person == person]
            listed = [r for r in mine if r.listing is not None and r.shown_in(part)]
            if listed and not any(_is_notice(r.text, part) for r in mine):
                # A list of ladder notices: each sent again (maybe in another list), or
                # cancelled because its item moved on.
                for row in listed:
                    if not any(row.shown_in(other) for other in again):
                        assert row.status == "cancelled", (
                            f"a listed notice sent but never recorded, nor sent again: {row.key}"
                        )
                        delivered_then_cancelled += 1
                continue
            # Sent again as its line in a list of notices due to the chat by then; or not sent
            # again because its item moved on before the retry: it reached the chat once all
            # the same.
            same = [r for r in rows if r.person == person and _is_notice(r.text, part)]
            if any(r.status == "sent" and any(r.shown_in(o) for o in again) for r in same):
                continue
            assert any(r.status == "cancelled" for r in same), (
                f"a message sent but never recorded, nor sent again: {part[:80]} "
                f"(its rows: {[(r.key, r.status) for r in same]})"
            )
            delivered_then_cancelled += 1

    # Every report submitted in chat is stored once.
    submitted = [(p.ref, kind, token) for p in month.plans for kind, token in p.reports]
    for ref, kind, token in submitted:
        stored = [r for r in reports if token in r.text]
        assert len(stored) == 1, (ref, kind, token, len(stored))
        assert stored[0].kind == kind and stored[0].item_id == items[ref].id
    assert len(reports) == len(submitted), (len(reports), len(submitted))

    # Every item's timeline agrees with what happened.
    by_item: dict[int, list[TimelineEvent]] = {}
    for event in events:
        by_item.setdefault(event.item_id, []).append(event)
    for plan in month.plans:
        item = items[plan.ref]
        timeline = by_item[item.id]
        kinds = [e.kind for e in timeline]
        assert kinds[:2] == ["registered", "dispatched"], (plan.ref, kinds[:3])
        # In the order they were written, the clock never goes back — but for sends to several
        # chats recorded at once (their outcomes commit as they come, a few ms apart).
        times = [e.at for e in timeline]
        back = [(a, b) for a, b in itertools.pairwise(times) if b < a]
        assert all(a - b < timedelta(seconds=1) for a, b in back), (plan.ref, back)
        acks = [e for e in timeline if e.kind == "acknowledged"]
        assert [e.at for e in acks] == ([plan.acked_at] if plan.acked_at else []), plan.ref
        closed = [e.at for e in timeline if e.kind == "closed"]
        assert closed == ([plan.closed_at] if plan.closed_at else []), plan.ref
        assert (item.status == "closed") == (plan.closed_at is not None), plan.ref
        assert item.due_date == (plan.due if plan.dues else None), plan.ref
        assert kinds.count("reported") + kinds.count("extension_requested") + kinds.count(
            "completion_submitted"
        ) >= len(plan.reports), plan.ref
        assert kinds.count("extension_approved") == (
            1 if plan.fate == "extend_ok" and plan.extension_decided else 0
        ), plan.ref
        # Deliveries: one timeline entry per outcome of each of its notifications.
        delivered = Counter(e.data.get("notification") for e in timeline if e.kind == "delivered")
        unreachable = Counter(
            e.data.get("notification") for e in timeline if e.kind == "unreachable"
        )
        for row in rows:
            if row.item != plan.ref or row.basis is None:
                continue
            if row.status == "sent":
                assert delivered[row.id] == 1, (plan.ref, row.key)
            if row.status == "unreachable":
                assert unreachable[row.id] == 1, (plan.ref, row.key)
        # The level is the highest delivered for the current due date; the ladder's as called.
        called = levels_for(expected, plan.ref, plan.due) if plan.dues else 0
        if plan.closed_at is None:
            assert item.escalation_level == called, (plan.ref, item.escalation_level, called)
        else:
            assert item.escalation_level <= called, plan.ref
        inspection = any(
            e.ref == plan.ref and e.kind == "escalation" and e.level == 3 for e in expected
        )
        assert item.inspection == inspection, plan.ref
    assert len(assignments) == len(month.plans)

    # Nothing of the outbox went to a complainant; the answers reach them through their codes.
    citizens = [u for u in fake.users if u.chat_id >= 90_000]
    assert not any(
        (u.chat_id, m.message_id) in month.tick_messages for u in citizens for m in u.messages
    )
    stranger = fake.user(99_999, "查询人")
    for code, (fate, _) in month.complaints.items():
        shown = await month.must(
            stranger, lambda code=code: stranger.send_text(f"/track {code}"), lambda m: True
        )
        words = {"accept": ("已受理", "已答复"), "reject": ("县纪委",), "answer": ("三日内修复",)}
        wanted = words[fate] if code in month.triaged else ("等待处理",)
        assert any(w in shown.plain_text for w in wanted), (fate, shown.plain_text)
    kinds = Counter(e.kind for e in expected)
    kinds["of them monthly-report chases and notices"] = sum(
        e.occasion.startswith("periodic_report:") for e in expected
    )
    say(
        f"chaos month: {len(month.plans)} items, {len(submitted)} reports, "
        f"{len(month.complaints)} complaints; {ticker.runs} sweep runs, {ticker.kills} killed "
        f"({ticker.mid_sweep} mid-sweep; {ticker.skipped} runs skipped), "
        f"{chat.crashes} chat crashes ({chat.left_open} connections left in use), "
        f"{month.retries} user retries ({month.found_done} found done); "
        f"faults {dict(fake.injected)} "
        f"({sum(not on for *_, on in fake.hits)} taken with chaos off; {fake.queued()})"
    )
    say(
        f"called for {len(expected)} ({dict(kinds)}): {dict(outcomes)}; "
        f"{len(orphans)} sent by killed runs unrecorded ({delivered_then_cancelled} of their "
        f"parts then cancelled as their item moved on, the rest sent again); "
        f"{len(rows)} notifications in all; "
        f"{clock_time.monotonic() - started:.0f} s ({ticker.seconds:.0f} s of it sweeping)"
    )


def _is_notice(text: str, part: str) -> bool:
    """Whether ``part`` of a sent message is the notification ``text``: the same, or, at the
    end of a merged message cut to Telegram's limit, a long enough beginning of it."""
    if text.strip() == part.strip():
        return True
    cut = re.sub(r"(</\w+>)+$", "", part.strip())
    if not cut.endswith(ELLIPSIS):
        return False
    begins = cut.removesuffix(ELLIPSIS)
    return len(begins) >= 100 and text.startswith(begins)


def _sent_as(message: BotMessage) -> str:
    """A message's text as first sent (an acknowledged notice is edited since)."""
    return message.edits[0] if message.edits else message.text


def _id(keys: dict[int, str], key: str) -> int:
    return next(pid for pid, k in keys.items() if k == key)
