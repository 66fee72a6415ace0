"""The assessment's score for three units over December, computed by hand from the regulations'
scheme (the default policy) and compared with the product's, deduction by deduction."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook

from domain.assessment import StatsRow
from domain.clock import FakeClock
from services.export import export_file
from services.runtime import Runtime
from services.stats import compute_stats
from tests.services.assessment_scenario import DECEMBER, play_december


def lines(row: StatsRow) -> list[tuple[str, str | None, str, int | None, float, bool]]:
    assert row.score is not None
    return [
        (
            line.occurrence.kind.value,
            line.occurrence.item_code,
            line.occurrence.on.isoformat(),
            line.occurrence.days if line.occurrence.kind.value == "day_late" else None,
            line.points,
            line.capped,
        )
        for line in row.score.lines
    ]


async def test_three_units_scored_by_hand(county: Runtime, clock: FakeClock) -> None:
    dec = await play_december(county, clock)
    e1, e2, t1, t2 = dec.e1[1], dec.e2[1], dec.t1[1], dec.t2[1]
    stats = await compute_stats(county, DECEMBER)
    units = {row.key: row for row in stats.units}
    edu, health, transport = units["edu"], units["health"], units["transport"]

    # 县教育局: E2's plan (due 2 Dec) first reported 15 Dec: -1; E2 due 11 Dec, closed
    # 16 Dec: 5 days × -0.5 = -2.5; E2 returned 15 Dec: -1; E1 reopened 20 Dec: -1. E1 was
    # closed on time, but its reopening moved its due date to January: not due in December.
    assert lines(edu) == [
        ("late_feedback", e2, "2026-12-02", None, -1.0, False),
        ("day_late", e2, "2026-12-11", 5, -2.5, False),
        ("return", e2, "2026-12-15", None, -1.0, False),
        ("reopening", e1, "2026-12-20", None, -1.0, False),
    ]
    assert edu.score is not None and edu.score.total == 100 - 1 - 2.5 - 1 - 1 == 94.5

    # 县卫生健康局 (co-unit of E2): never reported, so its plan is late: -1; E2's five days
    # late count for its share too: -2.5; praised on 18 Dec: +2.
    assert lines(health) == [
        ("late_feedback", e2, "2026-12-02", None, -1.0, False),
        ("day_late", e2, "2026-12-11", 5, -2.5, False),
        ("praise", None, "2026-12-18", None, 2.0, False),
    ]
    assert health.score is not None and health.score.total == 100 - 1 - 2.5 + 2 == 98.5

    # 县交通运输局: T1 and T2 never reported (plans late: -1 each) and are still open on
    # 5 January, 25 days after their due day: 12.5 points each, but days late are capped at
    # 20 a period, so T2 loses only the 7.5 left; a talk on T1 (-2), a notice of criticism
    # (-3) and a referral (-5).
    assert lines(transport) == [
        ("late_feedback", t1, "2026-12-02", None, -1.0, False),
        ("late_feedback", t2, "2026-12-02", None, -1.0, False),
        ("day_late", t1, "2026-12-11", 25, -12.5, False),
        ("day_late", t2, "2026-12-11", 25, -7.5, True),
        ("talk", t1, "2026-12-20", None, -2.0, False),
        ("criticism", t1, "2026-12-22", None, -3.0, False),
        ("referral", t1, "2026-12-28", None, -5.0, False),
    ]
    assert transport.score is not None
    assert transport.score.total == 100 - 1 - 1 - 12.5 - 7.5 - 2 - 3 - 5 == 68.0

    # The ranking: the units with nothing against them share the first place (100).
    idle = [row for row in stats.units if row.key not in {"edu", "health", "transport"}]
    assert idle and all(row.score and row.score.total == 100 and row.rank == 1 for row in idle)
    assert (health.rank, edu.rank, transport.rank) == (len(idle) + 1, len(idle) + 2, len(idle) + 3)
    assert [row.key for row in stats.by_score(stats.units)][-3:] == ["health", "edu", "transport"]

    # 陈明辉 (deputy for transport) answers for T1 and T2: the same lines as the unit.
    leaders = {row.key: row for row in stats.leaders}
    assert lines(leaders["chen"]) == lines(transport)
    assert leaders["chen"].score is not None and leaders["chen"].score.total == 68.0

    # The figures behind the score are the statistics' own counts.
    assert (edu.returns, edu.reopenings, edu.late_feedbacks) == (1, 1, 1)
    assert (transport.talks, transport.criticisms, transport.referrals) == (1, 1, 1)
    assert health.praises == 1


async def test_the_workbook_lists_each_score_and_every_deduction(
    county: Runtime, clock: FakeClock, tmp_path: Path
) -> None:
    dec = await play_december(county, clock)
    path = tmp_path / "ledger.xlsx"
    await export_file(county, path, period=DECEMBER)
    book = load_workbook(path)
    scores = [[cell.value for cell in row] for row in book["考核得分"].iter_rows()]
    assert scores[0] == ["排名", "名称", "单位/领导", "基础分", "扣分", "加分", "得分"]
    by_name = {(row[1], row[2]): row for row in scores[1:]}
    assert by_name[("县卫生健康局", "单位")][3:] == [100, -3.5, 2, 98.5]
    assert by_name[("县教育局", "单位")][3:] == [100, -5.5, 0, 94.5]
    assert by_name[("县交通运输局", "单位")][3:] == [100, -32, 0, 68]
    assert by_name[("陈明辉", "领导")][6] == 68
    units = [row for row in scores[1:] if row[2] == "单位"]
    assert [row[1] for row in units][-3:] == ["县卫生健康局", "县教育局", "县交通运输局"]
    assert [row[0] for row in units][-3:] == [units[-3][0], units[-3][0] + 1, units[-3][0] + 2]

    rows = [[cell.value for cell in row] for row in book["扣分明细"].iter_rows(min_row=2)]
    transport = [row[2:] for row in rows if row[:2] == ["县交通运输局", "单位"]]
    t1, t2 = dec.t1, dec.t2
    december = datetime(2026, 12, 2)
    assert transport == [
        ["研究部署或首次反馈逾期", t1[1], t1[0], december, None, -1, None],
        ["研究部署或首次反馈逾期", t2[1], t2[0], december, None, -1, None],
        ["逾期天数", t1[1], t1[0], datetime(2026, 12, 11), 25, -12.5, None],
        ["逾期天数", t2[1], t2[0], datetime(2026, 12, 11), 25, -7.5, "是"],
        ["约谈", t1[1], t1[0], datetime(2026, 12, 20), None, -2, None],
        ["通报批评", t1[1], t1[0], datetime(2026, 12, 22), None, -3, None],
        ["问责建议", t1[1], t1[0], datetime(2026, 12, 28), None, -5, None],
    ]
    praise = [row[2:] for row in rows if row[:2] == ["县卫生健康局", "单位"]][-1]
    assert praise == ["通报表扬", None, None, datetime(2026, 12, 18), None, 2, None]
