"""The roster file: both examples, every validation rule, in YAML and in Excel."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from domain.errors import InvalidInput
from domain.roster import (
    Roster,
    RosterError,
    RosterPerson,
    RosterProblem,
    RosterUnit,
    parse_roster,
    parse_roster_bytes,
)
from domain.vocabulary import Role

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

Row = list[object]


def write_yaml(tmp_path: Path, text: str, name: str = "roster.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def write_xlsx(
    tmp_path: Path,
    people: list[Row] | None,
    units: list[Row] | None,
    *,
    people_header: Row | None = None,
    units_header: Row | None = None,
    name: str = "roster.xlsx",
) -> Path:
    """A workbook with the given data rows (from row 2) under the standard headers."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    if people is not None:
        sheet = workbook.create_sheet("people")
        sheet.append(people_header or ["key", "name", "roles"])
        for row in people:
            sheet.append(row)
    if units is not None:
        sheet = workbook.create_sheet("units")
        sheet.append(units_header or ["key", "name", "leader", "head", "contacts"])
        for row in units:
            sheet.append(row)
    path = tmp_path / name
    workbook.save(path)
    return path


def problems_of(path: Path) -> list[RosterProblem]:
    with pytest.raises(RosterError) as caught:
        parse_roster(path)
    return list(caught.value.problems)


def only_problem(path: Path) -> RosterProblem:
    problems = problems_of(path)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


GOOD_PEOPLE: list[Row] = [
    ["qian", "钱主任", "supervisor"],
    ["zhao", "赵县长", "principal"],
    ["wang", "王副县长", "deputy"],
    ["zhang", "张局长", None],
    ["li", "李四", None],
]

GOOD_YAML_PEOPLE = """\
people:
  - {key: qian, name: 钱主任, roles: [supervisor]}
  - {key: zhao, name: 赵县长, roles: [principal]}
  - {key: wang, name: 王副县长, roles: [deputy]}
  - {key: zhang, name: 张局长}
  - {key: li, name: 李四}
"""  # lines 1-6; units start on line 7


def yaml_with_units(tmp_path: Path, units: str) -> Path:
    return write_yaml(tmp_path, GOOD_YAML_PEOPLE + "units:\n" + textwrap.dedent(units))


# --------------------------------------------------------------------------- the examples


def test_the_yaml_example_parses() -> None:
    roster = parse_roster(EXAMPLES / "roster.yaml")
    roles = {person.key: person.roles for person in roster.people}
    assert roles["admin"] == {Role.ADMIN}
    assert roles["qian"] == {Role.SUPERVISOR, Role.ADMIN}
    assert roles["zhoujian"] == roles["wuting"] == {Role.SUPERVISOR}
    assert roles["zhao"] == {Role.PRINCIPAL}
    assert roles["wang"] == roles["chen"] == roles["liu"] == {Role.DEPUTY}
    assert len(roster.units) == 8
    assert {unit.leader for unit in roster.units} == {"wang", "chen", "liu"}
    assert all(unit.head and 1 <= len(unit.contacts) <= 2 for unit in roster.units)
    edu = roster.unit("edu")
    assert edu == RosterUnit("edu", "县教育局", "wang", "zhangjun", ("lina",), line=0)
    assert roster.person("nobody") is None


def test_the_excel_example_matches_the_yaml_example() -> None:
    from_yaml = parse_roster(EXAMPLES / "roster.yaml")
    from_excel = parse_roster(EXAMPLES / "roster.xlsx")
    assert from_excel == from_yaml  # line numbers take no part in equality
    assert [p.key for p in from_excel.people] == [p.key for p in from_yaml.people]
    assert from_excel.people[0].line == 2  # the Excel row
    assert from_yaml.people[0].line != from_excel.people[0].line


def test_lines_and_rows_are_recorded(tmp_path: Path) -> None:
    roster = parse_roster(
        yaml_with_units(
            tmp_path,
            """\
              - key: edu
                name: 县教育局
                leader: wang
                contacts: [li]
            """,
        )
    )
    assert [p.line for p in roster.people] == [2, 3, 4, 5, 6]
    assert roster.units[0].line == 8
    assert roster.units[0].head is None


