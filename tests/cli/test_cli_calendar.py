"""`groupaudit calendar YEAR`: the working days the audit uses for a year, and whether the year's
holiday arrangement is confirmed; and the audit's table output when it is not."""

from __future__ import annotations

import json
import textwrap
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from factories import audit, member, message, snapshot
from groupaudit.businesstime import calendar_note
from groupaudit.cli import main
from groupaudit.render import render_table
from kit import ROOT
from test_businesstime import MAKE_UP_WORKDAYS_2026, WEEKDAYS_OFF_2026

KNOWN_THROUGH_2026 = frozenset(range(2001, 2027))  # the library as installed today
NOW_2027 = "2027-01-06T18:00:00+08:00"  # given as --now: a snapshot's own taken_at may not be in the future

POLICY_2027 = """
version: 1
defaults:
  calendar:
    extra_holidays: [2027-12-31]
    years:
      2027:
        source: 国办发明电〔2026〕N号
        holidays: [2027-01-01/2027-01-03, 2027-02-05/2027-02-13]
        workdays: [2027-02-20]
groups:
  grp-ops:
    calendar:
      working_hours: ["08:30-12:00", "13:00-17:30"]
      extra_workdays: [2027-02-21]
"""


@pytest.fixture
def library_through_2026(monkeypatch: pytest.MonkeyPatch) -> None:
    """The library as installed today knows 2001-2026, whatever version runs the tests."""
    monkeypatch.setattr("groupaudit.businesstime.library_years", lambda: KNOWN_THROUGH_2026)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["calendar", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    status, out, err = run(capsys, *args, "--format", "json")
    assert (status, err) == (0, "")
    return json.loads(out)


def days_of(document: dict, key: str) -> list[date]:
    return [date.fromisoformat(day["date"]) for month in document["months"] for day in month[key]]


# --- a year the library knows ------------------------------------------------------------


def test_2026_lists_exactly_the_notices_holidays_and_make_up_days(capsys) -> None:
    # GIVEN the built-in policy
    # WHEN the 2026 calendar is printed as JSON
    document = run_json(capsys, "2026")
    # THEN its weekdays off and weekend days on are the State Council notice's, from the library
    assert days_of(document, "holidays") == WEEKDAYS_OFF_2026
    assert days_of(document, "make_up_workdays") == MAKE_UP_WORKDAYS_2026
    assert {day["by"] for month in document["months"] for day in month["holidays"]} == {"library"}
    assert (document["confirmed"], document["confirmed_by"]) == (True, "library")
    assert document["source"].startswith("holidays ")
    assert document["working_day_count"] == 248
    assert sum(len(month["working_days"]) for month in document["months"]) == 248
    assert "note" not in document


def test_the_json_gives_the_working_hours_and_the_librarys_holiday_names(capsys) -> None:
    # GIVEN the built-in policy
    # WHEN the 2026 calendar is printed as JSON
    document = run_json(capsys, "2026")
    february = document["months"][1]
    # THEN the working hours and a Spring Festival day with its Chinese name are there
    assert document["working_hours"] == ["09:00-12:00", "13:30-18:00"]
    assert (document["timezone"], document["working_minutes_per_day"]) == ("Asia/Shanghai", 450)
    assert {"date": "2026-02-17", "by": "library", "name": "春节"} in february["holidays"]
    assert february["working_days"][:6] == [
        "2026-02-02",
        "2026-02-03",
        "2026-02-04",
        "2026-02-05",
        "2026-02-06",
        "2026-02-09",
    ]


def test_the_english_table_shows_each_month(capsys) -> None:
    # GIVEN the built-in policy
    # WHEN the 2026 calendar is printed as an English table
    status, out, _ = run(capsys, "2026", "--lang", "en")
    lines = out.splitlines()
    # THEN the head says what confirms the year, and February lists its days
    assert status == 0
    assert lines[0] == "== 2026 · Asia/Shanghai · workdays: cn · 248 working days"
    assert lines[1] == "   working hours: 09:00-12:00, 13:30-18:00 (450 minutes a day)"
    assert lines[2].startswith("   confirmed: holidays ")
    assert lines[2].endswith(" has the State Council arrangement of 2026")
    february = lines.index("2026-02  16 working days: 2-6, 9-14, 24-28")
    assert lines[february + 1].startswith("         off: 16 Mon Chinese New Year's Eve · 17 Tue ")
    assert lines[february + 2] == "         make-up workdays: 14 Sat · 28 Sat"


def test_a_confirmed_year_says_when_the_next_one_is_not(tmp_path, capsys, library_through_2026) -> None:
    # GIVEN a library that knows 2001-2026, with and without the policy's 2027 arrangement
    policy = write(tmp_path, "policy.yaml", POLICY_2027)
    # WHEN the 2026 calendar is printed
    _, bare, _ = run(capsys, "2026", "--lang", "en")
    bare_json = run_json(capsys, "2026")
    _, with_2027, _ = run(capsys, "2026", "--lang", "en", "--policy", str(policy))
    with_2027_json = run_json(capsys, "2026", "--policy", str(policy))
    # THEN only without 2027 does it warn that late December 2026 may still move
    warning = "   2027 is not confirmed yet: its New Year's Day may still move 2026-12-25..31"
    assert bare.splitlines()[3] == warning
    assert warning not in with_2027.splitlines()
    assert (bare_json["next_year_confirmed"], with_2027_json["next_year_confirmed"]) == (False, True)


# --- a year the library does not know ----------------------------------------------------


def test_a_year_without_an_arrangement_says_so(capsys, library_through_2026) -> None:
    # GIVEN the built-in policy and a library that knows 2001-2026
    # WHEN the 2027 calendar is printed as a table and as JSON
    status, out, _ = run(capsys, "2027")
    document = run_json(capsys, "2027")
    # THEN both say it is not confirmed and what to do
    assert status == 0
    assert out.splitlines()[2] == f"   未确认: {calendar_note([2027]).message}"
    assert (document["confirmed"], document["confirmed_by"], document["source"]) == (False, None, None)
    assert document["note"] == calendar_note([2027]).message


def test_the_policys_arrangement_confirms_the_year(tmp_path, capsys, library_through_2026) -> None:
    # GIVEN a policy with the 2027 arrangement and a company day off on 2027-12-31
    policy = write(tmp_path, "policy.yaml", POLICY_2027)
    # WHEN the 2027 calendar is printed
    document = run_json(capsys, "2027", "--policy", str(policy))
    _, table, _ = run(capsys, "2027", "--policy", str(policy), "--lang", "en")
    # THEN it is confirmed by the policy, and its days say who decided them
    assert (document["confirmed"], document["confirmed_by"]) == (True, "policy")
    assert document["source"] == "国办发明电〔2026〕N号"
    assert [(day["date"], day["by"]) for day in document["months"][1]["holidays"]] == [
        ("2027-02-05", "policy"),
        ("2027-02-08", "policy"),
        ("2027-02-09", "policy"),
        ("2027-02-10", "policy"),
        ("2027-02-11", "policy"),
        ("2027-02-12", "policy"),
    ]
    assert document["months"][1]["make_up_workdays"] == [{"date": "2027-02-20", "by": "policy", "name": None}]
    assert document["months"][11]["holidays"] == [{"date": "2027-12-31", "by": "company", "name": None}]
    assert document["working_day_count"] == 254
    assert table.splitlines()[2] == (
        "   confirmed: the policy gives the arrangement in calendar.years.2027 (国办发明电〔2026〕N号)"
    )
    assert "         off: 31 Fri company" in table.splitlines()


def test_a_policy_year_the_library_also_knows_says_which_one_is_used(tmp_path, capsys, monkeypatch) -> None:
    # GIVEN a library that has 2027 too, and the policy's 2027 arrangement
    monkeypatch.setattr("groupaudit.businesstime.library_years", lambda: KNOWN_THROUGH_2026 | {2027})
    policy = write(tmp_path, "policy.yaml", POLICY_2027)
    # WHEN the 2027 calendar is printed in English
    _, table, _ = run(capsys, "2027", "--policy", str(policy), "--lang", "en")
    # THEN it says the policy's arrangement is the one used
    assert table.splitlines()[2].endswith(
        "; the holidays library has the year too; the policy's arrangement is used"
    )


def test_a_groups_overrides_change_its_calendar(tmp_path, capsys, library_through_2026) -> None:
    # GIVEN a policy whose group grp-ops has its own hours and works Sunday 2027-02-21
    policy = write(tmp_path, "policy.yaml", POLICY_2027)
    # WHEN the 2027 calendar of grp-ops is printed
    document = run_json(capsys, "2027", "--policy", str(policy), "--group-id", "grp-ops")
    # THEN its hours and its extra working Sunday are those of the group
    assert document["working_hours"] == ["08:30-12:00", "13:00-17:30"]
    assert document["working_minutes_per_day"] == 480
    assert document["months"][1]["make_up_workdays"] == [
        {"date": "2027-02-20", "by": "policy", "name": None},
        {"date": "2027-02-21", "by": "company", "name": None},
    ]


def test_a_weekday_calendar_has_nothing_to_confirm(tmp_path, capsys) -> None:
    # GIVEN a policy on plain weekdays
    policy = write(tmp_path, "policy.yaml", "defaults: {calendar: {workdays: weekdays}}\n")
    # WHEN the 2026 calendar is printed
    document = run_json(capsys, "2026", "--policy", str(policy))
    # THEN National Day is a working day, nothing is off, and the year needs no confirming
    assert "2026-10-01" in document["months"][9]["working_days"]
    assert days_of(document, "holidays") == []
    assert (document["confirmed"], document["confirmed_by"], document["working_day_count"]) == (
        True,
        "weekdays",
        261,
    )


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "message"),
    [
        pytest.param("next", "'next' is not a year (e.g. 2027)", id="not-a-number"),
        pytest.param("1800", "year 1800 is outside 1950-2100", id="out-of-range"),
    ],
)
def test_a_bad_year_is_a_usage_error(capsys, year: str, message: str) -> None:
    # GIVEN a year that is not one
    # WHEN the command runs
    with pytest.raises(SystemExit) as raised:
        main(["calendar", year])
    # THEN it exits 2 naming the problem
    assert raised.value.code == 2
    assert capsys.readouterr().err.rstrip().endswith(f"argument YEAR: {message}")


