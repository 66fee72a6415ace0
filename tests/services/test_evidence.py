"""Evidence files: storing by content, reuse and capture-time warnings, complaint photo sanitizing,
and the path-safe reader. Images are drawn here with Pillow."""

from __future__ import annotations

import dataclasses
import io
import random
import struct
import zipfile
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, PngImagePlugin
from sqlalchemy import func, select

from domain.clock import FakeClock
from domain.errors import NotFound
from domain.evidence import (
    FileTooLarge,
    ImageTooLarge,
    MediaNotFound,
    NotAnImage,
    UnsupportedFile,
    hamming,
)
from domain.policy import Evidence, Policy
from domain.views import ItemView
from domain.vocabulary import Source, TimeClass
from services.evidence import store_complaint_photo, store_evidence
from services.images import display_image, sanitize_image
from services.items import ItemDraft, Origin, register_item
from services.media import media_path
from services.runtime import Runtime
from services.timeline import Kind
from storage.models import (
    Assignment,
    Attachment,
    Complaint,
    Notification,
    Person,
    Report,
    TimelineEvent,
    UnitContact,
)

SUPERVISORS = {"qian", "zhoujian", "wuting"}

# --- pictures -------------------------------------------------------------------------------------


def picture(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A scene of random shapes: distinct per seed, and structured enough for a perceptual hash."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    width, height = size
    for _ in range(12):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1 = x0 + rng.randrange(width // 16 + 1, width // 2 + 2)
        y1 = y0 + rng.randrange(height // 16 + 1, height // 2 + 2)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
    return image


def jpeg(image: Image.Image, *, exif: Image.Exif | None = None, quality: int = 90) -> bytes:
    out = io.BytesIO()
    if exif is None:
        image.save(out, "JPEG", quality=quality)
    else:
        image.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def heic(image: Image.Image, *, exif: Image.Exif | None = None) -> bytes:
    """An iPhone-style HEIC photo (pillow-heif registers the format with Pillow)."""
    out = io.BytesIO()
    if exif is None:
        image.save(out, "HEIF", quality=80)
    else:
        image.save(out, "HEIF", quality=80, exif=exif.tobytes())
    return out.getvalue()


def taken_at(local: str, *, gps: bool = False) -> Image.Exif:
    """EXIF with DateTimeOriginal (``YYYY:MM:DD HH:MM:SS``, no zone) and optionally GPS."""
    exif = Image.Exif()
    exif[0x010F] = "SECRETCAM"  # Make
    exif[0x0110] = "SECRETMODEL"  # Model
    exif.get_ifd(0x8769)[0x9003] = local
    if gps:
        exif[0x8825] = {1: "N", 2: (31.0, 14.0, 5.5), 3: "E", 4: (121.0, 28.0, 1.25)}
    return exif


def jpeg_segments(data: bytes) -> list[int]:
    """The JPEG markers before the scan (APP0 = 0xE0, APP1 = EXIF/XMP 0xE1, COM = 0xFE ...)."""
    assert data[:2] == b"\xff\xd8"
    markers, at = [], 2
    while at < len(data):
        assert data[at] == 0xFF
        marker = data[at + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: the pixels follow
            break
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        at += 2 + length
    return markers


# --- an item with reports -------------------------------------------------------------------------


async def new_item(rt: Runtime, title: str, unit: str = "edu") -> ItemView:
    draft = ItemDraft(
        title=title,
        body="",
        source=Source.SUPERIOR,
        time_class=TimeClass.GENERAL,
        lead_unit=unit,
    )
    return await register_item(rt, Origin(None, via_api=True), draft, dispatch=True)


async def new_report(rt: Runtime, item: ItemView) -> int:
    async with rt.db.session() as session:
        assignment = await session.scalar(select(Assignment).where(Assignment.item_id == item.id))
        assert assignment is not None
        author = await session.scalar(
            select(UnitContact.person_id).where(UnitContact.unit_id == assignment.unit_id)
        )
        assert author is not None
        report = Report(
            item_id=item.id,
            assignment_id=assignment.id,
            author_id=author,
            kind="progress",
            text="进展情况",
            created_at=rt.clock.now(),
        )
        session.add(report)
        await session.commit()
        return report.id


async def store(
    rt: Runtime,
    item: ItemView,
    report_id: int,
    data: bytes,
    filename: str | None = "photo.jpg",
    mime_type: str | None = "image/jpeg",
) -> list[str]:
    async with rt.db.session() as session:
        warnings = await store_evidence(
            rt,
            session,
            item_id=item.id,
            report_id=report_id,
            data=data,
            filename=filename,
            mime_type=mime_type,
        )
        await session.commit()
    return warnings


async def attachments(rt: Runtime) -> list[Attachment]:
    async with rt.db.session() as session:
        return list(await session.scalars(select(Attachment).order_by(Attachment.id)))


async def warning_events(rt: Runtime, item: ItemView) -> list[TimelineEvent]:
    async with rt.db.session() as session:
        return list(
            await session.scalars(
                select(TimelineEvent)
                .where(TimelineEvent.item_id == item.id, TimelineEvent.kind == Kind.WARNING)
                .order_by(TimelineEvent.id)
            )
        )


async def office_notices(rt: Runtime) -> list[tuple[str, Notification]]:
    async with rt.db.session() as session:
        rows = await session.execute(
            select(Person.key, Notification)
            .join(Person, Person.id == Notification.person_id)
            .where(Notification.kind == "evidence_warning")
            .order_by(Notification.id)
        )
        return [(key, notification) for key, notification in rows]


def stored_files(rt: Runtime) -> list[Path]:
    """Evidence files kept under the media folder (the item's dispatch sheet, a .docx written
    at dispatch, is not evidence; no PDF of it is made without a delivery)."""
    if not rt.media_dir.exists():
        return []
    return sorted(
        path for path in rt.media_dir.rglob("*") if path.is_file() and path.suffix != ".docx"
    )


# --- reuse ----------------------------------------------------------------------------------------


async def test_the_same_photo_in_reports_of_two_items_warns_the_office(county: Runtime) -> None:
    rt = county
    first = await new_item(rt, "修复学校围墙")
    second = await new_item(rt, "整治校园周边环境")
    photo = jpeg(picture(1))

    assert await store(rt, first, await new_report(rt, first), photo) == []
    assert await office_notices(rt) == []

    assert await store(rt, second, await new_report(rt, second), photo) == ["reused"]

    [event] = await warning_events(rt, second)
    assert first.ref in event.detail
    assert event.data["kind"] == "reused" and event.data["same_bytes"] is True
    assert event.data["items"] == [first.ref]
    assert await warning_events(rt, first) == []
    notices = await office_notices(rt)
    assert {key for key, _ in notices} == SUPERVISORS
    for _, notice in notices:
        assert second.code in notice.text and first.ref in notice.text
        assert notice.item_id == second.id
        assert notice.photo_path is not None
        assert notice.buttons == [[{"text": "详情", "data": f"det:{second.ref}"}]]
    # the same content is kept once on disk; each report has its own row pointing at it
    rows = await attachments(rt)
    assert len(rows) == 2 and rows[0].path == rows[1].path
    assert rows[1].warnings[0]["items"] == [first.ref]
    assert stored_files(rt) == [rt.media_dir / rows[0].path]
    assert (rt.media_dir / rows[0].path).read_bytes() == photo


async def test_a_resized_recompressed_copy_warns_by_perceptual_hash(county: Runtime) -> None:
    rt = county
    first = await new_item(rt, "修复学校围墙")
    second = await new_item(rt, "整治校园周边环境")
    original = picture(2)
    copy = jpeg(original.resize((400, 300)), quality=60)
    assert copy != jpeg(original)

    assert await store(rt, first, await new_report(rt, first), jpeg(original)) == []
    assert await store(rt, second, await new_report(rt, second), copy) == ["reused"]

    [event] = await warning_events(rt, second)
    assert event.data["same_bytes"] is False
    assert 0 <= event.data["distance"] <= rt.policy.evidence.phash_distance
    rows = await attachments(rt)
    assert rows[0].sha256 != rows[1].sha256
    assert len(stored_files(rt)) == 2


async def test_an_unrelated_photo_does_not_warn(county: Runtime) -> None:
    rt = county
    first = await new_item(rt, "修复学校围墙")
    second = await new_item(rt, "整治校园周边环境")
    assert await store(rt, first, await new_report(rt, first), jpeg(picture(3))) == []
    assert await store(rt, second, await new_report(rt, second), jpeg(picture(4))) == []
    rows = await attachments(rt)
    assert rows[0].phash is not None and rows[1].phash is not None
    distance = hamming(rows[0].phash, rows[1].phash)
    assert distance is not None and distance > rt.policy.evidence.phash_distance
    assert await warning_events(rt, second) == []
    assert await office_notices(rt) == []


async def test_photos_of_one_report_do_not_warn_each_other(county: Runtime) -> None:
    rt = county
    item = await new_item(rt, "修复学校围墙")
    report = await new_report(rt, item)
    photo = jpeg(picture(5))
    assert await store(rt, item, report, photo) == []
    assert await store(rt, item, report, photo) == []
    # but the same photo in a later report of the same item is pointed out
    assert await store(rt, item, await new_report(rt, item), photo) == ["reused"]


async def test_a_distance_of_zero_in_the_policy_only_matches_identical_hashes(
    county: Runtime,
) -> None:
    rt = dataclasses.replace(county, policy=Policy(evidence=Evidence(phash_distance=0)))
    first = await new_item(rt, "修复学校围墙")
    second = await new_item(rt, "整治校园周边环境")
    original = picture(2)
    await store(rt, first, await new_report(rt, first), jpeg(original))
    copy = jpeg(original.rotate(8, expand=False), quality=50)
    assert await store(rt, second, await new_report(rt, second), copy) == []


# --- capture time ---------------------------------------------------------------------------------


async def test_a_photo_taken_before_dispatch_warns(county: Runtime) -> None:
    rt = county  # the clock stands at 2026-11-23 09:00 in Shanghai: the item goes out then
    item = await new_item(rt, "修复学校围墙")
    photo = jpeg(picture(6), exif=taken_at("2026:11:20 10:00:00"))

    assert await store(rt, item, await new_report(rt, item), photo) == ["old_capture"]

    [row] = await attachments(rt)
    assert row.captured_at == datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # read as Shanghai time
    [event] = await warning_events(rt, item)
    assert event.data["kind"] == "old_capture"
    assert "2026" in event.detail
    notices = await office_notices(rt)
    assert {key for key, _ in notices} == SUPERVISORS
    assert all(item.code in notice.text for _, notice in notices)


async def test_a_photo_taken_after_dispatch_does_not_warn(
    county: Runtime, clock: FakeClock
) -> None:
    rt = county
    item = await new_item(rt, "修复学校围墙")
    clock.advance(timedelta(days=1))
    photo = jpeg(picture(7), exif=taken_at("2026:11:23 09:30:00"))  # half an hour after dispatch

    assert await store(rt, item, await new_report(rt, item), photo) == []
    [row] = await attachments(rt)
    assert row.captured_at == datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
    assert await office_notices(rt) == []


async def test_an_iphone_heic_sent_as_a_file_is_a_photo_with_its_capture_time(
    county: Runtime,
) -> None:
    rt = county
    item = await new_item(rt, "修复学校围墙")
    photo = heic(picture(8), exif=taken_at("2026:11:20 10:00:00"))
    assert photo[4:12] == b"ftypheic"

    warnings = await store(
        rt, item, await new_report(rt, item), photo, "IMG_0412.HEIC", "application/octet-stream"
    )

    assert warnings == ["old_capture"]  # its EXIF was read like a JPEG's
    [row] = await attachments(rt)
    assert (row.kind, row.mime_type) == ("photo", "image/heic")
    assert row.path.endswith(".heic") and row.phash
    assert row.captured_at == datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    assert (rt.media_dir / row.path).read_bytes() == photo  # kept as sent, EXIF and all
    # The same scene again as a JPEG: the perceptual hash sees through the format.
    other = await new_item(rt, "修复学校操场")
    assert await store(rt, other, await new_report(rt, other), jpeg(picture(8))) == ["reused"]


def test_sanitize_turns_a_heic_into_a_bare_jpeg() -> None:
    clean, extension = sanitize_image(heic(picture(21), exif=taken_at("2026:11:20 10:00:00")))
    assert extension == "jpg"
    image = Image.open(io.BytesIO(clean))
    assert image.format == "JPEG" and image.size == (640, 480)
    assert len(image.getexif()) == 0 and b"SECRETCAM" not in clean


def test_the_console_view_of_a_large_photo_is_an_upright_bounded_jpeg() -> None:
    # An iPhone's 48-megapixel "HEIF Max" photo: over the complaint photos' limit, within the
    # evidence limit; shown rotated as its EXIF says, at most DISPLAY_SIDE on its longer side.
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    big = jpeg(Image.new("RGB", (8064, 6048), "teal"), exif=exif, quality=50)
    shown = Image.open(io.BytesIO(display_image(big)))
    assert shown.format == "JPEG" and shown.size == (1920, 2560)
    assert len(shown.getexif()) == 0
    with pytest.raises(NotAnImage):
        display_image(b"not a picture")


async def test_junk_exif_is_no_capture_time(county: Runtime) -> None:
    rt = county
    item = await new_item(rt, "修复学校围墙")
    report = await new_report(rt, item)
    garbage = jpeg(picture(8), exif=taken_at("not a date at all"))
    assert await store(rt, item, report, garbage) == []
    # a broken APP1 segment straight after the start of the image
    broken = jpeg(picture(9))
    segment = b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\xff\xff\x01\x02"
    broken = broken[:2] + b"\xff\xe1" + struct.pack(">H", len(segment) + 2) + segment + broken[2:]
    assert await store(rt, item, report, broken) == []
    assert [row.captured_at for row in await attachments(rt)] == [None, None]


# --- what is refused ------------------------------------------------------------------------------


async def test_an_oversized_photo_is_refused_and_nothing_is_written(county: Runtime) -> None:
    rt = dataclasses.replace(county, policy=Policy(evidence=Evidence(max_photo_bytes=10_000)))
    item = await new_item(rt, "修复学校围墙")
    report = await new_report(rt, item)
    photo = jpeg(picture(10), quality=95)
    assert len(photo) > 10_000

    with pytest.raises(FileTooLarge) as raised:
        await store(rt, item, report, photo)
    assert raised.value.params == {"limit": "0.00954"}
    assert rt.text("zh_CN")(raised.value.key, **raised.value.params) == (
        "文件太大：不能超过 0.00954 MB。"
    )

    with pytest.raises(FileTooLarge) as raised:  # the default 20 MB, before reading anything
        await store(county, item, report, b"\xff\xd8" + bytes(20 * 1024 * 1024))
    assert raised.value.params == {"limit": "20"}
    assert await attachments(rt) == []
    assert stored_files(rt) == []


async def test_non_image_bytes_named_jpg_are_refused(county: Runtime) -> None:
    rt = county
    item = await new_item(rt, "修复学校围墙")
    report = await new_report(rt, item)
    junk = random.Random(11).randbytes(5000)
    with pytest.raises(NotAnImage):
        await store(rt, item, report, junk, "photo.jpg", "image/jpeg")
    with pytest.raises(NotAnImage):  # the name alone says image
        await store(rt, item, report, b"just some text", "photo.jpg", None)
    with pytest.raises(NotAnImage):  # a truncated JPEG
        await store(rt, item, report, jpeg(picture(11))[:600])
    with pytest.raises(UnsupportedFile):  # no claim at all, and no type we take
        await store(rt, item, report, junk, None, None)
    with pytest.raises(UnsupportedFile):  # a GIF is an image, but not one we accept
        gif = io.BytesIO()
        picture(11).save(gif, "GIF")
        await store(rt, item, report, gif.getvalue(), "scan.pdf", "application/pdf")
    assert await attachments(rt) == []
    assert stored_files(rt) == []
    assert await office_notices(rt) == []


async def test_a_report_of_another_item_is_refused(county: Runtime) -> None:
    rt = county
    first = await new_item(rt, "修复学校围墙")
    second = await new_item(rt, "整治校园周边环境")
    with pytest.raises(NotFound):
        await store(rt, second, await new_report(rt, first), jpeg(picture(12)))
    assert stored_files(rt) == []


# --- documents ------------------------------------------------------------------------------------


def office_file(main_part: str, content_types: bytes = b"<Types/>") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("[Content_Types].xml", content_types)
        package.writestr(main_part, "<document/>")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.mark.parametrize(
    ("data", "extension", "mime_type"),
    [
        (PDF, "pdf", "application/pdf"),
        (
            office_file("word/document.xml"),
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            office_file("xl/workbook.xml"),
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            office_file("ppt/presentation.xml"),
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        ("整改情况说明\r\n已完成。\n".encode(), "txt", "text/plain"),
        ("整改情况说明\r\n已完成。\n".encode("gbk"), "txt", "text/plain"),
    ],
)
async def test_documents_are_accepted_by_their_content(
    county: Runtime, data: bytes, extension: str, mime_type: str
) -> None:
    rt = county
    item = await new_item(rt, "修复学校围墙")
    # the declared type and name are not believed either way
    assert await store(rt, item, await new_report(rt, item), data, "x.exe", "text/html") == []
    [row] = await attachments(rt)
    assert (row.kind, row.mime_type, row.phash, row.captured_at) == (
        "document",
        mime_type,
        None,
        None,
    )
    assert row.path.endswith(f"{row.sha256}.{extension}")
    assert row.path.startswith(f"{row.sha256[:2]}/{row.sha256[2:4]}/")
    assert (rt.media_dir / row.path).read_bytes() == data


async def test_macro_documents_and_stray_zips_are_refused(county: Runtime) -> None:
    rt = county
    item = await new_item(rt, "修复学校围墙")
    report = await new_report(rt, item)
    macro = office_file(
        "word/document.xml",
        b'<Types><Override ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/>'
        b"</Types>",
    )
    for data in (macro, office_file("something/else.xml")):
        with pytest.raises(UnsupportedFile):
            await store(rt, item, report, data, "report.docx", None)
    assert stored_files(rt) == []


async def test_the_same_document_in_another_item_warns(county: Runtime) -> None:
    rt = county
    first = await new_item(rt, "修复学校围墙")
    second = await new_item(rt, "整治校园周边环境")
    assert await store(rt, first, await new_report(rt, first), PDF, "a.pdf", None) == []
    assert await store(rt, second, await new_report(rt, second), PDF, "b.pdf", None) == ["reused"]
    [event] = await warning_events(rt, second)
    assert "文件" in event.detail and first.ref in event.detail
    assert all(notice.photo_path is None for _, notice in await office_notices(rt))


# --- complaint photos -----------------------------------------------------------------------------


def test_sanitize_strips_gps_exif_and_device() -> None:
    original = jpeg(picture(20), exif=taken_at("2026:11:20 10:00:00", gps=True))
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the GPS is there

    clean, extension = sanitize_image(original)

    assert extension == "jpg"
    image = Image.open(io.BytesIO(clean))
    assert image.format == "JPEG" and image.size == (640, 480)
    assert "exif" not in image.info and len(image.getexif()) == 0
    assert 0xE1 not in jpeg_segments(clean)  # no APP1: no EXIF, no XMP
    assert 0xFE not in jpeg_segments(clean)  # no comment
    assert b"SECRETCAM" not in clean and b"Exif" not in clean
    assert b"2026:11:20" not in clean


def test_sanitize_applies_the_orientation_before_dropping_it() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    clean, _ = sanitize_image(jpeg(picture(21, (120, 80)), exif=exif))
    image = Image.open(io.BytesIO(clean))
    assert image.size == (80, 120)
    assert len(image.getexif()) == 0


def test_sanitize_keeps_transparency_as_png_without_text_chunks() -> None:
    source = picture(22, (100, 80)).convert("RGBA")
    source.putpixel((0, 0), (0, 0, 0, 0))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "SECRETNAME")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>SECRETXMP</x:xmpmeta>")
    out = io.BytesIO()
    source.save(out, "PNG", pnginfo=info)

    clean, extension = sanitize_image(out.getvalue())

    assert extension == "png"
    assert b"SECRET" not in clean and b"tEXt" not in clean and b"iTXt" not in clean
    image = Image.open(io.BytesIO(clean))
    corner = image.getpixel((0, 0))
    assert image.mode == "RGBA" and isinstance(corner, tuple) and corner[3] == 0
    # an opaque PNG becomes a JPEG
    opaque = io.BytesIO()
    picture(22, (100, 80)).save(opaque, "PNG", pnginfo=info)
    assert sanitize_image(opaque.getvalue())[1] == "jpg"


def png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG that promises ``width`` × ``height`` pixels."""
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + png_chunk(b"IDAT", zlib.compress(bytes(1000)))
        + png_chunk(b"IEND", b"")
    )


def test_sanitize_refuses_decompression_bombs_and_junk() -> None:
    with pytest.raises(ImageTooLarge):
        sanitize_image(png_bomb(100_000, 100_000))  # 10 gigapixels in a few bytes
    with pytest.raises(ImageTooLarge):
        sanitize_image(png_bomb(10_000, 10_000))  # under Pillow's own limit, over ours
    with pytest.raises(ImageTooLarge):
        sanitize_image(jpeg(picture(23)), max_pixels=1000)
    with pytest.raises(NotAnImage):
        sanitize_image(b"<svg onload=alert(1)>")
    with pytest.raises(NotAnImage):
        sanitize_image(PDF)


async def test_a_complaint_photo_is_stored_without_any_metadata(county: Runtime) -> None:
    rt = county
    original = jpeg(picture(24), exif=taken_at("2026:11:20 10:00:00", gps=True))
    async with rt.db.session() as session:
        complaint = Complaint(
            public_id="C0001",
            code_hash="0" * 64,
            category="other",
            text="路灯坏了",
            created_on=rt.clock.now().date(),
            updated_at=rt.clock.now(),
        )
        session.add(complaint)
        await session.flush()
        attachment_id = await store_complaint_photo(
            rt, session, complaint_id=complaint.id, data=original
        )
        await session.commit()

    [row] = await attachments(rt)
    assert row.id == attachment_id
    assert (row.complaint_id, row.report_id, row.kind, row.captured_at) == (
        complaint.id,
        None,
        "photo",
        None,
    )
    assert row.mime_type == "image/jpeg" and row.path.endswith(".jpg")
    assert row.created_at.astimezone(rt.tz).time().isoformat() == "00:00:00"  # only the day
    [path] = stored_files(rt)
    assert path == rt.media_dir / row.path
    kept = path.read_bytes()
    assert kept != original
    assert 0xE1 not in jpeg_segments(kept)
    with Image.open(path) as image:
        assert len(image.getexif()) == 0
    assert b"SECRETCAM" not in kept and b"Exif" not in kept
    assert media_path(rt, row.path) == path.resolve()


async def test_a_complaint_photo_for_no_complaint_is_refused(county: Runtime) -> None:
    async with county.db.session() as session:
        with pytest.raises(NotFound):
            await store_complaint_photo(county, session, complaint_id=999, data=jpeg(picture(25)))
    assert stored_files(county) == []


# --- the path-safe reader -------------------------------------------------------------------------


async def test_media_path_stays_inside_the_media_directory(rt: Runtime, tmp_path: Path) -> None:
    inside = rt.media_dir / "ab" / "cd" / "file.jpg"
    inside.parent.mkdir(parents=True)
    inside.write_bytes(b"x")
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (rt.media_dir / "ab" / "out.txt").symlink_to(secret)
    (rt.media_dir / "ab" / "outdir").symlink_to(tmp_path, target_is_directory=True)

    assert media_path(rt, "ab/cd/file.jpg") == inside.resolve()
    for bad in [
        "",
        "ab/cd",  # a directory
        "ab/cd/missing.jpg",
        "../secret.txt",
        "ab/../../secret.txt",
        str(secret),
        "/etc/passwd",
        "ab/out.txt",
        "ab/outdir/secret.txt",
        "ab\\..\\..\\secret.txt",
        "ab/cd/file.jpg\x00.png",
    ]:
        with pytest.raises(MediaNotFound):
            media_path(rt, bad)


async def test_counting_rows_matches_files(county: Runtime) -> None:
    """Two reports, three uploads, two distinct contents: three rows, two files."""
    rt = county
    item = await new_item(rt, "修复学校围墙")
    one, two = await new_report(rt, item), await new_report(rt, item)
    await store(rt, item, one, jpeg(picture(30)))
    await store(rt, item, two, jpeg(picture(30)))
    await store(rt, item, two, PDF, "a.pdf", "application/pdf")
    async with rt.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Attachment)) == 3
    assert len(stored_files(rt)) == 2
    assert not list(rt.media_dir.rglob(".incoming-*"))
