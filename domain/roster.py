"""The roster file: who is who in the county, read from YAML or Excel (DESIGN §7).

``parse_roster(path)`` reads one file and returns a :class:`Roster`, or raises one
:class:`RosterError` that lists *every* problem found (the importer is all-or-nothing, so the
admin should see them all at once). Nothing here touches the database: the importer in the
service layer turns a ``Roster`` into people, units and invites.

YAML (``.yaml`` / ``.yml``)::

    people:                       # key: stable id used by re-imports, invites and the API
      - {key: qian, name: 钱主任, roles: [supervisor]}
      - {key: li, name: 李四}     # roles may be left out: unit heads and contacts need none
    units:
      - {key: edu, name: 县教育局, leader: wang, head: zhang, contacts: [li]}
    organisations:                # optional: bodies copied on notices (通报), e.g. 县委办
      - {key: xwb, name: 县委办, members: [sun]}

Excel (``.xlsx``): a workbook with two sheets, ``people`` and ``units`` (and optionally a third,
``organisations``). Row 1 holds the
column headers, data starts on row 2, blank rows are skipped and other columns (a 备注 column,
say) are ignored. Lists (roles, contacts) go in one cell, separated by commas, 、, semicolons
or spaces.

Names are matched case-insensitively, and these Chinese names are accepted as well:

========  ====================  ==========================================================
where     name                  also accepted
========  ====================  ==========================================================
section   people / units        人员 / 单位 (top-level YAML keys and sheet names)
person    key, name, roles      键 or 人员键, 姓名, 角色 (also ``role``)
unit      key, name             单位键 or 键, 单位名称 or 名称
unit      leader, head          分管领导, 主要负责人 or 负责人
unit      contacts              联系人 or 专人 (also ``contact``)
section   organisations         抄送单位 (optional; sheet too)
org.      key, name, members    键, 名称, 成员 or 接收人 (also ``member``)
role      admin, supervisor,    管理员, 督查室 or 督查, 主要领导, 分管领导
          principal, deputy
========  ====================  ==========================================================

Rules checked (each failure is one :class:`RosterProblem` naming the file, the line or sheet
row, and the field):

- the file is readable, non-empty, valid YAML (the problem names the line) or a workbook with
  both sheets and their required columns (people: key, name; units: key, name, contacts);
- the roster lists at least one person; a YAML roster may leave ``units`` out;
- keys are 1-64 ASCII letters, digits, ``_``, ``-`` or ``.``, unique among people and among
  units (a person and a unit may share a key); names are non-empty and at most 100 characters;
- roles are among admin, supervisor, principal, deputy (unit head and contact come from the
  units, not from roles);
- a unit's leader (optional) is a person with role deputy or principal, its head (optional) is
  a known person, and it has at least one contact, each a known person listed once;
- where text belongs, YAML must give a scalar: a plain ``key: 2024`` is read as the text
  ``2024`` exactly as written, a list or mapping is an error; in Excel numbers are read as text
  (``101``), dates and TRUE/FALSE are errors; roles and contacts may be a YAML list or, for
  convenience, one string separated like an Excel cell;
- unknown or repeated fields in a YAML entry are reported, so a typo never passes silently;
- an organisation to copy has a key unique among organisations, a name, and at least one
  member, each a known person listed once (they receive its copies in chat).

Line numbers (``RosterPerson.line``, ``RosterUnit.line``: the line of the YAML entry or the
Excel row) are provenance only and take no part in equality, so a YAML roster and its Excel
twin compare equal.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final

import yaml

from domain.errors import InvalidInput
from domain.i18n import N_
from domain.vocabulary import ROSTER_ROLES, Role

KEY_MAX_LENGTH: Final = 64
NAME_MAX_LENGTH: Final = 100
YAML_SUFFIXES: Final = frozenset({".yaml", ".yml"})
EXCEL_SUFFIXES: Final = frozenset({".xlsx"})

_KEY_PATTERN: Final = re.compile(r"[A-Za-z0-9_.\-]+")
_LIST_SEPARATORS: Final = re.compile(r"[,，、;；\s]+")
_LEADER_ROLES: Final = frozenset({Role.DEPUTY, Role.PRINCIPAL})

_SECTIONS: Final[dict[str, str]] = {
    "people": "people",
    "人员": "people",
    "units": "units",
    "单位": "units",
    "organisations": "organisations",
    "organizations": "organisations",
    "抄送单位": "organisations",
}
_PERSON_FIELDS: Final[dict[str, str]] = {
    "key": "key",
    "键": "key",
    "人员键": "key",
    "name": "name",
    "姓名": "name",
    "roles": "roles",
    "role": "roles",
    "角色": "roles",
}
_UNIT_FIELDS: Final[dict[str, str]] = {
    "key": "key",
    "键": "key",
    "单位键": "key",
    "name": "name",
    "名称": "name",
    "单位名称": "name",
    "leader": "leader",
    "分管领导": "leader",
    "head": "head",
    "负责人": "head",
    "主要负责人": "head",
    "contacts": "contacts",
    "contact": "contacts",
    "联系人": "contacts",
    "专人": "contacts",
}
_ORGANISATION_FIELDS: Final[dict[str, str]] = {
    "key": "key",
    "键": "key",
    "name": "name",
    "名称": "name",
    "members": "members",
    "member": "members",
    "成员": "members",
    "接收人": "members",
}
_LIST_FIELDS: Final = frozenset({"roles", "contacts", "members"})
_ROLE_NAMES: Final[dict[str, Role]] = {
    **{role.value: role for role in ROSTER_ROLES},
    "管理员": Role.ADMIN,
    "督查室": Role.SUPERVISOR,
    "督查": Role.SUPERVISOR,
    "主要领导": Role.PRINCIPAL,
    "分管领导": Role.DEPUTY,
}
_ROLE_LIST: Final = "admin, supervisor, principal, deputy"

# YAML tags a plain scalar resolves to; any of them is read as its text, exactly as written.
_NULL_TAG: Final = "tag:yaml.org,2002:null"
_SCALAR_TAGS: Final = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "timestamp")
)


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class RosterPerson:
    key: str
    name: str
    roles: frozenset[Role]
    line: int = field(compare=False)


@dataclass(frozen=True)
class RosterUnit:
    key: str
    name: str
    leader: str | None
    head: str | None
    contacts: tuple[str, ...]
    line: int = field(compare=False)


@dataclass(frozen=True)
class RosterOrganisation:
    """A body copied on notices of criticism and praise (县委办, 人大办, 政协办): its members
    receive the copies in chat."""

    key: str
    name: str
    members: tuple[str, ...]
    line: int = field(compare=False)


@dataclass(frozen=True)
class Roster:
    people: tuple[RosterPerson, ...]
    units: tuple[RosterUnit, ...]
    organisations: tuple[RosterOrganisation, ...] = ()

    def person(self, key: str) -> RosterPerson | None:
        return next((p for p in self.people if p.key == key), None)

    def unit(self, key: str) -> RosterUnit | None:
        return next((u for u in self.units if u.key == key), None)


@dataclass(frozen=True)
class RosterProblem:
    """One thing wrong with a roster file.

    ``location`` is ``"line N"`` (YAML), ``"sheet people, row N"`` (Excel), a sheet alone, or
    empty for the file as a whole; ``field`` is the roster field concerned, if any.
    """

    file: str
    location: str
    field: str | None
    message: str

    def __str__(self) -> str:
        where = [part for part in (self.location, self.field and f"field {self.field}") if part]
        if where:
            return f"{self.file}: {', '.join(where)}: {self.message}"
        return f"{self.file}: {self.message}"


class RosterError(InvalidInput):
    """The roster was not accepted; ``problems`` lists everything wrong with it."""

    key = N_("The roster was not imported:\n{problems}")

    def __init__(self, problems: Sequence[RosterProblem]) -> None:
        self.problems: tuple[RosterProblem, ...] = tuple(problems)
        super().__init__(None, problems=str(self), count=len(self.problems))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


# --------------------------------------------------------------------------- entry points


def parse_roster(path: Path) -> Roster:
    """Read and check the roster at ``path`` (.yaml, .yml or .xlsx)."""
    _check_suffix(path.name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        problem = RosterProblem(path.name, "", None, f"cannot read the file: {reason}")
        raise RosterError([problem]) from exc
    return parse_roster_bytes(data, path.name)


def parse_roster_bytes(data: bytes, filename: str) -> Roster:
    """Check a roster given as bytes (an uploaded document, say); ``filename`` picks the format."""
    name = Path(filename).name
    suffix = _check_suffix(name)
    problems = _Problems(name)
    if not data.strip():
        problems.add("", None, "the file is empty")
        raise RosterError(problems.items)
    if suffix in YAML_SUFFIXES:
        sections = _read_yaml(data, problems)
    else:
        sections = _read_excel(data, problems)
    roster = _build(sections, problems)
    if problems.items or roster is None:
        raise RosterError(problems.items)
    return roster


def _check_suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in YAML_SUFFIXES | EXCEL_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "(no suffix)"
        message = (
            f"unsupported roster file type {shown}: use .yaml, .yml or .xlsx "
            "(save older .xls or .csv files as .xlsx)"
        )
        raise RosterError([RosterProblem(name, "", None, message)])
    return suffix


# --------------------------------------------------------------------------- shared checks


class _Problems:
    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[RosterProblem] = []

    def add(self, location: str, field_name: str | None, message: str) -> None:
        self.items.append(RosterProblem(self.file, location, field_name, message))


@dataclass(frozen=True)
class _Value:
    text: str
    location: str


@dataclass
class _Entry:
    """One person or unit as read, before checking: text values with where they came from.

    A field in none of ``scalars``, ``lists`` and ``invalid`` was left out or blank; one in
    ``invalid`` had the wrong type, already reported.
    """

    location: str
    line: int
    scalars: dict[str, _Value] = field(default_factory=dict)
    lists: dict[str, list[_Value]] = field(default_factory=dict)
    invalid: set[str] = field(default_factory=set)


@dataclass
class _Sections:
    """What a reader found. ``None`` means the section could not be read (already reported),
    so checks that depend on it are skipped rather than reported twice."""

    people: list[_Entry] | None
    units: list[_Entry] | None
    people_location: str = ""
    organisations: list[_Entry] | None = None


def _build(sections: _Sections | None, problems: _Problems) -> Roster | None:
    if sections is None:
        return None
    people: list[RosterPerson] = []
    roles_by_key: dict[str, frozenset[Role]] = {}
    first_person: dict[str, str] = {}
    for entry in sections.people or []:
        key = _check_key(entry, "person", first_person, problems)
        name = _check_name(entry, problems)
        roles = _check_roles(entry, problems)
        if key is not None and key not in roles_by_key:
            roles_by_key[key] = roles
        if key is not None and name is not None:
            people.append(RosterPerson(key, name, roles, entry.line))
    if sections.people is not None and not sections.people:
        problems.add(sections.people_location, None, "the roster lists no people")

    known = roles_by_key if sections.people is not None else None
    units: list[RosterUnit] = []
    first_unit: dict[str, str] = {}
    for entry in sections.units or []:
        key = _check_key(entry, "unit", first_unit, problems)
        name = _check_name(entry, problems)
        leader = _check_leader(entry, known, problems)
        head = _check_reference(entry, "head", known, problems)
        contacts = _check_contacts(entry, known, problems)
        if key is not None and name is not None:
            units.append(RosterUnit(key, name, leader, head, contacts, entry.line))
    organisations = _organisations(sections.organisations or [], known, problems)
    if problems.items:
        return None
    return Roster(tuple(people), tuple(units), tuple(organisations))


def _organisations(
    entries: list[_Entry], known: dict[str, frozenset[Role]] | None, problems: _Problems
) -> list[RosterOrganisation]:
    found: list[RosterOrganisation] = []
    first: dict[str, str] = {}
    for entry in entries:
        key = _check_key(entry, "organisation", first, problems)
        name = _check_name(entry, problems)
        members = _check_people_list(entry, "members", "an organisation", known, problems)
        if key is not None and name is not None:
            found.append(RosterOrganisation(key, name, members, entry.line))
    return found


def _check_key(
    entry: _Entry, kind: str, first_seen: dict[str, str], problems: _Problems
) -> str | None:
    value = entry.scalars.get("key")
    if value is None:
        if "key" not in entry.invalid:
            problems.add(entry.location, "key", "missing key")
        return None
    key = value.text
    if len(key) > KEY_MAX_LENGTH or not _KEY_PATTERN.fullmatch(key):
        problems.add(
            value.location,
            "key",
            f"key '{key}' is not valid: use at most {KEY_MAX_LENGTH} ASCII letters, digits, "
            "'_', '-' or '.'",
        )
        return None
    if key in first_seen:
        problems.add(
            value.location, "key", f"duplicate {kind} key '{key}' (first at {first_seen[key]})"
        )
        return None
    first_seen[key] = value.location
    return key


def _check_name(entry: _Entry, problems: _Problems) -> str | None:
    value = entry.scalars.get("name")
    if value is None:
        if "name" not in entry.invalid:
            problems.add(entry.location, "name", "missing name")
        return None
    if len(value.text) > NAME_MAX_LENGTH:
        problems.add(
            value.location,
            "name",
            f"name is {len(value.text)} characters long, at most {NAME_MAX_LENGTH} are allowed",
        )
        return None
    return value.text


def _check_roles(entry: _Entry, problems: _Problems) -> frozenset[Role]:
    roles: set[Role] = set()
    for value in entry.lists.get("roles", []):
        role = _ROLE_NAMES.get(value.text.lower())
        if role is not None:
            roles.add(role)
        elif value.text.lower() in {Role.UNIT_HEAD.value, Role.UNIT_CONTACT.value}:
            problems.add(
                value.location,
                "roles",
                f"role '{value.text}' cannot be given here: unit heads and contacts "
                "come from the units' head and contacts",
            )
        else:
            problems.add(
                value.location, "roles", f"unknown role '{value.text}' (roles: {_ROLE_LIST})"
            )
    return frozenset(roles)


def _check_reference(
    entry: _Entry, field_name: str, known: dict[str, frozenset[Role]] | None, problems: _Problems
) -> str | None:
    value = entry.scalars.get(field_name)
    if value is None:
        return None
    if known is not None and value.text not in known:
        problems.add(value.location, field_name, f"unknown person key '{value.text}'")
    return value.text


def _check_leader(
    entry: _Entry, known: dict[str, frozenset[Role]] | None, problems: _Problems
) -> str | None:
    leader = _check_reference(entry, "leader", known, problems)
    roles = known.get(leader) if known is not None and leader is not None else None
    if roles is not None and not roles & _LEADER_ROLES:
        problems.add(
            entry.scalars["leader"].location,
            "leader",
            f"person '{leader}' is not a leader: a unit's leader needs role deputy or principal",
        )
    return leader


def _check_contacts(
    entry: _Entry, known: dict[str, frozenset[Role]] | None, problems: _Problems
) -> tuple[str, ...]:
    return _check_people_list(entry, "contacts", "a unit", known, problems)


def _check_people_list(
    entry: _Entry,
    name: str,
    whose: str,
    known: dict[str, frozenset[Role]] | None,
    problems: _Problems,
) -> tuple[str, ...]:
    """A non-empty list of known people, each once (a unit's contacts, an organisation's
    members)."""
    if name in entry.invalid:
        return ()
    values = entry.lists.get(name, [])
    what = name.rstrip("s")
    if not values:
        problems.add(entry.location, name, f"{whose} needs at least one {what}")
        return ()
    listed: list[str] = []
    for value in values:
        if value.text in listed:
            problems.add(value.location, name, f"person '{value.text}' is listed twice as a {what}")
            continue
        if known is not None and value.text not in known:
            problems.add(value.location, name, f"unknown person key '{value.text}'")
        listed.append(value.text)
    return tuple(listed)


def _split_list(text: str, location: str) -> list[_Value]:
    return [_Value(part, location) for part in _LIST_SEPARATORS.split(text) if part]


# --------------------------------------------------------------------------- YAML


def _read_yaml(data: bytes, problems: _Problems) -> _Sections | None:
    try:
        root = yaml.compose(data, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = f"line {mark.line + 1}" if mark is not None else ""
        detail = exc.problem or "not valid YAML"
        if exc.context:
            context = exc.context
            start = exc.context_mark
            if start is not None and mark is not None and start.line != mark.line:
                context += f" (from line {start.line + 1})"
            detail = f"{context}, {detail}" if exc.problem else context
        problems.add(location, None, f"YAML syntax error: {detail}")
        return None
    except yaml.YAMLError as exc:  # e.g. bytes that are not UTF-8/16 text
        problems.add("", None, f"not a readable YAML file: {exc}")
        return None
    if root is None:
        problems.add("", None, "the file is empty")
        return None
    if not isinstance(root, yaml.MappingNode):
        problems.add(
            _line(root), None, "the roster must be a mapping with the sections people and units"
        )
        return None

    found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in root.value:
        label = _label(key_node)
        section = _SECTIONS.get(label.lower())
        if section is None:
            problems.add(
                _line(key_node), None, f"unknown section '{label}': expected people and units"
            )
        elif section in found:
            problems.add(_line(key_node), None, f"section '{section}' given twice")
        else:
            found[section] = (key_node, value_node)

    people: list[_Entry] | None = None
    people_location = ""
    if "people" in found:
        people_location = _line(found["people"][0])
        people = _yaml_entries(found["people"][1], "people", _PERSON_FIELDS, problems)
    else:
        problems.add("", None, "missing section 'people'")
    units: list[_Entry] | None = []
    if "units" in found:
        units = _yaml_entries(found["units"][1], "units", _UNIT_FIELDS, problems)
    organisations: list[_Entry] | None = []
    if "organisations" in found:
        organisations = _yaml_entries(
            found["organisations"][1], "organisations", _ORGANISATION_FIELDS, problems
        )
    return _Sections(people, units, people_location, organisations)


def _yaml_entries(
    node: yaml.Node, section: str, fields: dict[str, str], problems: _Problems
) -> list[_Entry] | None:
    if _is_null(node):
        return []
    if not isinstance(node, yaml.SequenceNode):
        problems.add(_line(node), None, f"section '{section}' must be a list of entries")
        return None
    entries: list[_Entry] = []
    for item in node.value:
        if not isinstance(item, yaml.MappingNode):
            problems.add(
                _line(item),
                None,
                f"each entry of '{section}' must be a mapping such as {{key: ..., name: ...}}",
            )
            continue
        entry = _Entry(_line(item), _line_number(item))
        seen: set[str] = set()
        for key_node, value_node in item.value:
            label = _label(key_node)
            canonical = fields.get(label.lower())
            if canonical is None:
                expected = ", ".join(dict.fromkeys(fields.values()))
                problems.add(
                    _line(key_node), label, f"unknown field '{label}' (fields: {expected})"
                )
                continue
            if canonical in seen:
                problems.add(_line(key_node), canonical, "field given twice")
                continue
            seen.add(canonical)
            if canonical in _LIST_FIELDS:
                _yaml_list(entry, canonical, value_node, problems)
            else:
                _yaml_scalar(entry, canonical, value_node, problems)
        entries.append(entry)
    return entries


def _yaml_scalar(entry: _Entry, name: str, node: yaml.Node, problems: _Problems) -> None:
    text = _yaml_text(node, name, problems)
    if text is None:
        entry.invalid.add(name)
    elif text:
        entry.scalars[name] = _Value(text, _line(node))


def _yaml_list(entry: _Entry, name: str, node: yaml.Node, problems: _Problems) -> None:
    if isinstance(node, yaml.ScalarNode):
        text = _yaml_text(node, name, problems)
        if text is None:
            entry.invalid.add(name)
        else:
            entry.lists[name] = _split_list(text, _line(node))
        return
    if not isinstance(node, yaml.SequenceNode):
        problems.add(_line(node), name, "expected a list, got a mapping")
        entry.invalid.add(name)
        return
    values: list[_Value] = []
    for item in node.value:
        text = _yaml_text(item, name, problems)
        if text is None:
            entry.invalid.add(name)
        elif text:
            values.append(_Value(text, _line(item)))
    if name not in entry.invalid:
        entry.lists[name] = values


def _yaml_text(node: yaml.Node, name: str, problems: _Problems) -> str | None:
    """The text of a scalar ("" when null or blank), or None after reporting a wrong type."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _NULL_TAG:
            return ""
        if node.tag in _SCALAR_TAGS:
            return str(node.value).strip()
        problems.add(_line(node), name, f"expected text, got a value tagged {node.tag}")
        return None
    kind = "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
    problems.add(_line(node), name, f"expected text, got {kind}")
    return None


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG


