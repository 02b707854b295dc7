"""group_governance: the owner is an active employee; groups are created by those authorised."""

from __future__ import annotations

import json

import msgspec
import pytest

from factories import audit, member, of_rule, policy, snapshot
from groupaudit.loading import decode_snapshot
from groupaudit.render import render_notice

PEOPLE = [
    ("u-ceo", "总经办"),
    ("u-head-rd", "研发部"),
    ("u-admin-head", "行政中心"),
    ("u-zheng", "行政中心"),
]


def _directory(*extra):
    people = [{"id": pid, "name": pid, "department": dept, "status": "active"} for pid, dept in PEOPLE]
    return {
        "schema_version": 1,
        "people": people + list(extra),
        "departments": [
            {"name": "研发部", "head_id": "u-head-rd"},
            {"name": "行政中心", "head_id": "u-admin-head"},
        ],
        "leader_ids": ["u-ceo"],
        "admin_center_department": "行政中心",
    }


def _findings(kind="project", directory=None, policies=None, lang="zh", **group):
    snap = snapshot([member("u-head-rd", "研发部+赵敏")], kind=kind, **group)
    return of_rule(
        audit(snap, directory_doc=directory or _directory(), policies=policies, lang=lang), "group_governance"
    )


@pytest.mark.parametrize(
    ("left_at", "flagged"), [("2026-11-19", True), ("2026-11-20", True), ("2026-11-21", False)]
)
def test_an_owner_who_has_left_is_flagged_from_the_leaving_day(left_at, flagged):
    # GIVEN a group owned by someone who leaves on `left_at`; the audit is on 2026-11-20
    gone = {"id": "u-guo", "name": "郭涛", "department": "销售部", "status": "departed", "left_at": left_at}
    findings = _findings(kind="department", directory=_directory(gone), owner_id="u-guo")
    # THEN the owner is flagged once they have left
    assert [(f.kind, f.subject_id) for f in findings] == ([("owner_inactive", "u-guo")] if flagged else [])
    if flagged:
        assert findings[0].policy_ref == "003 第三章 1.2"
        assert findings[0].evidence["owner_status"] == "departed"


def test_an_owner_absent_from_the_directory_is_flagged():
    # GIVEN a group owned by someone the directory does not know
    (finding,) = _findings(kind="department", owner_id="ext-1", lang="en")
    # THEN the finding says so
    assert (finding.kind, finding.subject_id, finding.severity) == ("owner_inactive", "ext-1", "violation")
    assert finding.evidence["owner_status"] == "not_in_directory"
    assert finding.summary == (
        "The group's owner ext-1 is not in the company directory; the owner must be an active "
        "employee: admins, please transfer ownership"
    )


@pytest.mark.parametrize(
    ("kind", "creator", "flagged"),
    [
        ("project", "u-head-rd", True),
        ("other", "u-head-rd", True),
        ("project", "u-zheng", True),  # the admin centre, but not its head
        ("department", "u-head-rd", False),
        ("project", "u-ceo", False),
        ("meeting", "u-admin-head", False),
    ],
)
def test_who_may_create_a_group(kind, creator, flagged):
    # GIVEN a group of `kind` created by `creator`
    findings = _findings(kind=kind, created_by=creator)
    # THEN only a non-department group by someone unauthorised is flagged, on its creator
    assert [(f.kind, f.subject_id) for f in findings] == (
        [("unauthorised_creator", creator)] if flagged else []
    )


def test_the_policy_can_authorise_creators():
    # GIVEN the R&D head authorised in the policy
    policies = policy({"group_governance": {"authorised_creator_ids": ["u-head-rd"]}})
    # THEN the project group they created is fine
    assert _findings(created_by="u-head-rd", policies=policies) == []


def test_an_unauthorised_creator_finding_names_the_clause_and_who_may_create():
    # GIVEN a project group created by the R&D head
    (finding,) = _findings(created_by="u-head-rd", created_at="2025-03-01T10:00:00+08:00")
    # THEN the evidence lists the authorised creators, and the summary names the group kind in Chinese
    assert finding.policy_ref == "003 第三章 1.1"
    assert finding.evidence["authorised_creators"] == ["u-ceo", "u-admin-head"]
    assert finding.evidence["created_at"] == "2025-03-01T10:00:00+08:00"
    assert finding.summary.startswith("本项目群由 研发部+赵敏 创建，其不在授权建群人员之列")


def test_a_group_that_names_no_owner_or_creator_gives_nothing():
    # GIVEN a project group with neither owner_id nor created_by
    # THEN nothing can be said
    assert _findings() == []


def test_without_a_directory_the_rule_is_skipped():
    report = audit(snapshot([member("u-1")], kind="project", created_by="u-1", owner_id="u-1"))
    assert ("group_governance", "no directory") in [(s.rule, s.reason) for s in report.rules_skipped]
    assert of_rule(report, "group_governance") == []


def test_the_notice_asks_the_creator_for_authorisation_and_the_admins_for_a_new_owner():
    # GIVEN a project group created by the R&D head, owned by someone absent from the directory
    members = [
        member("u-head-rd", "研发部+赵敏"),
        member("u-zheng", "行政中心+郑一"),
        member("ext-1", "外包-赵工"),
    ]
    snap = snapshot(members, kind="project", created_by="u-head-rd", owner_id="ext-1", admin_ids=["u-zheng"])
    report = audit(snap, directory_doc=_directory())
    findings = of_rule(report, "group_governance")
    parsed = decode_snapshot(json.dumps(snap).encode())
    # WHEN each finding's notice is rendered
    notices = {f.kind: render_notice(msgspec.structs.replace(report, findings=[f]), parsed) for f in findings}
    mentions = {kind: notice.mention_ids for kind, notice in notices.items() if notice is not None}
    # THEN the creator is asked for the first, the group's admins for the second
    assert mentions == {"unauthorised_creator": ("u-head-rd",), "owner_inactive": ("u-zheng",)}
