"""The scheduler's fan-out: one audit-queue message per registered group, sent in batches."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from groupaudit.adapters.storage.groups import Groups
from groupaudit.adapters.storage.runs import Runs
from groupaudit.errors import GroupAuditError
from groupaudit.wire import AuditMessage, Trigger

if TYPE_CHECKING:
    from groupaudit.policy import CalendarConfig

SQS_BATCH = 10


class FanOutError(GroupAuditError):
    """Some messages could not be queued after retries; the invocation must fail (and retry)."""


@dataclass
class FanOutDeps:
    groups: Groups  # the tenants and their registered groups
    runs: Runs  # the audit requests
    sqs: Any
    queue_url: str
    clock: Callable[[], datetime]


@dataclass(frozen=True)
class FanOutResult:
    tenants: int
    groups: int
    audits: dict[str, str]  # tenant -> audit id
    not_working: tuple[str, ...] = ()  # tenants whose calendar has the day off: nothing queued


SCHEDULE_ZONE = "Asia/Shanghai"


def is_working_day(scheduled_time: str | None, now: datetime, calendar: CalendarConfig | None = None) -> bool:
    """Is the schedule's day a working day of ``calendar``, in its time zone: the tenant's
    calendar (its extra holidays, make-up working days and ``years``) when given, else the
    Chinese public calendar (调休 included) in Asia/Shanghai?"""
    from zoneinfo import ZoneInfo

    from groupaudit.businesstime import chinese_workday_rule

    moment = datetime.fromisoformat(scheduled_time) if scheduled_time else now
    if calendar is None:
        return chinese_workday_rule()(moment.astimezone(ZoneInfo(SCHEDULE_ZONE)).date())
    return calendar.workday_rule()(moment.astimezone(calendar.zone).date())


def audit_id_for(tenant: str, trigger: str, key: str) -> str:
    """Stable: the same scheduled time (or API idempotency key) gives the same audit id."""
    return hashlib.sha256(f"{tenant}\x1f{trigger}\x1f{key}".encode()).hexdigest()[:32]


def fan_out(
    deps: FanOutDeps,
    *,
    tenant_id: str,
    trigger: Trigger,
    key: str,
    group_ids: list[str] | None = None,
    working_day: Callable[[str], bool] | None = None,
) -> FanOutResult:
    """Queue every enabled group of ``tenant_id`` ("all": every tenant) or the given groups;
    with ``working_day``, only of the tenants for which it is true (each tenant's calendar)."""
    now = deps.clock()
    listed = deps.groups.list_tenants() if tenant_id == "all" else [tenant_id]
    tenants = [t for t in listed if working_day is None or working_day(t)]
    not_working = tuple(t for t in listed if t not in tenants)
    audits: dict[str, str] = {}
    queued = 0
    for tenant in tenants:
        groups = [g.group_id for g in deps.groups.list_groups(tenant) if g.enabled]
        if group_ids is not None:
            groups = [g for g in groups if g in set(group_ids)]
        audit_id = audit_id_for(tenant, trigger, key)
        audits[tenant] = audit_id
        if deps.runs.create_audit(tenant, audit_id, groups, trigger, now) == "queued":
            continue  # a retried request: its groups are queued already
        messages = [
            AuditMessage(tenant_id=tenant, group_id=g, audit_id=audit_id, trigger=trigger, requested_at=now)
            for g in groups
        ]
        send_batches(deps.sqs, deps.queue_url, messages)
        deps.runs.mark_audit_queued(tenant, audit_id)
        queued += len(messages)
    return FanOutResult(tenants=len(tenants), groups=queued, audits=audits, not_working=not_working)


def send_batches(sqs: Any, queue_url: str, messages: list[AuditMessage]) -> None:
    for start in range(0, len(messages), SQS_BATCH):
        entries = [
            {"Id": str(index), "MessageBody": message.model_dump_json()}
            for index, message in enumerate(messages[start : start + SQS_BATCH])
        ]
        for _ in range(5):
            answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
            failed = {f["Id"] for f in answer.get("Failed", []) if not f.get("SenderFault")}
            permanent = [f for f in answer.get("Failed", []) if f.get("SenderFault")]
            if permanent:
                raise FanOutError(f"SQS refused {len(permanent)} message(s): {permanent[0].get('Message')}")
            entries = [e for e in entries if e["Id"] in failed]
            if not entries:
                break
        else:
            raise FanOutError(f"{len(entries)} message(s) not queued after 5 attempts")
