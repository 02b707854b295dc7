"""inactive_member: the finding's key, its evidence, its summaries and whom its notice asks.

Written against the mutants `make mutate` left alive (docs/BENCHMARKS.md, "Mutation testing"):
each test names the false or lost finding, or the wrong notice, a surviving mutant would cause.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import msgspec

from factories import audit, member, message, of_rule, policy, snapshot
from groupaudit.loading import decode_snapshot
from groupaudit.render import render_notice

NOW = "2026-11-20T18:00:00+08:00"
LONG_AGO = "2025-01-01T09:00:00+08:00"


def _at(days: float) -> str:
    return (datetime.fromisoformat(NOW) - timedelta(days=days)).isoformat()


def _group(last_post_days_ago: float | None = 60, **fields) -> dict:
    """张三 (silent since `last_post_days_ago`) and the administrator 李四, who posted today."""
    members = [member("u1", "销售部+张三", joined_at=LONG_AGO, **fields), member("u-admin", "销售部+李四")]
    messages = [message("m-admin", "u-admin", _at(0.1), "今天的安排")]
    if last_post_days_ago is not None:
        messages.append(message("m1", "u1", _at(last_post_days_ago), "好的"))
    return snapshot(members, messages, admin_ids=["u-admin"])


def _warned(snap: dict, days_ago: float, **kwargs):
    """The finding of an audit whose first warning of that same finding was `days_ago`."""
    (first,) = of_rule(audit(snap, **kwargs), "inactive_member")
    warned = datetime.fromisoformat(NOW) - timedelta(days=days_ago)
    (finding,) = of_rule(audit(snap, first_notified={first.id: warned}, **kwargs), "inactive_member")
    return finding


def _mentions(snap: dict, finding) -> tuple[str, ...]:
    report = audit(snap)
    parsed = decode_snapshot(json.dumps(snap).encode())
    notice = render_notice(msgspec.structs.replace(report, findings=[finding]), parsed)
    assert notice is not None, "a finding to tell about gives a notice"
    return notice.mention_ids


def test_a_removal_recommendation_has_its_whole_evidence_and_asks_the_admins():
    # GIVEN 张三, silent for 60 days and first warned 8 days ago (grace: 7 days)
    snap = _group(60)
    # WHEN audited in English
    finding = _warned(snap, 8, lang="en")
    # THEN the finding recommends removal, with when the warning was and when removal was due
    assert finding.kind == "removal_recommended"
    assert finding.evidence == {
        "last_activity_at": "2026-09-21T18:00:00+08:00",
        "last_activity": "message",
        "last_message_id": "m1",
        "silent_since": "2026-09-21T18:00:00+08:00",
        "silent_since_reason": "message",
        "messages_since": None,
        "inactive_days": 60,
        "threshold_days": 30,
        "stage": "removal_recommended",
        "first_warned_at": "2026-11-12T18:00:00+08:00",
        "removal_due_at": "2026-11-19T18:00:00+08:00",
        "notify": "admins",
    }
    assert (
        finding.summary
        == "销售部+张三 has not posted for 60 days, over the 30-day limit; removal recommended"
    )
    # AND its notice asks the group's administrators, not the member it would remove
    assert _mentions(snap, finding) == ("u-admin",)


def test_a_warning_asks_the_member_and_says_so_in_the_evidence():
    # GIVEN 张三, silent for 45 days, never warned
    snap = _group(45)
    # WHEN audited
    (finding,) = of_rule(audit(snap), "inactive_member")
    # THEN the warning goes to 张三 (a warning to the admins would skip the member's chance to speak)
    assert (finding.evidence["stage"], finding.evidence["notify"], finding.evidence["first_warned_at"]) == (
        "warning",
        "member",
        None,
    )
    assert _mentions(snap, finding) == ("u1",)


def test_the_chinese_summaries_of_a_removal_and_of_a_member_who_never_posted():
    # GIVEN 张三 silent 60 days and warned 8 days ago; and 张三 of no known join time who never posted
    removal = _warned(_group(60), 8)
    unknown = _group(None)
    del unknown["members"][0]["joined_at"]
    (never,) = of_rule(audit(unknown), "inactive_member")
    # WHEN audited in Chinese
    # THEN each summary says what happened and what is asked
    assert removal.summary == "销售部+张三 已 60 天未发言，超过上限 30 天，建议移出群聊"
    assert never.summary == "销售部+张三 入群以来从未发言，超过上限 30 天，请及时参与群内交流"


def test_a_member_who_rejoined_after_posting_is_silent_since_the_rejoin():
    # GIVEN 张三 posted 50 days ago, then left and joined again 40 days ago
    snap = _group(50)
    snap["members"][0]["joined_at"] = _at(40)
    # WHEN audited
    (finding,) = of_rule(audit(snap), "inactive_member")
    # THEN the silence runs from the join, the summary says since when, and no message is named
    # as the last one (the message before the join is not the start of this silence)
    assert finding.evidence["last_activity"] == "joined"
    assert finding.evidence["last_message_id"] is None
    assert finding.evidence["silent_since"] == "2026-10-11T18:00:00+08:00"
    assert (
        finding.summary == "销售部+张三 自 2026-10-11 起未发言（40 天），超过上限 30 天，请及时参与群内交流"
    )


def test_the_evidence_names_the_start_of_a_short_snapshot():
    # GIVEN a snapshot of the last 45 days of messages in which 张三 never posted
    snap = _group(None)
    snap["messages_since"] = _at(45)
    # WHEN audited
    (finding,) = of_rule(audit(snap), "inactive_member")
    # THEN the evidence says the silence is counted from the snapshot's start, which it names
    assert finding.evidence["messages_since"] == "2026-10-06T18:00:00+08:00"
    assert finding.evidence["silent_since"] == "2026-10-06T18:00:00+08:00"


def test_a_new_silence_after_speaking_again_is_a_new_finding_with_a_new_warning():
    # GIVEN 张三 warned 40 days ago for a silence, who then posted 35 days ago and fell silent again
    before = _group(75)
    (old,) = [f for f in of_rule(audit(before, now=_at(40)), "inactive_member") if f.subject_id == "u1"]
    after = _group(35)
    warned = {old.id: datetime.fromisoformat(NOW) - timedelta(days=40)}
    # WHEN audited now, with that first warning remembered
    (finding,) = of_rule(audit(after, first_notified=warned), "inactive_member")
    # THEN it is a new finding, warned afresh: the old warning's grace does not recommend the
    # removal of someone who spoke since
    assert finding.id != old.id
    assert (finding.kind, finding.evidence["stage"]) == ("inactive", "warning")


def test_a_member_who_rejoined_without_ever_posting_gets_a_new_finding():
    # GIVEN 张三, who never posted, warned 40 days ago for a silence since a join, then rejoined
    # 35 days ago
    before = _group(None)
    before["members"][0]["joined_at"] = _at(75)
    (old,) = [f for f in of_rule(audit(before, now=_at(40)), "inactive_member") if f.subject_id == "u1"]
    after = _group(None)
    after["members"][0]["joined_at"] = _at(35)
    warned = {old.id: datetime.fromisoformat(NOW) - timedelta(days=40)}
    # WHEN audited now, with that first warning remembered
    (finding,) = of_rule(audit(after, first_notified=warned), "inactive_member")
    # THEN the new join starts a new finding, warned afresh (the join is activity too)
    assert finding.id != old.id
    assert (finding.kind, finding.evidence["last_activity"]) == ("inactive", "joined")


def test_a_message_at_the_start_of_the_snapshot_is_the_last_activity():
    # GIVEN 张三's last message sent at the very moment the snapshot's messages start, 40 days ago
    snap = _group(40)
    snap["messages_since"] = _at(40)
    # WHEN audited
    (finding,) = of_rule(audit(snap), "inactive_member")
    # THEN the tie goes to the message: the summary says how long since 张三 posted, naming it
    assert (finding.evidence["last_activity"], finding.evidence["last_message_id"]) == ("message", "m1")
    assert finding.summary == "销售部+张三 已 40 天未发言，超过上限 30 天，请及时参与群内交流"


def test_members_passed_over_do_not_stop_the_check_of_the_members_after_them():
    # GIVEN an exempt-department member and a member who joins after the audit moment, listed
    # before two silent members (one of them absent from the directory)
    directory = {
        "schema_version": 1,
        "people": [
            {"id": "h-admin", "name": "余敏", "department": "行政中心"},
            {"id": "u1", "name": "张三", "department": "销售部"},
        ],
    }
    members = [
        member("h-admin", joined_at=LONG_AGO),
        member("later", joined_at="2026-11-21T09:00:00+08:00"),
        member("u1", joined_at=LONG_AGO),
        member("ext-1", joined_at=LONG_AGO),
    ]
    policies = policy({"inactive_member": {"exempt_departments": ["行政中心"]}})
    # WHEN audited
    found = of_rule(audit(snapshot(members), directory_doc=directory, policies=policies), "inactive_member")
    # THEN both silent members are flagged (a member passed over must not end the check: lost findings)
    assert [f.subject_id for f in found] == ["ext-1", "u1"]


def test_members_of_no_role_have_the_member_role():
    # GIVEN a policy exempting the plain member role, and a silent member whose role is not given
    policies = policy({"inactive_member": {"exempt_roles": ["member"]}})
    # WHEN audited
    # THEN the member is exempt (a role left out is "member": a false finding otherwise)
    assert (
        of_rule(audit(snapshot([member("u1", joined_at=LONG_AGO)]), policies=policies), "inactive_member")
        == []
    )
