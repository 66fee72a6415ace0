"""Reading a list of items (督办事项清单) from an Excel workbook, for batch registration.

The first sheet holds one item per row under a header row. Columns (English or Chinese):
title 标题, body 内容, source 来源, class 类别, lead_unit 牵头单位, co_units 配合单位,
leader 责任领导, due 办结时限, dispatched_at 交办时间. Sources and classes take the English
values or the Chinese names; units and leaders take roster keys (or names, resolved by the
service). Every problem is reported with the file, the row and the field; nothing is
registered when there is any.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from domain.dates import parse_day
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.registration import parse_class, parse_source
from domain.vocabulary import Source, TimeClass

COLUMNS: dict[str, str] = {
    "title": "title",
    "标题": "title",
    "事项名称": "title",
    "督办事项": "title",
    "body": "body",
    "内容": "body",
    "事项内容": "body",
    "具体内容": "body",
    "source": "source",
    "来源": "source",
    "事项来源": "source",
    "class": "class",
    "类别": "class",
    "时限类别": "class",
    "事项类别": "class",
    "lead_unit": "lead_unit",
    "牵头单位": "lead_unit",
    "co_units": "co_units",
    "配合单位": "co_units",
    "leader": "leader",
    "责任领导": "leader",
    "分管领导": "leader",
    "due": "due",
    "办结时限": "due",
    "完成时限": "due",
    "dispatched_at": "dispatched_at",
    "交办时间": "dispatched_at",
    "交办日期": "dispatched_at",
}
REQUIRED = ("title", "source", "class", "lead_unit")
_LIST_SPLIT = re.compile(r"[,，、;；\s]+")
_DATETIME = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2}))?")


@dataclass(frozen=True)
class ImportRow:
    """One item to register: the row's number in the sheet and its values."""

    row: int
    title: str
    body: str
    source: Source
    time_class: TimeClass
    lead_unit: str
    co_units: tuple[str, ...]
    leader: str | None
    due: date | None
    dispatched_at: datetime | None


@dataclass(frozen=True)
class ImportProblem:
    file: str
    row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = [
            part
            for part in (
                self.row is not None and f"row {self.row}",
                self.field and f"field {self.field}",
            )
            if part
        ]
        if where:
            return f"{self.file}: {', '.join(where)}: {self.message}"
        return f"{self.file}: {self.message}"


class ItemImportError(InvalidInput):
    """The list was not imported; ``problems`` names every row and field at fault."""

    key = N_("The list of items was not imported:\n{problems}")

    def __init__(self, problems: Sequence[ImportProblem]) -> None:
        self.problems: tuple[ImportProblem, ...] = tuple(problems)
        super().__init__(None, problems=str(self), count=len(self.problems))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


def parse_items(path: Path, *, today: date, tz: ZoneInfo) -> list[ImportRow]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ItemImportError(
            [ImportProblem(path.name, None, None, f"cannot read: {reason}")]
        ) from exc
    return parse_items_bytes(data, path.name, today=today, tz=tz)


