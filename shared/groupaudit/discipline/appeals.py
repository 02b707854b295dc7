"""Appeals, pure: deadlines in working days of the business calendar, who may appeal and
decide, and the state machine (002 六(三): an appeal within a few working days of the notice,
answered within a few more). No I/O and no clock: times are arguments.

A deadline of N working days after a moment is the end of the working hours (the last working
period's end, 18:00 by default) of the N-th working day after the moment's local day: a notice
on Thursday gives Friday, Monday and Tuesday, so Tuesday 18:00; the weekend is skipped, a
holiday is skipped and a 调休 make-up workday counts. At the deadline itself the appeal is in
time; a minute after it is not.

``filed`` is the only open state; ``upheld``, ``overturned`` and ``refused`` (filed after the
window) are final. An appeal unanswered past its answer deadline is flagged once to the
supervision contact (``flagged_at``), and stays open until it is decided.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from groupaudit.businesstime import BusinessCalendar
from groupaudit.contracts import Directory
from groupaudit.discipline.errors import AppealRefused, NotAllowed, StateConflict
from groupaudit.discipline.ledger import Event
from groupaudit.errors import CalendarError

TARGETS = ("finding", "entry")
OUTCOMES = ("upheld", "overturned")
_MAX_DAYS = 3660


@dataclass(frozen=True)
class Appeal:
    appeal_id: str
    tenant_id: str
    target: str  # finding | entry
    group_id: str
    finding_id: str
    entry_id: str | None
    subject_id: str
    appellant_id: str
    appellant_role: str  # subject | head
    reason: str
    filed_at: datetime
    window_deadline: datetime | None  # None: the window had not started (no notice yet)
    answer_due: datetime | None  # None for a refused appeal
    status: str = "filed"
    version: int = 1
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    flagged_at: datetime | None = None


def appeal_id(tenant: str, group: str, finding_id: str, target: str) -> str:
    """One appeal per finding and target (the finding itself, or its ledger entry)."""
    return hashlib.sha256(f"appeal\n{tenant}\n{group}\n{finding_id}\n{target}".encode()).hexdigest()[:32]


def workday_deadline(start: datetime, workdays: int, calendar: BusinessCalendar) -> datetime:
    """The end of the working hours of the ``workdays``-th working day after ``start``'s day."""
    if workdays < 1:
        raise CalendarError("a deadline is at least one working day")
    day = start.astimezone(calendar.tz).date()
    counted = 0
    for _ in range(_MAX_DAYS):
        day += timedelta(days=1)
        if calendar.is_workday(day):
            counted += 1
            if counted == workdays:
                return datetime.combine(day, calendar.periods[-1][1], calendar.tz)
    raise CalendarError("no working day found within ten years")


def appellant_role(appellant: str, subject: str, directory: Directory | None) -> str:
    """``subject`` or ``head`` (the head of the subject's department in the directory);
    NotAllowed for anyone else."""
    if appellant == subject:
        return "subject"
    if directory is not None:
        person = next((p for p in directory.people if p.id == subject), None)
        heads = {d.name: d.head_id for d in directory.departments or () if d.head_id}
        if person is not None and person.department and heads.get(person.department) == appellant:
            return "head"
    raise NotAllowed(
        f"{appellant} may not appeal for {subject}: only the person or the head of their department "
        "(per the tenant directory)"
    )


def check_decider(actor: str, subject: str, others: Iterable[str], supervisors: tuple[str, ...]) -> None:
    """A decision is taken by the supervision team (when the policy names it), never by the
    person concerned nor by whoever appealed."""
    if supervisors and actor not in supervisors:
        raise NotAllowed(f"{actor} is not in the supervision team (sanctions.supervisor_ids)")
    if actor == subject or actor in set(others):
        raise NotAllowed(f"{actor} may not decide their own case")


