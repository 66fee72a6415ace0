"""Complaint use cases against a real database: filing, tracking, triage, the answer."""

from __future__ import annotations

import io
from datetime import time, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from domain.clock import FakeClock
from domain.complaints import (
    CODE_LENGTH,
    ComplaintNotFound,
    ItemAlreadyClosed,
    Limits,
    MergeIntoItself,
    MergeTargetUnknown,
    format_code,
    hash_code,
    new_code,
    normalize_code,
    title_from_text,
)
from domain.errors import Conflict, InvalidInput
from domain.vocabulary import ComplaintCategory, ComplaintStatus, ItemStatus, Source, TimeClass
from services import complaint_triage, complaints
from services.complaint_limits import Tracker
from services.complaints import ComplaintDraft
from services.items import ItemDraft, NotOffice, Origin, register_item
from services.runtime import Runtime
from storage.models import Attachment, Complaint, Item, Notification

API = Origin(None, via_api=True)
TEXT = "村里的路灯坏了三个月没人修\n晚上出行很不安全，多次反映无果。"
GPS = 0x8825


def gps_jpeg(color: str = "red", size: tuple[int, int] = (64, 48)) -> bytes:
    """A JPEG carrying GPS coordinates, a camera model and a capture time in its EXIF."""
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "WhistleCam"  # Make
    exif[0x0110] = "WC-2026 SN 5550192"  # Model
    exif[0x0132] = "2026:11:20 08:15:00"  # DateTime
    gps = exif.get_ifd(GPS)
    gps[1] = "N"
    gps[2] = (31.0, 14.0, 22.5)
    gps[3] = "E"
    gps[4] = (121.0, 28.0, 11.25)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as check:
        assert check.getexif().get_ifd(GPS), "the test photo must carry GPS"
    return data


def draft(text: str = TEXT, photos: tuple[bytes, ...] = ()) -> ComplaintDraft:
    return ComplaintDraft(ComplaintCategory.LIVELIHOOD, "县住建局", text, photos)


# --- the code -------------------------------------------------------------------------------


def test_codes_are_long_random_and_forgiving_to_type() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    code = next(iter(codes))
    assert len(code) == CODE_LENGTH  # 20 × 5 bits = 100 bits
    shown = format_code(code)
    assert len(shown.split("-")) == 5 and all(len(g) == 4 for g in shown.split("-"))
    assert normalize_code(shown) == code
    assert normalize_code(" " + shown.lower().replace("-", " ") + " ") == code
    typed = code.replace("0", "O").replace("1", "l")
    assert normalize_code(typed) == code
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert normalize_code(fullwidth) == code
    assert normalize_code(code[:-1]) is None
    assert normalize_code(code[:-1] + "U") is None  # not in Crockford's alphabet
    assert hash_code(code) != hash_code(new_code())


def test_title_from_first_line() -> None:
    assert title_from_text(TEXT) == "村里的路灯坏了三个月没人修"
    assert title_from_text("a" * 50).endswith("…")
    assert len(title_from_text("a" * 50)) == 30


# --- filing and tracking --------------------------------------------------------------------


async def test_file_keeps_only_the_hash_and_tells_the_office(county: Runtime) -> None:
    filed = await complaints.file_complaint(county, draft(photos=(gps_jpeg(),)))
    assert filed.public_id == "T2026-1"
    async with county.db.session() as session:
        row = await session.scalar(select(Complaint))
        assert row is not None
        assert row.code_hash == hash_code(filed.code) and filed.code not in row.code_hash
        assert row.status == ComplaintStatus.NEW and row.place == "县住建局"
        # The complainant's moment is kept to the day only (the clock says 09:00).
        assert row.updated_at.astimezone(county.tz).time() == time(0)
        assert row.created_on == county.clock.now().astimezone(county.tz).date()
        notices = list(await session.scalars(select(Notification).order_by(Notification.id)))
        photos = list(await session.scalars(select(Attachment)))
    assert len(photos) == 1 and photos[0].complaint_id == row.id
    stored = (county.media_dir / photos[0].path).read_bytes()
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif(), "EXIF must be stripped before the photo is kept"
        assert "exif" not in image.info
    # Each supervisor (qian, zhoujian, wuting): the complaint with triage buttons, then the photo.
    texts = [n for n in notices if n.kind == "complaint"]
    assert len(texts) == 3
    assert "T2026-1" in texts[0].text and "路灯" in texts[0].text
    labels = [b["text"] for row in texts[0].buttons for b in row]
    assert labels == ["受理并交办", "合并", "不予受理", "直接答复"]
    assert len([n for n in notices if n.kind == "complaint_photo" and n.photo_path]) == 3


