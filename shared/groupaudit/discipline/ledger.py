"""The discipline ledger, pure: which findings become entries, what the ladder recommends, and
the state machine of an entry. No I/O and no clock: times are arguments.

An entry is ``proposed`` when its finding is first stored; a supervisor ``confirmed`` or
``waived`` it (who, when, why). A finding resolved before its entry was decided makes the entry
``lapsed``; if the finding comes back, the entry is ``proposed`` again. An appeal upheld against
the finding or the entry leaves it as it is; an appeal that overturns it makes it
``overturned``. Only ``confirmed`` entries count.

The recommendation is never stored as the truth: it is computed from the person's confirmed
history whenever it is read, so when an earlier entry is overturned, the later ones count again
from what remains. What a supervisor confirmed is kept with the confirmation
(``confirmed_sanction``); ``needs_review`` says that the ladder now recommends something else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from groupaudit.contracts import Directory, Finding
from groupaudit.discipline.config import SANCTION_KINDS, Period, SanctionsConfig, Step
from groupaudit.discipline.errors import StateConflict

STATUSES = ("proposed", "confirmed", "waived", "lapsed", "overturned")
DECIDED = ("confirmed", "waived")


@dataclass(frozen=True)
class Event:
    """One change, appended and never rewritten: ``seq`` counts from 1 per entry or appeal."""

    seq: int
    type: str
    actor: str
    at: datetime
    reason: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    entry_id: str
    tenant_id: str
    group_id: str
    finding_id: str
    rule: str
    finding_kind: str | None
    severity: str
    subject_id: str
    sanction_kind: str
    occurred_at: datetime  # when the violation happened (the message, the missed deadline)
    proposed_at: datetime
    policy_ref: str
    summary: str
    status: str = "proposed"
    version: int = 1  # the seq of the last event
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    confirmed_sanction: dict[str, Any] | None = None

    @property
    def counts(self) -> bool:
        return self.status == "confirmed"


def entry_id(tenant: str, group: str, finding_id: str) -> str:
    """The entry of a finding: the same however often the finding is audited again."""
    return hashlib.sha256(f"entry\n{tenant}\n{group}\n{finding_id}".encode()).hexdigest()[:32]


def managers(directory: Directory | None) -> frozenset[str]:
    """Managers (管理层, 经理级以上) per the tenant directory: department heads and leaders."""
    if directory is None:
        return frozenset()
    heads = {d.head_id for d in directory.departments or () if d.head_id}
    return frozenset(heads | set(directory.leader_ids or ()))


def employees(directory: Directory | None) -> frozenset[str] | None:
    """The people the ladder applies to (its sanctions are on performance pay): the directory's
    people; None without a directory (then nobody is excluded)."""
    return None if directory is None else frozenset(person.id for person in directory.people)


def sanction_kind(finding: Finding, config: SanctionsConfig, manager_ids: frozenset[str]) -> str | None:
    """The sanctioned kind of a finding (first match in ``SANCTION_KINDS`` order), or None."""
    for kind in SANCTION_KINDS:
        for match in config.applies_to.get(kind, ()):
            if match.rule != finding.rule or finding.severity not in match.severities:
                continue
            if match.finding_kinds is not None and finding.kind not in match.finding_kinds:
                continue
            if match.managers_only and finding.subject_id not in manager_ids:
                continue
            return kind
    return None


def occurred_at(finding: Finding) -> datetime:
    """When the violation happened: a message's ``sent_at``, a missed reply's ``due_at``, else
    when the audit found it."""
    for key in ("sent_at", "due_at"):
        value = finding.evidence.get(key)
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                continue
            if moment.tzinfo is not None:
                return moment
    return finding.detected_at


def entries_for(
    tenant: str,
    group: str,
    findings: Iterable[Finding],
    config: SanctionsConfig,
    manager_ids: frozenset[str],
    now: datetime,
    employee_ids: frozenset[str] | None = None,
) -> list[Entry]:
    """A proposed entry for every finding of a sanctioned kind (the store keeps the first);
    with ``employee_ids``, only for them (a customer or partner has no performance pay)."""
    if not config.enabled:
        return []
    out = []
    for finding in findings:
        kind = sanction_kind(finding, config, manager_ids)
        if kind is None or (employee_ids is not None and finding.subject_id not in employee_ids):
            continue
        out.append(
            Entry(
                entry_id=entry_id(tenant, group, finding.id),
                tenant_id=tenant,
                group_id=group,
                finding_id=finding.id,
                rule=finding.rule,
                finding_kind=finding.kind,
                severity=finding.severity,
                subject_id=finding.subject_id,
                sanction_kind=kind,
                occurred_at=occurred_at(finding),
                proposed_at=now,
                policy_ref=finding.policy_ref,
                summary=finding.summary,
            )
        )
    return out


def proposed_event(entry: Entry) -> Event:
    return Event(1, "proposed", "auditor", entry.proposed_at, None, {"finding_id": entry.finding_id})


# --- the ladder ---------------------------------------------------------------------------------


def in_period(period: Period, zone: ZoneInfo, reference: datetime, other: datetime) -> bool:
    """Does ``other`` (at or before ``reference``) fall in ``reference``'s period?"""
    if other > reference:
        return False
    if period.kind == "rolling_days":
        return reference - other < timedelta(days=period.days)
    here, there = reference.astimezone(zone), other.astimezone(zone)
    return (here.year, here.month) == (there.year, there.month)


