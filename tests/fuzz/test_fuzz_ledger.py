"""Outside input that reaches the ledger: refs typed in chat or URLs, rows of an item list.

A bad ref is ItemNotFound; a bad list is ItemImportError and writes nothing at all.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import func, select

from domain.errors import DubanError
from domain.item_import import ImportRow, ItemImportError
from domain.vocabulary import Source, TimeClass
from services.item_import import import_items
from services.items import Origin
from services.runtime import Runtime
from services.views import ItemNotFound, find_item
from storage.models import Assignment, Item, Notification, TimelineEvent
from tests.fuzz.strategies import FUZZ, odd_text

API = Origin(None, via_api=True)
TABLES = (Item, Assignment, TimelineEvent, Notification)
UNITS = ["edu", "health", "transport", "县教育局", "nobody", "", "wang", "zhao"]
LEADERS = ["wang", "chen", "zhao", "lina", "qian", "nobody", "王", None]


async def counts(rt: Runtime) -> tuple[int, ...]:
    async with rt.db.session() as session:
        return tuple(
            [
                int(await session.scalar(select(func.count()).select_from(table)) or 0)
                for table in TABLES
            ]
        )


@FUZZ
@given(ref=st.one_of(odd_text, st.from_regex(r"20\d\d-\d{1,4}", fullmatch=True)))
@example(ref="' OR '1'='1")
@example(ref="%")
@example(ref="2026-1; DROP TABLE items; --")
async def test_find_item_is_the_item_or_item_not_found(county: Runtime, ref: str) -> None:
    async with county.db.session() as session:
        try:
            item = await find_item(session, ref)
        except ItemNotFound as error:
            assert len(str(error.params.get("ref", ""))) <= 40
            return
    assert ref.strip() in (item.ref, item.code)


rows = st.builds(
    ImportRow,
    row=st.integers(2, 50),
    title=odd_text.filter(str.strip),
    body=odd_text,
    source=st.sampled_from(Source),
    time_class=st.sampled_from(TimeClass),
    lead_unit=st.sampled_from(UNITS),
    co_units=st.lists(st.sampled_from(UNITS), max_size=3).map(tuple),
    leader=st.sampled_from(LEADERS),
    due=st.one_of(st.none(), st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1))),
    dispatched_at=st.one_of(
        st.none(),
        st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
        ),
    ),
)


@FUZZ
@given(batch=st.lists(rows, min_size=1, max_size=4), dispatch=st.booleans())
async def test_item_import_is_all_or_nothing(
    county: Runtime, batch: list[ImportRow], dispatch: bool
) -> None:
    before = await counts(county)
    try:
        views = await import_items(county, API, batch, file="list.xlsx", dispatch=dispatch)
    except ItemImportError as error:
        assert error.problems and all(p.file == "list.xlsx" for p in error.problems)
        assert await counts(county) == before
        return
    except DubanError:
        assert await counts(county) == before
        return
    after = await counts(county)
    assert len(views) == len(batch)
    assert after[0] == before[0] + len(batch)
