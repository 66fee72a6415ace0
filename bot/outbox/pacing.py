"""Pacing of the outbox sender: Telegram's limits kept on our side, so one chat never holds up
the others.

- :class:`Pacer` spaces sends: at most ``overall_per_second`` in all, ``per_chat_per_second`` to
  one private chat, ``group_per_minute`` to one group (chat ids below zero), each with a small
  safety margin so that network jitter never pushes us over. It works on a monotonic clock
  (Telegram counts real seconds) and is told "now" by the caller, so it is tested without sleeps.
- :class:`FloodJudge` tells a 429 meant for one chat (the usual case, since we pace ourselves)
  from one meant for the whole bot: when the last ``streak`` attempts, to as many different
  chats, were all refused, the bot as a whole is over its limit and every send pauses once.

Waiting for a chat's ``retry_after`` is not done here: the deliverer parks that chat's
notifications in the outbox (``not_before``), so every other chat goes on and other workers see
the wait too.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from domain.policy import Delivery

SAFETY = 0.96  # pace at 96 % of each limit
SHARED_SAFETY = 0.95  # the bot's rate shared by instances: a little more room for their jitter
CATCH_UP = 0.005  # seconds of a late start the next slot may make up


class Pacer:
    def __init__(self, limits: Delivery, *, safety: float = SAFETY) -> None:
        self.overall_interval = 1.0 / (limits.overall_per_second * safety)
        self.shared_overall_interval = 1.0 / (limits.overall_per_second * SHARED_SAFETY)
        self.private_interval = 1.0 / (limits.per_chat_per_second * safety)
        self.group_interval = 60.0 / (limits.group_per_minute * safety)
        self._next_overall = 0.0
        self._chat_next: dict[int, float] = {}
        self._attended: dict[int, float] = {}  # chat id -> a person acting there, until

    def chat_interval(self, chat_id: int) -> float:
        return self.group_interval if chat_id < 0 else self.private_interval

    def overall_wait(self, now: float) -> float:
        """Seconds until the next send may start."""
        return max(0.0, self._next_overall - now)

    def chat_wait(self, chat_id: int, now: float) -> float:
        return max(0.0, self._chat_next.get(chat_id, 0.0) - now)

    def attend(self, chat_id: int, until: float) -> None:
        """A person is acting in the chat (an update is handled there): the outbox leaves the
        chat to the answers until ``until``, so a notice does not take the moment an answer
        needs (the answers are paced by the chat's moments as well)."""
        self._attended[chat_id] = max(self._attended.get(chat_id, 0.0), until)

    def busy_chats(self, now: float) -> set[int]:
        """Chats the outbox may not write to yet (forgetting those that may): their pacing,
        or a person acting there."""
        for moments in (self._chat_next, self._attended):
            for chat_id in [c for c, at in moments.items() if at <= now]:
                del moments[chat_id]
        return set(self._chat_next) | set(self._attended)

    def next_free(self, now: float) -> float | None:
        """When the earliest busy chat becomes free (None: none is busy)."""
        waiting = [at for at in (*self._chat_next.values(), *self._attended.values()) if at > now]
        return min(waiting) if waiting else None

    def take(self, chat_id: int, now: float) -> None:
        """A send to ``chat_id`` starts at ``now``.

        A start that came a little late (the event loop woke late, a claim ran meanwhile) does
        not push every later one back: the next slot may follow sooner, by up to
        :data:`CATCH_UP` (a few milliseconds: what a busy event loop oversleeps), so the rate
        holds at its mark without bunching sends that came late for a real reason."""
        late = now - self._next_overall
        behind = late if 0.0 < late <= CATCH_UP else 0.0  # later than that: it was idle
        self._next_overall = max(self._next_overall, now) + self.overall_interval - behind
        self._chat_next[chat_id] = now + self.chat_interval(chat_id)

    def book(self, chat_id: int, now: float) -> float:
        """A send to a chat that is free now books the bot's next moment (now, or a fraction of
        a second ahead: the sends already booked) and the chat's after it; returns the start.
        Used by the handlers' sends (:mod:`bot.reply_pacing`), which share this pacer with
        the outbox, so a chat has one budget whoever writes to it."""
        start = max(now, self._next_overall)
        self.take(chat_id, start)
        return start

    def hold(self, chat_id: int, until: float) -> None:
        """Nothing goes to the chat before ``until`` (a 429's ``retry_after``)."""
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), until)

    def hold_all(self, until: float) -> None:
        """Nothing goes to any chat before ``until`` (the bot as a whole was refused)."""
        self._next_overall = max(self._next_overall, until)

    def refund(self) -> None:
        """The send was refused before Telegram counted it (a 429): its overall slot is free."""
        self._next_overall -= self.overall_interval


@dataclass
class FloodJudge:
    """Is a 429 about one chat, or about the whole bot?"""

    streak: int = 5
    _recent: deque[tuple[int, bool]] = field(default_factory=deque)

    def outcome(self, chat_id: int, refused: bool) -> bool:
        """Record one attempt; True when the bot as a whole is flooded."""
        self._recent.append((chat_id, refused))
        while len(self._recent) > self.streak:
            self._recent.popleft()
        if len(self._recent) < self.streak:
            return False
        chats = {chat for chat, _ in self._recent}
        flooded = all(refused for _, refused in self._recent) and len(chats) == self.streak
        if flooded:
            self._recent.clear()
        return flooded
