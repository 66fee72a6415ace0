"""The county the authority matrix runs in: people of every role joined in chat, an item in
every state an action applies to, a complaint, a report draft, and console sessions.

The bench runs without the delivery worker and the scheduler, so that nothing but the action
under test writes to the database (a snapshot before and after must then be equal).
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from PIL import Image
from pydantic import SecretStr
from sqlalchemy import select

from bot.app import Options
from domain.clock import FakeClock
from domain.satisfaction import Rating
from domain.vocabulary import ComplaintCategory, ReportKind, Source, TimeClass
from services import (
    complaint_triage,
    complaints,
    decisions,
    drafts,
    public_notices,
    reports,
    satisfaction,
    talks,
)
from services.actors import Actor
from services.approval import return_item
from services.items import ItemDraft, Origin, register_item
from services.people import issue_invites
from services.registration import create_item
from storage.db import Database
from storage.models import Assignment, Attachment, Document, Item, Unit
from testbench import FakeTelegram, FakeUser
from tests.conftest import Bench, bench_settings, import_example_county, running
from tests.e2e.console_helpers import actor_of, browser, csrf_of, item_awaiting_close, page
from tests.e2e.console_helpers import web_link as ask_web_link

API = Origin(None, via_api=True)
API_TOKEN = "matrix-api-token"
POLICY = """
approval:
  steps: [[zhoujian], [zhao]]