def period_key(period: Period, zone: ZoneInfo, moment: datetime) -> str:
    """The calendar month of ``moment`` (YYYY-MM, the calendar's zone): the ledger's index key."""
    return moment.astimezone(zone).strftime("%Y-%m")


@dataclass(frozen=True)
class Recommendation:
    time: int  # 1 for the first time in the period, 2 for the second ...
    step: Step
    counted: tuple[str, ...]  # the confirmed entries before it in the period

    def as_dict(self) -> dict[str, Any]:
        return {"time": self.time, **sanction_dict(self.step), "counted_entry_ids": list(self.counted)}


def sanction_dict(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {"action": step.action, "policy_ref": step.policy_ref, "text": describe(step)}
    if step.yuan is not None:
        out["yuan"] = step.yuan
    if step.points is not None:
        out["points"] = step.points
    if step.extra_points is not None:
        out["extra_points"] = list(step.extra_points)
    if step.month_pay_withheld:
        out["month_pay_withheld"] = True
    return out


def recommend(
    entry: Entry, history: Iterable[Entry], config: SanctionsConfig, zone: ZoneInfo
) -> Recommendation:
    """The ladder's step for ``entry``, counted from the person's confirmed entries of the same
    kind earlier in the entry's period (ordered by when they happened, then by id)."""
    mine = (entry.occurred_at, entry.entry_id)
    counted = sorted(
        (
            other
            for other in history
            if other.entry_id != entry.entry_id
            and other.counts
            and other.subject_id == entry.subject_id
            and other.sanction_kind == entry.sanction_kind
            and (other.occurred_at, other.entry_id) < mine
            and in_period(config.period, zone, entry.occurred_at, other.occurred_at)
        ),
        key=lambda other: (other.occurred_at, other.entry_id),
    )
    ladder = config.ladder(entry.sanction_kind)
    step = ladder[min(len(counted), len(ladder) - 1)]
    return Recommendation(len(counted) + 1, step, tuple(other.entry_id for other in counted))


_TEXT = {
    "public_criticism": "通报批评 (public criticism)",
    "pay_deduction": "扣除绩效 {yuan} 元 (−{yuan} yuan of performance pay)",
    "severe_warning": "严重警告 (severe warning)",
    "termination_proposed": "建议解除劳动合同 (termination proposed to management)",
    "performance_points": "扣绩效 {points} 分 (−{points} performance points)",
    "warning": "警告 (warning)",
}


def describe(step: Step) -> str:
    text = _TEXT[step.action].format(yuan=step.yuan, points=step.points)
    if step.month_pay_withheld:
        text += "，全额扣除当月绩效 (the month's performance pay withheld)"
    if step.extra_points is not None:
        low, high = step.extra_points
        text += f"；总经办可视情况再加扣 {low}-{high} 分 (+{low} to {high} at management's discretion)"
    return text


# --- the state machine --------------------------------------------------------------------------


def _next(entry: Entry, type_: str, actor: str, at: datetime, reason: str | None, **data: Any) -> Event:
    return Event(entry.version + 1, type_, actor, at, reason, data)


def decide(
    entry: Entry, decision: str, actor: str, at: datetime, reason: str, recommendation: Recommendation
) -> tuple[Entry, Event]:
    """A supervisor confirms or waives a proposed entry; the confirmation keeps the sanction the
    ladder recommended at that moment."""
    if decision not in DECIDED:
        raise StateConflict(f"a decision is confirmed or waived, not {decision!r}")
    if entry.status != "proposed":
        raise StateConflict(f"entry {entry.entry_id} is {entry.status}: only a proposed entry is {decision}")
    sanction = recommendation.as_dict() if decision == "confirmed" else None
    data = {"sanction": sanction} if sanction else {}
    event = _next(entry, decision, actor, at, reason, **data)
    return (
        replace(
            entry,
            status=decision,
            version=event.seq,
            decided_by=actor,
            decided_at=at,
            decision_reason=reason,
            confirmed_sanction=sanction,
        ),
        event,
    )


def lapse(entry: Entry, at: datetime) -> tuple[Entry, Event] | None:
    """The finding was resolved: a proposed entry lapses (it never counts); a decided one stays
    as decided (the violation happened; the finding only left the audit's window)."""
    if entry.status != "proposed":
        return None
    event = _next(entry, "lapsed", "auditor", at, "the finding was resolved before a decision")
    return replace(entry, status="lapsed", version=event.seq), event


def reopen(entry: Entry, at: datetime) -> tuple[Entry, Event] | None:
    """The finding of a lapsed entry is found again: the entry is proposed again."""
    if entry.status != "lapsed":
        return None
    event = _next(entry, "reopened", "auditor", at, "the finding was found again")
    return replace(entry, status="proposed", version=event.seq), event


def overturn(entry: Entry, actor: str, at: datetime, reason: str, appeal_id: str) -> tuple[Entry, Event]:
    """An appeal overturned the finding or the entry: it never counts again."""
    if entry.status == "overturned":
        raise StateConflict(f"entry {entry.entry_id} is overturned already")
    event = _next(entry, "overturned", actor, at, reason, appeal_id=appeal_id, was=entry.status)
    return replace(entry, status="overturned", version=event.seq), event


def note(
    entry: Entry, type_: str, actor: str, at: datetime, reason: str | None, **data: Any
) -> tuple[Entry, Event]:
    """An event that leaves the state as it is (an appeal filed or upheld), for the full history."""
    event = _next(entry, type_, actor, at, reason, **data)
    return replace(entry, version=event.seq), event
