"""The keyed hashes and encryption of complaint drafts, their expiry, and the abuse limits
shared by instances on one database (issue 18)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import func, select, update

from bot.settings import Settings
from domain.clock import FakeClock
from domain.complaints import Limits, new_code
from services.complaint_drafts import GONE, delete_expired, load_sealed, save_sealed
from services.complaint_limits import Tracker
from services.conversations import NONE, Conversation
from services.runtime import Runtime
from services.sealing import Sealer
from storage.models import ComplaintLimit, SealedDraft
from tests.conftest import START

SECRET = b"a deployment secret of thirty-two"
CHAT = 987654321987
HOUR = timedelta(hours=1)
DRAFT = Conversation(3, {"draft": {"text": "路灯坏了", "photos": ["AgACAgUAAxkBAAI"]}})


def test_a_draft_opens_only_with_its_secret_its_chat_and_its_row() -> None:
    sealer = Sealer(SECRET)
    key = sealer.draft_key("complaint", CHAT)
    sealed = sealer.seal(CHAT, key, {"text": "路灯坏了"})
    assert sealer.unseal(CHAT, key, sealed) == {"text": "路灯坏了"}
    assert "路灯".encode() not in sealed and str(CHAT).encode() not in sealed
    assert Sealer(b"another secret of thirty-two b").unseal(CHAT, key, sealed) is None
    assert sealer.unseal(CHAT + 1, key, sealed) is None  # another chat's key
    other_row = sealer.draft_key("complaint", CHAT + 1)
    assert sealer.unseal(CHAT, other_row, sealed) is None  # moved to another row
    damaged = sealed[:-1] + bytes([sealed[-1] ^ 1])
    for bad in (damaged, b"", b"\x01", b"\x02" + sealed[1:], sealed[:20]):
        assert sealer.unseal(CHAT, key, bad) is None
    # the same content sealed twice differs (a fresh nonce each time)
    assert sealer.seal(CHAT, key, {"text": "路灯坏了"}) != sealed


def test_keyed_hashes_differ_by_chat_secret_and_day() -> None:
    sealer = Sealer(SECRET)
    key = sealer.draft_key("complaint", CHAT)
    assert len(key) == 64 and str(CHAT) not in key
    assert key == Sealer(SECRET).draft_key("complaint", CHAT)  # every instance finds it
    assert key != sealer.draft_key("complaint", CHAT + 1)
    assert key != Sealer(b"another secret of thirty-two b").draft_key("complaint", CHAT)
    today, tomorrow = START.date(), START.date() + timedelta(days=1)
    limit = sealer.limit_key("chat", str(CHAT), today)
    assert limit != sealer.limit_key("chat", str(CHAT), tomorrow)
    assert limit != sealer.limit_key("web", str(CHAT), today)
    assert limit != key


def test_the_secret_comes_from_the_setting_or_the_token() -> None:
    def secret(**values: str) -> bytes | None:
        return Settings(_env_file=None, **values).complaint_secret()  # type: ignore[arg-type]

    by_token = secret(bot_token="123:token")
    assert by_token is not None and len(by_token) == 32 and b"123:token" not in by_token
    assert by_token == secret(bot_token="123:token")  # every instance derives the same
    assert by_token != secret(bot_token="123:other")
    own = secret(bot_token="123:token", secret_key="s3cret-of-the-office")
    assert own is not None and own != by_token
    assert own == secret(bot_token="123:other", secret_key="s3cret-of-the-office")
    assert secret() is None


async def test_a_draft_is_kept_read_by_another_instance_and_expires(rt: Runtime) -> None:
    clock = rt.clock
    assert isinstance(clock, FakeClock)
    rt = replace(rt, secret=SECRET)
    other = replace(rt, secret=SECRET)  # another instance on the same database
    await save_sealed(rt, "complaint", CHAT, DRAFT, HOUR)
    assert await load_sealed(other, "complaint", CHAT) == DRAFT
    assert await load_sealed(other, "complaint", CHAT + 1) == NONE
    changed = replace(rt, secret=b"a new secret after a rotation!!")
    # Under a new secret the row is not even found: the old one is left to expire.
    assert await load_sealed(changed, "complaint", CHAT) == NONE
    clock.advance(timedelta(minutes=59))
    await save_sealed(rt, "complaint", CHAT, DRAFT, HOUR)  # a step: another hour
    clock.advance(timedelta(minutes=59))
    assert await load_sealed(other, "complaint", CHAT) == DRAFT
    assert await delete_expired(rt, clock.now()) == 0
    clock.advance(timedelta(minutes=2))
    assert await load_sealed(other, "complaint", CHAT) == GONE  # expired, not yet deleted
    assert await delete_expired(rt, clock.now()) == 1
    assert await load_sealed(other, "complaint", CHAT) == NONE
    await save_sealed(rt, "complaint", CHAT, DRAFT, HOUR)
    await save_sealed(rt, "complaint", CHAT, NONE, HOUR)  # filed or cancelled: removed
    async with rt.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(SealedDraft)) == 0


async def test_a_damaged_draft_reads_as_gone(rt: Runtime) -> None:
    await save_sealed(rt, "complaint", CHAT, DRAFT, HOUR)
    for damage in (b"", b"not a draft", b"\x01" + b"\x00" * 40):
        async with rt.db.session() as session:
            await session.execute(update(SealedDraft).values(sealed=damage))
            await session.commit()
        assert await load_sealed(rt, "complaint", CHAT) == GONE
    # well sealed, but not a conversation
    key = rt.sealer.draft_key("complaint", CHAT)
    for content in ({"state": "3", "data": {}}, {"state": 3, "data": []}, {"state": True}):
        async with rt.db.session() as session:
            sealed = rt.sealer.seal(CHAT, key, content)  # type: ignore[arg-type]
            await session.execute(update(SealedDraft).values(sealed=sealed))
            await session.commit()
        assert await load_sealed(rt, "complaint", CHAT) == GONE


async def test_limits_hold_across_instances_and_are_deleted(county: Runtime) -> None:
    clock = county.clock
    assert isinstance(clock, FakeClock)
    one, two = replace(county, secret=SECRET), replace(county, secret=SECRET)
    limits = Limits(per_sender=4, lockout=timedelta(minutes=30), filings_per_sender=2)
    tracker_one, tracker_two = Tracker(limits, channel="chat"), Tracker(limits, channel="chat")
    for rt, tracker in ((one, tracker_one), (two, tracker_two)) * 2:
        assert not (await tracker.check(rt, "sender", new_code())).refused
    assert (await tracker_one.check(one, "sender", new_code())).refused
    assert (await tracker_two.check(two, "sender", new_code())).refused
    assert not (await tracker_two.check(two, "someone else", new_code())).refused
    await tracker_one.filed(one, "sender")
    await tracker_two.filed(two, "sender")
    assert not await tracker_one.may_file(one, "sender")
    assert await tracker_one.may_file(one, "someone else")
    async with county.db.session() as session:
        keys = list((await session.execute(select(ComplaintLimit.key))).scalars())
    assert "sender" not in keys and all(len(k) == 64 for k in set(keys) - {"*"})
    assert len(keys) == 5  # wrong, locked, filed of one sender; wrong of another; everyone
    clock.advance(timedelta(hours=3))
    assert await tracker_two.may_file(two, "sender")
    assert await delete_expired(county, clock.now()) == len(keys)
