"""Write examples/roster.xlsx from examples/roster.yaml, so the two never drift apart.

Run from the repository root:  .venv/bin/python examples/make_roster_xlsx.py
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from domain.roster import parse_roster

HERE = Path(__file__).resolve().parent
ROLE_ORDER = ("admin", "supervisor", "principal", "deputy")


def main() -> None:
    roster = parse_roster(HERE / "roster.yaml")
    workbook = Workbook()
    people = workbook.active
    people.title = "people"
    people.append(["key", "name", "roles"])
    for person in roster.people:
        roles = ", ".join(role for role in ROLE_ORDER if role in person.roles)
        people.append([person.key, person.name, roles or None])
    units = workbook.create_sheet("units")
    units.append(["key", "name", "leader", "head", "contacts"])
    for unit in roster.units:
        units.append([unit.key, unit.name, unit.leader, unit.head, ", ".join(unit.contacts)])
    organisations = workbook.create_sheet("organisations")
    organisations.append(["key", "name", "members"])
    for body in roster.organisations:
        organisations.append([body.key, body.name, ", ".join(body.members)])
    for sheet, widths in (
        (people, (16, 12, 24)),
        (units, (12, 22, 10, 14, 24)),
        (organisations, (12, 22, 24)),
    ):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column, width in zip("ABCDE", widths, strict=False):
            sheet.column_dimensions[column].width = width
        sheet.freeze_panes = "A2"
    workbook.save(HERE / "roster.xlsx")


if __name__ == "__main__":
    main()
