"""Appeals, pure: deadlines in working days (weekends, holidays, 调休), who may appeal and decide."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from groupaudit.contracts import Department, Directory, Person
from groupaudit.discipline import appeals
from groupaudit.discipline.errors import AppealRefused, NotAllowed, StateConflict
from groupaudit.policy import Policy

CST = ZoneInfo("Asia/Shanghai")
CALENDAR = Policy().business_calendar
MINUTE = timedelta(minutes=1)
DIRECTORY = Directory(
    schema_version=1,
    people=[
        Person(id="u-zhang", name="张三", department="销售部"),
        Person(id="u-head", name="王五", department="销售部"),
        Person(id="u-other-head", name="赵六", department="行政中心"),
    ],
    departments=[
        Department(name="销售部", head_id="u-head"),
        Department(name="行政中心", head_id="u-other-head"),
    ],
)


def cst(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CST)


def filed(now: datetime, notified_at: datetime | None) -> tuple[appeals.Appeal, appeals.Event]:
    return appeals.file(
        tenant="acme",
        target="finding",
        group_id="grp",
        finding_id="f1",
        entry_id=None,
        subject_id="u-zhang",
        appellant_id="u-zhang",
        role="subject",
        reason="I was answering a customer",
        now=now,
        notified_at=notified_at,
        window_workdays=3,
        answer_workdays=3,
        calendar=CALENDAR,
    )


# --- deadlines -----------------------------------------------------------------------------------


def test_three_working_days_from_a_thursday_skip_the_weekend() -> None:
    # GIVEN a notice on Thursday Nov 19, 2026
    deadline = appeals.workday_deadline(cst(11, 19, 15), 3, CALENDAR)
    # THEN the window is Friday, Monday, Tuesday: it closes on Tuesday Nov 24 at 18:00
    assert deadline == cst(11, 24, 18)


def test_a_make_up_workday_counts_and_the_holiday_does_not() -> None:
    # GIVEN a notice on Friday Sep 18, 2026: Sat 19 is off, Sun 20 is a 调休 make-up workday
    deadline = appeals.workday_deadline(cst(9, 18, 11), 3, CALENDAR)
    # THEN Sunday 20, Monday 21, Tuesday 22 are the three working days
    assert deadline == cst(9, 22, 18)
    # AND a notice on Wednesday Sep 30 waits out the National Day holiday (Oct 1-7) and counts
    # the make-up Saturday Oct 10: Thu 8, Fri 9, Sat 10
    assert appeals.workday_deadline(cst(9, 30, 11), 3, CALENDAR) == cst(10, 10, 18)


def test_an_appeal_at_the_deadline_is_in_time_and_a_minute_after_is_refused() -> None:
    notified = cst(11, 19, 15)
    deadline = cst(11, 24, 18)
    on_time, event = filed(deadline, notified)
    assert (on_time.status, event.type, on_time.window_deadline) == ("filed", "filed", deadline)
    late, event = filed(deadline + MINUTE, notified)
    assert (late.status, event.type, late.answer_due) == ("refused", "refused", None)
    assert event.reason == (
        "filed after the appeal window of 3 working day(s) after the notice, "
        "which closed at 2026-11-24T18:00:00+08:00"
    )
    with pytest.raises(AppealRefused, match="closed at 2026-11-24T18:00:00") as refused:
        appeals.raise_if_refused(late, 3)
    assert refused.value.deadline == deadline


def test_an_appeal_before_any_notice_is_in_time() -> None:
    appeal, _ = filed(cst(12, 30), None)
    assert (appeal.status, appeal.window_deadline) == ("filed", None)


def test_the_answer_is_due_three_working_days_after_the_filing_across_the_make_up_day() -> None:
    # GIVEN an appeal filed on Friday Sep 18 (Sun 20 is a make-up workday)
    appeal, event = filed(cst(9, 18, 16), cst(9, 17, 9))
    # THEN the answer is due on Tuesday Sep 22 at 18:00
    assert appeal.answer_due == cst(9, 22, 18)
    assert event.data["answer_due"] == "2026-09-22T18:00:00+08:00"


def test_an_appeal_is_overdue_one_minute_after_its_answer_deadline_and_flagged_once() -> None:
    appeal, _ = filed(cst(9, 18, 16), None)
    assert not appeals.is_overdue(appeal, cst(9, 22, 18))
    assert appeals.is_overdue(appeal, cst(9, 22, 18) + MINUTE)
    flagged, event = appeals.flag(appeal, cst(9, 23), "u-super")
    assert (event.type, event.seq, event.data, flagged.flagged_at) == (
        "flagged",
        2,
        {"contact": "u-super"},
        cst(9, 23),
    )
    assert not appeals.is_overdue(flagged, cst(9, 24))


# --- who ---------------------------------------------------------------------------------------


def test_the_person_and_the_head_of_their_department_may_appeal_nobody_else() -> None:
    assert appeals.appellant_role("u-zhang", "u-zhang", DIRECTORY) == "subject"
    assert appeals.appellant_role("u-head", "u-zhang", DIRECTORY) == "head"
    with pytest.raises(NotAllowed, match="only the person or the head of their department"):
        appeals.appellant_role("u-other-head", "u-zhang", DIRECTORY)
    with pytest.raises(NotAllowed):
        appeals.appellant_role("u-head", "u-zhang", None)  # without a directory, nobody is a head


def test_a_decision_is_taken_by_the_supervision_team_never_by_the_parties() -> None:
    appeals.check_decider("u-super", "u-zhang", ("u-head",), ("u-super",))
    with pytest.raises(NotAllowed, match="not in the supervision team"):
        appeals.check_decider("u-boss", "u-zhang", ("u-head",), ("u-super",))
    with pytest.raises(NotAllowed, match="their own case"):
        appeals.check_decider("u-head", "u-zhang", ("u-head",), ())


def test_a_filed_appeal_is_decided_once_and_a_late_answer_is_marked() -> None:
    appeal, _ = filed(cst(11, 19, 15), None)
    upheld, event = appeals.decide(appeal, "upheld", "u-super", cst(11, 25, 9), "the message was an advert")
    assert (upheld.status, upheld.decided_by, event.seq, event.data) == (
        "upheld",
        "u-super",
        2,
        {"answered_late": True},
    )
    with pytest.raises(StateConflict, match="only a filed appeal is decided"):
        appeals.decide(upheld, "overturned", "u-super", cst(11, 26), "changed my mind")
