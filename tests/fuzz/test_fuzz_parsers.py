"""Property tests of the pure parsers of outside input: every input is accepted or refused
with the parser's own domain error, never an unexpected exception (KeyError, TypeError, ...)."""

from __future__ import annotations

import contextlib
import tempfile
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from domain import callbacks
from domain.complaints import ALPHABET, CODE_LENGTH, normalize_code
from domain.dates import parse_day
from domain.item_import import COLUMNS, ImportRow, ItemImportError, parse_items_bytes
from domain.policy import Policy, PolicyError, load_policy
from domain.roster import Roster, RosterError, parse_roster_bytes
from tests.fuzz.strategies import FUZZ, cell_values, dump_yaml, odd_text, workbook_bytes, yaml_trees

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE_ROSTER = (ROOT / "examples" / "roster.yaml").read_bytes()
EXAMPLE_POLICY = (ROOT / "examples" / "policy.yaml").read_text(encoding="utf-8")
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 23)

# --- dates typed in chat ----------------------------------------------------------------------


@FUZZ
@given(text=odd_text, today=st.dates(min_value=date(2000, 1, 1), max_value=date(9998, 1, 1)))
@example(text="2月29日", today=date(2027, 3, 1))
@example(text="99999999999999999999-1-1", today=TODAY)
@example(text="9999-12-31", today=TODAY)
@example(text="12-31", today=date(9998, 12, 31))
def test_parse_day_answers_a_date_or_none(text: str, today: date) -> None:
    found = parse_day(text, today)
    assert found is None or isinstance(found, date)


@FUZZ
@given(day=st.dates(min_value=date(1000, 1, 1)), today=st.dates(max_value=date(9998, 1, 1)))
def test_parse_day_reads_back_every_written_date(day: date, today: date) -> None:
    assert parse_day(f"{day.year}-{day.month}-{day.day}", today) == day
    assert parse_day(f" {day.year}年{day.month}月{day.day}日 ", today) == day
    short = parse_day(f"{day.month}月{day.day}日", today)
    assert short is None or (short >= today and (short.month, short.day) == (day.month, day.day))


# --- callback data ----------------------------------------------------------------------------

parts = st.from_regex(r"[A-Za-z0-9_.\-]{1,10}", fullmatch=True)


@FUZZ
@given(data=st.one_of(st.none(), odd_text, st.text(alphabet="abc:0129_-.", max_size=80)))
@example(data="x" * 65)
@example(data=":")
@example(data="tri:1:")
def test_callback_parse_refuses_with_bad_callback_only(data: str | None) -> None:
    try:
        parsed = callbacks.parse(data, prefixes=frozenset({"tri", "cmp", "abc"}))
    except callbacks.BadCallback:
        return
    for index in range(-1, 4):
        with contextlib.suppress(callbacks.BadCallback):
            assert isinstance(parsed.int_arg(index), int)


@FUZZ
@given(prefix=parts, args=st.lists(st.one_of(parts, st.integers(0, 10**9)), max_size=4))
def test_callback_make_and_parse_round_trip(prefix: str, args: list[object]) -> None:
    try:
        data = callbacks.make(prefix, *args)
    except ValueError:
        return  # too long for Telegram's 64 bytes: make refuses
    parsed = callbacks.parse(data)
    assert parsed.prefix == prefix
    assert parsed.args == tuple(str(arg) for arg in args)


# --- rosters: YAML and Excel bytes ------------------------------------------------------------


def check_roster(data: bytes, filename: str) -> None:
    try:
        roster = parse_roster_bytes(data, filename)
    except RosterError as error:
        assert error.problems
        assert all(str(problem) for problem in error.problems)
        return
    assert isinstance(roster, Roster)


@FUZZ
@given(tree=yaml_trees)
def test_roster_yaml_of_any_shape(tree: Any) -> None:
    check_roster(dump_yaml(tree), "roster.yaml")


@FUZZ
@given(
    data=st.binary(max_size=300), name=st.sampled_from(["r.yaml", "r.yml", "r.xlsx", "r.csv", ""])
)
def test_roster_of_random_bytes(data: bytes, name: str) -> None:
    check_roster(data, name)


@FUZZ
@given(
    people=st.lists(
        st.dictionaries(st.sampled_from(["key", "name", "roles", "x"]), yaml_trees, max_size=4),
        max_size=4,
    ),
    units=st.lists(
        st.dictionaries(
            st.sampled_from(["key", "name", "leader", "head", "contacts"]), yaml_trees, max_size=5
        ),
        max_size=3,
    ),
)
def test_roster_yaml_with_the_right_sections_and_wrong_values(
    people: list[dict[str, Any]], units: list[dict[str, Any]]
) -> None:
    check_roster(dump_yaml({"people": people, "units": units}), "roster.yml")


@FUZZ
@given(cut=st.integers(0, len(EXAMPLE_ROSTER)), junk=st.binary(max_size=8))
def test_roster_example_cut_and_spliced(cut: int, junk: bytes) -> None:
    check_roster(EXAMPLE_ROSTER[:cut] + junk + EXAMPLE_ROSTER[cut + len(junk) :], "roster.yaml")