def test_the_design_example_parses(tmp_path: Path) -> None:
    roster = parse_roster(
        yaml_with_units(
            tmp_path, "  - {key: edu, name: 县教育局, leader: wang, head: zhang, contacts: [li]}\n"
        )
    )
    assert roster == Roster(
        people=(
            RosterPerson("qian", "钱主任", frozenset({Role.SUPERVISOR}), line=0),
            RosterPerson("zhao", "赵县长", frozenset({Role.PRINCIPAL}), line=0),
            RosterPerson("wang", "王副县长", frozenset({Role.DEPUTY}), line=0),
            RosterPerson("zhang", "张局长", frozenset(), line=0),
            RosterPerson("li", "李四", frozenset(), line=0),
        ),
        units=(RosterUnit("edu", "县教育局", "wang", "zhang", ("li",), line=0),),
    )


# --------------------------------------------------------------------------- YAML rules

UNIT_OK = "  - {key: edu, name: 县教育局, leader: wang, head: zhang, contacts: [li]}\n"


@pytest.mark.parametrize(
    ("units", "location", "field", "message"),
    [
        ("  - {name: 县教育局, contacts: [li]}\n", "line 8", "key", "missing key"),
        ("  - {key: 教育局, name: 县教育局, contacts: [li]}\n", "line 8", "key", "not valid"),
        ("  - {key: 'a b', name: 县教育局, contacts: [li]}\n", "line 8", "key", "not valid"),
        (f"  - {{key: {'e' * 65}, name: 县教育局, contacts: [li]}}\n", "line 8", "key", "64"),
        (UNIT_OK + UNIT_OK, "line 9", "key", "duplicate unit key 'edu' (first at line 8)"),
        ("  - {key: edu, contacts: [li]}\n", "line 8", "name", "missing name"),
        ("  - {key: edu, name: '  ', contacts: [li]}\n", "line 8", "name", "missing name"),
        (f"  - {{key: edu, name: {'局' * 101}, contacts: [li]}}\n", "line 8", "name", "101"),
        ("  - {key: edu, name: [县, 局], contacts: [li]}\n", "line 8", "name", "got a list"),
        ("  - {key: {a: 1}, name: 县教育局, contacts: [li]}\n", "line 8", "key", "got a mapping"),
        (
            "  - {key: edu, name: 县教育局, leader: wangg, contacts: [li]}\n",
            "line 8",
            "leader",
            "unknown person key 'wangg'",
        ),
        (
            "  - {key: edu, name: 县教育局, leader: qian, contacts: [li]}\n",
            "line 8",
            "leader",
            "person 'qian' is not a leader",
        ),
        (
            "  - {key: edu, name: 县教育局, head: zhangg, contacts: [li]}\n",
            "line 8",
            "head",
            "unknown person key 'zhangg'",
        ),
        ("  - {key: edu, name: 县教育局}\n", "line 8", "contacts", "at least one contact"),
        ("  - {key: edu, name: 县教育局, contacts: []}\n", "line 8", "contacts", "at least one"),
        ("  - {key: edu, name: 县教育局, contacts: }\n", "line 8", "contacts", "at least one"),
        (
            "  - {key: edu, name: 县教育局, contacts: [li, lii]}\n",
            "line 8",
            "contacts",
            "unknown person key 'lii'",
        ),
        (
            "  - {key: edu, name: 县教育局, contacts: [li, zhang, li]}\n",
            "line 8",
            "contacts",
            "person 'li' is listed twice as a contact",
        ),
        (
            "  - {key: edu, name: 县教育局, contacts: [[li]]}\n",
            "line 8",
            "contacts",
            "expected text, got a list",
        ),
        (
            "  - {key: edu, name: 县教育局, contact: [li], phone: 123}\n",
            "line 8",
            "phone",
            "unknown field 'phone'",
        ),
        (
            "  - {key: edu, name: 县教育局, name: 教育局, contacts: [li]}\n",
            "line 8",
            "name",
            "field given twice",
        ),
        ("  - edu\n", "line 8", None, "must be a mapping"),
    ],
)
def test_each_unit_rule_names_line_and_field(
    tmp_path: Path, units: str, location: str, field: str | None, message: str
) -> None:
    problem = only_problem(yaml_with_units(tmp_path, units))
    assert (problem.file, problem.location, problem.field) == ("roster.yaml", location, field)
    assert message in problem.message