def _label(node: yaml.Node) -> str:
    return str(node.value).strip() if isinstance(node, yaml.ScalarNode) else "?"


def _line_number(node: yaml.Node) -> int:
    mark = node.start_mark
    return mark.line + 1 if mark is not None else 0


def _line(node: yaml.Node) -> str:
    return f"line {_line_number(node)}"


# --------------------------------------------------------------------------- Excel

_SHEET_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "people": ("people", "人员"),
    "units": ("units", "单位"),
}
_REQUIRED_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "people": ("key", "name"),
    "units": ("key", "name", "contacts"),
    "organisations": ("key", "name", "members"),
}
_OPTIONAL_SHEET: Final = ("organisations", "抄送单位")


class _Invalid:
    """A cell that holds something other than text or a number."""

    def __init__(self, kind: str) -> None:
        self.kind = kind


def _read_excel(data: bytes, problems: _Problems) -> _Sections | None:
    import openpyxl  # imported here: about 30 MB that most processes never need

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        problems.add("", None, f"not a readable Excel workbook (.xlsx): {exc}")
        return None
    try:
        by_name = {str(ws.title).strip().lower(): ws for ws in workbook.worksheets}
        found: dict[str, Any] = {}
        for section, names in _SHEET_NAMES.items():
            sheet = next((by_name[name] for name in names if name in by_name), None)
            if sheet is None:
                problems.add("", None, f"missing sheet '{section}' (or {names[1]})")
            else:
                found[section] = sheet
        people: list[_Entry] | None = None
        units: list[_Entry] | None = None
        if "people" in found:
            people = _sheet_entries(found["people"], "people", _PERSON_FIELDS, problems)
        if "units" in found:
            units = _sheet_entries(found["units"], "units", _UNIT_FIELDS, problems)
        people_location = f"sheet {found['people'].title}" if "people" in found else ""
        extra = next((by_name[name] for name in _OPTIONAL_SHEET if name in by_name), None)
        organisations = (
            _sheet_entries(extra, "organisations", _ORGANISATION_FIELDS, problems)
            if extra is not None
            else []
        )
        return _Sections(people, units, people_location, organisations)
    finally:
        workbook.close()


