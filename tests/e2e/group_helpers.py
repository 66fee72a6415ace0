"""Acting as the example county's people in work groups through the fake Bot API."""

from __future__ import annotations

from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft
from testbench import FakeGroup, FakeUser
from tests.conftest import Bench
from tests.e2e.console_helpers import join

__all__ = ["DRAFT", "bound_group", "join"]

DRAFT = ItemDraft(
    title="推进校园安全隐患排查整治",
    body="全面排查全县中小学校舍安全隐患。",
    source=Source.MEETING,
    time_class=TimeClass.GENERAL,
    lead_unit="edu",
)
"""An item led by the education bureau (县教育局), as the group tests dispatch it."""


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