def file(
    *,
    tenant: str,
    target: str,
    group_id: str,
    finding_id: str,
    entry_id: str | None,
    subject_id: str,
    appellant_id: str,
    role: str,
    reason: str,
    now: datetime,
    notified_at: datetime | None,
    window_workdays: int,
    answer_workdays: int,
    calendar: BusinessCalendar,
) -> tuple[Appeal, Event]:
    """A new appeal, filed at ``now``; refused (status ``refused``, and AppealRefused for the
    caller) when ``now`` is after the window counted from ``notified_at``."""
    if target not in TARGETS:
        raise StateConflict(f"an appeal targets a finding or an entry, not {target!r}")
    window = workday_deadline(notified_at, window_workdays, calendar) if notified_at else None
    late = window is not None and now > window
    appeal = Appeal(
        appeal_id=appeal_id(tenant, group_id, finding_id, target),
        tenant_id=tenant,
        target=target,
        group_id=group_id,
        finding_id=finding_id,
        entry_id=entry_id,
        subject_id=subject_id,
        appellant_id=appellant_id,
        appellant_role=role,
        reason=reason,
        filed_at=now,
        window_deadline=window,
        answer_due=None if late else workday_deadline(now, answer_workdays, calendar),
        status="refused" if late else "filed",
    )
    data: dict[str, Any] = {"target": target, "finding_id": finding_id, "entry_id": entry_id}
    if window is not None:
        data["window_deadline"] = window.isoformat()
    if late:
        assert window is not None
        why = refusal(window, window_workdays)
        return appeal, Event(1, "refused", appellant_id, now, why, data)
    assert appeal.answer_due is not None
    data["answer_due"] = appeal.answer_due.isoformat()
    return appeal, Event(1, "filed", appellant_id, now, reason, data)


def refusal(window: datetime, workdays: int) -> str:
    return (
        f"filed after the appeal window of {workdays} working day(s) after the notice, "
        f"which closed at {window.isoformat()}"
    )


def raise_if_refused(appeal: Appeal, workdays: int) -> None:
    if appeal.status == "refused":
        assert appeal.window_deadline is not None
        raise AppealRefused(
            f"appeal refused: {refusal(appeal.window_deadline, workdays)}", appeal.window_deadline
        )


def decide(appeal: Appeal, outcome: str, actor: str, at: datetime, reason: str) -> tuple[Appeal, Event]:
    if outcome not in OUTCOMES:
        raise StateConflict(f"an appeal is upheld or overturned, not {outcome!r}")
    if appeal.status != "filed":
        raise StateConflict(f"appeal {appeal.appeal_id} is {appeal.status}: only a filed appeal is decided")
    late = appeal.answer_due is not None and at > appeal.answer_due
    event = Event(appeal.version + 1, outcome, actor, at, reason, {"answered_late": late})
    return (
        replace(
            appeal, status=outcome, version=event.seq, decided_by=actor, decided_at=at, decision_reason=reason
        ),
        event,
    )


def is_overdue(appeal: Appeal, now: datetime) -> bool:
    """Filed, unanswered and past its answer deadline, and not yet flagged."""
    return (
        appeal.status == "filed"
        and appeal.flagged_at is None
        and appeal.answer_due is not None
        and now > appeal.answer_due
    )


def flag(appeal: Appeal, now: datetime, contact: str | None) -> tuple[Appeal, Event]:
    assert appeal.answer_due is not None
    event = Event(
        appeal.version + 1,
        "flagged",
        "auditor",
        now,
        f"unanswered past its deadline {appeal.answer_due.isoformat()}",
        {"contact": contact},
    )
    return replace(appeal, flagged_at=now, version=event.seq), event


def overdue_text(appeals: list[Appeal], lang: str = "zh") -> str:
    """The message to the supervision contact about unanswered appeals."""
    if lang == "en":
        lines = [f"{len(appeals)} appeal(s) unanswered past their deadline:"]
        lines += [
            f"- appeal {a.appeal_id} by {a.appellant_id} for {a.subject_id} (group {a.group_id}, "
            f"{_appealed_en(a)}), due {a.answer_due.isoformat() if a.answer_due else '-'}"
            for a in appeals
        ]
    else:
        lines = [f"有 {len(appeals)} 条申诉已超过答复期限仍未答复："]
        lines += [
            f"- 申诉 {a.appeal_id}：{a.appellant_id} 为 {a.subject_id} 提出（群 {a.group_id}，"
            f"{_appealed_zh(a)}），应于 {a.answer_due.isoformat() if a.answer_due else '-'} 前答复"
            for a in appeals
        ]
    return "\n".join(lines)


def _appealed_en(appeal: Appeal) -> str:
    """What the appeal is against: the ledger entry, or the finding when there is no entry."""
    if appeal.entry_id is not None:
        return f"entry {appeal.entry_id}"
    return f"finding {appeal.finding_id}"


def _appealed_zh(appeal: Appeal) -> str:
    if appeal.entry_id is not None:
        return f"台账条目 {appeal.entry_id}"
    return f"问题 {appeal.finding_id}"
