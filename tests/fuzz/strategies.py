"""Shared Hypothesis strategies for fuzzing outside input: odd text, YAML trees, workbooks."""

from __future__ import annotations

import io
import os
from datetime import date, datetime
from typing import Any

import openpyxl
import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# Small and quick: the whole fuzz suite stays near a minute. Function-scoped fixtures (a
# database, the running app) are shared by the examples of one test on purpose. Set
# DUBAN_FUZZ_EXAMPLES for a deeper run.
FUZZ = settings(
    max_examples=int(os.environ.get("DUBAN_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text people really type, plus the awkward parts: RTL marks, zero-width, full-width, emoji.
ODD = "\u200b\u200e\u200f\u202e\ufeff\u3000０１２３４５６７８９－／年月日：:,，、 \t\n😀𠀀\x00"
odd_text = st.text(
    alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from(list(ODD))), max_size=60
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    odd_text,
    st.dates(),
)
yaml_trees: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(odd_text, st.integers(0, 9)), children, max_size=4),
    ),
    max_leaves=20,
)


def dump_yaml(tree: Any) -> bytes:
    return yaml.safe_dump(tree, allow_unicode=True).encode("utf-8")


cell_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30),
    st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
    st.times(),
)


def workbook_bytes(sheets: dict[str, list[list[Any]]]) -> bytes:
    book = openpyxl.Workbook()
    default = book.active
    assert default is not None
    book.remove(default)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append([_cell(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    """openpyxl refuses control characters in cells (Excel cannot hold them): drop them."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value