async def test_track_by_code_in_any_spelling(county: Runtime) -> None:
    filed = await complaints.file_complaint(county, draft())
    status = await complaints.status_by_code(county, format_code(filed.code).lower())
    assert status is not None
    assert status.public_id == filed.public_id and status.status == ComplaintStatus.NEW
    assert await complaints.status_by_code(county, new_code()) is None
    assert await complaints.status_by_code(county, "nonsense") is None


async def test_limits_on_text_and_photos(county: Runtime) -> None:
    with pytest.raises(InvalidInput):
        await complaints.file_complaint(county, draft(text="短"))
    with pytest.raises(InvalidInput):
        await complaints.file_complaint(county, draft(text="长" * 3001))
    with pytest.raises(InvalidInput):
        await complaints.file_complaint(county, draft(photos=(gps_jpeg(),) * 6))
    with pytest.raises(InvalidInput):
        await complaints.file_complaint(county, draft(photos=(b"not an image at all",)))
    async with county.db.session() as session:
        assert await session.scalar(select(Complaint)) is None


async def test_adding_information(county: Runtime) -> None:
    filed = await complaints.file_complaint(county, draft())
    status = await complaints.add_information(county, filed.code, "补充：东头第三根灯杆", ())
    assert status.additions == 1
    view = await complaint_triage.get_complaint(county, API, filed.public_id)
    assert [n.text for n in view.notes] == ["补充：东头第三根灯杆"]
    with pytest.raises(ComplaintNotFound):
        await complaints.add_information(county, new_code(), "随便", ())


# --- triage ---------------------------------------------------------------------------------


def item_draft(title: str = "整治路灯") -> ItemDraft:
    return ItemDraft(
        title=title,
        body="请核实并修复",
        source=Source.COMPLAINT,
        time_class=TimeClass.GENERAL,
        lead_unit="housing",
    )


async def test_accept_makes_an_item_and_closing_answers(county: Runtime) -> None:
    filed = await complaints.file_complaint(county, draft())
    view, item = await complaint_triage.accept_complaint(county, API, filed.public_id, item_draft())
    assert view.status == ComplaintStatus.ACCEPTED and view.item_ref == item.ref
    assert item.source == Source.COMPLAINT and item.status == ItemStatus.DISPATCHED
    with pytest.raises(Conflict):
        await complaint_triage.accept_complaint(county, API, filed.public_id, item_draft())
    async with county.db.session() as session:
        answered = await complaint_triage.answer_from_closing(
            session, item.id, "路灯已全部修复。", county.clock.now()
        )
        await session.commit()
    assert answered == 1
    status = await complaints.status_by_code(county, filed.code)
    assert status is not None
    assert status.status == ComplaintStatus.ANSWERED and status.answer == "路灯已全部修复。"


async def test_reject_needs_a_reason_that_becomes_the_answer(county: Runtime) -> None:
    filed = await complaints.file_complaint(county, draft())
    with pytest.raises(InvalidInput):
        await complaint_triage.reject_complaint(county, API, filed.public_id, "  ")
    view = await complaint_triage.reject_complaint(
        county, API, filed.public_id, "不属于本级职责范围"
    )
    assert view.status == ComplaintStatus.REJECTED and view.answer == "不属于本级职责范围"
    status = await complaints.status_by_code(county, filed.code)
    assert status is not None and status.answer == "不属于本级职责范围"


