"""The policy file: built-in defaults, profiles per group kind, overrides per group, and the
errors a tenant sees when the file is wrong."""

from __future__ import annotations

import json
import textwrap
from datetime import date, datetime
from pathlib import Path

import jsonschema
import pytest
import yaml

from groupaudit.cli import main
from groupaudit.errors import InputError, Problem
from groupaudit.policy import load_policy, parse_policy


def write_policy(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(raised: pytest.ExceptionInfo[InputError]) -> list[Problem]:
    return raised.value.problems


# --- built-in defaults and profiles ------------------------------------------------------


def test_builtin_rule_defaults_are_those_of_policy_rules_md() -> None:
    # GIVEN no policy file
    policies = load_policy(None)
    # WHEN resolving the policy of an ordinary group
    policy = policies.for_group()
    # THEN every threshold is the documented default
    inactive = policy.rule("inactive_member")
    overdue = policy.rule("overdue_reply")
    unbacked = policy.rule("unbacked_document")
    assert (inactive.enabled, inactive.inactive_days, inactive.removal_grace_days) == (True, 30, 7)
    assert policy.rule("stale_file").stale_file_days == 90
    assert overdue.deadlines_minutes.model_dump() == {
        "direct_question": 20,
        "leader_request": 30,
        "public_question": 30,
        "mention": 240,
    }
    assert (overdue.sla_clock, overdue.reply_match) == ("business", "lenient")
    assert policy.files.important_min_bytes == 5 * 1024 * 1024
    assert unbacked.backup_within_hours == 24


def test_builtin_calendar_is_shanghai_working_hours_on_the_chinese_calendar() -> None:
    # GIVEN no policy file
    policies = load_policy(None)
    # WHEN resolving the calendar of an ordinary group
    calendar = policies.for_group().calendar
    # THEN it is Mon-Fri 09:00-12:00 and 13:30-18:00, Asia/Shanghai, with 调休
    assert calendar.timezone == "Asia/Shanghai"
    assert calendar.working_hours == ("09:00-12:00", "13:30-18:00")
    assert calendar.workdays == "cn"
    assert (calendar.extra_holidays, calendar.extra_workdays) == ((), ())


def test_builtin_company_profile_turns_inactive_member_off() -> None:
    # GIVEN no policy file
    policies = load_policy(None)
    # WHEN resolving the all-staff group and a department group
    company = policies.for_group("company").rule("inactive_member")
    department = policies.for_group("department").rule("inactive_member")
    # THEN only the broadcast channel has the rule off, with its thresholds untouched
    assert (company.enabled, company.inactive_days) == (False, 30)
    assert (department.enabled, department.inactive_days) == (True, 30)


def test_a_file_profile_changes_only_its_group_kind(tmp_path: Path) -> None:
    # GIVEN a profile for department groups
    path = write_policy(
        tmp_path,
        """
        profiles:
          department:
            rules:
              inactive_member:
                inactive_days: 14
        """,
    )
    policies = load_policy(path)
    # WHEN resolving a department group and a project group
    department = policies.for_group("department").rule("inactive_member")
    project = policies.for_group("project").rule("inactive_member")
    # THEN the department group has the new value and keeps the other keys; the project group is untouched
    assert (department.inactive_days, department.removal_grace_days, department.enabled) == (14, 7, True)
    assert project.inactive_days == 30


def test_a_file_profile_for_company_merges_with_the_builtin_profile(tmp_path: Path) -> None:
    # GIVEN a company profile that only changes the threshold
    path = write_policy(
        tmp_path,
        """
        profiles:
          company:
            rules:
              inactive_member:
                inactive_days: 45
        """,
    )
    # WHEN resolving the all-staff group
    rule = load_policy(path).for_group("company").rule("inactive_member")
    # THEN the built-in "off" stays and the threshold changes
    assert (rule.enabled, rule.inactive_days) == (False, 45)


def test_a_file_profile_can_turn_a_builtin_profile_setting_back_on(tmp_path: Path) -> None:
    # GIVEN a company profile that enables the inactive-member rule
    path = write_policy(
        tmp_path,
        """
        profiles:
          company:
            rules:
              inactive_member:
                enabled: true
        """,
    )
    # WHEN resolving the all-staff group
    rule = load_policy(path).for_group("company").rule("inactive_member")
    # THEN the file wins over the built-in profile
    assert rule.enabled is True


def test_a_group_override_of_one_deadline_keeps_the_others(tmp_path: Path) -> None:
    # GIVEN an override of the direct-question deadline for one group
    path = write_policy(
        tmp_path,
        """
        groups:
          grp-sales:
            rules:
              overdue_reply:
                deadlines_minutes:
                  direct_question: 10
        """,
    )
    policies = load_policy(path)
    # WHEN resolving that group and another one
    overridden = policies.for_group("department", "grp-sales").rule("overdue_reply")
    other = policies.for_group("department", "grp-other").rule("overdue_reply")
    # THEN only that deadline of that group changes
    assert overridden.deadlines_minutes.model_dump() == {
        "direct_question": 10,
        "leader_request": 30,
        "public_question": 30,
        "mention": 240,
    }
    assert overridden.sla_clock == "business"
    assert other.deadlines_minutes.direct_question == 20


def test_layers_merge_key_by_key_with_the_group_winning(tmp_path: Path) -> None:
    # GIVEN file defaults, a department profile and a group override of the same rule
    path = write_policy(
        tmp_path,
        """
        defaults:
          rules:
            inactive_member:
              inactive_days: 60
              removal_grace_days: 10
        profiles:
          department:
            rules:
              inactive_member:
                removal_grace_days: 3
        groups:
          grp-sales:
            rules:
              inactive_member:
                inactive_days: 21
        """,
    )
    policies = load_policy(path)

    def thresholds(kind: str, group_id: str | None = None) -> tuple[int, int]:
        rule = policies.for_group(kind, group_id).rule("inactive_member")
        return rule.inactive_days, rule.removal_grace_days

    # WHEN resolving groups that see one, two or three of the layers
    # THEN each key comes from the latest layer that sets it
    assert thresholds("project") == (60, 10)
    assert thresholds("department") == (60, 3)
    assert thresholds("department", "grp-sales") == (21, 3)
    assert thresholds("project", "grp-sales") == (21, 10)


def test_effective_dict_shows_every_setting_with_its_value(tmp_path: Path) -> None:
    # GIVEN a policy with a group override of the clock
    path = write_policy(
        tmp_path,
        """
        groups:
          grp-ops:
            rules:
              overdue_reply:
                sla_clock: wall
        """,
    )
    # WHEN asking for the effective settings of that group as a dict
    effective = load_policy(path).effective_dict("operations", "grp-ops")
    # THEN the override is there next to the defaults
    assert effective["rules"]["overdue_reply"]["sla_clock"] == "wall"
    assert effective["rules"]["overdue_reply"]["deadlines_minutes"]["mention"] == 240
    assert effective["calendar"]["working_hours"] == ["09:00-12:00", "13:30-18:00"]


def test_the_policy_calendar_drives_the_business_clock(tmp_path: Path) -> None:
    # GIVEN a policy on plain weekdays with one company day off
    path = write_policy(
        tmp_path,
        """
        defaults:
          calendar:
            workdays: weekdays
            extra_holidays: [2026-10-02]
        """,
    )
    calendar = load_policy(path).for_group().business_calendar
    # WHEN a question on Thursday 2026-10-01 (National Day) at 17:50 gets 20 minutes
    due = calendar.add_minutes(datetime.fromisoformat("2026-10-01T17:50:00+08:00"), 20)
    # THEN National Day works, the company day off does not, and the weekend is skipped
    assert due.isoformat() == "2026-10-05T09:10:00+08:00"


# --- unknown keys and wrong values -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path", "suggestion"),
    [
        pytest.param("versoin: 1\n", "versoin", "version", id="top-level"),
        pytest.param("defaults:\n  rulez: {}\n", "defaults.rulez", "rules", id="defaults"),
        pytest.param(
            "defaults:\n  calendar:\n    timezon: UTC\n",
            "defaults.calendar.timezon",
            "timezone",
            id="calendar",
        ),
        pytest.param(
            "defaults:\n  calendar:\n    years:\n      2027:\n"
            "        holidays: [2027-01-01]\n        workday: [2027-02-20]\n",
            "defaults.calendar.years.2027.workday",
            "workdays",
            id="calendar-year",
        ),
        pytest.param(
            "defaults:\n  rules:\n    inactive_membr: {}\n",
            "defaults.rules.inactive_membr",
            "inactive_member",
            id="rule-name",
        ),
        pytest.param(
            "defaults:\n  rules:\n    inactive_member:\n      inactive_dayz: 10\n",
            "defaults.rules.inactive_member.inactive_dayz",
            "inactive_days",
            id="under-rules",
        ),
        pytest.param(
            "profiles:\n  company:\n    rules:\n      inactive_member:\n        inactive_dayz: 10\n",
            "profiles.company.rules.inactive_member.inactive_dayz",
            "inactive_days",
            id="profile",
        ),
        pytest.param(
            "groups:\n  g1:\n    rules:\n      inactive_member:\n        inactive_dayz: 10\n",
            "groups.g1.rules.inactive_member.inactive_dayz",
            "inactive_days",
            id="group",
        ),
        pytest.param(
            "defaults:\n  rules:\n    overdue_reply:\n"
            "      deadlines_minutes:\n        direct_questoin: 10\n",
            "defaults.rules.overdue_reply.deadlines_minutes.direct_questoin",
            "direct_question",
            id="under-deadlines",
        ),
    ],
)
def test_an_unknown_key_names_where_it_was_written_and_suggests_the_nearest(
    tmp_path: Path, text: str, path: str, suggestion: str
) -> None:
    # GIVEN a policy file with a misspelt key
    policy_file = write_policy(tmp_path, text)
    # WHEN loading it
    with pytest.raises(InputError) as raised:
        load_policy(policy_file)
    # THEN the one problem names the key's path and the nearest valid key
    assert raised.value.source == str(policy_file)
    assert problems_of(raised) == [Problem(path, f"unknown key; did you mean {suggestion!r}?")]


