"""Evidence rules: limits, content paths, Hamming distance, reuse, EXIF times, dispatch check."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.evidence import (
    Earlier,
    EmptyFile,
    FileTooLarge,
    ImageTooLarge,
    check_pixels,
    check_size,
    content_path,
    exif_time,
    find_reuse,
    hamming,
    megabytes,
    predates_dispatch,
    reused_refs,
)
from domain.policy import Policy

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
SHA_A = "a" * 64
SHA_B = "b" * 64


def test_policy_defaults_are_twenty_megabytes_and_distance_six() -> None:
    evidence = Policy().evidence
    assert evidence.max_photo_bytes == 20 * 1024 * 1024
    assert evidence.max_document_bytes == 20 * 1024 * 1024
    assert evidence.phash_distance == 6


def test_size_limit_names_the_limit_in_megabytes() -> None:
    check_size(20 * 1024 * 1024, 20 * 1024 * 1024)
    with pytest.raises(FileTooLarge) as raised:
        check_size(20 * 1024 * 1024 + 1, 20 * 1024 * 1024)
    assert raised.value.params == {"limit": "20"}
    assert str(raised.value) == "The file is too large: at most 20 MB."
    with pytest.raises(EmptyFile):
        check_size(0, 100)
    assert megabytes(1536 * 1024) == "1.5"


def test_pixel_limit() -> None:
    check_pixels(1000, 1000, 1_000_000)
    with pytest.raises(ImageTooLarge):
        check_pixels(1001, 1000, 1_000_000)
    with pytest.raises(ImageTooLarge):
        check_pixels(0, 10, 1_000_000)


def test_content_path_is_made_of_the_hash_only() -> None:
    sha = "ab" + "cd" + "0" * 60
    assert content_path(sha, "jpg") == f"ab/cd/{sha}.jpg"
    for bad_sha, ext in [("../" + "a" * 61, "jpg"), (SHA_A.upper(), "jpg"), (SHA_A, "j/pg")]:
        with pytest.raises(ValueError):
            content_path(bad_sha, ext)


def test_hamming_distance() -> None:
    assert hamming("ffffffffffffffff", "ffffffffffffffff") == 0
    assert hamming("ffffffffffffffff", "fffffffffffffffe") == 1
    assert hamming("0000000000000000", "ffffffffffffffff") == 64
    assert hamming("ff", "ffff") is None
    assert hamming("zz", "ff") is None


def _earlier(attachment_id: int, report_id: int, ref: str, sha: str, phash: str | None) -> Earlier:
    return Earlier(attachment_id, report_id, ref, sha, phash)


def test_reuse_by_same_bytes_or_near_phash_in_other_reports_only() -> None:
    earlier = [
        _earlier(1, 10, "2026-1", SHA_A, "0000000000000000"),  # same bytes, other report
        _earlier(2, 11, "2026-2", SHA_B, "000000000000003f"),  # 6 bits away: near
        _earlier(3, 12, "2026-3", SHA_B, "000000000000007f"),  # 7 bits away: not near
        _earlier(4, 99, "2026-9", SHA_A, "0000000000000000"),  # the same report: not counted
        _earlier(5, 13, "2026-4", SHA_B, None),  # a document: no phash
    ]
    found = find_reuse(SHA_A, "0000000000000000", 99, earlier, max_distance=6)
    assert [(r.earlier.attachment_id, r.same_bytes, r.distance) for r in found] == [
        (1, True, 0),
        (2, False, 6),
    ]
    assert reused_refs(found) == ["2026-1", "2026-2"]
    assert find_reuse(SHA_A, "0000000000000000", 99, earlier, max_distance=5)[1:] == []
    # a document (no phash) matches only by its bytes
    assert [r.earlier.attachment_id for r in find_reuse(SHA_B, None, 99, earlier, 6)] == [2, 3, 5]


def test_exif_time_is_read_in_the_deployment_zone() -> None:
    taken = exif_time("2026:11:20 08:30:00", None, SHANGHAI, NOW)
    assert taken == datetime(2026, 11, 20, 0, 30, tzinfo=UTC)
    assert exif_time(b"2026:11:20 08:30:00\x00", None, SHANGHAI, NOW) == taken


def test_exif_time_uses_a_valid_offset_when_given() -> None:
    taken = exif_time("2026:11:20 08:30:00", "+01:00", SHANGHAI, NOW)
    assert taken == datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
    assert exif_time("2026:11:20 08:30:00", "junk", SHANGHAI, NOW) == datetime(
        2026, 11, 20, 0, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "junk",
    [
        None,
        "",
        "    :  :     :  :  ",
        "0000:00:00 00:00:00",
        "2026:13:45 99:00:00",
        "1970:01:01 00:00:00",
        "2031:01:01 00:00:00",  # in the future
        12345,
        b"\xff\xfe\x00",
        ("2026:11:20 08:30:00",),
    ],
)
def test_junk_exif_times_are_not_believed(junk: object) -> None:
    assert exif_time(junk, None, SHANGHAI, NOW) is None


def test_predates_dispatch() -> None:
    dispatched = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    assert predates_dispatch(datetime(2026, 11, 20, 0, 59, tzinfo=UTC), dispatched)
    assert not predates_dispatch(dispatched, dispatched)
    assert not predates_dispatch(datetime(2026, 11, 21, tzinfo=UTC), dispatched)
    assert not predates_dispatch(None, dispatched)
    assert not predates_dispatch(datetime(2020, 1, 1, tzinfo=UTC), None)
