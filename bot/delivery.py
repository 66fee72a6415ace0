"""The delivery worker: sends what the outbox holds, once, and records what happened.

A notification is claimed (so a second worker leaves it alone), sent through the bot, and
marked sent with Telegram's message id. Failures are retried later with backoff; a person
who blocked the bot or never opened a chat with it is marked unreachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.metrics import Metrics
from bot.ptb import failure_reason
from domain.vocabulary import NotificationStatus
from services.runtime import Runtime
from services.timeline import Kind, record
from storage.models import Notification, Person

log = logging.getLogger("duban.delivery")

CLAIM = timedelta(minutes=2)
POLL_SECONDS = 1.0


def keyboard(rows: list[Any]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b["text"], url=b["url"])
                if "url" in b
                else InlineKeyboardButton(b["text"], callback_data=b["data"])
                for b in row
            ]
            for row in rows
        ]
    )


class Deliverer:
    def __init__(self, rt: Runtime, bot: Bot, metrics: Metrics, *, batch: int = 50) -> None:
        self.rt = rt
        self.bot = bot
        self.metrics = metrics
        self.batch = batch

    async def run_forever(self) -> None:
        while True:
            try:
                sent = await self.deliver_due()
            except Exception:
                log.exception("delivery_pass_failed")
                sent = 0
            if sent >= self.batch:
                continue
            self.rt.outbox_ready.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.rt.outbox_ready.wait(), POLL_SECONDS)

    async def deliver_due(self) -> int:
        """Send what is due now; returns how many notifications were handled."""
        ids = await self._claim()
        for notification_id in ids:
            await self._deliver(notification_id)
        return len(ids)

    async def _claim(self) -> list[int]:
        now = self.rt.clock.now()
        async with self.rt.db.session() as session:
            candidates = list(
                await session.scalars(
                    select(Notification.id)
                    .where(
                        Notification.status == NotificationStatus.PENDING,
                        Notification.not_before <= now,
                        or_(Notification.claimed_until.is_(None), Notification.claimed_until < now),
                    )
                    .order_by(Notification.not_before, Notification.id)
                    .limit(self.batch)
                )
            )
            claimed = []
            for notification_id in candidates:
                result = await session.execute(
                    update(Notification)
                    .where(
                        Notification.id == notification_id,
                        Notification.status == NotificationStatus.PENDING,
                        or_(Notification.claimed_until.is_(None), Notification.claimed_until < now),
                    )
                    .values(claimed_until=now + CLAIM)
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(notification_id)
            await session.commit()
        return claimed

    async def _deliver(self, notification_id: int) -> None:
        async with self.rt.db.session() as session:
            notification = await session.get_one(Notification, notification_id)
            person = (
                await session.get(Person, notification.person_id)
                if notification.person_id
                else None
            )
            chat_id = person.telegram_chat_id if person else None
        now = self.rt.clock.now()
        if chat_id is None:
            await self._unreachable(notification_id, "not joined", now)
            return
        try:
            message = await self._send(chat_id, notification)
        except (Forbidden, BadRequest) as exc:
            reason = failure_reason(exc)
            if reason in ("blocked", "chat_not_found"):
                await self._unreachable(notification_id, reason, now)
            else:
                await self._failed(notification_id, f"{type(exc).__name__}: {exc}", now)
            return
        except (RetryAfter, TelegramError) as exc:
            await self._retry_later(notification_id, exc, now)
            return
        async with self.rt.db.session() as session:
            await session.execute(
                update(Notification)
                .where(Notification.id == notification_id)
                .values(
                    status=NotificationStatus.SENT,
                    message_id=message,
                    sent_at=self.rt.clock.now(),
                    attempts=Notification.attempts + 1,
                    claimed_until=None,
                )
            )
            await session.commit()
        self.metrics.notifications.labels("sent").inc()

    async def _send(self, chat_id: int, notification: Notification) -> int:
        markup = keyboard(notification.buttons)
        if notification.photo_path:
            photo_path = self.rt.media_dir / notification.photo_path
            sent = await self.bot.send_photo(
                chat_id, photo_path.read_bytes(), caption=notification.text, reply_markup=markup
            )
        else:
            sent = await self.bot.send_message(chat_id, notification.text, reply_markup=markup)
        return sent.message_id

    async def _retry_later(self, notification_id: int, exc: Exception, now: datetime) -> None:
        async with self.rt.db.session() as session:
            notification = await session.get_one(Notification, notification_id)
            notification.attempts += 1
            notification.last_error = f"{type(exc).__name__}: {exc}"
            notification.claimed_until = None
            if notification.attempts >= self.rt.policy.delivery.max_attempts:
                notification.status = NotificationStatus.FAILED
                self._note(session, notification, Kind.DELIVERY_FAILED, now)
                self.metrics.notifications.labels("failed").inc()
            else:
                delay = self.rt.policy.delivery.retry_delay(notification.attempts)
                if isinstance(exc, RetryAfter):
                    delay = max(
                        delay,
                        exc.retry_after
                        if isinstance(exc.retry_after, timedelta)
                        else timedelta(seconds=exc.retry_after),
                    )
                notification.not_before = now + delay
            await session.commit()

    async def _failed(self, notification_id: int, error: str, now: datetime) -> None:
        async with self.rt.db.session() as session:
            notification = await session.get_one(Notification, notification_id)
            notification.status = NotificationStatus.FAILED
            notification.last_error = error
            notification.claimed_until = None
            self._note(session, notification, Kind.DELIVERY_FAILED, now)
            await session.commit()
        log.error("notification_failed", extra={"notification": notification_id, "error": error})
        self.metrics.notifications.labels("failed").inc()

    async def _unreachable(self, notification_id: int, reason: str, now: datetime) -> None:
        async with self.rt.db.session() as session:
            notification = await session.get_one(Notification, notification_id)
            notification.status = NotificationStatus.UNREACHABLE
            notification.last_error = reason
            notification.claimed_until = None
            if notification.person_id is not None:
                person = await session.get_one(Person, notification.person_id)
                if person.unreachable_at is None:
                    person.unreachable_at = now
            self._note(session, notification, Kind.UNREACHABLE, now)
            await session.commit()
        self.metrics.notifications.labels("unreachable").inc()

    @staticmethod
    def _note(session: Any, notification: Notification, kind: str, now: datetime) -> None:
        if notification.item_id is None:
            return
        record(
            session,
            item_id=notification.item_id,
            at=now,
            kind=kind,
            actor_id=None,
            detail=notification.kind,
            data={
                "notification": notification.id,
                "person": notification.person_id,
                "error": notification.last_error,
            },
        )
