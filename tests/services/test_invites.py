"""Invites: one-time, expiring, replaced by a newer one, only for people not yet joined."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.clock import FakeClock
from services import people
from services.runtime import Runtime


async def test_invites_for_everyone_not_joined(county: Runtime) -> None:
    issued = await people.issue_invites(county, bot_username="duban_bot")
    assert len(issued) == len({i.person for i in issued}) > 20
    first = issued[0]
    assert first.link == f"https://t.me/duban_bot?start={first.token}"
    assert len(first.token) >= 20
    actor = await people.accept_invite(county, first.token, 5001, 5001)
    assert actor.key == first.person
    again = await people.issue_invites(county, bot_username="duban_bot")
    assert first.person not in {i.person for i in again}
    assert len(again) == len(issued) - 1


async def test_used_token_is_refused(county: Runtime) -> None:
    [invite] = await people.issue_invites(county, bot_username=None, keys=["lina"])
    assert invite.link is None
    await people.accept_invite(county, invite.token, 5001, 5001)
    with pytest.raises(people.InviteUsed):
        await people.accept_invite(county, invite.token, 5002, 5002)


async def test_expired_token_is_refused(county: Runtime, clock: FakeClock) -> None:
    [invite] = await people.issue_invites(county, bot_username=None, keys=["lina"], days=14)
    clock.advance(timedelta(days=14, seconds=1))
    with pytest.raises(people.InviteExpired):
        await people.accept_invite(county, invite.token, 5001, 5001)


async def test_unknown_token_is_refused(county: Runtime) -> None:
    with pytest.raises(people.InviteUnknown):
        await people.accept_invite(county, "no-such-token", 5001, 5001)


async def test_new_invite_replaces_the_old_one(county: Runtime) -> None:
    [old] = await people.issue_invites(county, bot_username=None, keys=["lina"])
    [new] = await people.issue_invites(county, bot_username=None, keys=["lina"])
    with pytest.raises(people.InviteUsed):
        await people.accept_invite(county, old.token, 5001, 5001)
    actor = await people.accept_invite(county, new.token, 5001, 5001)
    assert actor.key == "lina"


async def test_one_account_cannot_take_two_people(county: Runtime) -> None:
    [a] = await people.issue_invites(county, bot_username=None, keys=["lina"])
    [b] = await people.issue_invites(county, bot_username=None, keys=["caomin"])
    await people.accept_invite(county, a.token, 5001, 5001)
    with pytest.raises(people.AccountTaken):
        await people.accept_invite(county, b.token, 5001, 5001)


async def test_unknown_person_key(county: Runtime) -> None:
    with pytest.raises(people.NotFound):
        await people.issue_invites(county, bot_username=None, keys=["nobody"])