def parse_items_bytes(data: bytes, filename: str, *, today: date, tz: ZoneInfo) -> list[ImportRow]:
    """Check every row of the workbook; :class:`ItemImportError` lists all problems at once."""
    problems = _Problems(Path(filename).name)
    rows = _sheet_rows(data, problems)
    if not rows:
        raise problems.fail(None, None, "the sheet is empty")
    columns = _columns(rows[0], problems)
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        raise problems.fail(1, None, "missing column " + ", ".join(f"'{c}'" for c in missing))
    found: list[ImportRow] = []
    for number, row in enumerate(rows[1:], start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        item = _item_row(_RowReader(row, columns, number, problems), today, tz)
        if item is not None:
            found.append(item)
    if not found and not problems.found:
        problems.add(None, None, "no items: every row below the header is empty")
    if problems.found:
        raise ItemImportError(problems.found)
    return found


class _Problems:
    """The problems found so far in one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.found: list[ImportProblem] = []

    def add(self, row: int | None, field: str | None, message: str) -> None:
        self.found.append(ImportProblem(self.file, row, field, message))

    def fail(self, row: int | None, field: str | None, message: str) -> ItemImportError:
        """The error to raise when this problem stops the reading."""
        self.add(row, field, message)
        return ItemImportError(self.found)


def _sheet_rows(data: bytes, problems: _Problems) -> list[tuple[Any, ...]]:
    """The first sheet's rows as values; a file that is no workbook stops the reading."""
    if Path(problems.file).suffix.lower() != ".xlsx":
        raise problems.fail(
            None, None, "not an .xlsx workbook (save older .xls or .csv files as .xlsx)"
        )
    import openpyxl  # imported here: about 30 MB that most processes never need

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise problems.fail(None, None, f"not a readable Excel workbook (.xlsx): {exc}") from None
    try:
        if not workbook.worksheets:  # found by atheris: a workbook can have no sheet at all
            raise problems.fail(None, None, "the workbook has no sheet")
        return list(workbook.worksheets[0].iter_rows(values_only=True))
    except ItemImportError:
        raise
    except Exception as exc:  # read-only mode parses the sheet lazily: a broken one fails here
        raise problems.fail(None, None, f"not a readable Excel workbook (.xlsx): {exc}") from None
    finally:
        workbook.close()


def _columns(header: tuple[Any, ...], problems: _Problems) -> dict[str, int]:
    """Each known column's index, by its canonical name."""
    columns: dict[str, int] = {}
    for index, heading in enumerate(header):
        if heading is None:
            continue
        canonical = COLUMNS.get(str(heading).strip().lower())
        if canonical is None:
            continue
        if canonical in columns:
            problems.add(1, canonical, f"column '{heading}' appears twice")
        columns[canonical] = index
    return columns


def _item_row(reader: _RowReader, today: date, tz: ZoneInfo) -> ImportRow | None:
    """The row's item, or None when it has a problem (each one is noted)."""
    number, problem, text = reader.number, reader.problem, reader.text
    before = len(reader.problems.found)
    title = text("title")
    if not title:
        problem("title", "the title is empty")
    source_text = text("source")
    source = parse_source(source_text)
    if source is None:
        problem("source", f"unknown source {source_text!r}")
    class_text = text("class")
    time_class = parse_class(class_text)
    if time_class is None:
        problem("class", f"unknown class {class_text!r}")
    lead = text("lead_unit")
    if not lead:
        problem("lead_unit", "the lead unit is empty")
    co_units = tuple(part for part in _LIST_SPLIT.split(text("co_units")) if part)
    due = _due(reader.cell("due"), today, lambda m: problem("due", m))
    dispatched_at = _moment(reader.cell("dispatched_at"), tz, lambda m: problem("dispatched_at", m))
    if len(reader.problems.found) > before or source is None or time_class is None:
        return None
    return ImportRow(
        row=number,
        title=title,
        body=text("body"),
        source=source,
        time_class=time_class,
        lead_unit=lead,
        co_units=co_units,
        leader=text("leader") or None,
        due=due,
        dispatched_at=dispatched_at,
    )


class _RowReader:
    """One row's cells by column name; a problem is noted with the row's number."""

    def __init__(
        self, row: tuple[Any, ...], columns: dict[str, int], number: int, problems: _Problems
    ) -> None:
        self._row, self._columns = row, columns
        self.number, self.problems = number, problems

    def problem(self, column: str, message: str) -> None:
        self.problems.add(self.number, column, message)

    def cell(self, column: str) -> Any:
        index = self._columns.get(column)
        if index is None or index >= len(self._row):
            return None
        value = self._row[index]
        return value.strip() if isinstance(value, str) else value

    def text(self, column: str) -> str:
        value = self.cell(column)
        if value is None:
            return ""
        if isinstance(value, (datetime, date, time, bool)):
            self.problem(column, "expected text")
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()


def _due(value: Any, today: date, problem: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    day = parse_day(str(value), today)
    if day is None:
        problem(f"not a date: {value!r} (write 2026-12-31)")
    return day


def _moment(value: Any, tz: ZoneInfo, problem: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz) if value.tzinfo is None else value
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=tz)
    if match := _DATETIME.fullmatch(str(value).strip()):
        year, month, day, hour, minute = match.groups()
        try:
            return datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), tzinfo=tz
            )
        except ValueError:
            pass
    problem(f"not a date and time: {value!r} (write 2026-10-08 09:00)")
    return None