def test_block_style_problems_name_the_line_of_the_value(tmp_path: Path) -> None:
    problems = problems_of(
        yaml_with_units(
            tmp_path,
            """\
              - key: edu
                name: 县教育局
                leader: wang
                head: zhangg
                contacts:
                  - li
                  - nobody
            """,
        )
    )
    assert [(p.location, p.field, p.message) for p in problems] == [
        ("line 11", "head", "unknown person key 'zhangg'"),
        ("line 14", "contacts", "unknown person key 'nobody'"),
    ]


@pytest.mark.parametrize(
    ("person", "field", "message"),
    [
        ("{name: 钱主任}", "key", "missing key"),
        ("{key: 'qian!', name: 钱主任}", "key", "not valid"),
        ("{key: zhou}", "name", "missing name"),
        ("{key: zhou, name: ''}", "name", "missing name"),
        ("{key: zhou, name: 周五, roles: [boss]}", "roles", "unknown role 'boss'"),
        ("{key: zhou, name: 周五, roles: [unit_head]}", "roles", "come from the units"),
        ("{key: zhou, name: 周五, roles: [[admin]]}", "roles", "got a list"),
        ("{key: zhou, name: 周五, roles: {admin: yes}}", "roles", "expected a list"),
        ("{key: zhou, name: 周五, rolse: [admin]}", "rolse", "unknown field 'rolse'"),
        ("{key: li, name: 李某}", "key", "duplicate person key 'li' (first at line 6)"),
    ],
)
def test_each_person_rule_names_line_and_field(
    tmp_path: Path, person: str, field: str, message: str
) -> None:
    path = write_yaml(tmp_path, GOOD_YAML_PEOPLE + f"  - {person}\nunits: []\n")
    problem = only_problem(path)
    assert (problem.location, problem.field) == ("line 7", field)
    assert message in problem.message


def test_plain_numbers_are_read_as_written(tmp_path: Path) -> None:
    path = write_yaml(
        tmp_path,
        """\
        people:
          - {key: 007, name: 2024, roles: [admin]}
          - {key: 1.50, name: '1.50'}
        """,
    )
    roster = parse_roster(path)
    assert [(p.key, p.name) for p in roster.people] == [("007", "2024"), ("1.50", "1.50")]
    assert roster.units == ()


def test_roles_and_contacts_may_be_one_string_and_chinese_names(tmp_path: Path) -> None:
    path = write_yaml(
        tmp_path,
        """\
        人员:
          - {键: qian, 姓名: 钱主任, 角色: "督查室、管理员"}
          - {key: wang, name: 王副县长, roles: 分管领导}
          - {key: li, name: 李四}
          - {key: zhou, name: 周五}
        单位:
          - {单位键: edu, 单位名称: 县教育局, 分管领导: wang, 联系人: "li, zhou"}
        """,
    )
    roster = parse_roster(path)
    assert roster.people[0].roles == {Role.SUPERVISOR, Role.ADMIN}
    assert roster.people[1].roles == {Role.DEPUTY}
    assert roster.units[0].contacts == ("li", "zhou")


def test_a_person_may_be_head_and_contact_and_roles_are_case_insensitive(tmp_path: Path) -> None:
    roster = parse_roster(
        write_yaml(
            tmp_path,
            """\
            people:
              - {key: zhao, name: 赵县长, roles: [Principal]}
              - {key: li, name: 李四}
            units:
              - {key: edu, name: 县教育局, leader: zhao, head: li, contacts: [li]}
            """,
        )
    )
    assert roster.people[0].roles == {Role.PRINCIPAL}
    assert roster.units[0].head == "li"


