"""The monthly report as an XLSX workbook for HR: one sheet a view, typed cells, frozen headers.

Sheets (zh / en): 汇总 Totals, 违规 Violations, 部门 Departments, 群组 Groups, 成员 Members,
趋势 Trends, 台账 Ledger, 申诉 Appeals. Row 1 of each sheet is its header and stays in view.
Counts are numbers, rates are numbers 0..1 shown as percentages, minutes are numbers, days
(``YYYY-MM-DD``) are dates and timestamps (ISO 8601 with the tenant's offset) are date-times of
the tenant's wall clock (a spreadsheet has no offsets); nothing to measure is an empty cell.
Written with XlsxWriter (write-only, pure Python), in memory.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from groupaudit.supervision.report_labels import (
    MEASURES,
    MEMBER_MEASURES,
    TOTALS,
    ReportInvalid,
    as_report,
    labels,
    rule_label,
    severity_label,
    status_label,
)
from groupaudit.supervision.report_model import MonthlyReport

SHEETS = ("totals", "violations", "departments", "groups", "members", "trends", "ledger", "appeals")


def _when(value: str | None, field: str) -> datetime | None:
    """A timestamp of the report as the tenant's wall-clock time (``None`` stays empty)."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        raise ReportInvalid(f"monthly report field {field}: {value!r} is not an ISO 8601 timestamp") from None


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ReportInvalid(f"monthly report field {field}: {value!r} is not a YYYY-MM-DD date") from None


def _month(value: str, field: str) -> date:
    return _day(f"{value}-01", field)


def _rows(report: MonthlyReport, lang: str) -> dict[str, tuple[list[str], list[list[Any]]]]:
    t = labels(lang)
    r = report
    measure_heads = [t[k] for k in MEASURES]
    totals: list[list[Any]] = [[t["tenant"], r.tenant_name], [t["month"], _month(r.month, "month")]]
    totals += [
        [t["period_start"], _day(r.period.start, "period.start")],
        [t["period_end"], _day(r.period.end, "period.end")],
        [t["workdays"], r.period.workdays],
        [t["audits"], r.period.audits],
    ]
    totals += [[t[k], getattr(r.totals, k)] for k in TOTALS]
    return {
        "totals": ([t["figure"], t["value"]], totals),
        "violations": (
            [t["rule_id"], t["rule"], t["severity"], t["count"]],
            [
                [v.rule, rule_label(v.rule, lang), severity_label(v.severity, lang), v.count]
                for v in r.violations
            ],
        ),
        "departments": (
            [t["department"], t["groups"], *measure_heads],
            [[d.department, d.groups, *(getattr(d, k) for k in MEASURES)] for d in r.departments],
        ),
        "groups": (
            [
                t["group_id"],
                t["name"],
                t["department"],
                t["platform"],
                t["audits"],
                *measure_heads,
                t["clean_mark"],
            ],
            [
                [
                    g.group_id,
                    g.name,
                    g.department,
                    g.platform,
                    g.audits,
                    *(getattr(g, k) for k in MEASURES),
                    g.clean,
                ]
                for g in r.groups
            ],
        ),
        "members": (
            [t["member_id"], t["name"], t["department"], *(t[k] for k in MEMBER_MEASURES), t["inactive"]],
            [
                [m.member_id, m.name, m.department, *(getattr(m, k) for k in MEMBER_MEASURES), m.inactive]
                for m in r.members
            ],
        ),
        "trends": (
            [t["months"], t["findings"], t["red_lines"], t["on_time_rate"]],
            [
                [
                    _month(m, f"trends.months.{i}"),
                    r.trends.findings[i],
                    r.trends.red_lines[i],
                    r.trends.on_time_rate[i],
                ]
                for i, m in enumerate(r.trends.months)
            ],
        ),
        "ledger": (
            [t[k] for k in ("entry_id", "member_id", "member", "rule", "sanction", "status", "finding_id")]
            + [t["decided_by"], t["decided_at"]],
            [
                [
                    e.entry_id,
                    e.member_id,
                    e.name,
                    rule_label(e.rule, lang),
                    e.sanction,
                    status_label(e.status, lang),
                    e.finding_id,
                    e.decided_by,
                    _when(e.decided_at, f"ledger.entries.{i}.decided_at"),
                ]
                for i, e in enumerate(r.ledger.entries)
            ],
        ),
        "appeals": (
            [
                t[k]
                for k in (
                    "appeal_id",
                    "entry_id",
                    "member_id",
                    "status",
                    "filed_at",
                    "deadline",
                    "answered_at",
                )
            ]
            + [t["late"]],
            [
                [a.appeal_id, a.entry_id, a.member_id, status_label(a.status, lang)]
                + [
                    _when(getattr(a, k), f"appeals.items.{i}.{k}")
                    for k in ("filed_at", "deadline", "answered_at")
                ]
                + [a.late]
                for i, a in enumerate(r.appeals.items)
            ],
        ),
    }


def _rate_columns(heads: Sequence[str], lang: str) -> set[int]:
    rate = labels(lang)["on_time_rate"]
    return {i for i, h in enumerate(heads) if h == rate}


def render_xlsx(report: MonthlyReport | Mapping[str, Any]) -> bytes:
    """The workbook's bytes (an .xlsx file)."""
    import xlsxwriter  # imported here: only the report's path needs it (Lambda cold start)

    model = as_report(report)
    lang = model.lang
    t = labels(lang)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out, {"in_memory": True, "strings_to_numbers": False, "strings_to_urls": False}
    )
    head = book.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    pct = book.add_format({"num_format": "0.0%"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    month = book.add_format({"num_format": "yyyy-mm"})
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    views = _rows(model, lang)
    for key in SHEETS:
        heads, rows = views[key]
        sheet = book.add_worksheet(t[f"sheet_{key}"])
        sheet.write_row(0, 0, heads, head)
        sheet.freeze_panes(1, 0)
        rates = _rate_columns(heads, lang)
        for y, row in enumerate(rows, start=1):
            for x, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(y, x, value)
                elif isinstance(value, datetime):
                    sheet.write_datetime(y, x, value, stamp)
                elif isinstance(value, date):
                    is_month = key == "trends" or (key == "totals" and y == 2)
                    midnight = datetime(value.year, value.month, value.day)
                    sheet.write_datetime(y, x, midnight, month if is_month else day)
                elif isinstance(value, int | float):
                    is_rate = x in rates or (key == "totals" and row[0] == t["on_time_rate"])
                    sheet.write_number(y, x, value, pct if is_rate else None)
                else:
                    sheet.write_string(y, x, str(value))
        sheet.set_column(0, len(heads) - 1, 14)
    book.close()
    return out.getvalue()
