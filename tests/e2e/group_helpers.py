"""Acting as the example county's people in work groups through the fake Bot API."""

from __future__ import annotations

from testbench import FakeGroup, FakeUser
from tests.conftest import Bench
from tests.e2e.console_helpers import join

__all__ = ["bound_group", "join"]


async def bound_group(
    bench: Bench, chat_id: int, title: str, members: list[FakeUser], by: FakeUser, word: str
) -> FakeGroup:
    """A group with ``members``; ``by`` adds the bot and sends ``/bind word``."""
    group = bench.fake.group(chat_id, title, members)
    group.add_bot(by)
    await group.wait_message(lambda m: "/bind" in m.plain_text)
    await group.send_text(by, f"/bind {word}")
    await group.wait_message(lambda m: "本群已绑定为" in m.plain_text)
    return group