@pytest.mark.parametrize(
    ("text", "location", "message"),
    [
        ("", "", "the file is empty"),
        ("   \n\n", "", "the file is empty"),
        ("# only a comment\n", "", "the file is empty"),
        ("- a\n- b\n", "line 1", "must be a mapping"),
        ("units: []\n", "", "missing section 'people'"),
        ("people: []\nunits: []\n", "line 1", "lists no people"),
        ("people:\nunits:\n", "line 1", "lists no people"),
        ("people: {key: li}\n", "line 1", "must be a list"),
        ("people:\n  - {key: li, name: 李四}\nteams: []\n", "line 3", "unknown section 'teams'"),
        (
            "people:\n  - {key: li, name: 李四}\npeople: []\n",
            "line 3",
            "section 'people' given twice",
        ),
        ("people:\n  - {key: li, name: 李四}\n---\npeople: []\n", "line 3", "YAML syntax error"),
        ("people: !!python/object:os.system {}\n", "line 1", "must be a list"),
        ("people:\n  - {key: !!binary aGk=, name: 李四}\n", "line 2", "tagged"),
    ],
)
def test_file_level_problems(tmp_path: Path, text: str, location: str, message: str) -> None:
    problem = only_problem(write_yaml(tmp_path, text))
    assert problem.location == location
    assert message in problem.message


def test_a_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    path = write_yaml(
        tmp_path,
        """\
        people:
          - {key: qian, name: 钱主任, roles: [supervisor]}
          - {key: li, name: 李四
        units: []
        """,
    )
    problem = only_problem(path)
    assert problem.location == "line 4"
    assert problem.field is None
    assert problem.message.startswith("YAML syntax error:")
    assert "(from line 3)" in problem.message  # where the unclosed {...} began
    assert str(problem).startswith("roster.yaml: line 4: YAML syntax error:")


def test_a_tab_indent_is_a_syntax_error_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "roster.yml"
    path.write_text("people:\n  - key: li\n\tname: 李四\n", encoding="utf-8")
    problem = only_problem(path)
    assert (problem.file, problem.location) == ("roster.yml", "line 3")


def test_many_problems_are_reported_at_once(tmp_path: Path) -> None:
    path = write_yaml(
        tmp_path,
        """\
        people:
          - {key: qian, name: 钱主任, roles: [supervisor, boss]}
          - {key: qian, name: 钱二}
          - {key: li}
        units:
          - {key: edu, name: 县教育局, leader: qian, head: zhangg, contacts: [li, li]}
          - {key: edu, name: 县卫健局}
        """,
    )
    with pytest.raises(RosterError) as caught:
        parse_roster(path)
    error = caught.value
    assert [(p.location, p.field) for p in error.problems] == [
        ("line 2", "roles"),
        ("line 3", "key"),
        ("line 4", "name"),
        ("line 6", "leader"),
        ("line 6", "head"),
        ("line 6", "contacts"),
        ("line 7", "key"),
        ("line 7", "contacts"),
    ]
    assert str(error).splitlines()[:2] == [
        "roster.yaml: line 2, field roles: unknown role 'boss' "
        "(roles: admin, supervisor, principal, deputy)",
        "roster.yaml: line 3, field key: duplicate person key 'qian' (first at line 2)",
    ]
    assert isinstance(error, InvalidInput)
    assert error.status == 422
    assert error.params["count"] == 8


def test_an_unreadable_people_section_does_not_cascade(tmp_path: Path) -> None:
    path = write_yaml(
        tmp_path,
        """\
        people: everyone
        units:
          - {key: edu, name: 县教育局, leader: wang, contacts: [li]}
        """,
    )
    assert [p.message for p in problems_of(path)] == ["section 'people' must be a list of entries"]