def test_an_unknown_group_kind_suggests_the_nearest_kind(tmp_path: Path) -> None:
    # GIVEN a profile for a misspelt group kind
    path = write_policy(tmp_path, "profiles:\n  departmant:\n    rules: {}\n")
    # WHEN loading it
    with pytest.raises(InputError) as raised:
        load_policy(path)
    # THEN the problem names the profile and suggests the kind
    assert problems_of(raised) == [
        Problem("profiles.departmant", "unknown group kind; did you mean 'department'?")
    ]


def test_an_unknown_group_kind_with_no_near_match_lists_the_kinds(tmp_path: Path) -> None:
    # GIVEN a profile for a kind nothing resembles
    path = write_policy(tmp_path, "profiles:\n  xyz: {}\n")
    # WHEN loading it
    with pytest.raises(InputError) as raised:
        load_policy(path)
    # THEN the problem lists the valid kinds
    assert problems_of(raised) == [
        Problem(
            "profiles.xyz",
            "unknown group kind; valid keys: company, management, department, project, temporary, "
            "meeting, operations, other",
        )
    ]


def test_a_wrong_type_names_its_path(tmp_path: Path) -> None:
    # GIVEN inactive_days written as a word
    path = write_policy(
        tmp_path,
        """
        defaults:
          rules:
            inactive_member:
              inactive_days: thirty
        """,
    )
    # WHEN loading it
    with pytest.raises(InputError) as raised:
        load_policy(path)
    # THEN the problem names the key's path and why
    assert problems_of(raised) == [
        Problem(
            "defaults.rules.inactive_member.inactive_days",
            "Input should be a valid integer, unable to parse string as an integer",
        )
    ]


