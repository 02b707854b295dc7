"""The monthly report workbook, read back with openpyxl and compared with the report's JSON."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import openpyxl
import pytest

from groupaudit.supervision.report_labels import MEASURES, MEMBER_MEASURES, TOTALS, ReportInvalid
from groupaudit.supervision.report_xlsx import render_xlsx
from supervision.report_fixture import report_json


def _book(document: dict[str, Any]) -> Any:  # an openpyxl Workbook (openpyxl has no types)
    return openpyxl.load_workbook(io.BytesIO(render_xlsx(document)))


def _rows(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_one_sheet_a_view_in_chinese_and_in_english() -> None:
    document = report_json()
    assert _book(document).sheetnames == ["汇总", "违规", "部门", "群组", "成员", "趋势", "台账", "申诉"]
    document["lang"] = "en"
    book = _book(document)
    assert book.sheetnames == [
        "Totals",
        "Violations",
        "Departments",
        "Groups",
        "Members",
        "Trends",
        "Ledger",
        "Appeals",
    ]
    assert [c.value for c in book["Groups"][1]][:5] == [
        "Group id",
        "Name",
        "Department",
        "Platform",
        "Audits",
    ]


def test_every_sheet_has_a_frozen_bold_header() -> None:
    for sheet in _book(report_json()):
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet["A1"].font.b, sheet.title
        assert all(isinstance(c.value, str) and c.value for c in sheet[1]), sheet.title


def test_totals_are_typed_values_of_the_report() -> None:
    document = report_json()
    rows = dict(_rows(_book(document)["汇总"]))
    assert rows["企业"] == "艾克美科技有限公司"
    assert rows["月份"] == datetime(2026, 11, 1)
    assert rows["统计区间起"] == datetime(2026, 11, 1) and rows["统计区间止"] == datetime(2026, 11, 30)
    assert rows["工作日"] == 21 and rows["审计次数"] == 147
    assert rows["问题数"] == document["totals"]["findings"] == 15
    assert rows["按时率"] == pytest.approx(0.917)
    assert len(rows) == 6 + len(TOTALS)


def test_groups_departments_and_members_match_the_json_cell_by_cell() -> None:
    document = report_json()
    book = _book(document)
    groups = _rows(book["群组"])
    assert len(groups) == len(document["groups"]) == 7
    for row, group in zip(groups, document["groups"], strict=True):
        assert row[:5] == [group[k] for k in ("group_id", "name", "department", "platform", "audits")]
        assert row[5:-1] == [group[k] for k in MEASURES]
        assert row[-1] is group["clean"]
    departments = _rows(book["部门"])
    for row, department in zip(departments, document["departments"], strict=True):
        assert row == [department["department"], department["groups"], *(department[k] for k in MEASURES)]
    members = _rows(book["成员"])
    for row, member in zip(members, document["members"], strict=True):
        expected = [member["member_id"], member["name"], member["department"]]
        assert row == [*expected, *(member[k] for k in MEMBER_MEASURES), member["inactive"]]
    # nothing to measure is an empty cell, not 0 and not a dash
    assert departments[3][0] == "财务部" and departments[3][7] is None


def test_numbers_are_numbers_and_rates_show_as_percentages() -> None:
    sheet = _book(report_json())["群组"]
    rate_column = [c.value for c in sheet[1]].index("按时率") + 1
    cell = sheet.cell(row=2, column=rate_column)
    assert cell.data_type == "n" and cell.value == 0.8 and cell.number_format == "0.0%"
    assert sheet.cell(row=2, column=5).data_type == "n"


def test_violations_trends_ledger_and_appeals() -> None:
    document = report_json()
    book = _book(document)
    assert _rows(book["违规"])[0] == ["prohibited_content", "违禁内容", "红线", 1]
    assert [r[3] for r in _rows(book["违规"])] == [v["count"] for v in document["violations"]]
    trends = _rows(book["趋势"])
    assert trends[0] == [datetime(2026, 6, 1), 31, 2, 0.82]
    assert [r[1] for r in trends] == document["trends"]["findings"]
    ledger = _rows(book["台账"])
    assert ledger[0] == [
        "L-2026-11-001",
        "u-lina",
        "李娜",
        "违禁内容",
        "通报批评，扣减当月绩效 10%",
        "已确认",
        "f-7c1e2a",
        "监察室 周敏",
        datetime(2026, 11, 18, 15, 20),
    ]
    assert ledger[3][-2:] == [None, None]  # proposed: nobody has decided yet
    appeals = _rows(book["申诉"])
    assert appeals[2] == [
        "A-003",
        "L-2026-11-002",
        "u-zhangwei",
        "处理中",
        datetime(2026, 11, 27, 14, 0),
        datetime(2026, 12, 4, 18, 0),
        None,
        False,
    ]


def test_text_that_looks_like_a_formula_or_number_stays_text() -> None:
    document = report_json()
    document["groups"][0]["name"] = '=HYPERLINK("http://x","y")'
    document["members"][0]["name"] = "007"
    book = _book(document)
    name = book["群组"].cell(row=2, column=2)
    assert name.value == '=HYPERLINK("http://x","y")' and name.data_type == "s"
    assert book["成员"].cell(row=2, column=2).value == "007"


def test_a_bad_timestamp_is_refused_naming_the_field() -> None:
    document = report_json()
    document["appeals"]["items"][1]["deadline"] = "next friday"
    with pytest.raises(ReportInvalid, match=r"appeals\.items\.1\.deadline: 'next friday' is not an ISO 8601"):
        render_xlsx(document)


def test_trend_series_of_another_length_than_the_months_are_refused() -> None:
    document = report_json()
    document["trends"]["red_lines"] = document["trends"]["red_lines"][:-1]
    with pytest.raises(ReportInvalid, match=r"trends\.red_lines: 5 values for 6 months"):
        render_xlsx(document)
