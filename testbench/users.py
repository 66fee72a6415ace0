"""The test-user side of the fake: acting as a Telegram user talking to the bot."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .models import BotMessage, CallbackAnswer

if TYPE_CHECKING:
    from .botapi.user_actions import UserActions
    from .state import ChatState

__all__ = ["ChatReader", "FakeUser", "MessageRef"]

MessageRef = int | BotMessage


def _message_id(ref: MessageRef) -> int:
    return ref.message_id if isinstance(ref, BotMessage) else ref


class ChatReader:
    """Reading what the bot sent into one chat: a user's private chat or a group."""

    _server: UserActions
    display_name: str

    def __init__(self) -> None:
        self._consumed: set[int] = set()
        self._seen_edits: dict[int, int] = {}

    def _state(self) -> ChatState:
        raise NotImplementedError

    @property
    def messages(self) -> list[BotMessage]:
        """Bot messages in this chat, oldest first, edits applied, deleted ones excluded."""
        return [m for m in self._state().bot_messages if not m.deleted]

    @property
    def last(self) -> BotMessage:
        """The newest (not deleted) bot message; AssertionError if there is none."""
        messages = self.messages
        if not messages:
            raise AssertionError(f"the bot has not sent anything to {self.display_name}")
        return messages[-1]

    @property
    def keyboard(self) -> list[list[str]] | None:
        """Labels of the custom reply keyboard currently shown to the user, if any."""
        return self._state().keyboard

    def history(self) -> str:
        """All bot messages of the chat, one per line, for assertion messages."""
        lines = [m.describe() for m in self._state().bot_messages]
        return "\n".join(lines) if lines else "(nothing)"

    async def wait_message(
        self,
        predicate: Callable[[BotMessage], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented test API
    ) -> BotMessage:
        """Wait for the earliest bot message not returned by an earlier ``wait_message``.

        With a predicate, the earliest unconsumed message matching it is returned (messages
        skipped over stay available to later calls). On timeout an AssertionError shows what
        the chat did receive.
        """
        chat = self._state()
        found: list[BotMessage] = []

        def ready() -> bool:
            for message in chat.bot_messages:
                if message.message_id in self._consumed:
                    continue
                if predicate is None or predicate(message):
                    found.append(message)
                    return True
            return False

        if not await self._server._signal.wait_for(ready, timeout):
            raise AssertionError(
                f"{self.display_name} received no "
                f"{'matching ' if predicate is not None else ''}new bot message within "
                f"{timeout}s; the chat received:\n{self.history()}"
            )
        message = found[-1]
        self._consumed.add(message.message_id)
        self._seen_edits[message.message_id] = len(message.edits)
        return message

    async def wait_edit(
        self,
        message: MessageRef,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented test API
    ) -> BotMessage:
        """Wait until the message is edited (text, caption or buttons) again.

        "Again" means: more edits than this user has already observed through
        ``wait_message``, ``press`` or an earlier ``wait_edit``.
        """
        message_id = _message_id(message)
        chat = self._state()
        baseline = self._seen_edits.get(message_id, 0)

        def edited() -> bool:
            current = chat.by_id.get(message_id)
            return current is not None and (len(current.edits) > baseline or current.deleted)

        ok = await self._server._signal.wait_for(edited, timeout)
        current = chat.by_id.get(message_id)
        if not ok or current is None:
            raise AssertionError(
                f"message #{message_id} to {self.display_name} was not edited within "
                f"{timeout}s; the chat received:\n{self.history()}"
            )
        if len(current.edits) <= baseline:
            raise AssertionError(f"message #{message_id} was deleted instead of edited")
        self._seen_edits[message_id] = len(current.edits)
        return current


class FakeUser(ChatReader):
    """A Telegram user in a private chat with the bot (chat id == user id).

    Created with :meth:`FakeTelegram.user`. Everything the user does becomes an Update that
    the bot receives through getUpdates or its webhook.
    """

    def __init__(
        self,
        server: UserActions,
        user_id: int,
        first_name: str,
        *,
        username: str | None,
        last_name: str | None,
        language_code: str | None,
        display_name: str | None,
    ) -> None:
        super().__init__()
        self._server = server
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.display_name = display_name or first_name
        self.blocked = False
        self.callback_answers: list[CallbackAnswer] = []
        """Answers to this user's callback queries, in order: (text, show_alert)."""
        self._answers_read = 0

    def __repr__(self) -> str:
        return f"FakeUser(id={self.id}, name={self.display_name!r})"

    # ----------------------------------------------------------------- identity

    def _state(self) -> ChatState:
        return self._server._chat(self.id)

    @property
    def chat_id(self) -> int:
        return self.id

    @property
    def started(self) -> bool:
        """Whether the user has ever written to the bot (otherwise sends fail: chat not found)."""
        return self._server._chat(self.id).started

    def to_dict(self) -> dict[str, Any]:
        """The Bot API ``User`` object of this user."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def chat_dict(self) -> dict[str, Any]:
        """The Bot API ``Chat`` object of the private chat with this user."""
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data

    # ------------------------------------------------------------------ sending

    async def send_text(self, text: str, *, reply_to: MessageRef | None = None) -> int:
        """Send a text message; commands get a ``bot_command`` entity. Returns message_id."""
        return self._server._user_text(self, text, reply_to=reply_to)

    async def send_photo(
        self, data: bytes, *, caption: str | None = None, reply_to: MessageRef | None = None
    ) -> int:
        """Send a photo (several PhotoSizes, largest last). Returns message_id."""
        return self._server._user_photo(self, data, caption=caption, reply_to=reply_to)

    async def send_album(
        self,
        photos: list[bytes],
        *,
        caption: str | None = None,
        reply_to: MessageRef | None = None,
    ) -> list[int]:
        """Send photos as one album (shared media_group_id, caption on the first)."""
        return self._server._user_album(self, photos, caption=caption, reply_to=reply_to)

    async def send_document(
        self,
        data: bytes,
        *,
        filename: str,
        mime_type: str,
        caption: str | None = None,
        reply_to: MessageRef | None = None,
    ) -> int:
        """Send a file as a document. Returns message_id."""
        return self._server._user_document(
            self, data, filename=filename, mime_type=mime_type, caption=caption, reply_to=reply_to
        )

    async def press(self, message: MessageRef, button: str) -> str:
        """Press the inline button whose label or callback_data equals ``button``.

        Returns the callback query id. Raises AssertionError listing the available buttons
        when there is no such button.
        """
        shown = self._server._visible_message(self, _message_id(message))
        for row in shown.buttons:
            for candidate in row:
                if button not in (candidate.text, candidate.value):
                    continue
                reply_markup = shown.reply_markup or {}
                raw = self._find_raw_button(reply_markup, candidate.text, candidate.value)
                if "callback_data" not in raw:
                    raise AssertionError(
                        f"button [{candidate.text}] on message #{shown.message_id} is not a "
                        f"callback button ({raw}); pressing it sends nothing to the bot"
                    )
                return self._server._user_callback(
                    self, shown, str(raw["callback_data"]), label=candidate.text
                )
        available = ", ".join(f"[{b.text}] ({b.value!r})" for row in shown.buttons for b in row)
        raise AssertionError(
            f"no button {button!r} on message #{shown.message_id} {shown.plain_text!r}; "
            f"available: {available or 'none'}"
        )

    async def press_data(self, message: MessageRef, data: str) -> str:
        """Send a callback query with arbitrary (possibly forged) data for a bot message."""
        shown = self._server._visible_message(self, _message_id(message))
        return self._server._user_callback(self, shown, data, label=f"data={data!r}")

    @staticmethod
    def _find_raw_button(markup: dict[str, Any], text: str, value: str) -> dict[str, Any]:
        for row in markup.get("inline_keyboard", []):
            for raw in row:
                raw_value = raw.get("callback_data", raw.get("url", ""))
                if raw.get("text") == text and str(raw_value) == value:
                    return dict(raw)
        return {}

    def block(self) -> None:
        """Block the bot: the bot gets a my_chat_member update, its sends then fail with 403."""
        self._server._set_blocked(self, blocked=True)

    def unblock(self) -> None:
        """Unblock the bot (my_chat_member update with status "member")."""
        self._server._set_blocked(self, blocked=False)

    async def wait_callback_answer(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented test API
    ) -> CallbackAnswer:
        """Wait for the next answerCallbackQuery for this user's button presses."""
        ok = await self._server._signal.wait_for(
            lambda: len(self.callback_answers) > self._answers_read, timeout
        )
        if not ok:
            raise AssertionError(
                f"no answer to {self.display_name}'s callback query within {timeout}s"
            )
        answer = self.callback_answers[self._answers_read]
        self._answers_read += 1
        return answer

    def _observe(self, message: BotMessage) -> None:
        self._seen_edits[message.message_id] = len(message.edits)
