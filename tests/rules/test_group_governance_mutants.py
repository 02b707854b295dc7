"""group_governance: the finding ids, the evidence and the summaries, value by value.

Written against the mutants `make mutate` left alive (docs/BENCHMARKS.md, "Mutation testing"):
each test names the false or lost finding, or the wrong notice, a surviving mutant would cause.
"""

from __future__ import annotations

import time

import pytest

from factories import audit, member, of_rule, snapshot
from groupaudit.rules.base import finding_id

PEOPLE = [
    {"id": "u-ceo", "name": "陈建国", "department": "总经办", "status": "active"},
    {"id": "u-admin-head", "name": "孙丽", "department": "行政中心", "status": "active"},
    {"id": "u-head-rd", "name": "赵敏", "department": "研发部", "status": "active"},
]


def _directory(*extra):
    return {
        "schema_version": 1,
        "people": PEOPLE + list(extra),
        "departments": [{"name": "行政中心", "head_id": "u-admin-head"}],
        "leader_ids": ["u-ceo"],
        "admin_center_department": "行政中心",
    }


def _departed(left_at):
    """郭涛 of 销售部, departed on ``left_at`` (None: the directory gives no date)."""
    gone = {"id": "u-guo", "name": "郭涛", "department": "销售部", "status": "departed"}
    return {**gone, "left_at": left_at} if left_at else gone


def _findings(directory=None, lang="zh", now=None, **group):
    members = [member("u-head-rd", "研发部+赵敏"), member("u-guo", "销售部+郭涛")]
    snap = snapshot(members, **group)
    report = audit(snap, directory_doc=directory or _directory(), lang=lang, now=now)
    return of_rule(report, "group_governance")


@pytest.fixture
def machine_in_utc(monkeypatch):
    """The machine's own zone set to UTC, as on Lambda, whatever this machine's is."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_finding_ids_are_fixed_by_kind_and_person():
    # GIVEN a project group created by the R&D head and owned by someone absent from the directory
    findings = _findings(kind="project", owner_id="ext-1", created_by="u-head-rd")
    # WHEN it is audited
    ids = {f.kind: f.id for f in findings}
    # THEN each finding's id is the documented hash of its kind and person: a changed id would
    # make the stored finding a new one, notified again and its first warning forgotten
    assert ids == {
        "owner_inactive": finding_id("acme", "grp-test", "group_governance", "owner_inactive", "ext-1"),
        "unauthorised_creator": finding_id(
            "acme", "grp-test", "group_governance", "unauthorised_creator", "u-head-rd"
        ),
    }


def test_the_evidence_of_a_departed_owner_is_complete():
    # GIVEN a department group owned by 郭涛, who left on 10-31, with 赵敏 as its administrator
    gone = _departed("2026-10-31")
    # WHEN it is audited
    (finding,) = _findings(_directory(gone), kind="department", owner_id="u-guo", admin_ids=["u-head-rd"])
    # THEN the evidence names the owner, their status, the leaving date and who can transfer the group
    assert finding.evidence == {
        "owner_id": "u-guo",
        "owner_name": "销售部+郭涛",
        "owner_status": "departed",
        "left_at": "2026-10-31",
        "admin_ids": ["u-head-rd"],
    }


@pytest.mark.parametrize(
    ("lang", "left_at", "summary"),
    [
        ("zh", "2026-10-31", "群主 销售部+郭涛 已于 2026-10-31 离职，群主须为在职员工，请群管理员转让群主"),
        ("zh", None, "群主 销售部+郭涛 已离职，群主须为在职员工，请群管理员转让群主"),
        (
            "en",
            "2026-10-31",
            "The group's owner 销售部+郭涛 left the company on 2026-10-31; the owner must be an active "
            "employee: admins, please transfer ownership",
        ),
        (
            "en",
            None,
            "The group's owner 销售部+郭涛 left the company; the owner must be an active employee: "
            "admins, please transfer ownership",
        ),
    ],
)
def test_the_summary_of_a_departed_owner_gives_the_leaving_date_when_known(lang, left_at, summary):
    # GIVEN a group owned by 郭涛, departed on `left_at` (None: the directory gives no date)
    gone = _departed(left_at)
    # WHEN it is audited in `lang`
    (finding,) = _findings(_directory(gone), lang=lang, kind="department", owner_id="u-guo")
    # THEN the summary names the owner and the date, and reads whole without one (no "已于  离职")
    assert finding.summary == summary


def test_the_leaving_day_is_the_tenant_s_day(machine_in_utc):
    # GIVEN an owner leaving on 11-20, audited at 07:00 Beijing time on 11-20 (still 11-19 in UTC)
    directory = _directory(_departed("2026-11-20"))
    # WHEN it is audited
    findings = _findings(directory, now="2026-11-20T07:00:00+08:00", kind="department", owner_id="u-guo")
    # THEN the owner has left (the tenant's date; the machine's would lose the finding for a day)
    assert [(f.kind, f.subject_id) for f in findings] == [("owner_inactive", "u-guo")]


def test_the_evidence_of_an_unauthorised_creator_is_complete():
    # GIVEN a meeting group created by the R&D head on 2025-03-01
    # WHEN it is audited
    (finding,) = _findings(kind="meeting", created_by="u-head-rd", created_at="2025-03-01T02:00:00Z")
    # THEN the evidence names the creator, when, the group's kind and who may create groups
    assert finding.evidence == {
        "created_by": "u-head-rd",
        "creator_name": "研发部+赵敏",
        "created_at": "2025-03-01T10:00:00+08:00",
        "group_kind": "meeting",
        "authorised_creators": ["u-ceo", "u-admin-head"],
    }


@pytest.mark.parametrize(
    ("lang", "summary"),
    [
        (
            "zh",
            "本会议群由 研发部+赵敏 创建，其不在授权建群人员之列"
            "（总经办、副总或经授权的行政中心），请补办授权",
        ),
        (
            "en",
            "This meeting group was created by 研发部+赵敏, who is not authorised to create groups "
            "(总经办, vice presidents, or the admin centre when authorised); please obtain authorisation",
        ),
    ],
)
def test_the_summary_of_an_unauthorised_creator_names_the_group_kind(lang, summary):
    # GIVEN a meeting group created by the R&D head
    # WHEN it is audited in `lang`
    (finding,) = _findings(lang=lang, kind="meeting", created_by="u-head-rd")
    # THEN the summary names the kind of group and its creator
    assert finding.summary == summary
