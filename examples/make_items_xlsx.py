"""Write examples/items.xlsx: the template of a list of items (督办事项清单) for batch registration.

Import it with:  duban items import examples/items.xlsx [--dispatch]
Run from the repository root:  .venv/bin/python examples/make_items_xlsx.py

Columns (Chinese or English headers): 标题 title, 内容 body, 来源 source, 类别 class,
牵头单位 lead_unit, 配合单位 co_units (separated by 、 or commas), 责任领导 leader (empty: the
lead unit's leader), 办结时限 due (empty: from the class), 交办时间 dispatched_at (only for
items that were dispatched before: their deadlines count from then). Units and leaders by roster
key or by name; sources and classes by their Chinese names or English values.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
HEADERS = [
    "标题",
    "内容",
    "来源",
    "类别",
    "牵头单位",
    "配合单位",
    "责任领导",
    "办结时限",
    "交办时间",
]
ROWS: list[list[object]] = [
    [
        "农村生活污水治理设施运维",
        "对全县已建农村生活污水治理设施开展运行维护排查，建立问题清单并限期整改。",
        "会议议定事项",
        "一般事项",
        "eco",
        "agri",
        None,
        None,
        None,
    ],
    [
        "城区停车难问题综合治理",
        "新增公共停车泊位不少于500个，规范占道停车管理。",
        "政府工作报告",
        "年度重点工作",
        "县住房和城乡建设局",
        "县交通运输局、县自然资源局",
        "chen",
        None,
        None,
    ],
    [
        "养老服务中心建设",
        "完成乡镇养老服务中心建设任务，每月报送进展。",
        "重大决策部署",
        "常态化事项",
        "civil",
        "health",
        "wang",
        None,
        datetime(2026, 10, 8, 9, 0),
    ],
    [
        "县人大建议第12号办理",
        "关于加强中小学课后服务的建议，办理并答复代表。",
        "建议提案",
        "自定",
        "edu",
        None,
        None,
        date(2026, 12, 31),
        None,
    ],
]


def main() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "督办事项清单"
    sheet.append(HEADERS)
    for row in ROWS:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEFGHI", (28, 48, 14, 14, 20, 28, 10, 14, 18), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2, min_col=8, max_col=8):
        row[0].number_format = "yyyy-mm-dd"
    for row in sheet.iter_rows(min_row=2, min_col=9, max_col=9):
        row[0].number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "A2"
    workbook.save(HERE / "items.xlsx")


if __name__ == "__main__":
    main()
