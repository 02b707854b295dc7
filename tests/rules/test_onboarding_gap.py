"""onboarding_gap: a new hire missing from the company group or their department's group after
day 5, found by the tenant pass in the group they are missing from."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from factories import member, policy, snapshot
from groupaudit.cli import main
from groupaudit.engine import TENANT_WIDE
from groupaudit.loading import decode_directory, decode_snapshot
from groupaudit.rules.base import Mentions
from groupaudit.tenantwide import GroupView, run_tenant_rules, with_tenant_rules

AUDIT_DAY = "2026-11-20T18:00:00+08:00"


def _directory(*people: tuple[str, str | None, str | None, str]) -> dict:
    """people: (id, department, hired_at, status)."""
    return {
        "schema_version": 1,
        "tenant_id": "acme",
        "people": [
            {"id": pid, "name": f"名{pid}", "department": dept, "hired_at": hired, "status": status}
            for pid, dept, hired, status in people
        ],
    }


def _group(group_id: str, kind: str, members: list[str], department: str | None = None) -> dict:
    snap = snapshot([member(m, m) for m in members], kind=kind, group_id=group_id, owner_id="u-owner")
    if department:
        snap["group"]["department"] = department
    return snap


def _findings(groups: list[dict], directory_doc: dict, policies=None) -> list[tuple]:
    directory = decode_directory(json.dumps(directory_doc).encode())
    out = []
    for snap in groups:
        parsed = decode_snapshot(json.dumps(snap).encode())
        result = run_tenant_rules(GroupView.of(parsed), policies=policies or policy(), directory=directory)
        out += [(result.group_id, f.kind, f.subject_id, f.evidence["day"]) for f in result.findings]
    return sorted(out)


@pytest.mark.parametrize(
    ("hired", "day", "late"),
    [
        ("2026-11-14", 7, True),
        ("2026-11-15", 6, True),  # day 6: more than 5 days
        ("2026-11-16", 5, False),  # day 5: still in time
        ("2026-09-22", 60, True),  # day 60: the last day looked back on
        ("2026-09-21", 61, False),  # day 61: beyond onboarding_lookback_days
        ("2026-11-21", 0, False),  # hired tomorrow
    ],
)
def test_a_hire_is_late_from_day_6_until_day_60(hired, day, late):
    # GIVEN a 销售部 hire missing from the 销售部 group
    groups = [_group("grp-sales", "department", ["u-owner"], "销售部")]
    directory_doc = _directory(("u-new", "销售部", hired, "active"))
    # WHEN the tenant pass runs on 2026-11-20
    found = _findings(groups, directory_doc)
    # THEN a finding only from day 6 to day 60
    assert found == ([("grp-sales", "department_group", "u-new", day)] if late else [])


def test_the_evidence_names_the_hire_the_day_and_who_should_add_them():
    # GIVEN a 销售部 hire of 2026-11-14, missing from the 销售部 group that u-owner owns
    groups = [_group("grp-sales", "department", ["u-owner"], "销售部")]
    directory = decode_directory(json.dumps(_directory(("u-new", "销售部", "2026-11-14", "active"))).encode())
    # WHEN the tenant pass runs on 2026-11-20
    parsed = decode_snapshot(json.dumps(groups[0]).encode())
    result = run_tenant_rules(GroupView.of(parsed), policies=policy(), directory=directory)
    # THEN the evidence holds the directory's name, department and hire date, the day of the
    # onboarding, the group's kind and its owner (whom the notice asks to add the hire)
    (finding,) = result.findings
    assert finding.evidence == {
        "name": "名u-new",
        "department": "销售部",
        "hired_at": "2026-11-14",
        "day": 7,
        "group_kind": "department",
        "owner_id": "u-owner",
    }


def test_one_finding_per_missing_group_in_that_group():
    # GIVEN two company groups, the 销售部 and 研发部 groups, a project group, and a 销售部 hire
    # who is in the first company group only
    groups = [
        _group("grp-all-1", "company", ["u-owner", "u-new"]),
        _group("grp-all-2", "company", ["u-owner"]),
        _group("grp-sales", "department", ["u-owner"], "销售部"),
        _group("grp-rd", "department", ["u-owner"], "研发部"),
        _group("grp-proj", "project", ["u-owner"]),
    ]
    directory_doc = _directory(("u-new", "销售部", "2026-11-10", "active"))
    # WHEN the tenant pass runs
    found = _findings(groups, directory_doc)
    # THEN the second company group and the 销售部 group each hold one finding; nothing elsewhere
    assert found == [
        ("grp-all-2", "company_group", "u-new", 11),
        ("grp-sales", "department_group", "u-new", 11),
    ]


def test_departed_and_undated_people_are_not_new_hires():
    groups = [_group("grp-all", "company", ["u-owner"])]
    directory_doc = _directory(
        ("u-gone", "销售部", "2026-11-10", "departed"), ("u-old", "销售部", None, "active")
    )
    assert _findings(groups, directory_doc) == []


def test_the_days_come_from_the_policy():
    groups = [_group("grp-all", "company", ["u-owner"])]
    directory_doc = _directory(("u-new", "销售部", "2026-11-18", "active"))  # day 3
    policies = policy({"onboarding_gap": {"onboarding_days": 2}})
    assert _findings(groups, directory_doc, policies) == [("grp-all", "company_group", "u-new", 3)]


def test_the_notice_asks_the_missing_group_s_owner_in_both_languages():
    groups = [_group("grp-all", "company", ["u-owner"])]
    directory = decode_directory(json.dumps(_directory(("u-new", "销售部", "2026-11-10", "active"))).encode())
    parsed = decode_snapshot(json.dumps(groups[0]).encode())
    view = GroupView.of(parsed)
    (zh,) = run_tenant_rules(view, policies=policy(), directory=directory).findings
    (en,) = run_tenant_rules(view, policies=policy(), directory=directory, lang="en").findings
    assert (
        zh.summary
        == "新员工 名u-new（销售部，2026-11-10 入职，今天第 11 天）尚未加入公司总群，请群主将其拉入"
    )
    assert en.summary == (
        "New hire 名u-new (销售部, hired 2026-11-10, day 11) is not in the company group yet; "
        "owner, please add them"
    )
    from groupaudit.rules import REGISTRY

    assert REGISTRY["onboarding_gap"].mentions(zh).member_ids == ("u-owner",)
    assert (zh.severity, zh.policy_ref, zh.message_id, zh.file_id) == (
        "warning",
        "003 第三章 2.1",
        None,
        None,
    )


def test_a_single_snapshot_lists_it_as_skipped_and_the_tenant_pass_as_run(capsys, tmp_path):
    # GIVEN a company group missing a new hire
    snap = _group("grp-all", "company", ["u-owner"])
    (tmp_path / "snapshots").mkdir()
    (tmp_path / "snapshots" / "all.json").write_text(json.dumps(snap), encoding="utf-8")
    directory_doc = _directory(("u-new", "销售部", "2026-11-10", "active"))
    (tmp_path / "directory.json").write_text(json.dumps(directory_doc), encoding="utf-8")
    # WHEN audited alone, and as a tenant
    single = str(tmp_path / "snapshots" / "all.json")
    assert main(["audit", single, "--directory", str(tmp_path / "directory.json"), "--format", "json"]) == 0
    alone = json.loads(capsys.readouterr().out)
    assert main(["audit-all", str(tmp_path), "--format", "json"]) == 0
    [tenant] = json.loads(capsys.readouterr().out)  # one document: the array of the reports
    # THEN alone it is skipped as tenant-wide; in the tenant pass it ran and found the hire
    assert {"rule": "onboarding_gap", "reason": TENANT_WIDE} in alone["rules_skipped"]
    assert "onboarding_gap" not in alone["rules_run"]
    assert "onboarding_gap" in tenant["rules_run"]
    assert all(s["rule"] != "onboarding_gap" for s in tenant["rules_skipped"])
    found = [(f["rule"], f["subject_id"]) for f in tenant["findings"] if f["rule"] == "onboarding_gap"]
    assert found == [("onboarding_gap", "u-new")]


def test_without_a_directory_the_tenant_pass_says_why_it_did_not_run():
    parsed = decode_snapshot(json.dumps(_group("grp-all", "company", ["u-owner"])).encode())
    result = run_tenant_rules(GroupView.of(parsed), policies=policy(), directory=None)
    assert [(s.rule, s.reason) for s in result.rules_skipped] == [("onboarding_gap", "no directory")]
    assert result.findings == [] and result.rules_run == []


def test_merging_keeps_the_report_s_findings_and_replaces_the_tenant_wide_skip():
    # GIVEN a company group's report, in which onboarding_gap is skipped as tenant-wide
    from factories import audit

    snap = _group("grp-all", "company", ["u-owner"])
    report = audit(snap)
    parsed = decode_snapshot(json.dumps(snap).encode())
    directory_doc = _directory(("u-new", "销售部", "2026-11-10", "active"))
    directory = decode_directory(json.dumps(directory_doc).encode())
    # WHEN the tenant pass's result is merged into it
    merged = with_tenant_rules([(parsed, report)], policies=policy(), directory=directory)[0][1]
    # THEN the rule is run, in registry order, and its finding is added to the report's
    assert [s.rule for s in report.rules_skipped if s.reason == TENANT_WIDE] == ["onboarding_gap"]
    assert all(s.reason != TENANT_WIDE for s in merged.rules_skipped)
    assert [r for r in merged.rules_run if r != "onboarding_gap"] == report.rules_run
    assert merged.rules_run.index("onboarding_gap") < merged.rules_run.index("flooding")
    assert [f.rule for f in merged.findings] == [*(f.rule for f in report.findings), "onboarding_gap"]


def test_a_department_group_that_names_no_department_holds_no_finding():
    # GIVEN a department group that names no department, and late hires without a department
    groups = [_group("grp-dept", "department", ["u-owner"])]
    directory_doc = _directory(("u-a", None, "2026-11-10", "active"), ("u-b", "", "2026-11-10", "active"))
    # WHEN the tenant pass runs
    # THEN nobody is owed to it: a group of no department is nobody's department group
    assert _findings(groups, directory_doc) == []


def test_the_day_is_counted_in_the_tenant_s_zone():
    # GIVEN a 销售部 hire of 11-15 and an audit at 07:00 Beijing time on 11-20 (still 11-19 in UTC)
    snap = _group("grp-sales", "department", ["u-owner"], "销售部")
    directory = decode_directory(json.dumps(_directory(("u-new", "销售部", "2026-11-15", "active"))).encode())
    parsed = decode_snapshot(json.dumps(snap).encode())
    # WHEN the tenant pass runs at that moment
    result = run_tenant_rules(
        GroupView.of(parsed),
        policies=policy(),
        directory=directory,
        now=datetime.fromisoformat("2026-11-20T07:00:00+08:00"),
    )
    # THEN it is the hire's day 6 (the tenant's date), so late
    assert [(f.subject_id, f.evidence["day"]) for f in result.findings] == [("u-new", 6)]


def test_people_passed_over_do_not_stop_the_check_of_the_people_after_them():
    # GIVEN a departed person, a hire already in the group and another department's hire listed
    # before two late 销售部 hires
    groups = [_group("grp-sales", "department", ["u-owner", "u-in"], "销售部")]
    directory_doc = _directory(
        ("u-gone", "销售部", "2026-11-10", "departed"),
        ("u-late-1", "销售部", "2026-11-10", "active"),
        ("u-in", "销售部", "2026-11-10", "active"),
        ("u-rd", "研发部", "2026-11-10", "active"),
        ("u-late-2", "销售部", "2026-11-12", "active"),
    )
    # WHEN the tenant pass runs
    # THEN both late hires are found
    assert _findings(groups, directory_doc) == [
        ("grp-sales", "department_group", "u-late-1", 11),
        ("grp-sales", "department_group", "u-late-2", 9),
    ]


def test_a_hire_without_a_department_is_owed_to_the_company_group_and_shown_with_a_dash():
    # GIVEN a company group and a late hire the directory gives no department
    snap = _group("grp-all", "company", ["u-owner"])
    directory = decode_directory(json.dumps(_directory(("u-new", None, "2026-11-10", "active"))).encode())
    parsed = decode_snapshot(json.dumps(snap).encode())
    # WHEN the tenant pass runs
    (finding,) = run_tenant_rules(GroupView.of(parsed), policies=policy(), directory=directory).findings
    # THEN the summary shows a dash for the department and the evidence holds none
    assert finding.summary == (
        "新员工 名u-new（—，2026-11-10 入职，今天第 11 天）尚未加入公司总群，请群主将其拉入"
    )
    assert finding.evidence["department"] is None


def test_a_group_without_an_owner_asks_its_administrators():
    # GIVEN a company group with no owner, and a late hire
    snap = _group("grp-all", "company", ["u-owner"])
    del snap["group"]["owner_id"]
    directory = decode_directory(json.dumps(_directory(("u-new", "销售部", "2026-11-10", "active"))).encode())
    parsed = decode_snapshot(json.dumps(snap).encode())
    # WHEN the tenant pass runs
    (finding,) = run_tenant_rules(GroupView.of(parsed), policies=policy(), directory=directory).findings
    # THEN the notice @-mentions the group's administrators, nobody by id
    from groupaudit.rules import REGISTRY

    assert finding.evidence["owner_id"] is None
    assert REGISTRY["onboarding_gap"].mentions(finding) == Mentions((), admins=True)
