"""The ledger, pure: which findings become entries and what the sanctions ladder recommends."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from groupaudit.contracts import Department, Directory, Finding, Person
from groupaudit.discipline import ledger
from groupaudit.discipline.config import SanctionsConfig
from groupaudit.discipline.errors import StateConflict
from groupaudit.policy import parse_policy

CST = ZoneInfo("Asia/Shanghai")
CONFIG = SanctionsConfig()


def at(day: int, hour: int = 10, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=CST)


def finding(
    number: int,
    rule: str = "prohibited_content",
    severity: str = "violation",
    subject: str = "u-zhang",
    kind: str | None = "advertising",
    sent_at: datetime | None = None,
) -> Finding:
    evidence = {"sent_at": sent_at.isoformat()} if sent_at else {}
    return Finding(
        id=f"f{number}",
        rule=rule,
        kind=kind,
        severity=severity,  # type: ignore[arg-type]
        subject_id=subject,
        message_id=f"m{number}",
        file_id=None,
        detected_at=at(30, 18),
        policy_ref="003 第四章 2.3",
        summary=f"finding {number}",
        evidence=evidence,
    )


def entry(number: int, when: datetime, status: str = "confirmed", **fields: Any) -> ledger.Entry:
    kind = fields.pop("sanction_kind", "content_violation")
    managers = frozenset({fields.get("subject", "u-zhang")})
    made = ledger.entries_for(
        "acme", "grp", [finding(number, sent_at=when, **fields)], CONFIG, managers, when
    )[0]
    return replace(made, status=status, sanction_kind=kind)


def recommend(
    target: ledger.Entry, history: list[ledger.Entry], config: SanctionsConfig = CONFIG
) -> ledger.Recommendation:
    return ledger.recommend(target, history, config, CST)


# --- which findings are sanctioned ---------------------------------------------------------------


def test_findings_map_to_sanctioned_kinds_by_rule_and_severity() -> None:
    # GIVEN findings of several rules and severities, and a directory where u-head heads sales
    people = Directory(
        schema_version=1,
        people=[Person(id="u-head", name="王五", department="销售部")],
        departments=[Department(name="销售部", head_id="u-head")],
    )
    managers = ledger.managers(people)
    kinds = {
        name: ledger.sanction_kind(made, CONFIG, managers)
        for name, made in {
            "red line": finding(1, severity="red_line", kind="red_line"),
            "advert": finding(2),
            "pii": finding(3, rule="pii_exposure", kind="mobile"),
            "head missed reply": finding(4, rule="overdue_reply", subject="u-head", kind="direct_question"),
            "employee missed reply": finding(5, rule="overdue_reply", kind="direct_question"),
            "head missed mention": finding(6, rule="overdue_reply", subject="u-head", kind="mention"),
            "flooding": finding(7, rule="flooding", severity="warning", kind="identical"),
        }.items()
    }
    # THEN red lines, content violations and a manager's missed deadline are sanctioned, the rest not
    assert kinds == {
        "red line": "red_line",
        "advert": "content_violation",
        "pii": "content_violation",
        "head missed reply": "manager_reply",
        "employee missed reply": None,
        "head missed mention": None,
        "flooding": None,
    }


def test_an_entry_id_is_the_same_for_the_same_finding_and_differs_across_groups() -> None:
    assert ledger.entry_id("acme", "g1", "f1") == ledger.entry_id("acme", "g1", "f1")
    assert ledger.entry_id("acme", "g1", "f1") != ledger.entry_id("acme", "g2", "f1")
    assert ledger.entry_id("acme", "g1", "f1") != ledger.entry_id("globex", "g1", "f1")


def test_an_entry_happens_when_its_message_was_sent() -> None:
    # GIVEN a finding whose message was sent on Nov 3, found by the audit of Nov 30
    (made,) = ledger.entries_for("acme", "g", [finding(1, sent_at=at(3))], CONFIG, frozenset(), at(30))
    # THEN the entry happened on Nov 3 and was proposed on Nov 30
    assert (made.occurred_at, made.proposed_at, made.status) == (at(3), at(30), "proposed")


def test_a_disabled_ledger_makes_no_entry() -> None:
    config = SanctionsConfig(enabled=False)
    assert ledger.entries_for("acme", "g", [finding(1)], config, frozenset(), at(30)) == []


# --- the ladder ----------------------------------------------------------------------------------


def test_content_violations_first_criticism_then_fifty_yuan_each() -> None:
    # GIVEN three content violations of one person in November
    first, second, third = entry(1, at(2)), entry(2, at(9)), entry(3, at(16), status="proposed")
    history = [first, second, third]
    # THEN the first is public criticism, the second and third cost 50 yuan each
    steps = [recommend(e, history) for e in history]
    assert [(s.time, s.step.action, s.step.yuan) for s in steps] == [
        (1, "public_criticism", None),
        (2, "pay_deduction", 50),
        (3, "pay_deduction", 50),
    ]
    assert steps[2].counted == (first.entry_id, second.entry_id)


def test_red_line_twice_first_severe_warning_with_pay_withheld_then_termination_proposed() -> None:
    first = entry(1, at(2), severity="red_line", kind="red_line", sanction_kind="red_line")
    second = entry(
        2, at(20), status="proposed", severity="red_line", kind="red_line", sanction_kind="red_line"
    )
    one, two = recommend(first, [first, second]), recommend(second, [first, second])
    assert (one.step.action, one.step.month_pay_withheld) == ("severe_warning", True)
    assert (two.time, two.step.action) == (2, "termination_proposed")


def test_a_managers_missed_deadline_costs_three_points_each_time() -> None:
    made = [
        entry(n, at(n + 1), rule="overdue_reply", kind="direct_question", sanction_kind="manager_reply")
        for n in range(1, 4)
    ]
    steps = [recommend(e, made) for e in made]
    assert [(s.time, s.step.action, s.step.points, s.step.extra_points) for s in steps] == [
        (1, "performance_points", 3, (2, 5)),
        (2, "performance_points", 3, (2, 5)),
        (3, "performance_points", 3, (2, 5)),
    ]


@pytest.mark.parametrize("status", ["proposed", "waived", "lapsed", "overturned"])
def test_only_confirmed_entries_count(status: str) -> None:
    # GIVEN an earlier content violation that is not confirmed
    earlier, later = entry(1, at(2), status=status), entry(2, at(9), status="proposed")
    # THEN the later one is still the first time
    assert recommend(later, [earlier, later]).time == 1


def test_other_kinds_and_other_people_do_not_count() -> None:
    red = entry(1, at(2), severity="red_line", kind="red_line", sanction_kind="red_line")
    someone_else = entry(2, at(3), subject="u-li")
    mine = entry(3, at(9), status="proposed")
    assert recommend(mine, [red, someone_else, mine]).time == 1


def test_the_calendar_month_is_the_period_in_the_calendars_zone() -> None:
    # GIVEN a violation on Oct 31 at 23:30 Beijing time (15:30 UTC) and one on Nov 1 at 00:30
    utc = ZoneInfo("UTC")
    october = entry(1, datetime(2026, 10, 31, 15, 30, tzinfo=utc))
    november = entry(2, datetime(2026, 10, 31, 16, 30, tzinfo=utc), status="proposed")
    # THEN they lie in different months: November's is the first time
    assert recommend(november, [october, november]).time == 1
    # AND a violation on Nov 30 23:59 is in November's period with the one of Nov 1
    confirmed = replace(november, status="confirmed")
    last = entry(3, datetime(2026, 11, 30, 23, 59, tzinfo=CST), status="proposed")
    assert recommend(last, [october, confirmed, last]).time == 2
    assert (
        ledger.period_key(CONFIG.period, CST, datetime(2026, 10, 31, 16, 0, tzinfo=ZoneInfo("UTC")))
        == "2026-11"
    )


def test_a_rolling_period_counts_the_days_before() -> None:
    config = (
        parse_policy({"defaults": {"sanctions": {"period": {"kind": "rolling_days", "days": 30}}}}, "test")
        .tenant_policy()
        .sanctions
    )
    base = entry(1, at(1))
    inside = entry(2, at(1) + timedelta(days=29, hours=23), status="proposed")
    outside = entry(3, at(1) + timedelta(days=30), status="proposed")
    assert recommend(inside, [base, inside], config).time == 2
    assert recommend(outside, [base, outside], config).time == 1


def test_a_later_violation_does_not_count_for_an_earlier_one() -> None:
    # GIVEN a confirmed violation on Nov 20 and a proposed one on Nov 5
    later, earlier = entry(1, at(20)), entry(2, at(5), status="proposed")
    assert recommend(earlier, [later, earlier]).time == 1


def test_the_ladder_is_policy_data() -> None:
    config = (
        parse_policy(
            {
                "defaults": {
                    "sanctions": {
                        "ladders": {
                            "content_violation": [
                                {"action": "warning"},
                                {"action": "pay_deduction", "yuan": 100},
                            ]
                        }
                    }
                }
            },
            "test",
        )
        .tenant_policy()
        .sanctions
    )
    first, second = entry(1, at(2)), entry(2, at(3), status="proposed")
    assert recommend(first, [first, second], config).step.action == "warning"
    assert recommend(second, [first, second], config).step.yuan == 100


# --- the state machine ---------------------------------------------------------------------------


def test_confirming_keeps_who_when_why_and_the_sanction_of_that_moment() -> None:
    proposed = entry(1, at(2), status="proposed")
    step = recommend(proposed, [proposed])
    confirmed, event = ledger.decide(proposed, "confirmed", "u-super", at(3), "seen the message", step)
    assert (confirmed.status, confirmed.decided_by, confirmed.decided_at) == ("confirmed", "u-super", at(3))
    assert confirmed.confirmed_sanction is not None, "a confirmation keeps the sanction"
    assert confirmed.confirmed_sanction["action"] == "public_criticism"
    assert (event.seq, event.type, event.actor, event.reason) == (
        2,
        "confirmed",
        "u-super",
        "seen the message",
    )


def test_only_a_proposed_entry_is_decided() -> None:
    waived = entry(1, at(2), status="waived")
    with pytest.raises(StateConflict, match="waived: only a proposed entry"):
        ledger.decide(waived, "confirmed", "u-super", at(3), "x", recommend(waived, []))


def test_a_resolved_finding_lapses_a_proposed_entry_and_a_found_again_one_proposes_it_again() -> None:
    proposed = entry(1, at(2), status="proposed")
    lapsing = ledger.lapse(proposed, at(4))
    assert lapsing is not None, "a proposed entry lapses"
    lapsed, event = lapsing
    assert (lapsed.status, event.type) == ("lapsed", "lapsed")
    reopening = ledger.reopen(lapsed, at(5))
    assert reopening is not None, "a lapsed entry is proposed again"
    again, event = reopening
    assert (again.status, event.type, event.seq) == ("proposed", "reopened", 3)
    # AND a decided entry does not lapse: the violation happened
    assert ledger.lapse(entry(2, at(2)), at(4)) is None


def test_with_a_directory_only_its_people_get_entries() -> None:
    # GIVEN an advert by an employee and one by a customer outside the directory
    findings = [finding(1, subject="u-zhang"), finding(2, subject="ext-cust")]
    made = ledger.entries_for("acme", "g", findings, CONFIG, frozenset(), at(30), frozenset({"u-zhang"}))
    # THEN only the employee's is an entry: the ladder's sanctions are on performance pay
    assert [e.subject_id for e in made] == ["u-zhang"]
