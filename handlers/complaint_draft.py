"""What a complaint in chat has gathered so far, as kept between its steps.

It lives in ``user_data["complaint"]`` as plain JSON while an update is handled, and sealed in
the database between updates (:mod:`services.complaint_drafts`), so any instance may take the
next step. Photos are kept as Telegram file ids and downloaded when the complaint is filed:
the database never holds a complainant's photo before it is re-encoded without EXIF.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.vocabulary import ComplaintCategory

DATA_KEY = "complaint"  # the conversation's name and its user_data key


@dataclass
class InProgress:
    """A complaint being written."""

    category: ComplaintCategory = ComplaintCategory.OTHER
    place: str = ""
    text: str = ""
    photos: list[str] = field(default_factory=list)  # Telegram file ids


@dataclass
class Addition:
    """What the complainant adds to a complaint they tracked."""

    texts: list[str] = field(default_factory=list)
    photos: list[str] = field(default_factory=list)  # Telegram file ids


def _kept(user_data: dict[Any, Any]) -> dict[str, Any]:
    kept = user_data.get(DATA_KEY)
    if not isinstance(kept, dict):
        kept = user_data[DATA_KEY] = {}
    return kept


def _strings(value: object) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return list(value)


def read_draft(user_data: dict[Any, Any]) -> InProgress | None:
    raw = _kept(user_data).get("draft")
    if not isinstance(raw, dict):
        return None
    photos = _strings(raw.get("photos"))
    place, text = raw.get("place"), raw.get("text")
    try:
        category = ComplaintCategory(str(raw.get("category")))
    except ValueError:
        return None
    if photos is None or not isinstance(place, str) or not isinstance(text, str):
        return None
    return InProgress(category, place, text, photos)


def write_draft(user_data: dict[Any, Any], draft: InProgress | None) -> None:
    kept = _kept(user_data)
    if draft is None:
        kept.pop("draft", None)
        return
    kept["draft"] = {
        "category": draft.category.value,
        "place": draft.place,
        "text": draft.text,
        "photos": list(draft.photos),
    }


def read_addition(user_data: dict[Any, Any]) -> Addition | None:
    raw = _kept(user_data).get("addition")
    if not isinstance(raw, dict):
        return None
    texts, photos = _strings(raw.get("texts")), _strings(raw.get("photos"))
    if texts is None or photos is None:
        return None
    return Addition(texts, photos)


def write_addition(user_data: dict[Any, Any], addition: Addition | None) -> None:
    kept = _kept(user_data)
    if addition is None:
        kept.pop("addition", None)
        return
    kept["addition"] = {"texts": list(addition.texts), "photos": list(addition.photos)}


def read_tracked(user_data: dict[Any, Any]) -> str | None:
    """The receipt code the complainant last opened with /track in this conversation."""
    code = _kept(user_data).get("tracked")
    return code if isinstance(code, str) else None


def write_tracked(user_data: dict[Any, Any], code: str | None) -> None:
    kept = _kept(user_data)
    if code is None:
        kept.pop("tracked", None)
    else:
        kept["tracked"] = code


def forget(user_data: dict[Any, Any]) -> None:
    user_data.pop(DATA_KEY, None)