# --------------------------------------------------------------------------- Excel rules

UNITS_OK: list[Row] = [["edu", "县教育局", "wang", "zhang", "li"]]


def test_an_unknown_head_names_sheet_row_and_field(tmp_path: Path) -> None:
    units: list[Row] = [
        ["edu", "县教育局", "wang", "zhang", "li"],
        [None, None, None, None, None],
        ["health", "县卫生健康局", "wang", "zhang", "li"],
        ["transport", "县交通运输局", "wang", "zhangg", "li"],
    ]
    problem = only_problem(write_xlsx(tmp_path, GOOD_PEOPLE, units))
    assert (
        str(problem) == "roster.xlsx: sheet units, row 5, field head: unknown person key 'zhangg'"
    )


@pytest.mark.parametrize(
    ("people", "units", "location", "field", "message"),
    [
        ([["zhou", None, "supervisor"]], UNITS_OK, "sheet people, row 7", "name", "missing name"),
        ([[None, "钱二", None]], UNITS_OK, "sheet people, row 7", "key", "missing key"),
        ([["qian", "钱二", None]], UNITS_OK, "sheet people, row 7", "key", "duplicate person"),
        ([["zhou", "周", "boss"]], UNITS_OK, "sheet people, row 7", "roles", "unknown role"),
        ([["zhou zhou", "周", None]], UNITS_OK, "sheet people, row 7", "key", "not valid"),
        ([["zhou", "周" * 101, None]], UNITS_OK, "sheet people, row 7", "name", "101"),
        ([["zhou", "周", True]], UNITS_OK, "sheet people, row 7", "roles", "TRUE/FALSE"),
        ([["zhou", date(2024, 1, 1), None]], UNITS_OK, "sheet people, row 7", "name", "date"),
        ([], [["edu", "县教育局", "wang", "zhang", None]], "sheet units, row 2", "contacts", "one"),
        (
            [],
            [["edu", "县教育局", "li", None, "li"]],
            "sheet units, row 2",
            "leader",
            "not a leader",
        ),
        ([], [["edu", "县教育局", "wangg", None, "li"]], "sheet units, row 2", "leader", "unknown"),
        ([], [["edu", "县教育局", None, None, "li、lii"]], "sheet units, row 2", "contacts", "lii"),
        (
            [],
            [["edu", "县教育局", None, None, "li, li"]],
            "sheet units, row 2",
            "contacts",
            "twice",
        ),
        ([], UNITS_OK + UNITS_OK, "sheet units, row 3", "key", "duplicate unit key"),
    ],
)
def test_each_excel_rule_names_sheet_row_and_field(
    tmp_path: Path, people: list[Row], units: list[Row], location: str, field: str, message: str
) -> None:
    problem = only_problem(write_xlsx(tmp_path, GOOD_PEOPLE + people, units))
    assert (problem.file, problem.location, problem.field) == ("roster.xlsx", location, field)
    assert message in problem.message


def test_excel_accepts_chinese_headers_numbers_blank_rows_and_notes(tmp_path: Path) -> None:
    people: list[Row] = [
        ["qian", "钱主任", "督查室、admin", "督查室主任"],
        [None, "   ", None, None],
        ["wang", "王副县长", "deputy", None],
        [101, "李四", None, "keys may be numbers"],
    ]
    units: list[Row] = [["edu", "县教育局", "wang", None, "101 qian"]]
    path = write_xlsx(
        tmp_path,
        people,
        units,
        people_header=["键", "姓名", "角色", "备注"],
        units_header=["单位键", "单位名称", "分管领导", "主要负责人", "联系人"],
    )
    roster = parse_roster(path)
    assert [(p.key, p.line) for p in roster.people] == [("qian", 2), ("wang", 4), ("101", 5)]
    assert roster.people[0].roles == {Role.SUPERVISOR, Role.ADMIN}
    assert roster.units[0] == RosterUnit("edu", "县教育局", "wang", None, ("101", "qian"), line=2)