def test_a_wrong_policy_is_reported_with_its_key(tmp_path, capsys) -> None:
    # GIVEN a policy whose 2027 arrangement lists a day of 2026
    policy = write(
        tmp_path, "policy.yaml", "defaults: {calendar: {years: {2027: {holidays: [2026-05-01]}}}}\n"
    )
    # WHEN the command runs
    status, out, err = run(capsys, "2027", "--policy", str(policy))
    # THEN it exits 2 with the problem on stderr and nothing on stdout
    assert (status, out) == (2, "")
    assert err == (
        f"error: {policy} is invalid (1 problem(s)):\n"
        "  - defaults.calendar.years.2027.holidays.0: 2026-05-01 is outside 2027 "
        "(days of its arrangement lie in it, or from 2026-12-25 on)\n"
    )


# --- the audit's table output ------------------------------------------------------------


def _snapshot_2027_doc() -> str:
    doc = snapshot(
        [member("u1"), member("u2")],
        [
            message("m1", "u1", "2027-01-04T10:00:00+08:00", "@u2 请问合同盖章了吗？", mentions=["u2"]),
            message("m2", "u2", "2027-01-05T10:00:00+08:00", "好的"),
        ],
        taken_at=NOW_2027,
    )
    return json.dumps(doc, ensure_ascii=False)


