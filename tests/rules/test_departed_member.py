"""departed_member: people who left, and other departments' employees in a department group."""

from __future__ import annotations

import json

import msgspec
import pytest

from factories import audit, member, of_rule, policy, snapshot
from groupaudit.loading import decode_snapshot
from groupaudit.render import render_notice


def _person(pid, department="销售部", status="active", left_at=None, name=None):
    return {"id": pid, "name": name or pid, "department": department, "status": status, "left_at": left_at}


def _directory(*people):
    return {
        "schema_version": 1,
        "people": list(people),
        "departments": [
            {"name": "销售部", "head_id": "u-head-sales"},
            {"name": "研发部", "head_id": "u-head-rd"},
        ],
        "leader_ids": ["u-ceo"],
        "admin_center_department": "行政中心",
    }


def _findings(people, members=None, now=None, policies=None, lang="zh", **group):
    members = members or [member(p["id"], f"{p['department']}+{p['name']}") for p in people]
    group.setdefault("department", "销售部")
    report = audit(
        snapshot(members, **group), directory_doc=_directory(*people), now=now, policies=policies, lang=lang
    )
    return of_rule(report, "departed_member")


@pytest.mark.parametrize(
    ("left_at", "departed"), [("2026-11-19", True), ("2026-11-20", True), ("2026-11-21", False)]
)
def test_a_departure_counts_from_its_date_not_before(left_at, departed):
    # GIVEN 郭涛, departed as of `left_at`, still in the group; the audit is on 2026-11-20
    people = [_person("u-guo", status="departed", left_at=left_at, name="郭涛")]
    # WHEN audited
    findings = _findings(people)
    # THEN he is flagged from his leaving day on, a future departure is not one yet
    assert [(f.kind, f.subject_id, f.severity) for f in findings] == (
        [("departed", "u-guo", "violation")] if departed else []
    )


def test_the_leaving_day_is_the_tenants_local_date():
    # GIVEN a departure on 11-20 and an audit at 00:30 on 11-20 in Shanghai (still 11-19 in UTC)
    people = [_person("u-guo", status="departed", left_at="2026-11-20", name="郭涛")]
    # THEN it is already the leaving day
    assert [f.kind for f in _findings(people, now="2026-11-20T00:30:00+08:00")] == ["departed"]


def test_a_departure_without_a_date_counts_and_the_summary_says_so():
    # GIVEN a departed person with no leaving date
    people = [_person("u-guo", status="departed", name="郭涛")]
    (zh,) = _findings(people)
    (en,) = _findings(people, lang="en")
    # THEN the finding is made, without a date in either language
    assert zh.summary == "销售部+郭涛 已离职，仍在群内，请群管理员将其移出"
    assert en.summary == "销售部+郭涛 left the company and is still in the group; admins, please remove them"
    assert (zh.evidence["directory_status"], zh.evidence["left_at"]) == ("departed", None)
    assert zh.policy_ref == "000 二(三)1; 001 二.3"


def test_the_evidence_holds_the_directory_entry_and_the_join_time():
    # GIVEN in the 销售部 group: 郭涛, departed 2026-11-19, who joined 11-01 09:00 Beijing time;
    # and 钱七 of 研发部, whose directory entry gives no status (an active employee)
    people = [
        _person("u-guo", status="departed", left_at="2026-11-19", name="郭涛"),
        {"id": "u-qian", "name": "钱七", "department": "研发部"},
    ]
    members = [member("u-guo", "销售部+郭涛", joined_at="2026-11-01T01:00:00Z"), member("u-qian", "钱七")]
    # WHEN audited
    evidence = {f.subject_id: f.evidence for f in _findings(people, members=members)}
    # THEN each evidence names the member as shown and as listed, the departure date and the join
    # time in the tenant's zone
    assert evidence == {
        "u-guo": {
            "display_name": "销售部+郭涛",
            "directory_name": "郭涛",
            "directory_status": "departed",
            "left_at": "2026-11-19",
            "directory_department": "销售部",
            "group_department": "销售部",
            "joined_at": "2026-11-01T09:00:00+08:00",
        },
        "u-qian": {
            "display_name": "钱七",
            "directory_name": "钱七",
            "directory_status": "active",
            "left_at": None,
            "directory_department": "研发部",
            "group_department": "销售部",
            "joined_at": None,
            "notice": "report_only",  # another department's employee: in the report, not the notice
        },
    }


