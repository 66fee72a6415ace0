"""A complainant rates the answer in chat and asks for review (异议复核); the office reopens the
item with the reason as its problem; the complainant reads the outcome with /track. And what it
all leaves behind: nothing that names the complainant (the anonymity test's checks, extended
to the rating, the reason, the review and its notices)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from domain.assessment import Period
from domain.satisfaction import Rating, Review
from domain.scoring import EventKind
from domain.vocabulary import ComplaintStatus, ItemStatus, ReportKind
from services import complaint_triage, decisions, follow_up, reports
from services.items import Origin
from services.people import whoami
from services.satisfaction import rate_answer
from services.stats import compute_stats
from storage.models import Attachment, Complaint, ComplaintRating, Item, RectificationProblem
from testbench import FakeUser
from testbench.models import BotMessage
from tests.conftest import Bench, import_example_county
from tests.e2e.test_anonymity import (
    CITIZEN_ID,
    FIRST_NAME,
    LAST_NAME,
    USERNAME,
    Capture,
    check_photo_and_files,
    complain_in_chat,
    debug_log,
    has_text,
    join,
    logged_bench,
    search_postgres,
)
from tests.services.test_complaints_service import gps_jpeg

__all__ = ["debug_log", "logged_bench"]  # fixtures, used by name

REASON = "路灯只修了村西头，村东头三盏仍然不亮。"
NEEDLES = [str(CITIZEN_ID), USERNAME, FIRST_NAME, LAST_NAME]


async def ratings(bench: Bench) -> list[ComplaintRating]:
    async with bench.rt.db.session() as session:
        return list(await session.scalars(select(ComplaintRating).order_by(ComplaintRating.id)))


async def refusal(user: FakeUser, message: BotMessage, data: str) -> str:
    """What the button press with this data is answered (an alert)."""
    seen = len(user.callback_answers)
    await user.press_data(message, data)
    while len(user.callback_answers) <= seen:
        await user.wait_callback_answer()
    return user.callback_answers[-1].text or ""


async def answer_by_closing(bench: Bench, staff: dict[str, FakeUser]) -> Item:
    """The office accepts the complaint in chat; the unit does it; the office closes it."""
    qian, gaojing = staff["qian"], staff["gaojing"]
    notice = await qian.wait_message(has_text("新投诉"), timeout=10)
    await qian.press(notice, "受理并交办")
    units = await qian.wait_message(has_text("请选择牵头单位"))
    await qian.press(units, "县住房和城乡建设局")
    await qian.wait_message(has_text("已受理"))
    dispatch = await gaojing.wait_message(has_text("督〔2026〕1号"), timeout=10)
    await gaojing.press(dispatch, "✅ 签收")
    await gaojing.wait_callback_answer()
    async with bench.rt.db.session() as session:
        item = await session.scalar(select(Item))
    assert item is not None
    contact = await whoami(bench.rt, gaojing.id)
    head = await whoami(bench.rt, staff["heyong"].id)
    office = await whoami(bench.rt, qian.id)
    assert contact and head and office
    submitted = await reports.submit_report(
        bench.rt, contact, item.ref, ReportKind.COMPLETION, "已更换路灯 12 盏，全部恢复照明。"
    )
    await decisions.confirm_completion(bench.rt, head, submitted.report_id)
    closed = await decisions.close_item(
        bench.rt, Origin(office), item.ref, answer="经核实，青石村路灯已全部修复，恢复夜间照明。"
    )
    assert closed.status == ItemStatus.CLOSED
    return item


async def test_a_dissatisfied_complainant_s_review_reopens_the_item_and_names_no_one(
    logged_bench: Bench, debug_log: Capture, database_url: str
) -> None:
    bench = logged_bench
    await import_example_county(bench.rt)
    staff = await join(bench, ["qian", "gaojing", "heyong"])
    citizen = bench.fake.user(
        CITIZEN_ID, FIRST_NAME, username=USERNAME, last_name=LAST_NAME, language_code="zh-hans"
    )
    code = await complain_in_chat(citizen, gps_jpeg())

    # Not answered yet: no rating buttons, and a forged one is refused; nothing is kept.
    await citizen.send_text(f"/track {code}")
    early = await citizen.wait_message(has_text("T2026-1"))
    assert early.button_texts == ["补充信息或照片"]
    await citizen.press_data(early, "cmp:rate:satisfied")
    await citizen.wait_message(has_text("尚未答复"))
    assert await ratings(bench) == []

    item = await answer_by_closing(bench, staff)

    # Answered: /track asks whether the complainant is satisfied.
    await citizen.send_text(f"/track {code}")
    status = await citizen.wait_message(has_text("青石村路灯已全部修复"))
    assert "您对答复是否满意" in status.plain_text
    assert status.button_texts == ["满意", "基本满意", "不满意", "补充信息或照片"]
    await citizen.press(status, "不满意")
    await citizen.wait_message(has_text("请写明不满意的原因"))
    await citizen.send_text("  ")  # an empty reason: asked again, nothing sent
    await citizen.wait_message(has_text("至少 2 个字"))
    assert await ratings(bench) == []
    await citizen.send_text(REASON)
    sent = await citizen.wait_message(has_text("异议复核申请已送达督查室"))
    assert "督查室正在复核" in sent.plain_text and "满意" not in sent.button_texts

    # Rating twice: refused, nothing changes.
    await citizen.press_data(status, "cmp:rate:satisfied")
    await citizen.wait_message(has_text("已评价过"))
    [rating] = await ratings(bench)
    assert rating.rating is Rating.DISSATISFIED and rating.review is Review.PENDING
    assert rating.reason == REASON and rating.unit_id is not None
    today = bench.rt.clock.now().astimezone(bench.rt.tz).date()
    stats = await compute_stats(bench.rt, Period(date(today.year, 1, 1), today))
    housing = next(row for row in stats.units if row.name == "县住房和城乡建设局")
    assert housing.ratings == {Rating.DISSATISFIED: 1} and housing.satisfaction_rate == 0.0
    # The 不满意 rating is a deduction of the unit's assessment score, traced to its item.
    assert housing.score is not None
    (deduction,) = [
        line for line in housing.score.lines if line.occurrence.kind is EventKind.SATISFACTION
    ]
    assert deduction.points == -1 and deduction.occurrence.on == today
    assert deduction.occurrence.item_code is not None

    # The office gets the review with the complaint, the item, the answer and the reason.
    qian = staff["qian"]
    review = await qian.wait_message(has_text("异议复核申请"), timeout=10)
    for words in ("T2026-1", "督〔2026〕1号", "青石村路灯已全部修复", REASON):
        assert words in review.plain_text, words
    assert review.button_texts == ["复核不通过，重新整改", "维持原答复"]
    for needle in NEEDLES:
        assert needle not in review.text and needle not in str(review.reply_markup)
    # A unit's contact is not the office: refused, nothing changes.
    gaojing = staff["gaojing"]
    assert "督查室" in await refusal(gaojing, gaojing.last, review.callback_data[0])

    await qian.press(review, "复核不通过，重新整改")
    await qian.wait_callback_answer()
    prompt = await qian.wait_message(has_text("新的办理期限"))
    due = (bench.rt.clock.now() + timedelta(days=20)).astimezone(bench.rt.tz).date()
    await qian.send_text(f"{due.isoformat()}\n同步检查村内其他路段照明", reply_to=prompt)
    await qian.wait_message(has_text("复核已办结"))

    async with bench.rt.db.session() as session:
        reopened = await session.get_one(Item, item.id)
        assert reopened.status == ItemStatus.IN_PROGRESS
        problems = list(
            await session.scalars(
                select(RectificationProblem.text)
                .where(RectificationProblem.item_id == item.id)
                .order_by(RectificationProblem.number)
            )
        )
        assert problems == [REASON, "同步检查村内其他路段照明"]
        complaint = await session.scalar(select(Complaint))
        assert complaint is not None and complaint.status == ComplaintStatus.ACCEPTED
        attachment = await session.scalar(select(Attachment))
        assert attachment is not None
        assert await session.scalar(select(func.count()).select_from(ComplaintRating)) == 1
    [decided] = await ratings(bench)
    assert decided.review is Review.REOPENED and decided.superseded

    # Pressing again: already decided.
    assert "已处理" in await refusal(qian, review, review.callback_data[1])

    # The complainant reads the outcome.
    await citizen.send_text(f"/track {code}")
    outcome = await citizen.wait_message(has_text("复核不通过"))
    assert "您的评价" in outcome.plain_text and "不满意" in outcome.plain_text
    assert outcome.button_texts == ["补充信息或照片"]

    # --- what is left behind -----------------------------------------------------------------
    if not database_url.startswith("sqlite"):
        await search_postgres(bench, NEEDLES)
    await bench.rt.db.dispose()
    check_photo_and_files(bench.rt.media_dir / attachment.path, bench.rt.media_dir, database_url)
    assert any("complaint_rated" in line for line in debug_log.lines)
    for line in debug_log.lines:
        for needle in NEEDLES:
            assert needle not in line, f"{needle!r} logged: {line[:300]}"


async def test_a_follow_up_reopening_puts_the_complaint_back_in_hand_and_its_rating_aside(
    bench: Bench,
) -> None:
    """回头看 finds the answered complaint's problem back: the item is reopened by the ordinary
    follow-up check (not by a review); the complaint is being handled again, the rating of the
    old answer no longer stands, and the next answer may be rated afresh."""
    await import_example_county(bench.rt)
    staff = await join(bench, ["qian", "gaojing", "heyong"])
    citizen = bench.fake.user(CITIZEN_ID, FIRST_NAME, language_code="zh-hans")
    code = await complain_in_chat(citizen, gps_jpeg())
    item = await answer_by_closing(bench, staff)
    await rate_answer(bench.rt, code, Rating.SATISFIED)

    office = Origin(await whoami(bench.rt, staff["qian"].id))
    due = (bench.rt.clock.now() + timedelta(days=20)).astimezone(bench.rt.tz).date()
    await follow_up.reopen_item(bench.rt, office, item.ref, due, "村东头路灯再次损坏")
    async with bench.rt.db.session() as session:
        complaint = await session.scalar(select(Complaint))
        assert complaint is not None and complaint.status == ComplaintStatus.ACCEPTED
        assert complaint.answer is None
    [old] = await ratings(bench)
    assert old.rating is Rating.SATISFIED and old.superseded
    await citizen.send_text(f"/track {code}")
    shown = await citizen.wait_message(has_text("已交有关单位办理"))
    assert "您评价过的答复已撤回" in shown.plain_text
    assert "您对答复是否满意" not in shown.plain_text  # nothing to rate while it is in hand

    # Answered again by the next closing: rated again, and only the new rating counts.
    contact = await whoami(bench.rt, staff["gaojing"].id)
    head = await whoami(bench.rt, staff["heyong"].id)
    assert contact and head
    submitted = await reports.submit_report(
        bench.rt, contact, item.ref, ReportKind.COMPLETION, "村东头三盏路灯已更换线路。"
    )
    await decisions.confirm_completion(bench.rt, head, submitted.report_id)
    await decisions.close_item(bench.rt, office, item.ref, answer="村东头路灯已修复。")
    await rate_answer(bench.rt, code, Rating.BASIC)
    assert [(r.rating, r.superseded) for r in await ratings(bench)] == [
        (Rating.SATISFIED, True),
        (Rating.BASIC, False),
    ]


async def test_a_review_of_the_offices_own_answer_assigns_the_complaint_to_a_unit(
    bench: Bench,
) -> None:
    """Answered by the office itself (no item), rated 不满意: the review can now fail by
    assigning the complaint to a unit (复核不通过, 交办) — an item with the complaint, the answer
    and the reason, dispatched — and the complaint is being handled again."""
    await import_example_county(bench.rt)
    staff = await join(bench, ["qian", "gaojing", "heyong"])
    citizen = bench.fake.user(CITIZEN_ID, FIRST_NAME, language_code="zh-hans")
    code = await complain_in_chat(citizen, gps_jpeg())
    qian, gaojing = staff["qian"], staff["gaojing"]
    office = Origin(await whoami(bench.rt, qian.id))
    answer = "经核实，该路段路灯属村级管理，已转告村委会。"
    await complaint_triage.answer_complaint(bench.rt, office, "T2026-1", answer)
    await rate_answer(bench.rt, code, Rating.DISSATISFIED, REASON)
    review = await qian.wait_message(has_text("异议复核申请"), timeout=10)
    assert review.button_texts == ["复核不通过，交办单位", "维持原答复"]
    # Reopening is not offered; forged, it is refused with what to do instead.
    [rating] = await ratings(bench)
    assert "交办单位办理" in await refusal(qian, review, f"rvw:{rating.id}:reopen")
    # A unit's contact may not decide it.
    assert "督查室" in await refusal(gaojing, gaojing.last, f"rvw:{rating.id}:assign")
    # A unit that is none: refused, nothing made.
    await qian.press_data(review, f"rvw:{rating.id}:unit:999999")
    await qian.wait_callback_answer()

    await qian.press(review, "复核不通过，交办单位")
    await qian.wait_callback_answer()
    units = await qian.wait_message(has_text("请选择承办单位"))
    async with bench.rt.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Item)) == 0
    first_unit = units.buttons[0][0].value
    await qian.press(units, "县住房和城乡建设局")
    await qian.wait_message(has_text("复核已办结"))
    dispatch = await gaojing.wait_message(has_text("督〔2026〕1号"), timeout=10)
    assert "青石村路灯坏了三个月没人修" in dispatch.plain_text
    async with bench.rt.db.session() as session:
        item = await session.scalar(select(Item))
        complaint = await session.scalar(select(Complaint))
    assert item is not None and complaint is not None
    assert item.source == "complaint"
    assert f"督查室原答复：{answer}" in item.body and f"群众不满意的原因：{REASON}" in item.body
    assert (complaint.item_id, complaint.status) == (item.id, ComplaintStatus.ACCEPTED)
    [decided] = await ratings(bench)
    assert decided.review is Review.REOPENED and decided.superseded
    # Decided once: pressing again is refused.
    assert "已处理" in await refusal(qian, units, first_unit)
    await citizen.send_text(f"/track {code}")
    shown = await citizen.wait_message(has_text("已交有关单位办理"))
    assert "复核不通过" in shown.plain_text and "可再次评价" in shown.plain_text