def _sheet_entries(
    sheet: Any, section: str, fields: dict[str, str], problems: _Problems
) -> list[_Entry] | None:
    title = str(sheet.title)
    rows: Iterator[tuple[object, ...]] = sheet.iter_rows(values_only=True)
    header = next(rows, ())
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        if _is_blank(cell):
            continue
        canonical = fields.get(str(cell).strip().lower())
        if canonical is None:
            continue  # notes and other columns are the admin's own business
        if canonical in columns:
            problems.add(f"sheet {title}, row 1", canonical, f"column '{cell}' appears twice")
            continue
        columns[canonical] = index
    missing = [name for name in _REQUIRED_COLUMNS[section] if name not in columns]
    if missing:
        problems.add(
            f"sheet {title}, row 1",
            None,
            "missing column " + ", ".join(f"'{name}'" for name in missing),
        )
        return None

    entries: list[_Entry] = []
    for number, row in enumerate(rows, start=2):
        if all(_is_blank(cell) for cell in row):
            continue
        location = f"sheet {title}, row {number}"
        entry = _Entry(location, number)
        for name, index in columns.items():
            cell = _cell_text(row[index] if index < len(row) else None)
            if isinstance(cell, _Invalid):
                problems.add(location, name, f"expected text, got {cell.kind}")
                entry.invalid.add(name)
            elif name in _LIST_FIELDS:
                entry.lists[name] = _split_list(cell, location)
            elif cell:
                entry.scalars[name] = _Value(cell, location)
        entries.append(entry)
    return entries


def _cell_text(cell: object) -> str | _Invalid:
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, bool):
        return _Invalid("TRUE/FALSE")
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else str(cell)
    if isinstance(cell, datetime | date | time | timedelta):
        return _Invalid("a date or time")
    return _Invalid(f"a value of type {type(cell).__name__}")


def _is_blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())
