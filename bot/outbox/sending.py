"""The delivery worker: sends what the outbox holds, once, paced per chat, and records what
happened (DESIGN §3, issue "one chat's flood limit never stalls the others").

Each round claims a batch of due notifications (whose ``not_before`` has come; oldest first),
leaving out chats that must still wait (their pacing interval, or a 429's ``retry_after``).
Per chat it sends one message: notifications of a mergeable kind (before-due and report
reminders, digests) due to one chat at once are merged into that message, ladder notices listed
in it (:mod:`bot.outbox.composing`); the rest of the chat's batch is given back for the chat's
next turn. Sends are spaced by :class:`bot.outbox.pacing.Pacer`.

Outcomes: sent → marked with the message id; 429 for one chat → that chat's notifications wait
``retry_after`` in the outbox while every other chat goes on; 429 for the whole bot (see
:class:`bot.outbox.pacing.FloodJudge`) → all sending pauses once; 5xx, timeouts, network errors →
retried with the policy's backoff, counted per notification, failed after ``max_attempts``;
blocked / chat not found / never joined → unreachable, passed to the next person in line;
any other 400 (a message Telegram refuses, such as "message is too long") → failed at once,
never retried, and the office told.

Lengths are counted as Telegram counts them (UTF-16 units of the text after the HTML is
parsed): merging stops short of ``composing.MAX_TEXT``, and a message that would still exceed
Telegram's limit (4096, a caption 1024) is cut between tags with :func:`domain.text.clip_html`
and logged, rather than refused. The texts shorten people's own words before that
(``texts.items.user_text``), so the cut is a last resort.

The notification bot is a plain ``telegram.Bot`` without PTB's AIORateLimiter (which would
pause every request on any chat's 429); the application's replies keep that limiter.

Up to ``in_flight`` messages (16) are on the wire at once, each to a different chat (a round
sends one message per chat), and each outcome is committed as it comes. So a crash repeats at
most one message per chat that had one in flight (sent, not yet recorded): at most
``in_flight`` in all, never two to one chat. Keeping one in flight per chat costs nothing,
since Telegram allows a chat one message a second anyway; keeping several chats in flight is
what reaches the overall 30/s over a real network's 100–300 ms round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from telegram import (
    Bot,
    InputFile,
    LinkPreviewOptions,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.metrics import Metrics
from bot.outbox.composing import (
    document_caption,
    fitted,
    group_document,
    keyboard,
    merged_rows,
    message_text,
    plan_groups,
)
from bot.outbox.pacing import FloodJudge, Pacer
from bot.outbox.telegram import failure_reason, retry_seconds
from domain.text import CAPTION_MAX, MESSAGE_MAX
from services.documents.pdf import pdf_of
from services.outbox import claims, outcomes, pace, topics
from services.outbox.claims import AttachedDocument, Outgoing
from services.runtime import Runtime

log = logging.getLogger("duban.delivery")

LEASE = timedelta(seconds=60)
SLOT_LATE = 0.01  # seconds past its shared slot a send may still start
SLOT_TRIES = 20
PRUNE_EVERY = 1000  # sends between two prunings of the shared pacing's old rows
IN_FLIGHT = 16  # chats sent to at once: 30/s at a 250 ms round trip needs 8; room for slower
POLL_SECONDS = 1.0
PAUSE_POLL_SECONDS = 0.1


class Deliverer:
    def __init__(
        self,
        rt: Runtime,
        bot: Bot,
        metrics: Metrics,
        *,
        batch: int | None = None,
        lease: timedelta = LEASE,
        in_flight: int = IN_FLIGHT,
        monotonic: Callable[[], float] = time.monotonic,
        pacer: Pacer | None = None,
    ) -> None:
        self.rt = rt
        self.bot = bot
        self.metrics = metrics
        limits = rt.policy.delivery
        self.batch = batch or max(10, int(limits.overall_per_second * 2))
        self.lease = lease
        self.pacer = pacer or Pacer(limits)  # shared with the handlers' sends in `duban run`
        self._slots = asyncio.Semaphore(in_flight)
        self._sending: set[asyncio.Task[None]] = set()  # messages on the wire
        self._flying: set[int] = set()  # people with a message on the wire
        self._slots_taken = 0
        self._flying_groups: set[int] = set()  # work groups with a message on the wire
        self._chat_groups: dict[int, int] = {}  # chat id -> work group id
        self.judge = FloodJudge()
        self.monotonic = monotonic
        self.parked: dict[int, datetime] = {}  # person id -> until (rt.clock)
        self.paused_until: datetime | None = None
        self._chat_people: dict[int, int] = {}
        self.tally: Counter[str] = Counter()  # outcomes in this process, for `duban sweep`

    def _count(self, state: str, n: int) -> None:
        self.tally[state] += n
        self.metrics.notifications.labels(state).inc(n)

    # --- loops ---------------------------------------------------------------------------------

    async def run_forever(self) -> None:
        try:
            while True:
                await self._round()
        finally:
            await self._abandon()

    async def _round(self) -> None:
        self.rt.outbox_ready.clear()  # before looking: a wake-up during the round counts
        try:
            handled = await self.deliver_due()
        except Exception:
            log.exception("delivery_pass_failed")
            handled = 0
            await asyncio.sleep(POLL_SECONDS)
        if handled:
            return
        with contextlib.suppress(TimeoutError):  # (wait_for may swallow a cancel on 3.11)
            async with asyncio.timeout(self._idle_wait()):
                await self.rt.outbox_ready.wait()

    def _idle_wait(self) -> float:
        now = self.monotonic()
        free = self.pacer.next_free(now)
        if free is not None:
            return max(0.01, min(POLL_SECONDS, free - now))
        if self.paused_until is not None:
            return PAUSE_POLL_SECONDS
        return POLL_SECONDS

    async def deliver_until_idle(self, *, max_wait: float = 120.0) -> int:
        """Deliver everything due, waiting out chats' pacing and other workers' claims (as
        ``duban sweep`` does); returns how many notifications were handled."""
        try:
            return await self._until_idle(max_wait)
        except BaseException:
            await self._abandon()
            raise

    async def _until_idle(self, max_wait: float) -> int:
        handled = 0
        started = self.monotonic()
        while True:
            count = await self.deliver_due()
            handled += count
            if count:
                continue
            await self.settle()
            if await claims.pending_due(self.rt) == 0:
                return handled
            if self.monotonic() - started > max_wait:
                log.warning("delivery_gave_up_waiting", extra={"handled": handled})
                return handled
            await asyncio.sleep(
                self._idle_wait() if self.pacer.next_free(self.monotonic()) else 0.2
            )

    async def deliver_due(self) -> int:
        """One round: claim a batch and start one message per chat, up to ``in_flight`` on the
        wire at once. Returns notifications handled (their sends may still be under way: the
        next round claims around them, and :meth:`settle` waits for them)."""
        if self._paused():
            return 0
        now = self.rt.clock.now()
        for person in [p for p, until in self.parked.items() if until <= now]:
            del self.parked[person]
        busy = {
            self._chat_people[chat]
            for chat in self.pacer.busy_chats(self.monotonic())
            if chat in self._chat_people
        }
        busy_chats = self.pacer.busy_chats(self.monotonic())
        skip_groups = frozenset(
            {self._chat_groups[c] for c in busy_chats if c in self._chat_groups}
            | self._flying_groups
        )
        skip = frozenset(busy | set(self.parked) | self._flying)
        outs = await claims.claim(
            self.rt,
            limit=self.batch,
            lease=self.lease,
            skip_people=skip,
            skip_groups=skip_groups,
        )
        if not outs:
            return 0
        groups, later = plan_groups(outs)
        await claims.release(self.rt, [o.id for o in later])
        unsent = {o.id for group in groups for o in group}
        renewed = self.monotonic()
        for group in groups:
            await self._slots.acquire()
            if self._paused():
                self._slots.release()
                break
            if self.monotonic() - renewed > self.lease.total_seconds() / 3:
                await claims.extend(self.rt, sorted(unsent), self.lease)
                renewed = self.monotonic()
            taken = await self._pace(group)
            unsent -= {o.id for o in group}
            self._start(group, taken)
        if unsent:  # paused before their turn: back to the outbox
            await claims.release(self.rt, sorted(unsent))
        return len(outs) - len(later)

    def _start(self, group: list[Outgoing], taken: bool) -> None:
        person, chat_group = group[0].person_id, group[0].group_id
        if person is not None:
            self._flying.add(person)
        if chat_group is not None:
            self._flying_groups.add(chat_group)
        task = asyncio.create_task(self._deliver_in_slot(group, taken))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def settle(self) -> None:
        """Wait until every message on the wire is answered and its outcome recorded."""
        while self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)

    async def _abandon(self) -> None:
        """Stop the sends under way (shutting down): their claims run out, and each is sent
        again later at most once (it may have reached its chat already)."""
        for task in self._sending:
            task.cancel()
        await asyncio.gather(*self._sending, return_exceptions=True)

    def _paused(self) -> bool:
        if self.paused_until is None:
            return False
        if self.rt.clock.now() >= self.paused_until:
            self.paused_until = None
            return False
        return True

    # --- one message ---------------------------------------------------------------------------

    async def _pace(self, group: list[Outgoing]) -> bool:
        """Wait for the next overall slot and take the chat's (a group is one chat); False when
        the chat is not free (a handler's answer took it since the claim: the message then
        waits for its turn in its own task, :meth:`_chat_turn`, holding no other chat)."""
        chat_id = group[0].chat_id
        if chat_id is None:
            return True
        if group[0].person_id is not None:
            self._chat_people[chat_id] = group[0].person_id
        if group[0].group_id is not None:
            self._chat_groups[chat_id] = group[0].group_id
        wait = self.pacer.overall_wait(self.monotonic())
        if wait > 0:
            await asyncio.sleep(wait)
        if self.pacer.chat_wait(chat_id, self.monotonic()) > 0:
            return False
        self.pacer.take(chat_id, self.monotonic())
        return True

    async def _chat_turn(self, chat_id: int | None) -> None:
        """Wait until the chat is free in this process's pacer, then book its moment and the
        bot's (the handlers' sends book theirs in the same pacer: one chat, one budget)."""
        if chat_id is None:
            return
        while True:
            wait = self.pacer.chat_wait(chat_id, self.monotonic())
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        start = self.pacer.book(chat_id, self.monotonic())
        if start > self.monotonic():
            await asyncio.sleep(start - self.monotonic())

    async def _deliver_in_slot(self, group: list[Outgoing], taken: bool) -> None:
        try:
            if not taken:
                await self._chat_turn(group[0].chat_id)
                if self._paused():  # the bot was refused meanwhile: back to the outbox
                    await claims.release(self.rt, [o.id for o in group])
                    return
            await self._shared_pace(group[0].chat_id)
            await self._deliver(group)
        except Exception:
            # its claim runs out and another round takes it up again
            log.exception("delivery_failed", extra={"notifications": len(group)})
        finally:
            self._flying.discard(group[0].person_id or 0)
            self._flying_groups.discard(group[0].group_id or 0)
            self._slots.release()

    async def _shared_pace(self, chat_id: int | None) -> None:
        """Wait for the chat's and the bot's next moment as the database keeps them for every
        instance (this instance's own pacing has already spaced its sends)."""
        if chat_id is None:
            return
        intervals = pace.Intervals(
            self.pacer.chat_interval(chat_id), self.pacer.shared_overall_interval
        )
        for _ in range(SLOT_TRIES):
            slot = await pace.take_slot(self.rt, chat_id, intervals)
            due = self.monotonic() + slot.wait
            if slot.wait > 0:
                await asyncio.sleep(slot.wait)
            # Not taken (another instance wrote to the chat): ask again now that it is free.
            # Woken much later than the slot (the event loop was held up): sending now could
            # bunch with the slots after it, so take a new one instead.
            if slot.taken and self.monotonic() - due <= SLOT_LATE:
                break
        # the send starts now: the chat's next moment in this process follows from here
        self.pacer.hold(chat_id, self.monotonic() + self.pacer.chat_interval(chat_id))
        self._slots_taken += 1
        if self._slots_taken % PRUNE_EVERY == 0:
            await pace.prune(self.rt)

    async def _deliver(self, group: list[Outgoing]) -> None:
        """Send one chat's message (paced already) and record what happened."""
        first = group[0]
        if first.chat_id is None:
            await outcomes.unreachable(self.rt, group, "not_joined")
            self._count("unreachable", len(group))
            return
        chat_id = first.chat_id
        try:
            message_id = await self._send(chat_id, group)
        except RetryAfter as exc:
            await self._flooded(group, chat_id, retry_seconds(exc))
            return
        except ChatMigrated as exc:  # a group became a supergroup: follow it, send again
            self._outcome(chat_id, refused=False)
            await outcomes.group_migrated(self.rt, group, exc.new_chat_id)
            return
        except Forbidden as exc:
            self._outcome(chat_id, refused=False)
            self.metrics.send_failures.labels(failure_reason(exc)).inc()
            if first.group_id is not None:  # removed from the group: its people get it
                await outcomes.group_lost(self.rt, first.group_id)
                self._count("unreachable", len(group))
                return
            await outcomes.unreachable(self.rt, group, "blocked")
            self._count("unreachable", len(group))
            return
        except BadRequest as exc:
            self._outcome(chat_id, refused=False)
            reason = failure_reason(exc)
            self.metrics.send_failures.labels(reason).inc()
            if reason == "chat_not_found":
                await outcomes.unreachable(self.rt, group, reason)
                self._count("unreachable", len(group))
            else:
                await outcomes.fail_now(self.rt, group, f"BadRequest: {exc.message}")
                self._count("failed", len(group))
            return
        except (TimedOut, NetworkError, TelegramError) as exc:
            self._outcome(chat_id, refused=False)
            self.metrics.send_failures.labels(failure_reason(exc)).inc()
            await self._retry(group, f"{type(exc).__name__}: {exc}")
            return
        self._outcome(chat_id, refused=False)
        late = any(o.is_late(self.rt.clock.now()) for o in group)
        await outcomes.mark_sent(self.rt, group, message_id)
        self.metrics.sent.labels("outbox").inc()
        self._count("sent", len(group))
        if late:
            self._count("late", len(group))
        if len(group) > 1:
            self._count("merged", len(group) - 1)
        document = group_document(group)
        if document is not None and not first.photo_path:
            # Recorded first: a reply to the message finds its item while the files go.
            await self._send_files(chat_id, message_text(group), document)

    def _outcome(self, chat_id: int, *, refused: bool) -> bool:
        return self.judge.outcome(chat_id, refused)

    async def _send(self, chat_id: int, group: list[Outgoing]) -> int:
        rows = merged_rows(group)
        markup = keyboard(rows)
        text = message_text(group)
        first = group[0]
        thread = await self._topic(chat_id, first)
        if first.photo_path:
            photo = (self.rt.media_dir / first.photo_path).read_bytes()
            sent = await self.bot.send_photo(
                chat_id,
                photo,
                caption=fitted(text, CAPTION_MAX),
                reply_markup=markup,
                parse_mode=ParseMode.HTML,
                message_thread_id=thread,
            )
        else:
            sent = await self.bot.send_message(
                chat_id,
                fitted(text, MESSAGE_MAX),
                reply_markup=markup,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                message_thread_id=thread,
            )
        return sent.message_id

    async def _send_files(self, chat_id: int, text: str, document: AttachedDocument) -> None:
        """After its message (recorded already), the official document as a file
        (sendDocument), then the PDF for reading on a phone where LibreOffice made one, each
        paced like a message. The message stays a text message, so its buttons edit it as
        usual. A file that fails to go is logged and counted: the document stays on the item's
        page in the console, and the message said what it is."""
        try:
            docx = await asyncio.to_thread((self.rt.media_dir / document.path).read_bytes)
            await self._send_file(chat_id, docx, document.name, text)
            pdf = await pdf_of(self.rt, document.id, document.path, document.pdf_path)
            if pdf is not None:
                data = await asyncio.to_thread((self.rt.media_dir / pdf).read_bytes)
                await self._send_file(
                    chat_id, data, document.name.removesuffix(".docx") + ".pdf", text
                )
        except (OSError, TelegramError) as exc:
            self.metrics.send_failures.labels("document").inc()
            log.warning("document_not_sent", extra={"error": type(exc).__name__})

    async def _send_file(self, chat_id: int, data: bytes, name: str, text: str) -> None:
        await self._chat_turn(chat_id)
        await self._shared_pace(chat_id)
        await self.bot.send_document(
            chat_id,
            InputFile(data, filename=name),
            caption=document_caption(text, name),
            parse_mode=ParseMode.HTML,
        )

    async def _topic(self, chat_id: int, out: Outgoing) -> int | None:
        """The item's own topic in a forum work group, opened on first use (None: not one)."""
        if not out.forum or out.group_id is None or out.item_id is None:
            return None
        thread, name = await topics.item_topic(self.rt, out.group_id, out.item_id)
        if thread is None:
            opened = await self.bot.create_forum_topic(chat_id, name)
            thread = await topics.remember_topic(
                self.rt, out.group_id, out.item_id, opened.message_thread_id
            )
        return thread

    async def _retry(self, group: list[Outgoing], error: str) -> None:
        attempt = max(o.attempts for o in group) + 1
        delay = self.rt.policy.delivery.retry_delay(attempt)
        failed = await outcomes.retry_later(self.rt, group, error, delay)
        if failed:
            self._count("failed", len(failed))

    async def _flooded(self, group: list[Outgoing], chat_id: int, retry_after: float) -> None:
        """A 429: park this chat, or (when every recent chat is refused) pause all sending.

        The verdict is taken before anything is written, so no other send starts meanwhile."""
        self.pacer.refund()
        self.metrics.send_failures.labels("rate_limited").inc()
        wait = timedelta(seconds=max(retry_after, 1.0))
        until = self.rt.clock.now() + wait
        bot_wide = self._outcome(chat_id, refused=True)
        person = group[0].person_id
        if bot_wide:
            if self.paused_until is None or self.paused_until < until:
                self.paused_until = until
                self.metrics.pauses.labels("bot").inc()
                log.warning("delivery_paused", extra={"seconds": retry_after})
        elif person is not None:
            self.parked[person] = until
        failed = await outcomes.retry_later(self.rt, group, f"RetryAfter: {retry_after:g}s", wait)
        if failed:
            self._count("failed", len(failed))
        if not bot_wide and person is not None:
            await outcomes.park(self.rt, person, until)
            self.metrics.pauses.labels("chat").inc()
            log.info("chat_parked", extra={"seconds": retry_after})
