"""The demo's month (``make demo`` after the single audit): November 2026 of the sample tenant,
day by day through the real handlers on moto's server, an appeal, and the month's report.

The month is slow on moto's server (about 1.4 s a group audit on a shared machine), so these
tests tell the story's groups only (sales, R&D, company) up to Wednesday 11-18, the last day the
story changes anything: 13 working days of 3 groups. ``make demo`` tells all 21 days of all 7.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest

from groupaudit.local.demo_month import (
    HEAD_OF_SALES,
    LEAVER,
    NEWCOMER,
    run_month,
)

GROUPS = ("grp-sales", "grp-rd", "grp-company")
UNTIL = date(2026, 11, 18)
FIRST_WEEK = ["grp-sales-q1102", "grp-sales-q1103", "grp-sales-q1104", "grp-sales-q1105", "grp-sales-q1106"]


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    out = io.StringIO()
    folder = tmp_path_factory.mktemp("demo")
    run = run_month(out=out, out_dir=folder, until=UNTIL, groups=GROUPS)
    return run, out.getvalue(), folder


def _findings(run, rule, **fields):
    return {
        fid: item
        for fid, item in run.findings.items()
        if item["rule"] == rule and all(item.get(k) == v for k, v in fields.items())
    }


def _member(report, member_id):
    return next(m for m in report["members"] if m["member_id"] == member_id)


def test_one_line_a_day_with_its_audits_new_findings_and_notices(month):
    # GIVEN the month told up to 11-18
    run, text, _ = month
    # THEN each working day was audited once per group, and printed one line
    assert [d.day.isoformat() for d in run.days] == [
        "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06",
        "2026-11-09", "2026-11-10", "2026-11-11", "2026-11-12", "2026-11-13",
        "2026-11-16", "2026-11-17", "2026-11-18",
    ]  # fmt: skip
    assert all(d.audits == 3 for d in run.days)
    lines = [line for line in text.splitlines() if line.startswith("2026-11-")]
    assert len(lines) == 13
    assert lines[0].startswith("2026-11-02 Mon  3 audits")
    # AND the first day finds what the sample holds, and tells the groups' robots of it
    assert run.days[0].new > 0 and run.days[0].notices > 0
    # AND on the days nothing new is found nobody is told anything
    assert all(d.notices == 0 for d in run.days if d.new == 0)


def test_the_first_weeks_late_answers_are_findings_and_the_later_weeks_are_not(month):
    # GIVEN a question a day to 刘强, answered after 50 minutes in the first week, 10 after
    run, _, _ = month
    # THEN only the first week's five questions were found answered late, owed by him
    late = _findings(run, "overdue_reply", group_id="grp-sales")
    assert sorted(item["finding"]["message_id"] for item in late.values()) == FIRST_WEEK
    assert {item["subject_id"] for item in late.values()} == {HEAD_OF_SALES}
    assert {item["finding"]["evidence"]["overdue_minutes"] for item in late.values()} == {30}


def test_the_report_measures_the_late_then_on_time_answers_in_business_minutes(month):
    # GIVEN the month's report
    run, _, _ = month
    liu = _member(run.report, HEAD_OF_SALES)
    # THEN 13 questions were owed by 刘强, the 8 after the first week answered on time
    assert (liu["questions_owed"], liu["answered_on_time"]) == (13, 8)
    assert liu["on_time_rate"] == pytest.approx(8 / 13, abs=0.001)
    # AND the median answer took 10 business minutes, the 90th percentile 50 (each exact to the
    # width of its histogram bucket: 10-15 and 45-60)
    assert 10 <= liu["median_answer_minutes"] < 15
    assert 45 <= liu["p90_answer_minutes"] < 60
    sales = next(g for g in run.report["groups"] if g["group_id"] == "grp-sales")
    assert (sales["questions"], sales["answered_on_time"]) == (13, 8)


def test_the_member_who_leaves_is_found_in_his_groups_until_they_remove_him(month):
    # GIVEN 王五, departed on 11-13 and removed from his groups on 11-16
    run, _, _ = month
    departed = _findings(run, "departed_member", subject_id=LEAVER)
    # THEN both his groups were told on 11-13, and the findings resolved on 11-16
    assert sorted(item["group_id"] for item in departed.values()) == ["grp-company", "grp-sales"]
    assert {item["first_seen"][:10] for item in departed.values()} == {"2026-11-13"}
    assert {item["status"] for item in departed.values()} == {"resolved"}
    assert {item["resolved_at"][:10] for item in departed.values()} == {"2026-11-16"}
    # AND his long silence in the sales group ends with him gone
    (silent,) = _findings(run, "inactive_member", subject_id=LEAVER).values()
    assert (silent["status"], silent["resolved_at"][:10]) == ("resolved", "2026-11-16")
    # AND the report counts his departure in both groups
    assert _member(run.report, LEAVER)["violations"]["departed_member"] == 2


def test_the_file_warned_as_unbacked_is_resolved_once_backed_up(month):
    # GIVEN 服务器扩容方案 (uploaded 11-13 16:00), backed up on 11-17
    run, _, _ = month
    (unbacked,) = _findings(run, "unbacked_document", subject_id="f-rd-scale").values()
    # THEN the 11-16 audit warned of it (24 hours after upload), the 11-17 audit resolved it
    assert unbacked["first_seen"][:10] == "2026-11-16"
    assert (unbacked["status"], unbacked["resolved_at"][:10]) == ("resolved", "2026-11-17")
    # AND the month's report still counts it among the unbacked files
    rd = next(g for g in run.report["groups"] if g["group_id"] == "grp-rd")
    assert rd["unbacked_files"] == 1


def test_the_newcomer_added_after_the_reminder_resolves_her_onboarding_gaps(month):
    # GIVEN 林小雨, hired on 11-12 and added to the sales and company groups on 11-18
    run, _, _ = month
    # THEN both groups were reminded of her, and the reminders resolved when she joined
    gaps = _findings(run, "onboarding_gap", subject_id=NEWCOMER)
    assert sorted(item["group_id"] for item in gaps.values()) == ["grp-company", "grp-sales"]
    assert {(item["status"], item["resolved_at"][:10]) for item in gaps.values()} == {
        ("resolved", "2026-11-18")
    }


def test_the_overturned_appeal_takes_its_finding_out_of_the_ledger_and_the_report(month):
    # GIVEN 刘强's appeal against the finding on his answer of 11-04, overturned
    run, text, _ = month
    appealed = run.appeal["finding_id"]
    assert run.findings[appealed]["finding"]["message_id"] == "grp-sales-q1104"
    assert (run.appeal["status"], run.appeal["decided_by"]) == ("overturned", "u-vp")
    assert f"appeal {run.appeal['appeal_id']}: overturned by 王志远" in text
    # THEN its ledger entry is overturned and counted in none; the other four are proposed
    ledger = run.report["ledger"]
    statuses = {e["finding_id"]: e["status"] for e in ledger["entries"]}
    assert statuses.pop(appealed) == "overturned"
    assert sorted(statuses.values()) == ["proposed"] * 4
    assert (ledger["proposed"], ledger["confirmed"], ledger["waived"]) == (4, 0, 0)
    # AND the report counts four late answers of his, not five
    assert _member(run.report, HEAD_OF_SALES)["violations"] == {"overdue_reply": 4}
    late = [v for v in run.report["violations"] if v["rule"] == "overdue_reply"]
    assert late == [{"rule": "overdue_reply", "severity": "violation", "count": 4}]
    assert (run.report["appeals"]["overturned"], run.report["appeals"]["open"]) == (1, 0)


def test_the_months_report_is_written_and_its_page_is_the_last_line(month):
    # GIVEN the reporter's run on December's first working day
    run, text, folder = month
    # THEN November's JSON, HTML and XLSX are in the demo's reports folder
    assert run.report["month"] == "2026-11"
    assert run.report["period"] == {"start": "2026-11-01", "end": "2026-11-30", "workdays": 21, "audits": 39}
    assert sorted(p.name for p in (folder / "reports").iterdir()) == [
        "acme-2026-11.html",
        "acme-2026-11.json",
        "acme-2026-11.xlsx",
    ]
    html = run.files["html"].read_text(encoding="utf-8")
    assert "· 2026-11</title>" in html and "销售部工作群" in html and "刘强" in html
    assert zipfile.is_zipfile(run.files["xlsx"])
    # AND the supervision contact's robot got the announcement
    assert run.announcement is not None and run.announcement.startswith("2026-11 月度工作群评估报告已生成：")
    # AND the HTML page's path is the last line printed
    assert text.splitlines()[-1] == str(run.files["html"])
