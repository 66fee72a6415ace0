"""The leaders' measures' tests (talks, notices, accountability) start alike: the example
county joined, one item of 县教育局 dispatched on 20 November, due 3 December, acknowledged, and
the clock moved with a sweep at each step."""

from __future__ import annotations

from datetime import date, datetime

from domain.views import ItemView
from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from services.sweep import run_sweep
from testbench.users import FakeUser
from tests.conftest import SHANGHAI, Bench, import_example_county
from tests.e2e.reminder_helpers import settle
from tests.e2e.test_whole_loop import join_people


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


async def step(bench: Bench, moment: datetime) -> None:
    """Move the clock to ``moment``, sweep, and let what it queued be delivered."""
    bench.clock.set(moment)
    await run_sweep(bench.rt)
    await settle(bench)


async def overdue_item(
    bench: Bench, people: list[str], first_id: int
) -> tuple[dict[str, FakeUser], ItemView]:
    """The people joined, and the item dispatched and acknowledged by 李娜 (``lina``)."""
    await import_example_county(bench.rt)
    users = await join_people(bench, people, first_id)
    bench.clock.set(local(11, 20, 10))
    draft = ItemDraft(
        title="整治县城背街小巷环境卫生",
        body="",
        source=Source.MEETING,
        time_class=TimeClass.CUSTOM,
        lead_unit="edu",
        leader="wang",
        due=date(2026, 12, 3),
    )
    view = await register_item(bench.rt, Origin(None, via_api=True), draft, dispatch=True)
    await settle(bench)
    lina = users["lina"]
    # The dispatch sheet follows the dispatch message as a document of its own.
    dispatch = next(m for m in reversed(lina.messages) if "✅ 签收" in m.button_texts)
    await lina.press(dispatch, "✅ 签收")
    await lina.wait_callback_answer()
    await settle(bench)
    return users, view