async def test_merge_into_complaint_follows_its_answer(county: Runtime) -> None:
    first = await complaints.file_complaint(county, draft())
    second = await complaints.file_complaint(county, draft(text="同一处路灯还是不亮"))
    merged = await complaint_triage.merge_complaint(county, API, second.public_id, first.public_id)
    assert merged.status == ComplaintStatus.MERGED and merged.merged_into == first.public_id
    with pytest.raises(MergeIntoItself):
        third = await complaints.file_complaint(county, draft(text="第三件投诉内容"))
        await complaint_triage.merge_complaint(county, API, third.public_id, third.public_id)
    _, item = await complaint_triage.accept_complaint(county, API, first.public_id, item_draft())
    view = await complaint_triage.get_complaint(county, API, second.public_id)
    assert view.item_ref == item.ref
    async with county.db.session() as session:
        answered = await complaint_triage.answer_from_closing(
            session, item.id, "已修复", item.created_at
        )
        assert answered == 2
        await session.commit()
    for code in (first.code, second.code):
        status = await complaints.status_by_code(county, code)
        assert status is not None and status.answer == "已修复"


async def test_merge_into_item_and_answer_directly(county: Runtime) -> None:
    item = await register_item(county, API, item_draft("道路照明专项整治"), dispatch=True)
    filed = await complaints.file_complaint(county, draft())
    view = await complaint_triage.merge_complaint(county, API, filed.public_id, item.ref)
    assert view.status == ComplaintStatus.MERGED and view.item_ref == item.ref
    with pytest.raises(MergeTargetUnknown):
        other = await complaints.file_complaint(county, draft(text="另一件投诉的内容"))
        await complaint_triage.merge_complaint(county, API, other.public_id, "2026-99")
    answered = await complaint_triage.answer_complaint(
        county, API, other.public_id, "已转交相关部门"
    )
    assert answered.status == ComplaintStatus.ANSWERED
    async with county.db.session() as session:
        row = await session.get_one(Item, item.id)
        row.status = str(ItemStatus.CLOSED)
        await session.commit()
    late = await complaints.file_complaint(county, draft(text="第三件投诉的内容"))
    with pytest.raises(ItemAlreadyClosed):
        await complaint_triage.merge_complaint(county, API, late.public_id, item.ref)


async def test_only_the_office_triages(county: Runtime) -> None:
    filed = await complaints.file_complaint(county, draft())
    with pytest.raises(NotOffice):
        await complaint_triage.reject_complaint(county, Origin(None), filed.public_id, "理由")
    with pytest.raises(NotOffice):
        await complaint_triage.list_complaints(county, Origin(None))


async def test_list_filters_by_status(county: Runtime) -> None:
    one = await complaints.file_complaint(county, draft())
    await complaints.file_complaint(county, draft(text="第二件投诉的内容"))
    await complaint_triage.answer_complaint(county, API, one.public_id, "已答复")
    assert len(await complaint_triage.list_complaints(county, API)) == 2
    new = await complaint_triage.list_complaints(county, API, ComplaintStatus.NEW)
    assert [v.public_id for v in new] == ["T2026-2"]


# --- guessing -------------------------------------------------------------------------------


async def test_tracker_locks_out_guessers_whatever_the_code(county: Runtime) -> None:
    clock = county.clock
    assert isinstance(clock, FakeClock)
    filed = await complaints.file_complaint(county, draft())
    tracker = Tracker(Limits(per_sender=5, lockout=timedelta(minutes=30)))
    for _ in range(5):
        result = await tracker.check(county, "sender-a", new_code())
        assert not result.refused and result.status is None
    # Locked: even the right code is refused, so a refusal says nothing about codes.
    assert (await tracker.check(county, "sender-a", filed.code)).refused
    assert (await tracker.check(county, "sender-a", new_code())).refused
    # Someone else is not affected.
    other = await tracker.check(county, "sender-b", filed.code)
    assert other.status is not None and not other.refused
    clock.advance(timedelta(minutes=31))
    good = await tracker.check(county, "sender-a", filed.code)
    assert good.status is not None


async def test_tracker_overall_limit_and_daily_key(county: Runtime) -> None:
    clock = county.clock
    assert isinstance(clock, FakeClock)
    tracker = Tracker(Limits(per_sender=100, overall=10))
    key = tracker.sender_key(county, "sender")
    assert key != "sender" and len(key) == 64
    for number in range(10):
        await tracker.check(county, f"sender-{number}", new_code())
    assert (await tracker.check(county, "a-new-sender", new_code())).refused
    clock.advance(timedelta(minutes=2))
    assert not (await tracker.check(county, "a-new-sender", new_code())).refused
    clock.advance(timedelta(days=1))
    assert tracker.sender_key(county, "sender") != key  # the key changes every day
