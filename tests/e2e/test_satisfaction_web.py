"""The web side of satisfaction: the complainant rates on the tracking page (CSRF like the
form), the office upholds the answer on the console, the complainant reads the reason; bad
input changes nothing; the statistics count the ratings per unit and overall."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from domain.assessment import Period
from domain.complaints import format_code
from domain.satisfaction import Rating, Review
from domain.vocabulary import ComplaintCategory, ComplaintStatus
from services import complaint_triage, complaints
from services.items import Origin
from services.satisfaction import rate_answer
from services.stats import compute_stats
from storage.models import Complaint, ComplaintRating, Item
from tests.conftest import Bench, import_example_county
from tests.e2e.console_helpers import actor_of, csrf_of, join, page, signed_in
from tests.e2e.test_complaint_web import browser, open_form

TEXT = "县医院门口违规收停车费，每次十元，没有票据。"
ANSWER = "经核实，停车收费已按规定公示，票据当场开具。"


async def answered_complaint(bench: Bench) -> tuple[str, str]:
    filed = await complaints.file_complaint(
        bench.rt, complaints.ComplaintDraft(ComplaintCategory.CONDUCT, "县卫生健康局", TEXT)
    )
    office = Origin(await actor_of(bench.rt, "qian"))
    await complaint_triage.answer_complaint(bench.rt, office, filed.public_id, ANSWER)
    return filed.public_id, filed.code


async def post(http: object, url: str, data: dict[str, str]) -> tuple[int, str]:
    async with http.post(url, data=data) as response:  # type: ignore[attr-defined]
        return response.status, await response.text()


async def stored(bench: Bench) -> list[ComplaintRating]:
    async with bench.rt.db.session() as session:
        return list(await session.scalars(select(ComplaintRating)))


async def test_rated_on_the_web_upheld_on_the_console_read_on_the_web(bench: Bench) -> None:
    await import_example_county(bench.rt)
    staff = await join(bench, ["qian"])
    public_id, code = await answered_complaint(bench)
    async with browser() as http:
        token = await open_form(http, f"{bench.base_url}/track")
        status, html = await post(http, f"{bench.base_url}/track", {"csrf": token, "code": code})
        assert status == 200 and ANSWER in html and "您对答复是否满意" in html
        rate = f"{bench.base_url}/track/rate"
        # Bad input: no CSRF, an unknown code, no rating, an empty reason; nothing is kept.
        assert (await post(http, rate, {"code": code, "rating": "satisfied"}))[0] == 403
        wrong = format_code("0" * 20)
        fields = {"csrf": token, "code": wrong, "rating": "satisfied"}
        assert (await post(http, rate, fields))[0] == 404
        status, html = await post(http, rate, {"csrf": token, "code": code, "rating": "meh"})
        assert status == 422 and "请选择" in html
        fields = {"csrf": token, "code": code, "rating": "dissatisfied", "reason": " "}
        status, html = await post(http, rate, fields)
        assert status == 422 and "请写明不满意的原因" in html
        assert await stored(bench) == []
        fields["reason"] = "收费公示牌被挡住，根本看不到。"
        status, html = await post(http, rate, fields)
        assert status == 200 and "异议复核申请已送达督查室" in html
        # Twice: refused.
        fields["rating"] = "satisfied"
        status, html = await post(http, rate, fields)
        assert status == 409 and "已评价过" in html
    [rating] = await stored(bench)
    assert rating.review is Review.PENDING and rating.unit_id is None  # answered without an item

    # The office: the console shows the request; reopening is not offered (no item); uphold.
    console = await signed_in(bench, staff["qian"])
    async with console:
        status, html = await page(console, f"{bench.base_url}/console/complaints")
        assert status == 200 and "收费公示牌被挡住" in html and "维持原答复" in html
        assert f"/complaints/{public_id}/reopen" not in html
        assert f"/complaints/{public_id}/assign" in html  # a unit may take it on instead
        action = f"{bench.base_url}/console/complaints/{public_id}/uphold"
        form = {"csrf": csrf_of(html), "review": str(rating.id), "reason": ""}
        async with console.post(action, data=form, allow_redirects=False) as response:
            assert response.status >= 400  # an empty reason: refused
        form["reason"] = "公示牌已移至入口显眼处，收费标准符合规定。"
        async with console.post(action, data=form, allow_redirects=False) as response:
            assert response.status == 303
        async with console.post(action, data=form, allow_redirects=False) as response:
            assert response.status == 409  # decided once
    [rating] = await stored(bench)
    assert rating.review is Review.UPHELD and rating.reply == form["reason"]

    async with browser() as http:
        token = await open_form(http, f"{bench.base_url}/track")
        status, html = await post(http, f"{bench.base_url}/track", {"csrf": token, "code": code})
        assert "维持原答复" in html and "公示牌已移至入口显眼处" in html
        assert "您对答复是否满意" not in html


async def test_satisfaction_counts_in_the_statistics(bench: Bench) -> None:
    await import_example_county(bench.rt)
    await join(bench, ["qian"])
    for rating in (Rating.SATISFIED, Rating.BASIC, Rating.DISSATISFIED, Rating.SATISFIED):
        _, code = await answered_complaint(bench)
        reason = "没有解决" if rating is Rating.DISSATISFIED else None
        await rate_answer(bench.rt, code, rating, reason)
    _, unrated = await answered_complaint(bench)
    today = bench.rt.clock.now().astimezone(bench.rt.tz).date()
    stats = await compute_stats(bench.rt, Period(date(today.year, 1, 1), today))
    total = stats.as_json()["total"]
    assert isinstance(total, dict)
    assert total["satisfaction"] == {
        "satisfied": 2,
        "basic": 1,
        "dissatisfied": 1,
        "rate": 0.75,
    }
    # Answered without an item: no unit answered, so no unit row counts them.
    assert all(not row.ratings for row in stats.units)
    before = await compute_stats(
        bench.rt, Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))
    )
    assert before.total.ratings == {} and before.total.satisfaction_rate is None
    assert unrated


async def test_a_review_assigns_the_offices_own_answer_to_a_unit_on_the_console(
    bench: Bench,
) -> None:
    await import_example_county(bench.rt)
    staff = await join(bench, ["qian"])
    public_id, code = await answered_complaint(bench)
    await rate_answer(bench.rt, code, Rating.DISSATISFIED, "停车收费公示牌仍被遮挡。")
    [rating] = await stored(bench)
    console = await signed_in(bench, staff["qian"])
    async with console:
        _, html = await page(console, f"{bench.base_url}/console/complaints")
        assert f"/complaints/{public_id}/assign" in html and "复核不通过，交办单位" in html
        action = f"{bench.base_url}/console/complaints/{public_id}/assign"
        form = {"csrf": csrf_of(html), "review": str(rating.id), "title": "", "unit": "health"}
        async with console.post(action, data=form, allow_redirects=False) as response:
            assert response.status >= 400  # no title: refused, nothing made
        assert await items_count(bench) == 0
        form |= {"title": "县医院停车收费公示整改", "body": "公示牌移至入口显眼处。"}
        async with console.post(action, data=form, allow_redirects=False) as response:
            assert response.status == 303
        async with console.post(action, data=form, allow_redirects=False) as response:
            assert response.status == 409  # decided once
    assert await items_count(bench) == 1
    [rating] = await stored(bench)
    assert rating.review is Review.REOPENED and rating.superseded
    async with bench.rt.db.session() as session:
        complaint = await session.scalar(select(Complaint))
        item = await session.scalar(select(Item))
    assert complaint is not None and item is not None
    assert complaint.item_id == item.id and complaint.status == ComplaintStatus.ACCEPTED
    assert item.source == "complaint" and item.title == "县医院停车收费公示整改"


async def items_count(bench: Bench) -> int:
    async with bench.rt.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Item)) or 0)
