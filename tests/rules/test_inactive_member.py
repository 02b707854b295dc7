"""inactive_member: members silent for longer than inactive_days (default 30)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from factories import audit, member, message, of_rule, policy, snapshot

NOW = "2026-11-20T18:00:00+08:00"
LONG_AGO = "2025-01-01T09:00:00+08:00"


def _at(delta: timedelta) -> str:
    return (datetime.fromisoformat(NOW) - delta).isoformat()


@pytest.mark.parametrize(
    ("silence", "flagged"),
    [
        (timedelta(days=30) - timedelta(minutes=1), False),
        (timedelta(days=30), False),
        (timedelta(days=30) + timedelta(minutes=1), True),
    ],
)
def test_member_is_flagged_only_when_silent_longer_than_the_threshold(silence, flagged):
    # GIVEN a member whose last message is `silence` before the audit
    snap = snapshot([member("u1", joined_at=LONG_AGO)], [message("m1", "u1", _at(silence), "好的")])
    # WHEN the group is audited
    findings = of_rule(audit(snap), "inactive_member")
    # THEN the member is flagged only past 30 days
    assert [f.subject_id for f in findings] == (["u1"] if flagged else [])


def test_finding_carries_last_activity_evidence_and_the_policy_clause():
    # GIVEN a member who last spoke 45 days ago
    snap = snapshot(
        [member("u1", "销售部+张三", joined_at=LONG_AGO)], [message("m1", "u1", _at(timedelta(days=45)))]
    )
    # WHEN audited
    (finding,) = of_rule(audit(snap), "inactive_member")
    # THEN the evidence says when and how, in the tenant's time zone
    assert finding.severity == "warning"
    assert finding.kind == "inactive"
    assert finding.policy_ref.startswith("000 二(二)1")
    assert finding.evidence["last_activity_at"] == "2026-10-06T18:00:00+08:00"
    assert finding.evidence["last_activity"] == "message"
    assert finding.evidence["last_message_id"] == "m1"
    assert finding.evidence["inactive_days"] == 45
    assert finding.evidence["stage"] == "warning"
    assert finding.summary == "销售部+张三 已 45 天未发言，超过上限 30 天，请及时参与群内交流"


def test_bots_exempt_members_and_recent_joiners_are_not_flagged():
    # GIVEN a bot, an exempt member and a member who joined 10 days ago, all silent
    snap = snapshot(
        [
            member("bot", is_bot=True, joined_at=LONG_AGO),
            member("boss", joined_at=LONG_AGO),
            member("new", joined_at=_at(timedelta(days=10))),
            member("quiet", joined_at=LONG_AGO),
        ],
        exempt_member_ids=["boss"],
    )
    # WHEN audited
    findings = of_rule(audit(snap), "inactive_member")
    # THEN only the ordinary silent member is flagged
    assert [f.subject_id for f in findings] == ["quiet"]


def test_system_events_are_not_activity():
    # GIVEN a member whose only recent message is a system event (a rename)
    snap = snapshot(
        [member("u1", joined_at=LONG_AGO)],
        [message("m1", "u1", _at(timedelta(days=1)), "u1 修改了群名", type="system")],
    )
    # WHEN audited
    (finding,) = of_rule(audit(snap), "inactive_member")
    # THEN the system event does not count; the join time does
    assert finding.evidence["last_activity"] == "joined"
    assert finding.evidence["last_activity_at"] == "2025-01-01T09:00:00+08:00"


def test_unknown_join_time_and_no_messages_means_inactive_since_ever():
    # GIVEN a member with no join time (joined long ago) and no messages
    snap = snapshot([member("u1")])
    # WHEN audited in English
    (finding,) = of_rule(audit(snap, lang="en"), "inactive_member")
    # THEN the member is flagged with no last activity
    assert finding.evidence["last_activity_at"] is None
    assert finding.evidence["inactive_days"] is None
    assert finding.summary == (
        "u1 has never posted in the group, over the 30-day limit; please speak up or tell an admin"
    )


def test_timestamps_in_other_offsets_are_compared_as_instants():
    # GIVEN a message at 2026-10-21T10:00:01Z = 18:00:01+08:00, 29d23h59m59s before the audit
    snap = snapshot(
        [member("u1", joined_at="2025-01-01T01:00:00Z")], [message("m1", "u1", "2026-10-21T10:00:01Z")]
    )
    # WHEN audited at 18:00+08:00 and at 05:00-05:00 (the same instant)
    local = of_rule(audit(snap), "inactive_member")
    other = of_rule(audit(snap, now="2026-11-20T05:00:00-05:00"), "inactive_member")
    # THEN neither flags the member
    assert local == [] and other == []


def test_messages_after_the_audit_moment_are_ignored():
    # GIVEN a member who spoke only after the chosen audit time
    snap = snapshot([member("u1", joined_at=LONG_AGO)], [message("m1", "u1", "2026-11-20T17:00:00+08:00")])
    # WHEN audited "as of" a day earlier
    (finding,) = of_rule(audit(snap, now="2026-11-19T18:00:00+08:00"), "inactive_member")
    # THEN the later message does not count as activity
    assert finding.evidence["last_activity"] == "joined"


def test_removal_is_recommended_after_the_grace_period_from_the_first_warning():
    # GIVEN a member warned 7 days ago (the pipeline remembers the first notice)
    snap = snapshot([member("u1", joined_at=LONG_AGO)], [message("m1", "u1", _at(timedelta(days=60)))])
    first = of_rule(audit(snap), "inactive_member")[0]
    warned = datetime.fromisoformat(NOW) - timedelta(days=7)
    # WHEN audited with that history, and with a warning only 6 days old
    due = of_rule(audit(snap, first_notified={first.id: warned}), "inactive_member")[0]
    early = of_rule(audit(snap, first_notified={first.id: warned + timedelta(days=1)}), "inactive_member")[0]
    # THEN removal is recommended at 7 days, to the administrators, as a violation
    assert (due.kind, due.severity, due.evidence["notify"]) == ("removal_recommended", "violation", "admins")
    assert due.evidence["removal_due_at"] == "2026-11-20T18:00:00+08:00"
    assert (early.kind, early.severity) == ("inactive", "warning")
    assert due.id == first.id == early.id


def test_company_group_has_the_rule_off_by_default():
    # GIVEN a silent member in the all-staff group
    snap = snapshot([member("u1", joined_at=LONG_AGO)], kind="company")
    # WHEN audited with the built-in profiles
    report = audit(snap)
    # THEN the rule did not run and says why
    assert of_rule(report, "inactive_member") == []
    assert "inactive_member" not in report.rules_run
    assert {"rule": "inactive_member", "reason": "disabled by policy"} in [
        {"rule": s.rule, "reason": s.reason} for s in report.rules_skipped
    ]


def test_threshold_comes_from_the_policy_profile():
    # GIVEN an operations profile of 45 days and a member silent for 40 days
    snap = snapshot(
        [member("u1", joined_at=LONG_AGO)], [message("m1", "u1", _at(timedelta(days=40)))], kind="operations"
    )
    policies = policy(profiles={"operations": {"rules": {"inactive_member": {"inactive_days": 45}}}})
    # WHEN audited with and without the profile
    with_profile = of_rule(audit(snap, policies=policies), "inactive_member")
    without = of_rule(audit(snap), "inactive_member")
    # THEN only the default threshold flags the member
    assert with_profile == []
    assert [f.evidence["threshold_days"] for f in without] == [30]


# --- on evidence ----------------------------------------------------------------------


def test_group_creation_bounds_every_join():
    # GIVEN a channel created 17 days ago whose members have no join time and never posted
    snap = snapshot([member("u1"), member("u2")], created_at=_at(timedelta(days=17)))
    # WHEN audited
    # THEN nobody can have been silent for 30 days
    assert of_rule(audit(snap), "inactive_member") == []


def test_group_created_long_ago_still_flags_silent_members_with_the_date():
    # GIVEN a group created 40 days ago, a member with no join time and no message
    snap = snapshot([member("u1", "销售部+张三")], created_at=_at(timedelta(days=40)))
    # WHEN audited
    (finding,) = of_rule(audit(snap), "inactive_member")
    # THEN the silence is counted from the group's creation, and says so
    assert finding.evidence["silent_since_reason"] == "group_created"
    assert finding.evidence["inactive_days"] == 40
    assert (
        finding.summary == "销售部+张三 自 2026-10-11 起未发言（40 天），超过上限 30 天，请及时参与群内交流"
    )


def test_a_short_message_window_claims_no_long_silence():
    # GIVEN a snapshot holding only the last 14 days of messages, a long-standing silent member
    snap = snapshot([member("u1", joined_at=LONG_AGO)], messages_since=_at(timedelta(days=14)))
    # WHEN audited
    # THEN 14 days of silence is all the evidence shows: no finding
    assert of_rule(audit(snap), "inactive_member") == []


def test_a_window_longer_than_the_limit_flags_from_its_start():
    # GIVEN 45 days of messages, a member who joined long ago and is silent in all of them
    snap = snapshot([member("u1", joined_at=LONG_AGO)], messages_since=_at(timedelta(days=45)))
    # WHEN audited in English
    (finding,) = of_rule(audit(snap, lang="en"), "inactive_member")
    # THEN the silence is counted from the window's start, and the wording says so
    assert (finding.evidence["silent_since_reason"], finding.evidence["inactive_days"]) == (
        "messages_since",
        45,
    )
    assert finding.summary.startswith("u1 has not posted since 2026-10-06 (45 days), over the 30-day limit")


def test_just_over_the_limit_reads_as_over():
    # GIVEN a member silent for 30.8 days
    snap = snapshot(
        [member("u1", joined_at=LONG_AGO)],
        [message("m1", "u1", _at(timedelta(days=30, hours=19, minutes=12)), "好")],
    )
    # WHEN audited
    (finding,) = of_rule(audit(snap), "inactive_member")
    # THEN the days show the decimal, and the limit reads as exceeded
    assert "已 30.8 天未发言，超过上限 30 天" in finding.summary


def test_a_silence_a_moment_over_the_limit_never_reads_as_at_it():
    # GIVEN a member silent for 30 days and 30 minutes (30.02 days), and one for 30 days and 4
    # hours (30.17 days)
    snap = snapshot(
        [member("u1", joined_at=LONG_AGO), member("u2", joined_at=LONG_AGO)],
        [
            message("m1", "u1", _at(timedelta(days=30, minutes=30)), "好"),
            message("m2", "u2", _at(timedelta(days=30, hours=4)), "好"),
        ],
    )
    # WHEN audited
    just, later = of_rule(audit(snap), "inactive_member")
    # THEN neither reads "30 天" against a 30-day limit: the first shows one tenth over it, the
    # second its own tenth
    assert "已 30.1 天未发言，超过上限 30 天" in just.summary
    assert "已 30.2 天未发言，超过上限 30 天" in later.summary
    assert just.evidence["inactive_days"] == later.evidence["inactive_days"] == 30


def test_the_finding_id_does_not_move_with_a_sliding_window():
    # GIVEN the same silent member audited on two days with windows starting a day apart
    def run(day):
        snap = snapshot(
            [member("u1", joined_at=LONG_AGO)],
            messages_since=_at(timedelta(days=60 - day)),
            taken_at=_at(timedelta(days=-day)),
        )
        (finding,) = of_rule(audit(snap, now=_at(timedelta(days=-day))), "inactive_member")
        return finding.id

    # THEN it is the same finding (its removal grace can run)
    assert run(0) == run(1)


@pytest.mark.parametrize(
    ("option", "member_fields"),
    [({"exempt_roles": ["admin"]}, {"role": "admin"}), ({"exempt_departments": ["行政中心"]}, {})],
)
def test_announcement_roles_can_be_exempted_by_policy(option, member_fields):
    # GIVEN a silent administrator from the 行政中心, and a policy exempting their role or department
    snap = snapshot([member("h-admin", joined_at=LONG_AGO, **member_fields)])
    directory_doc = {
        "schema_version": 1,
        "people": [{"id": "h-admin", "name": "余敏", "department": "行政中心"}],
    }
    # WHEN audited with and without the option
    plain = of_rule(audit(snap, directory_doc=directory_doc), "inactive_member")
    exempted = of_rule(
        audit(snap, directory_doc=directory_doc, policies=policy({"inactive_member": option})),
        "inactive_member",
    )
    # THEN only the policy exempts them
    assert [f.subject_id for f in plain] == ["h-admin"]
    assert exempted == []
