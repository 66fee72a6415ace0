"""The test side of a group chat: its members write, reply to the bot and press buttons; the
bot is added, removed, and the group upgraded to a supergroup."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import BotMessage
from .state import ChatState
from .users import ChatReader, FakeUser, MessageRef

if TYPE_CHECKING:
    from .botapi.groups import Groups

__all__ = ["FakeGroup"]


class FakeGroup(ChatReader):
    """A group with members (created with :meth:`FakeTelegram.group`). The bot runs with
    Telegram's privacy mode: it sees commands and replies to its own messages only."""

    def __init__(self, server: Groups, state: ChatState) -> None:
        super().__init__()
        self._server = server
        self._group_server = server
        self._chat_state = state
        self.display_name = f"group {state.title}"

    def _state(self) -> ChatState:
        return self._chat_state

    @property
    def chat_id(self) -> int:
        return self._chat_state.chat_id

    @property
    def topics(self) -> dict[int, str]:
        """A forum's topics: thread id → name."""
        return dict(self._chat_state.topics)

    def in_topic(self, name_part: str) -> list[BotMessage]:
        """The bot's messages in the topic whose name contains ``name_part``."""
        threads = {t for t, name in self._chat_state.topics.items() if name_part in name}
        return [m for m in self.messages if m.thread_id in threads]

    @property
    def bot_present(self) -> bool:
        return self._chat_state.bot_present

    async def wait_bot_gone(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has left or been removed."""
        if not await self._server._signal.wait_for(lambda: not self.bot_present, timeout):
            raise AssertionError(f"the bot is still in {self.display_name}")

    def add_bot(self, by: FakeUser, *, start: str | None = None) -> None:
        """``by`` adds the bot; with ``start``, through a ``?startgroup=`` link."""
        self._group_server._add_bot(self._chat_state, by, start)

    def remove_bot(self, by: FakeUser) -> None:
        self._group_server._remove_bot(self._chat_state, by)

    def migrate(self, new_id: int, *, announce: bool = True) -> None:
        """Upgrade to a supergroup with ``new_id``: this object follows the new chat. Without
        ``announce`` the bot never gets the service message (an update lost): it learns of the
        new id from the 400 its next send to the old id gets."""
        old = self._chat_state
        self._chat_state = self._group_server._migrate(old, new_id, announce=announce)
        self._chat_state.bot_messages = old.bot_messages  # the history stays visible
        self._chat_state.by_id = old.by_id

    async def send_text(
        self, user: FakeUser, text: str, *, reply_to: MessageRef | None = None
    ) -> int:
        return self._server._user_text(user, text, reply_to=reply_to, group=self._chat_state)

    async def send_album(
        self,
        user: FakeUser,
        photos: list[bytes],
        *,
        caption: str | None = None,
        reply_to: MessageRef | None = None,
    ) -> list[int]:
        return self._server._user_album(
            user, photos, caption=caption, reply_to=reply_to, group=self._chat_state
        )

    async def press_data(self, user: FakeUser, message: MessageRef, data: str) -> str:
        """``user`` sends arbitrary (possibly forged) callback data for a message here."""
        message_id = message.message_id if isinstance(message, BotMessage) else message
        shown = self._server._visible_message(user, message_id, self._chat_state)
        return self._server._user_callback(user, shown, data, label=f"data={data!r}")

    async def press(self, user: FakeUser, message: MessageRef, button: str) -> str:
        """``user`` presses ``button`` on a bot message in this group."""
        message_id = message.message_id if isinstance(message, BotMessage) else message
        shown = self._server._visible_message(user, message_id, self._chat_state)
        for row in shown.buttons:
            for candidate in row:
                if button in (candidate.text, candidate.value):
                    return self._server._user_callback(
                        user, shown, candidate.value, label=candidate.text
                    )
        raise AssertionError(f"no button {button!r} on {shown.describe()}")