"""

# Who is who (examples/roster.yaml): the key, and what the matrix calls them.
PEOPLE = {
    "qian": "office (supervisor, admin)",
    "zhoujian": "office (supervisor), approver of step 1",
    "admin": "deployment admin only",
    "zhao": "principal leader, approver of step 2",
    "wang": "deputy leader of edu and health, the items' leader",
    "chen": "deputy leader of other units",
    "lina": "edu contact (lead unit)",
    "zhangjun": "edu head (lead unit)",
    "caomin": "health contact (co-unit)",
    "huangwei": "health head (co-unit)",
    "xupeng": "transport contact (unit not on the items)",
}
STRANGER = "stranger"  # an unknown Telegram user, a citizen
EVERYONE = frozenset([*PEOPLE, STRANGER])
JOINED = frozenset(PEOPLE)
OFFICE = frozenset({"qian", "zhoujian"})
LEADERS = frozenset({"zhao", "wang", "chen"})
CONSOLE = OFFICE | LEADERS
UNIT_PEOPLE = frozenset({"lina", "zhangjun", "caomin", "huangwei"})
VIEWERS = OFFICE | {"admin", "zhao", "wang"} | UNIT_PEOPLE

# Titles are what a refused person must never be shown.
TITLES = {
    "fresh": "未签收的校舍安全排查",
    "awaiting_head": "待核签的食堂卫生整治",
    "with_office": "待销号的操场改造",
    "extension": "延期待批的图书馆建设",
    "followed": "回头看的饮水安全",
    "pending": "待审核的校车安全检查",
    "returned": "已退回的课后服务方案",
}


@dataclass
class World:
    bench: Bench
    users: dict[str, FakeUser]
    invites: dict[str, str]  # person key -> the invite token they joined with (used up)
    help_text: dict[str, str]
    refs: dict[str, str]  # state -> item ref
    assignment: dict[str, int]  # "lead" / "co" of the fresh item -> assignment id
    report: dict[str, int]  # "head" / "office" / "extension" -> report id
    draft: int  # lina's report draft on the fresh item
    complaint: str  # a new complaint's public id
    edu_unit: int
    attachment: int  # an evidence photo on the item with the office
    document: int  # the fresh item's dispatch sheet (督办通知单)
    talk: int  # a talk ordered on the fresh item, not recorded yet
    notice: int  # a draft notice of criticism of the fresh item
    review: int  # a complainant's request for review (异议复核), pending
    sessions: dict[str, aiohttp.ClientSession] = field(default_factory=dict)
    csrf: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.bench.base_url


@pytest.fixture
async def matrix_bench(
    database_url: str, db: Database, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> AsyncIterator[Bench]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    settings = bench_settings(
        fake, database_url, tmp_path, api_token=SecretStr(API_TOKEN), policy_file=policy
    )
    options = Options(delivery=False, scheduler=False)
    async with running(settings, clock, fake, options) as bench:
        yield bench


def png(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="PNG")
    return buffer.getvalue()


async def _item(bench: Bench, key: str, *, dispatch: bool = True) -> str:
    draft = ItemDraft(
        title=TITLES[key],
        body=f"{TITLES[key]}，限期整改。",
        source=Source.MEETING,
        time_class=TimeClass.GENERAL,
        lead_unit="edu",
        co_units=("health",),
        leader="wang",
    )
    if dispatch:
        return (await register_item(bench.rt, API, draft, dispatch=True)).ref
    return (await create_item(bench.rt, API, draft)).ref  # waits for approval


async def build_world(bench: Bench) -> World:
    rt = bench.rt
    await import_example_county(rt)
    invites = await issue_invites(rt, bot_username="duban_test_bot", keys=list(PEOPLE))
    users: dict[str, FakeUser] = {}
    tokens: dict[str, str] = {}
    for number, invite in enumerate(invites):
        user = bench.fake.user(70_000 + number, invite.name)
        await user.send_text(f"/start {invite.token}")
        await user.wait_message(timeout=10)
        users[invite.person] = user
        tokens[invite.person] = invite.token
    users[STRANGER] = bench.fake.user(79_999, "路人")
    help_text = {}
    for key, user in users.items():
        await user.send_text("/help")
        help_text[key] = (await user.wait_message(timeout=10)).plain_text

    people: dict[str, Actor] = {key: await actor_of(rt, key) for key in ("lina", "zhangjun")}
    lina, zhangjun = people["lina"], people["zhangjun"]
    office = Origin(await actor_of(rt, "qian"))
    refs = {"fresh": await _item(bench, "fresh")}
    refs["awaiting_head"] = await _item(bench, "awaiting_head")
    to_head = await reports.submit_report(
        rt, lina, refs["awaiting_head"], ReportKind.COMPLETION, "已办结"
    )
    photo = reports.EvidenceFile(png("navy"), "site.png", "image/png")
    refs["with_office"] = await item_awaiting_close(rt, title=TITLES["with_office"], files=(photo,))
    refs["extension"] = await _item(bench, "extension")
    extension = await reports.submit_report(
        rt, lina, refs["extension"], ReportKind.EXTENSION, "申请延期至 2027-01-20，计划如下"
    )
    refs["followed"] = await _item(bench, "followed")
    done = await reports.submit_report(rt, lina, refs["followed"], ReportKind.COMPLETION, "已办结")
    await decisions.confirm_completion(rt, zhangjun, done.report_id)
    follow_on = rt.clock.now().astimezone(rt.tz).date() + timedelta(days=30)
    await decisions.close_item(rt, office, refs["followed"], follow_up_on=follow_on)
    refs["pending"] = await _item(bench, "pending", dispatch=False)
    refs["returned"] = await _item(bench, "returned", dispatch=False)
    await return_item(rt, API, refs["returned"], "请补充方案")
    draft = await drafts.choose_kind(rt, lina, refs["fresh"], ReportKind.PROGRESS)
    filed = await complaints.file_complaint(
        rt,
        complaints.ComplaintDraft(
            category=ComplaintCategory.LIVELIHOOD, place="城关镇", text="学校门口道路积水严重"
        ),
    )
    async with rt.db.session() as session:
        fresh = await session.scalar(select(Item.id).where(Item.ref == refs["fresh"]))
        roles = dict(
            (role, assignment_id)
            for assignment_id, role in await session.execute(
                select(Assignment.id, Assignment.role).where(Assignment.item_id == fresh)
            )
        )
        edu = await session.scalar(select(Unit.id).where(Unit.key == "edu"))
        attachment = await session.scalar(select(Attachment.id).order_by(Attachment.id))
        document = await session.scalar(select(Document.id).where(Document.item_id == fresh))
    assert edu is not None and attachment is not None and document is not None
    office_report = await _completion_with_office(bench, refs["with_office"])
    talk = (await talks.order_talk(rt, API, refs["fresh"])).talk.id
    notice = (await public_notices.draft_criticism(rt, API, refs["fresh"])).notice.id
    review = await _pending_review(bench)
    return World(
        bench=bench,
        users=users,
        invites=tokens,
        help_text=help_text,
        refs=refs,
        assignment={"lead": roles["lead"], "co": roles["co"]},
        report={
            "head": to_head.report_id,
            "office": office_report,
            "extension": extension.report_id,
        },
        draft=draft.id,
        complaint=filed.public_id,
        edu_unit=edu,
        attachment=attachment,
        document=document,
        talk=talk,
        notice=notice,
        review=review,
    )


async def _pending_review(bench: Bench) -> int:
    """A complaint answered directly, rated 不满意 with a reason: its review is pending."""
    rt = bench.rt
    filed = await complaints.file_complaint(
        rt,
        complaints.ComplaintDraft(
            category=ComplaintCategory.OTHER, place="城关镇", text="菜市场噪音扰民严重"
        ),
    )
    await complaint_triage.answer_complaint(rt, API, filed.public_id, "已责成市场整改。")
    status = await satisfaction.rate_answer(rt, filed.code, Rating.DISSATISFIED, "仍然很吵")
    assert status.feedback is not None
    return status.feedback.id


async def _completion_with_office(bench: Bench, ref: str) -> int:
    from storage.models import Report

    async with bench.rt.db.session() as session:
        report = await session.scalar(
            select(Report.id).join(Item, Item.id == Report.item_id).where(Item.ref == ref)
        )
    assert report is not None
    return report


async def sign_in_all(world: World, keys: frozenset[str] = CONSOLE) -> None:
    """A console session (and its form token) for each of these people."""
    for key in sorted(keys):
        http = browser()
        async with http.post(await ask_web_link(world.users[key]), allow_redirects=False) as r:
            assert r.status == 303, (key, r.status)
        status, html = await page(http, f"{world.url}/console/stats")
        assert status == 200, (key, status)
        world.sessions[key] = http
        world.csrf[key] = csrf_of(html)


async def close_sessions(world: World) -> None:
    for http in world.sessions.values():
        await http.close()
