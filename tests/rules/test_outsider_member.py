"""outsider_member: non-employees in internal groups, unless allowed."""

from __future__ import annotations

import json

import msgspec
import pytest

from factories import audit, member, of_rule, policy, snapshot
from groupaudit.loading import decode_snapshot
from groupaudit.render import render_notice

DIRECTORY = {
    "schema_version": 1,
    "people": [{"id": "u-qian", "name": "钱七", "department": "研发部", "status": "active"}],
}
MEMBERS = [
    member("u-qian", "研发部+钱七"),
    member("ext-vendor", "外包-赵工"),
    member("u-bot", "机器人", is_bot=True),
]


def _report(kind="project", policies=None, lang="zh", **group):
    snap = snapshot(MEMBERS, kind=kind, admin_ids=["u-qian"], **group)
    return audit(snap, directory_doc=DIRECTORY, policies=policies, lang=lang), snap


def test_a_member_absent_from_the_directory_is_an_outsider():
    # GIVEN a vendor's engineer in a project group, beside an employee and a bot
    report, _ = _report()
    (finding,) = of_rule(report, "outsider_member")
    # THEN the vendor is flagged, the bot is not
    assert (finding.subject_id, finding.severity, finding.kind) == ("ext-vendor", "violation", None)
    assert (
        finding.summary
        == "外包-赵工（ext-vendor）不在公司通讯录中，也不在本群允许的外部成员名单内，请群管理员核实或将其移出"
    )
    assert finding.policy_ref == "003 第三章 1.2, 2.4"
    assert (finding.evidence["in_directory"], finding.evidence["group_kind"]) == (False, "project")


def test_the_evidence_names_each_outsider_with_their_join_time_and_role():
    # GIVEN two outsiders in a project group: one joined at a known time with no role, one admin
    members = [
        member("u-qian", "研发部+钱七"),
        member("ext-vendor", "外包-赵工", joined_at="2026-11-01T01:00:00Z"),
        member("ext-admin", "外包-钱工", role="admin"),
    ]
    report = audit(snapshot(members, kind="project"), directory_doc=DIRECTORY)
    # WHEN audited
    evidence = {f.subject_id: f.evidence for f in of_rule(report, "outsider_member")}
    # THEN each finding's evidence is exactly what the table and the notice read: the join time
    # in the tenant's zone, "member" for no role, and never an allowed external
    assert evidence == {
        "ext-vendor": {
            "display_name": "外包-赵工",
            "in_directory": False,
            "allowed_external": False,
            "joined_at": "2026-11-01T09:00:00+08:00",
            "role": "member",
            "group_kind": "project",
        },
        "ext-admin": {
            "display_name": "外包-钱工",
            "in_directory": False,
            "allowed_external": False,
            "joined_at": None,
            "role": "admin",
            "group_kind": "project",
        },
    }


def test_the_english_summary_names_the_member_and_the_remedy():
    report, _ = _report(lang="en")
    (finding,) = of_rule(report, "outsider_member")
    assert finding.summary == (
        "外包-赵工 (ext-vendor) is not in the company directory nor on the group's allowed external "
        "members; admins, please check or remove them"
    )


@pytest.mark.parametrize(
    ("group", "settings"),
    [
        ({"allowed_external_ids": ["ext-vendor"]}, None),
        ({}, {"outsider_member": {"allowed_external_ids": ["ext-vendor"]}}),
    ],
    ids=["group-list", "policy-list"],
)
def test_an_allowed_external_is_no_outsider(group, settings):
    # GIVEN the vendor on the group's list, or on the policy's
    report, _ = _report(policies=policy(settings), **group)
    # THEN nothing is found
    assert of_rule(report, "outsider_member") == []


def test_operations_groups_admit_outsiders_by_default_and_a_policy_can_check_them():
    # GIVEN the vendor in an operations group
    default, _ = _report(kind="operations")
    checked, _ = _report(
        kind="operations",
        policies=policy(profiles={"operations": {"rules": {"outsider_member": {"enabled": True}}}}),
    )
    # THEN by default the rule is off there; a tenant can turn it on
    assert ("outsider_member", "disabled by policy") in [(s.rule, s.reason) for s in default.rules_skipped]
    assert [f.subject_id for f in of_rule(checked, "outsider_member")] == ["ext-vendor"]


def test_without_a_directory_nobody_is_called_an_outsider():
    # GIVEN no directory
    report = audit(snapshot(MEMBERS, kind="project"))
    # THEN the rule is skipped with its reason
    assert ("outsider_member", "no directory") in [(s.rule, s.reason) for s in report.rules_skipped]
    assert of_rule(report, "outsider_member") == []


def test_the_notice_asks_the_admins_not_the_outsider():
    # GIVEN the vendor's finding
    report, snap = _report()
    report = msgspec.structs.replace(report, findings=of_rule(report, "outsider_member"))
    # WHEN the notice is rendered
    notice = render_notice(report, decode_snapshot(json.dumps(snap).encode()))
    # THEN there is a notice; the group's admin is mentioned, the vendor is not
    assert notice is not None
    assert notice.mention_ids == ("u-qian",)