def test_an_out_of_range_value_names_its_path(tmp_path: Path) -> None:
    # GIVEN a zero-minute deadline in a group override
    path = write_policy(
        tmp_path,
        """
        groups:
          grp-sales:
            rules:
              overdue_reply:
                deadlines_minutes:
                  mention: 0
        """,
    )
    # WHEN loading it
    with pytest.raises(InputError) as raised:
        load_policy(path)
    # THEN the problem names the key's path and the bound
    assert problems_of(raised) == [
        Problem(
            "groups.grp-sales.rules.overdue_reply.deadlines_minutes.mention",
            "Input should be greater than or equal to 1",
        )
    ]


def test_overlapping_working_hours_are_refused(tmp_path: Path) -> None:
    # GIVEN working hours that overlap
    path = write_policy(
        tmp_path, "defaults:\n  calendar:\n    working_hours: ['09:00-12:00', '11:00-13:00']\n"
    )
    # WHEN loading it
    with pytest.raises(InputError) as raised:
        load_policy(path)
    # THEN the calendar's path is named
    assert problems_of(raised) == [Problem("defaults.calendar.working_hours", "working periods overlap")]


def test_invalid_yaml_names_line_and_column(tmp_path: Path) -> None:
    # GIVEN a file whose fifth line is indented wrongly
    path = write_policy(
        tmp_path,
        "defaults:\n  rules:\n    inactive_member:\n      inactive_days: 30\n     enabled: false\n",
    )
    # WHEN loading it
    with pytest.raises(InputError) as raised:
        load_policy(path)
    # THEN the problem gives the line and the column of the mistake
    assert problems_of(raised) == [
        Problem("", "invalid YAML: line 5, column 6: expected <block end>, but found '<block mapping start>'")
    ]


