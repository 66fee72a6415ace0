"""User-facing text: Babel catalogs, loaded from ``texts/locale/<locale>/LC_MESSAGES/*.po``.

Message ids are English sentences; ``en`` shows them as they are, ``zh_CN`` (the default)
translates them. Each feature keeps its own ``.po`` file; all files of a locale are merged.
Parameters are HTML-escaped before they are put into a message, because every chat message
is sent with ``parse_mode=HTML``.
"""

from __future__ import annotations

import gettext
import html
import io
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from domain.i18n import N_

__all__ = ["N_", "Markup", "Text", "Translator", "escape", "normalize_locale"]

LOCALE_DIR = Path(__file__).parent / "locale"
LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"

# The names of the vocabulary a message may carry as a parameter (a status, an action), by its
# type: ``Text`` puts the reader's words in its place (filled by ``texts.items``).
TERMS: dict[type, Mapping[str, str]] = {}


class Markup(str):
    """Text that is already safe HTML and must not be escaped again."""

    __slots__ = ()


def escape(value: Any) -> str:
    if isinstance(value, Markup):
        return str(value)
    return html.escape(str(value), quote=False)


def load_catalog(locale: str, directory: Path = LOCALE_DIR) -> Catalog:
    merged = Catalog(locale=locale)
    for po in sorted((directory / locale / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        for message in catalog:
            if message.id and message.string and not message.fuzzy:
                merged.add(message.id, message.string, context=message.context)
    return merged


def _translations(catalog: Catalog) -> gettext.GNUTranslations:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translator:
    """All locales' catalogs, compiled once at start-up."""

    def __init__(self, directory: Path = LOCALE_DIR) -> None:
        self._catalogs = {locale: load_catalog(locale, directory) for locale in LOCALES}
        self._translations = {
            locale: _translations(catalog) for locale, catalog in self._catalogs.items()
        }
        self._texts: dict[str, Text] = {}  # one per locale: a Text keeps nothing else

    def catalog(self, locale: str) -> Catalog:
        return self._catalogs[normalize_locale(locale)]

    def gettext(self, locale: str, message: str) -> str:
        return self._translations[normalize_locale(locale)].gettext(message)

    def text(self, locale: str | None) -> Text:
        normal = normalize_locale(locale)
        found = self._texts.get(normal)
        if found is None:
            found = self._texts[normal] = Text(self, normal)
        return found


def normalize_locale(locale: str | None) -> str:
    if not locale:
        return DEFAULT_LOCALE
    if locale in LOCALES:
        return locale
    lowered = locale.replace("-", "_").lower()
    if lowered.startswith("zh"):
        return "zh_CN"
    if lowered.startswith("en"):
        return "en"
    return DEFAULT_LOCALE


class Text:
    """Renders messages in one locale: ``t("Hello, {name}.", name=...)`` escapes ``name``."""

    def __init__(self, translator: Translator, locale: str) -> None:
        self._translator = translator
        self.locale = locale
        self._gettext = translator._translations[locale].gettext

    def __call__(self, message: str, /, **params: Any) -> str:
        template = self._gettext(message)
        if not params:
            return template
        return template.format_map(_Escaped({k: self._term(v) for k, v in params.items()}))

    def _term(self, value: Any) -> Any:
        """A vocabulary value (a status, an action) in the reader's words, never its code."""
        if isinstance(value, StrEnum):
            name = TERMS.get(type(value), {}).get(value)
            if name is not None:
                return self.raw(name)
        return value

    def raw(self, message: str) -> str:
        """The translation itself, unformatted and unescaped (button labels, menus)."""
        return self._gettext(message)


class _Escaped(dict[str, str]):
    def __init__(self, params: Mapping[str, Any]) -> None:
        super().__init__({key: escape(value) for key, value in params.items()})
