"""Groups: the bot added to and removed from a group (``my_chat_member``), a group upgraded to
a supergroup (``migrate_to_chat_id``), the bot leaving (leaveChat), and what members do in a
group (messages the bot sees under privacy mode, button presses)."""

from __future__ import annotations

from typing import Any

from ..groups import FakeGroup
from ..params import Params, bad_request
from ..state import ChatState
from ..users import FakeUser
from .core import JSONDict, bot_method, timestamp
from .user_actions import UserActions

__all__ = ["Groups"]


class Groups(UserActions):
    """The server side of :class:`FakeGroup`."""

    def group(
        self,
        chat_id: int,
        title: str,
        members: list[FakeUser],
        *,
        supergroup: bool = False,
        forum: bool = False,
    ) -> FakeGroup:
        """Create a group (a negative id) with ``members``; the bot is not in it yet."""
        if chat_id >= 0:
            raise ValueError("group ids are negative")
        state = ChatState(chat_id=chat_id, title=title, supergroup=supergroup, forum=forum)
        state.members = {member.id for member in members}
        self._chats[chat_id] = state
        return FakeGroup(self, state)

    def _member_update(self, group: ChatState, by: FakeUser, old: str, new: str) -> None:
        self._push_update(
            "my_chat_member",
            {
                "chat": group.chat_dict(),
                "from": by.to_dict(),
                "date": timestamp(self._now()),
                "old_chat_member": self._member(old),
                "new_chat_member": self._member(new),
            },
        )

    def _member(self, status: str) -> JSONDict:
        member: JSONDict = {"status": status, "user": self._bot_user()}
        if status == "kicked":
            member["until_date"] = 0
        return member

    def _add_bot(self, group: ChatState, by: FakeUser, start: str | None) -> None:
        """``by`` adds the bot (through ``?startgroup=start`` when given)."""
        group.bot_present = True
        self._member_update(group, by, "left", "member")
        if start is not None:
            self._user_text(by, f"/start@{self.bot_username} {start}", reply_to=None, group=group)
        self._signal.notify()

    def _remove_bot(self, group: ChatState, by: FakeUser) -> None:
        group.bot_present = False
        self._member_update(group, by, "member", "kicked")
        self._signal.notify()

    def _migrate(self, group: ChatState, new_id: int, *, announce: bool = True) -> ChatState:
        """The group becomes a supergroup with ``new_id``; the old id answers 400 from now."""
        upgraded = ChatState(chat_id=new_id, title=group.title, supergroup=True)
        upgraded.members = set(group.members)
        upgraded.bot_present = group.bot_present
        upgraded.next_message_id = group.next_message_id + 1  # ids stay distinct in the history
        self._chats[new_id] = upgraded
        group.migrated_to = new_id
        message: JSONDict = {
            "message_id": group.take_message_id(),
            "date": timestamp(self._now()),
            "chat": group.chat_dict(),
            "migrate_to_chat_id": new_id,
        }
        if announce:
            self._push_update("message", message)
        return upgraded

    @bot_method("createForumTopic")
    async def _create_forum_topic(self, params: Params) -> Any:
        chat = self._chat_for_bot(params.chat_id())
        if not chat.forum:
            raise bad_request("the chat is not a forum")
        name = params.require_str("name")
        if not 1 <= len(name) <= 128:
            raise bad_request("TOPIC_NAME_INVALID")
        thread = chat.take_message_id()  # a topic is opened by a service message
        chat.topics[thread] = name
        self._signal.notify()
        return {"message_thread_id": thread, "name": name, "icon_color": 7322096}

    @bot_method("leaveChat")
    async def _leave_chat(self, params: Params) -> Any:
        chat = self._chat_for_bot(params.chat_id())
        chat.bot_present = False
        self._emit(sender="bot", kind="delete", chat_id=chat.chat_id, text="(left the group)")
        self._signal.notify()
        return True