def test_a_missing_policy_file_is_reported_as_not_found(tmp_path: Path) -> None:
    # GIVEN a path where no file exists
    path = tmp_path / "nope.yaml"
    # WHEN loading it
    with pytest.raises(InputError) as raised:
        load_policy(path)
    # THEN the error says the file was not found
    assert raised.value.source == str(path)
    assert problems_of(raised) == [Problem("", "policy file not found")]


def test_a_policy_that_is_not_a_mapping_is_refused() -> None:
    # GIVEN a YAML list at the top level
    data = yaml.safe_load("- a\n- b\n")
    # WHEN parsing it
    with pytest.raises(InputError) as raised:
        parse_policy(data, "inline")
    # THEN the problem says a mapping is expected
    assert problems_of(raised) == [Problem("", "expected a mapping at the top level")]


def test_an_empty_policy_file_means_the_builtin_defaults(tmp_path: Path) -> None:
    # GIVEN an empty file
    path = write_policy(tmp_path, "")
    # WHEN loading it
    policy = load_policy(path).for_group()
    # THEN the built-in defaults apply
    assert policy.rule("inactive_member").inactive_days == 30


def test_problems_in_several_layers_are_all_reported(tmp_path: Path) -> None:
    # GIVEN two problems in a profile and one in a group override
    path = write_policy(
        tmp_path,
        """
        profiles:
          company:
            rules:
              inactive_member:
                inactive_days: thirty
              stale_file:
                stale_days: 3
        groups:
          g1:
            calendar:
              timezone: Mars/Base
        """,
    )
    # WHEN loading it
    with pytest.raises(InputError) as raised:
        load_policy(path)
    # THEN all three are reported, not only the first
    assert problems_of(raised) == [
        Problem(
            "profiles.company.rules.inactive_member.inactive_days",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        Problem(
            "profiles.company.rules.stale_file.stale_days", "unknown key; did you mean 'stale_file_days'?"
        ),
        Problem(
            "groups.g1.calendar.timezone",
            "unknown time zone 'Mars/Base' (use an IANA name such as Asia/Shanghai)",
        ),
    ]


def test_a_problem_in_the_defaults_is_reported_once_under_defaults(tmp_path: Path) -> None:
    # GIVEN a misspelt key in the defaults, and a valid profile and group override beside it
    path = write_policy(
        tmp_path,
        """
        defaults:
          rules:
            inactive_member:
              inactive_dayz: 3
        profiles:
          company:
            rules:
              stale_file:
                stale_file_days: 60
        groups:
          g1:
            rules:
              stale_file:
                stale_file_days: 30
        """,
    )
    # WHEN loading it
    with pytest.raises(InputError) as raised:
        load_policy(path)
    # THEN it is reported once, where it was written, not again under the profile and the group
    assert problems_of(raised) == [
        Problem("defaults.rules.inactive_member.inactive_dayz", "unknown key; did you mean 'inactive_days'?"),
    ]


def test_an_unknown_group_kind_does_not_hide_problems_in_other_layers(tmp_path: Path) -> None:
    # GIVEN a misspelt profile kind, and a misspelt key in the defaults
    path = write_policy(
        tmp_path,
        """
        defaults:
          rules:
            inactive_member:
              inactive_dayz: 3
        profiles:
          departmant: {}
        """,
    )
    # WHEN loading it
    with pytest.raises(InputError) as raised:
        load_policy(path)
    # THEN both are reported
    assert sorted(problems_of(raised), key=lambda p: p.path) == [
        Problem("defaults.rules.inactive_member.inactive_dayz", "unknown key; did you mean 'inactive_days'?"),
        Problem("profiles.departmant", "unknown group kind; did you mean 'department'?"),
    ]


# --- the CLI -----------------------------------------------------------------------------


def test_cli_validate_accepts_a_valid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a valid policy with a profile and a group override
    path = write_policy(
        tmp_path,
        """
        profiles:
          department:
            rules:
              inactive_member:
                inactive_days: 14
        groups:
          grp-sales:
            rules:
              overdue_reply:
                sla_clock: wall
        """,
    )
    # WHEN validating it
    status = main(["policy", "validate", str(path)])
    # THEN it exits 0 and says the file is valid, naming what it holds
    out, err = capsys.readouterr()
    assert status == 0
    assert out == f"{path}: valid (profiles: department; group overrides: grp-sales)\n"
    assert err == ""


def test_cli_validate_reports_every_problem_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a policy with two problems in one layer
    path = write_policy(
        tmp_path,
        """
        defaults:
          rules:
            inactive_member:
              inactive_days: thirty
            stale_file:
              stale_days: 3
        """,
    )
    # WHEN validating it
    status = main(["policy", "validate", str(path)])
    # THEN it exits 2, prints nothing on stdout, and lists both problems without a traceback
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert err == (
        f"error: {path} is invalid (2 problem(s)):\n"
        "  - defaults.rules.inactive_member.inactive_days: "
        "Input should be a valid integer, unable to parse string as an integer\n"
        "  - defaults.rules.stale_file.stale_days: unknown key; did you mean 'stale_file_days'?\n"
    )
    assert "Traceback" not in err


def test_cli_validate_reports_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a path with no file
    path = tmp_path / "nope.yaml"
    # WHEN validating it
    status = main(["policy", "validate", str(path)])
    # THEN it exits 2 and says the file was not found
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert err == f"error: {path} is invalid (1 problem(s)):\n  - (document): policy file not found\n"


def test_cli_show_company_prints_yaml_with_inactive_member_off(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN no policy file
    # WHEN showing the effective policy of the company group
    status = main(["policy", "show", "--group-kind", "company"])
    # THEN it prints YAML in which the inactive-member rule is off and the rest are defaults
    out, err = capsys.readouterr()
    shown = yaml.safe_load(out)
    assert status == 0
    assert err == ""
    assert shown["rules"]["inactive_member"]["enabled"] is False
    assert shown["rules"]["inactive_member"]["inactive_days"] == 30
    assert shown["rules"]["overdue_reply"]["deadlines_minutes"]["direct_question"] == 20
    assert shown["calendar"]["timezone"] == "Asia/Shanghai"


def test_cli_show_prints_json_on_request(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN no policy file
    # WHEN showing the default policy as JSON
    status = main(["policy", "show", "--format", "json"])
    # THEN it prints JSON with the documented defaults
    out, _ = capsys.readouterr()
    shown = json.loads(out)
    assert status == 0
    assert shown["rules"]["inactive_member"]["enabled"] is True
    assert shown["rules"]["stale_file"]["stale_file_days"] == 90
    assert shown["files"]["important_min_bytes"] == 5242880
    assert shown["calendar"]["working_hours"] == ["09:00-12:00", "13:30-18:00"]


def test_cli_show_applies_a_group_override(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a policy that shortens one deadline for one group
    path = write_policy(
        tmp_path,
        """
        groups:
          grp-sales:
            rules:
              overdue_reply:
                deadlines_minutes:
                  direct_question: 10
        """,
    )
    # WHEN showing that group's effective policy
    status = main(["policy", "show", "--policy", str(path), "--group-id", "grp-sales", "--format", "json"])
    # THEN the override shows next to the untouched deadlines
    out, _ = capsys.readouterr()
    shown = json.loads(out)
    assert status == 0
    assert shown["rules"]["overdue_reply"]["deadlines_minutes"] == {
        "direct_question": 10,
        "leader_request": 30,
        "public_question": 30,
        "mention": 240,
    }


def test_cli_show_refuses_a_group_with_no_overrides(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a policy with overrides for one group only
    path = write_policy(tmp_path, "groups:\n  grp-sales:\n    rules: {}\n")
    # WHEN showing another group
    status = main(["policy", "show", "--policy", str(path), "--group-id", "grp-other"])
    # THEN it exits 2 and says that group has no overrides
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert (
        err == f"error: {path} is invalid (1 problem(s)):\n  - groups: no overrides for group 'grp-other'\n"
    )


def test_the_tenant_defaults_override_the_built_in_company_profile(tmp_path: Path) -> None:
    # GIVEN a tenant whose defaults switch inactive_member on explicitly
    path = write_policy(tmp_path, "defaults: {rules: {inactive_member: {enabled: true}}}\n")
    # WHEN the company group's effective policy is resolved
    policy = load_policy(path).for_group("company")
    # THEN everything in the file wins over everything built in
    assert policy.rule("inactive_member").enabled is True


def test_a_file_profile_overrides_the_tenant_defaults(tmp_path: Path) -> None:
    # GIVEN defaults of 20 days and a project profile of 40
    path = write_policy(
        tmp_path,
        """
        defaults: {rules: {inactive_member: {inactive_days: 20}}}
        profiles: {project: {rules: {inactive_member: {inactive_days: 40}}}}
        """,
    )
    # WHEN resolved for a project group and a department group
    policies = load_policy(path)
    # THEN the profile wins for its kind only
    assert policies.for_group("project").rule("inactive_member").inactive_days == 40
    assert policies.for_group("department").rule("inactive_member").inactive_days == 20


# --- the holiday arrangement of a year (calendar.years) ----------------------------------

ARRANGEMENT_2027 = """
defaults:
  calendar:
    years:
      2027:
        source: 国务院办公厅关于2027年部分节假日安排的通知 (as the tenant typed it)
        holidays: [2027-01-01, 2027-02-05/2027-02-13]
        workdays: [2027-02-20]
"""


def test_a_year_arrangement_is_read_and_confirms_its_year(tmp_path: Path) -> None:
    # GIVEN a policy with the 2027 arrangement, one date unquoted and one range
    path = write_policy(tmp_path, ARRANGEMENT_2027)
    # WHEN the effective calendar is resolved
    policy = load_policy(path).for_group()
    year = policy.calendar.years[2027]
    # THEN it holds the days as written, and the business clock counts 2027 as confirmed by it
    assert year.holidays == ("2027-01-01", "2027-02-05/2027-02-13")
    assert year.workdays == (date(2027, 2, 20),)
    assert len(year.days_off()) == 10
    assert policy.business_calendar.confirmed_by(2027) == "policy"


def test_a_year_arrangement_drives_the_business_clock(tmp_path: Path) -> None:
    # GIVEN the 2027 arrangement (Spring Festival off 02-05..02-13, Saturday 02-20 worked)
    calendar = load_policy(write_policy(tmp_path, ARRANGEMENT_2027)).for_group().business_calendar
    # WHEN a question on Thursday 2027-02-04 at 17:50 gets 20 minutes, and one on Friday
    # 2027-02-19 at 17:50 too
    before_holiday = calendar.add_minutes(datetime.fromisoformat("2027-02-04T17:50:00+08:00"), 20)
    before_make_up = calendar.add_minutes(datetime.fromisoformat("2027-02-19T17:50:00+08:00"), 20)
    # THEN the first is due after the holiday, the second on the make-up Saturday
    assert before_holiday.isoformat() == "2027-02-15T09:10:00+08:00"
    assert before_make_up.isoformat() == "2027-02-20T09:10:00+08:00"


def test_company_extra_days_still_apply_on_top_of_a_year_arrangement(tmp_path: Path) -> None:
    # GIVEN the 2027 arrangement and a company day off on Monday 2027-02-15
    path = write_policy(tmp_path, ARRANGEMENT_2027 + "    extra_holidays: [2027-02-15]\n")
    calendar = load_policy(path).for_group().business_calendar
    # WHEN a question on Thursday 2027-02-04 at 17:50 gets 20 minutes
    due = calendar.add_minutes(datetime.fromisoformat("2027-02-04T17:50:00+08:00"), 20)
    # THEN the company day off is skipped as well
    assert due.isoformat() == "2027-02-16T09:10:00+08:00"


def test_a_group_layer_changes_one_list_of_a_year_and_keeps_the_other(tmp_path: Path) -> None:
    # GIVEN the 2027 arrangement in the defaults and a group that works Sunday 02-21 instead
    path = write_policy(
        tmp_path,
        ARRANGEMENT_2027 + "groups:\n  g1:\n    calendar: {years: {2027: {workdays: [2027-02-21]}}}\n",
    )
    # WHEN resolved for that group and for another
    policies = load_policy(path)
    g1, other = policies.for_group(group_id="g1"), policies.for_group(group_id="g2")
    # THEN the group's workdays replace the list, and the holidays are the defaults'
    assert g1.calendar.years[2027].workdays == (date(2027, 2, 21),)
    assert g1.calendar.years[2027].holidays == other.calendar.years[2027].holidays
    assert other.calendar.years[2027].workdays == (date(2027, 2, 20),)


def test_an_arrangement_may_start_in_the_last_week_of_the_year_before(tmp_path: Path) -> None:
    # GIVEN a 2027 New Year holiday from 2026-12-31 with Sunday 2026-12-27 worked
    path = write_policy(
        tmp_path,
        """
        defaults:
          calendar:
            years:
              2027: {holidays: [2026-12-31/2027-01-01], workdays: [2026-12-27]}
        """,
    )
    # WHEN the calendar is resolved
    is_workday = load_policy(path).for_group().business_calendar.is_workday
    # THEN those days of 2026 follow the 2027 arrangement
    assert [is_workday(date(2026, 12, 31)), is_workday(date(2026, 12, 27))] == [False, True]


def test_a_year_written_as_text_and_as_a_number_is_one_year(tmp_path: Path) -> None:
    # GIVEN a file that gives 2027 once as a number and once as text, each with one list
    path = write_policy(
        tmp_path,
        """
        defaults:
          calendar:
            years:
              2027: {holidays: [2027-01-01], workdays: [2027-02-20]}
              '2027': {workdays: [2027-02-21]}
        """,
    )
    # WHEN the calendar is resolved
    years = load_policy(path).for_group().calendar.years
    # THEN there is one 2027, merged key by key with the later entry winning
    assert list(years) == [2027]
    assert (years[2027].holidays, years[2027].workdays) == (("2027-01-01",), (date(2027, 2, 21),))


def test_registry_overrides_keyed_by_text_merge_with_the_files_years() -> None:
    # GIVEN a policy file's 2027 (a YAML number) and a group layer from JSON, keyed "2027"
    # and "2028", as the worker merges the registry's overrides
    document = {
        "defaults": {"calendar": {"years": {2027: {"holidays": ["2027-01-01"], "workdays": ["2027-02-20"]}}}},
        "groups": {
            "g1": {
                "calendar": {
                    "years": {"2027": {"workdays": ["2027-02-21"]}, "2028": {"holidays": ["2028-01-01"]}}
                }
            }
        },
    }
    # WHEN the group's policy is resolved
    years = parse_policy(document, "policy with overrides").for_group(group_id="g1").calendar.years
    # THEN the group has one 2027 (its workdays, the file's holidays) and its own 2028
    assert list(years) == [2027, 2028]
    assert (years[2027].holidays, years[2027].workdays) == (("2027-01-01",), (date(2027, 2, 21),))


@pytest.mark.parametrize(
    ("year_text", "problems"),
    [
        pytest.param(
            "2027: {holidays: [2027-01-01, 2026-06-01], workdays: [2028-01-08]}",
            [
                Problem(
                    "defaults.calendar.years.2027.holidays.1",
                    "2026-06-01 is outside 2027 (days of its arrangement lie in it, or from 2026-12-25 on)",
                ),
                Problem(
                    "defaults.calendar.years.2027.workdays.0",
                    "2028-01-08 is outside 2027 (days of its arrangement lie in it, or from 2026-12-25 on)",
                ),
            ],
            id="outside-the-year",
        ),
        pytest.param(
            "2027: {holidays: ['2026-12-30/2027-01-02'], workdays: [2027-01-02]}",
            [
                Problem(
                    "defaults.calendar.years.2027.workdays.0",
                    "2027-01-02 is also a day off in years.2027.holidays",
                )
            ],
            id="both-off-and-on",
        ),
        pytest.param(
            "2026: {holidays: [2026-01-01], workdays: [2026-12-27]}\n"
            "      2027: {holidays: ['2026-12-26/2027-01-01']}",
            [
                Problem(
                    "defaults.calendar.years.2026.workdays.0",
                    "2026-12-27 is also a day off in years.2027.holidays",
                )
            ],
            id="off-in-the-next-years-arrangement",
        ),
        pytest.param(
            "2027: {holidays: [2027-01-01], workdays: [2027-02-17]}",
            [
                Problem(
                    "defaults.calendar.years.2027.workdays.0",
                    "2027-02-17 is a Wednesday, a working day anyway; workdays lists the weekend days "
                    "worked in exchange (调休上班)",
                )
            ],
            id="workday-on-a-weekday",
        ),
        pytest.param(
            "2027: {holidays: ['2027-02-13/2027-02-05']}",
            [
                Problem(
                    "defaults.calendar.years.2027.holidays.0",
                    "range '2027-02-13/2027-02-05' ends before it starts",
                )
            ],
            id="backwards-range",
        ),
        pytest.param(
            "2027: {holidays: ['2027-2-5', 20270101]}",
            [
                Problem(
                    "defaults.calendar.years.2027.holidays.0",
                    "'2027-2-5' is not a date; write a date (YYYY-MM-DD) or a range of dates "
                    "(YYYY-MM-DD/YYYY-MM-DD)",
                ),
                Problem(
                    "defaults.calendar.years.2027.holidays.1",
                    "expected a date or a range; write a date (YYYY-MM-DD) or a range of dates "
                    "(YYYY-MM-DD/YYYY-MM-DD)",
                ),
            ],
            id="not-a-date",
        ),
        pytest.param(
            "2027: {holidays: [2027-01-01], workdays: ['2027-02-30']}",
            [
                Problem(
                    "defaults.calendar.years.2027.workdays.0",
                    "'2027-02-30' is not a date of the calendar",
                )
            ],
            id="no-such-day",
        ),
        pytest.param(
            "2027: {holidays: [2027-01-01 09:00:00]}",
            [
                Problem(
                    "defaults.calendar.years.2027.holidays.0",
                    "2027-01-01T09:00:00 has a time of day; write a date (YYYY-MM-DD)",
                )
            ],
            id="a-time-of-day",
        ),
        pytest.param(
            "2027: {workdays: [2027-02-20]}",
            [
                Problem(
                    "defaults.calendar.years.2027.holidays",
                    "Field required",
                )
            ],
            id="no-holidays-key",
        ),
        pytest.param(
            "2027: {holidays: []}",
            [
                Problem(
                    "defaults.calendar.years.2027.holidays",
                    "no day off listed; an arrangement gives its holidays (at least New Year's Day)",
                )
            ],
            id="no-holidays",
        ),
        pytest.param(
            "next: {holidays: [2027-01-01]}\n      1900: {holidays: [1900-01-01]}",
            [
                Problem("defaults.calendar.years.next", "'next' is not a year from 1950 to 2100"),
                Problem("defaults.calendar.years.1900", "1900 is not a year from 1950 to 2100"),
            ],
            id="not-a-year",
        ),
    ],
)
def test_a_wrong_year_arrangement_names_the_key_and_the_day(
    tmp_path: Path, year_text: str, problems: list[Problem]
) -> None:
    # GIVEN a policy whose arrangement of a year is wrong
    path = write_policy(tmp_path, f"defaults:\n  calendar:\n    years:\n      {year_text}\n")
    # WHEN loading it
    with pytest.raises(InputError) as raised:
        load_policy(path)
    # THEN every problem names its key (down to the list item) and the day
    assert problems_of(raised) == problems


def test_the_policy_schema_describes_the_year_arrangement() -> None:
    # GIVEN the generated JSON Schema of the policy file
    schema = json.loads((Path(__file__).resolve().parents[1] / "docs/schemas/policy.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    good = yaml.safe_load(ARRANGEMENT_2027)
    good["defaults"]["calendar"]["years"] = {"2027": {"holidays": ["2027-01-01", "2027-02-05/2027-02-13"]}}
    bad_key = {"defaults": {"calendar": {"years": {"next": {"holidays": ["2027-01-01"]}}}}}
    bad_range = {"defaults": {"calendar": {"years": {"2027": {"holidays": ["2027-02-05..2027-02-13"]}}}}}
    # WHEN validating a good arrangement, one under a word for a year and one with another range syntax
    errors = [list(validator.iter_errors(document)) for document in (good, bad_key, bad_range)]
    # THEN only the good one passes
    assert [len(found) > 0 for found in errors] == [False, True, True]


def test_cli_show_prints_a_years_dates_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a policy whose 2027 arrangement and company day off are unquoted YAML dates
    path = write_policy(tmp_path, ARRANGEMENT_2027 + "    extra_holidays: [2027-02-15]\n")
    # WHEN the effective policy is shown as JSON
    status = main(["policy", "show", "--policy", str(path), "--format", "json"])
    shown = json.loads(capsys.readouterr().out)
    # THEN the dates are written as YYYY-MM-DD (no traceback)
    assert status == 0
    assert shown["calendar"]["extra_holidays"] == ["2027-02-15"]
    assert shown["calendar"]["years"]["2027"]["holidays"] == ["2027-01-01", "2027-02-05/2027-02-13"]
    assert shown["calendar"]["years"]["2027"]["workdays"] == ["2027-02-20"]


@pytest.mark.parametrize(
    ("key", "value", "bound"),
    [
        ("inactive_member.inactive_days", 10**20, "3660"),
        ("stale_file.stale_file_days", 3661, "3660"),
        ("overdue_reply.deadlines_minutes.mention", 10**9, "527040"),
        ("flooding.rate_window_seconds", 10**12, "604800"),
        ("unbacked_document.backup_within_hours", 1e300, "87840"),
    ],
)
def test_a_period_beyond_its_bound_is_refused_when_read(
    tmp_path: Path, key: str, value: float, bound: str
) -> None:
    # GIVEN a policy whose period would overflow an audit's date arithmetic (a lookback of
    # 10**20 days is past datetime's range)
    rule, *path = key.split(".")
    setting: object = value
    for part in reversed(path):
        setting = {part: setting}
    policy_file = write_policy(tmp_path, yaml.safe_dump({"defaults": {"rules": {rule: setting}}}))
    # WHEN loading it
    with pytest.raises(InputError) as raised:
        load_policy(policy_file)
    # THEN the one problem names the key and the bound
    [problem] = problems_of(raised)
    assert problem.path == f"defaults.rules.{key}"
    assert bound in problem.message


def test_a_period_at_its_bound_is_read() -> None:
    # GIVEN periods exactly at their bounds  WHEN parsed  THEN they are kept as given
    policies = parse_policy(
        {
            "defaults": {
                "rules": {
                    "inactive_member": {"inactive_days": 3660},
                    "flooding": {"rate_window_seconds": 604800},
                }
            }
        },
        "bounds",
    )
    policy = policies.for_group("department", "g")
    assert policy.rule("inactive_member").inactive_days == 3660
    assert policy.rule("flooding").rate_window_seconds == 604800
