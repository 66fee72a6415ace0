"""The demo's first act: everyone on the roster joins with their invitation."""

from __future__ import annotations

from demo.stage import Stage
from services.people import issue_invites

FIRST_USER_ID = 710_000_001


async def joining(stage: Stage) -> None:
    """Everyone on the roster joins with their invitation; a reused code is refused."""
    stage.narrate("Everyone on the roster joins by invitation")
    invites = await issue_invites(stage.rt, bot_username=stage.fake.bot_username)
    for number, invite in enumerate(invites):
        user = stage.fake.user(FIRST_USER_ID + number, invite.name)
        stage.users[invite.person] = user
        await user.send_text(f"/start {invite.token}")
        await user.wait_message(lambda m: bool(m.plain_text), timeout=10)
    if invites:
        stage.narrate("A used invitation cannot be used again")
        stranger = stage.fake.user(FIRST_USER_ID + 9_999, "路人甲")
        await stranger.send_text(f"/start {invites[0].token}")
        await stranger.wait_message(timeout=10)
        stage.narrate("Someone who has not joined writes to the bot")
        await stranger.send_text("你好")
        await stranger.wait_message(timeout=10)