person_headers = st.sampled_from(["key", "name", "roles", "键", "姓名", "备注", "key"])
unit_headers = st.sampled_from(["key", "name", "contacts", "leader", "head", "单位键", "名称"])


@FUZZ
@given(
    people_header=st.lists(person_headers, max_size=4),
    people_rows=st.lists(st.lists(cell_values, max_size=5), max_size=4),
    unit_header=st.lists(unit_headers, max_size=5),
    unit_rows=st.lists(st.lists(cell_values, max_size=6), max_size=3),
    titles=st.sampled_from([("people", "units"), ("人员", "单位"), ("people", "other")]),
)
def test_roster_workbooks_of_random_cells(
    people_header: list[str],
    people_rows: list[list[Any]],
    unit_header: list[str],
    unit_rows: list[list[Any]],
    titles: tuple[str, str],
) -> None:
    data = workbook_bytes(
        {titles[0]: [list(people_header), *people_rows], titles[1]: [list(unit_header), *unit_rows]}
    )
    check_roster(data, "roster.xlsx")


# --- Excel lists of items ---------------------------------------------------------------------


def check_items(data: bytes, filename: str) -> None:
    try:
        rows = parse_items_bytes(data, filename, today=TODAY, tz=SHANGHAI)
    except ItemImportError as error:
        assert error.problems
        return
    assert rows and all(isinstance(row, ImportRow) and row.title for row in rows)


@FUZZ
@given(
    header=st.lists(st.sampled_from([*COLUMNS, "备注", "title"]), max_size=10),
    rows=st.lists(st.lists(cell_values, max_size=10), max_size=5),
)
def test_item_workbooks_of_random_cells(header: list[str], rows: list[list[Any]]) -> None:
    check_items(workbook_bytes({"清单": [list(header), *rows]}), "items.xlsx")


@FUZZ
@given(
    rows=st.lists(
        st.tuples(
            odd_text,
            st.sampled_from(["上级交办", "leader", "会议", "x", ""]),
            st.sampled_from(["短期", "long", "?", ""]),
            odd_text,
            st.one_of(odd_text, cell_values),
            st.one_of(odd_text, cell_values),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_item_workbooks_with_the_right_columns(rows: list[tuple[Any, ...]]) -> None:
    header = ["标题", "来源", "类别", "牵头单位", "办结时限", "交办时间"]
    check_items(workbook_bytes({"清单": [header, *[list(row) for row in rows]]}), "items.xlsx")


@FUZZ
@given(data=st.binary(max_size=300), name=st.sampled_from(["i.xlsx", "i.xls", "i"]))
def test_item_list_of_random_bytes(data: bytes, name: str) -> None:
    check_items(data, name)


# --- policy files -----------------------------------------------------------------------------


def check_policy(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "policy.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        try:
            policy = load_policy(path)
        except PolicyError as error:
            assert str(error)
            return
    assert isinstance(policy, Policy)


@FUZZ
@given(tree=yaml_trees)
def test_policy_of_any_shape(tree: Any) -> None:
    check_policy(dump_yaml(tree))


def policy_paths(tree: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix] if prefix else []
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += policy_paths(value, (*prefix, str(key)))
    return found


DEFAULT_PATHS = policy_paths(Policy().model_dump(mode="json"))


@FUZZ
@given(
    changes=st.lists(st.tuples(st.sampled_from(DEFAULT_PATHS), yaml_trees), min_size=1, max_size=3)
)
def test_policy_defaults_with_random_values_at_real_keys(
    changes: list[tuple[tuple[str, ...], Any]],
) -> None:
    document: dict[str, Any] = {}
    for path, value in changes:
        node = document
        for key in path[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node[path[-1]] = value
    check_policy(dump_yaml(document))


@FUZZ
@given(cut=st.integers(0, len(EXAMPLE_POLICY)), junk=odd_text)
def test_policy_example_cut_and_spliced(cut: int, junk: str) -> None:
    check_policy(EXAMPLE_POLICY[:cut] + junk + EXAMPLE_POLICY[cut:])


def test_policy_yaml_that_builds_objects_is_refused() -> None:
    check_policy("!!python/object/apply:os.system ['true']\n")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "policy.yaml"
        path.write_text("a: !!python/name:os.system\n", encoding="utf-8")
        try:
            load_policy(path)
        except PolicyError:
            pass
        else:
            raise AssertionError("a python tag was accepted")
    assert yaml  # the loader is a SafeLoader


# --- complaint receipt codes ------------------------------------------------------------------


@FUZZ
@given(typed=st.one_of(odd_text, st.text(alphabet=ALPHABET + "-  oOiIlL０Ａ", max_size=40)))
def test_normalize_code_is_a_code_or_none_and_idempotent(typed: str) -> None:
    code = normalize_code(typed)
    if code is None:
        return
    assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
    assert normalize_code(code) == code
