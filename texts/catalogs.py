"""Keeping the catalogs honest: find every message id in the code and what lacks a translation.

``python -m texts.catalogs`` lists message ids that have no ``zh_CN`` translation; the test
suite runs the same check. ``python -m texts.catalogs add FEATURE.po TRANSLATIONS.json`` adds
or replaces translations (a JSON object of message id to Chinese text) in
``texts/locale/zh_CN/LC_MESSAGES/FEATURE.po``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from texts import LOCALE_DIR, load_catalog

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "services", "domain", "texts")
KEYWORDS = {"N_": None, "t": None}


def message_ids(root: Path = ROOT) -> Iterator[tuple[str, str, int]]:
    """(message id, file, line) for each marked string in the product's packages."""
    for package in PACKAGES:
        directory = root / package
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(directory), method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            if isinstance(message, str) and message:
                yield message, f"{package}/{filename}", lineno


def untranslated(locale: str = "zh_CN", root: Path = ROOT) -> list[tuple[str, str, int]]:
    catalog = load_catalog(locale, LOCALE_DIR)
    return [found for found in message_ids(root) if catalog.get(found[0]) is None]


def add_translations(po_name: str, translations: dict[str, str], locale: str = "zh_CN") -> Path:
    path = LOCALE_DIR / locale / "LC_MESSAGES" / po_name
    if path.exists():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
    else:
        catalog = Catalog(locale=locale, project="Duban", copyright_holder="Duban")
    for message_id, text in translations.items():
        catalog.add(message_id, text)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, no_location=True)
    return path


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "add":
        with open(sys.argv[3], encoding="utf-8") as handle:
            print(add_translations(sys.argv[2], json.load(handle)))
        return 0
    missing = untranslated()
    for message, filename, line in missing:
        print(f"{filename}:{line}: {message!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