def _snapshot_2027(tmp_path: Path) -> Path:
    path = tmp_path / "snapshot.json"
    path.write_text(_snapshot_2027_doc(), encoding="utf-8")
    return path


@pytest.mark.parametrize(("lang", "label"), [("zh", "注意"), ("en", "note")])
def test_the_audit_table_prints_the_calendar_note(
    tmp_path, capsys, library_through_2026, lang, label
) -> None:
    # GIVEN a library that knows 2001-2026 and a group audited in January 2027
    snap = _snapshot_2027(tmp_path)
    # WHEN audited with table output
    status = main(["audit", str(snap), "--now", NOW_2027, "--lang", lang])
    out = capsys.readouterr().out
    # THEN the table says the calendar of 2027 is not confirmed, in the audit's language
    assert status == 0
    assert f"   {label}: {calendar_note([2027], lang).message}" in out.splitlines()


def test_the_audit_json_carries_the_note(tmp_path, capsys, library_through_2026) -> None:
    # GIVEN a library that knows 2001-2026 and a group audited in January 2027
    snap = _snapshot_2027(tmp_path)
    # WHEN audited with JSON output
    assert main(["audit", str(snap), "--now", NOW_2027, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    # THEN the note follows the contract's fields, and the findings schema accepts the report
    assert list(report)[-1] == "notes"
    assert report["notes"] == [
        {"code": "calendar_unconfirmed", "message": calendar_note([2027]).message, "years": [2027]}
    ]
    schema = json.loads((ROOT / "docs" / "schemas" / "findings.schema.json").read_text(encoding="utf-8"))
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(report)) == []


def test_the_audit_table_of_a_confirmed_year_has_no_note(tmp_path, capsys, library_through_2026) -> None:
    # GIVEN the same group and the policy's 2027 arrangement
    snap = _snapshot_2027(tmp_path)
    policy = write(tmp_path, "policy.yaml", POLICY_2027)
    # WHEN audited with table output
    assert main(["audit", str(snap), "--now", NOW_2027, "--policy", str(policy)]) == 0
    out = capsys.readouterr().out
    # THEN no note line is printed
    assert [line for line in out.splitlines() if line.startswith("   注意")] == []


def test_a_report_rendered_in_another_language_gets_the_note_in_that_language(library_through_2026) -> None:
    # GIVEN a report audited in Chinese, whose note is in Chinese
    report = audit(json.loads(_snapshot_2027_doc()))
    # WHEN it is rendered as an English table
    table = render_table(report, "测试群", "en")
    # THEN the note is in English
    assert report.notes is not None and report.notes[0].message == calendar_note([2027], "zh").message
    assert f"   note: {calendar_note([2027], 'en').message}" in table.splitlines()