def test_an_employee_of_another_department_in_a_department_group_is_info():
    # GIVEN a 研发部 engineer in the 销售部 group
    (finding,) = _findings([_person("u-qian", department="研发部", name="钱七")])
    # THEN it is an info finding naming both departments
    assert (finding.kind, finding.severity, finding.subject_id) == ("other_department", "info", "u-qian")
    assert finding.summary == "研发部+钱七 属于研发部，不是销售部成员，请确认是否仍需留在本部门群"
    assert (finding.evidence["directory_department"], finding.evidence["group_department"]) == (
        "研发部",
        "销售部",
    )


@pytest.mark.parametrize(
    ("person", "why"),
    [
        (_person("u-ceo", department="总经办"), "a company leader"),
        (_person("u-head-rd", department="研发部"), "another department's head"),
        (_person("u-zheng", department="行政中心"), "the admin centre"),
        (_person("u-hr", department="人力资源部"), "an allowed department"),
        (_person("u-x", department=None), "no department in the directory"),
        (_person("u-ma", department="研发部", status="departed", left_at="2026-12-01"), "leaving later"),
    ],
)
def test_who_may_be_in_any_department_group(person, why):
    # GIVEN a member who is not of 销售部 but is `why`
    policies = policy({"departed_member": {"allowed_departments": ["人力资源部"]}})
    # THEN nothing is found
    assert _findings([person], members=[member(person["id"], "x+y")], policies=policies) == [], why


def test_only_department_groups_have_an_other_department():
    # GIVEN a 研发部 engineer in a project group (no group.department)
    findings = _findings([_person("u-qian", department="研发部")], kind="project", department=None)
    # THEN nothing is found
    assert findings == []


def test_exempt_members_bots_and_non_employees_are_skipped_but_a_departure_is_not():
    # GIVEN an exempt engineer of another department, a bot, an outsider, and an exempt departed member
    people = [
        _person("u-qian", department="研发部"),
        _person("u-guo", status="departed", left_at="2026-10-31"),
    ]
    members = [member("u-qian"), member("u-bot", is_bot=True), member("ext-1"), member("u-guo")]
    findings = _findings(people, members=members, exempt_member_ids=["u-qian", "u-guo"])
    # THEN only the departure is found: an exemption does not keep someone who left in the group
    assert [(f.subject_id, f.kind) for f in findings] == [("u-guo", "departed")]


def test_other_department_severity_is_a_setting():
    # GIVEN the policy raises other_department to warning
    policies = policy({"departed_member": {"other_department_severity": "warning"}})
    # THEN the finding has that severity
    assert [f.severity for f in _findings([_person("u-qian", department="研发部")], policies=policies)] == [
        "warning"
    ]


def test_without_a_directory_the_rule_is_skipped():
    # GIVEN no directory
    report = audit(snapshot([member("u-guo")], department="销售部"))
    # THEN the rule did not run, and says why
    assert "departed_member" not in report.rules_run
    assert ("departed_member", "no directory") in [(s.rule, s.reason) for s in report.rules_skipped]


def test_the_notice_asks_the_admins_and_leaves_other_departments_in_the_report():
    # GIVEN a departed member and another department's engineer in the 销售部 group
    people = [
        _person("u-guo", status="departed", left_at="2026-10-31", name="郭涛"),
        _person("u-qian", department="研发部"),
    ]
    members = [
        member("u-head-sales", "销售部+刘强"),
        member("u-guo", "销售部+郭涛"),
        member("u-qian", "研发部+钱七"),
    ]
    snap = snapshot(members, department="销售部", admin_ids=["u-head-sales"])
    report = audit(snap, directory_doc=_directory(*people))
    report = msgspec.structs.replace(report, findings=of_rule(report, "departed_member"))
    # WHEN the notice of its departed_member findings is rendered
    notice = render_notice(report, decode_snapshot(json.dumps(snap).encode()))
    # THEN it tells the admin about the departure only, and not the departed member
    assert notice is not None
    assert [rule for rule, _ in notice.findings] == ["departed_member"]
    assert notice.mention_ids == ("u-head-sales",)