def test_excel_headers_are_case_insensitive_and_sheets_may_be_chinese(tmp_path: Path) -> None:
    workbook = Workbook()
    people = workbook.active
    people.title = "人员"
    people.append(["Key", "NAME", "Roles"])
    people.append(["wang", "王副县长", "deputy"])
    units = workbook.create_sheet("Units")
    units.append(["KEY", "Name", "Leader", "Head", "Contacts"])
    units.append(["edu", "县教育局", "wang", "wang", "wang"])
    path = tmp_path / "名册.xlsx"
    workbook.save(path)
    assert parse_roster(path).units[0].contacts == ("wang",)


@pytest.mark.parametrize(
    ("people", "units", "message"),
    [
        (None, UNITS_OK, "missing sheet 'people'"),
        (GOOD_PEOPLE, None, "missing sheet 'units'"),
    ],
)
def test_a_missing_sheet_is_a_problem(
    tmp_path: Path, people: list[Row] | None, units: list[Row] | None, message: str
) -> None:
    problem = only_problem(write_xlsx(tmp_path, people, units))
    assert message in problem.message


def test_missing_columns_and_an_empty_people_sheet(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, [], [["edu", "县教育局"]], units_header=["key", "name"])
    assert [str(p) for p in problems_of(path)] == [
        "roster.xlsx: sheet units, row 1: missing column 'contacts'",
        "roster.xlsx: sheet people: the roster lists no people",
    ]


def test_a_duplicate_column_is_a_problem(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, GOOD_PEOPLE, [], people_header=["key", "name", "roles", "角色"])
    problem = only_problem(path)
    assert (problem.location, problem.field) == ("sheet people, row 1", "roles")


def test_many_excel_problems_are_reported_at_once(tmp_path: Path) -> None:
    people: list[Row] = [["qian", "钱主任", "supervisor"], ["qian", None, "chief"]]
    units: list[Row] = [["edu", None, "qian", "nobody", None]]
    problems = problems_of(write_xlsx(tmp_path, people, units))
    assert [(p.location, p.field) for p in problems] == [
        ("sheet people, row 3", "key"),
        ("sheet people, row 3", "name"),
        ("sheet people, row 3", "roles"),
        ("sheet units, row 2", "name"),
        ("sheet units, row 2", "leader"),
        ("sheet units, row 2", "head"),
        ("sheet units, row 2", "contacts"),
    ]


@pytest.mark.parametrize("content", [b"", b"not a zip at all"])
def test_a_file_that_is_not_a_workbook(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "roster.xlsx"
    path.write_bytes(content)
    problem = only_problem(path)
    assert problem.location == ""
    assert "empty" in problem.message or "not a readable Excel workbook" in problem.message


# --------------------------------------------------------------------------- the file itself


@pytest.mark.parametrize("name", ["roster.txt", "roster.xls", "roster.csv", "roster"])
def test_an_unknown_suffix_is_refused_before_reading(tmp_path: Path, name: str) -> None:
    problem = only_problem(tmp_path / name)  # the file does not even exist
    assert problem.file == name
    assert "unsupported roster file type" in problem.message
    assert ".yaml, .yml or .xlsx" in problem.message


def test_the_suffix_is_case_insensitive(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, "people:\n  - {key: li, name: 李四}\n", name="ROSTER.YML")
    assert parse_roster(path).people[0].key == "li"


def test_a_missing_file_is_a_roster_error(tmp_path: Path) -> None:
    problem = only_problem(tmp_path / "absent.yaml")
    assert problem.message.startswith("cannot read the file")


def test_parse_roster_bytes_takes_uploads() -> None:
    data = (EXAMPLES / "roster.xlsx").read_bytes()
    assert parse_roster_bytes(data, "upload.xlsx") == parse_roster(EXAMPLES / "roster.yaml")
    with pytest.raises(RosterError, match=r"^名册\.yaml: YAML syntax error|^名册\.yaml: line"):
        parse_roster_bytes(b"people: [", "some/dir/名册.yaml")
