"""Deliver one group's notice for one audit run, exactly once however often SQS redelivers.

A delivery claims ``NOTICE#{audit_id}`` in the table first (a conditional write with a
lease), sends, then records the outcome and sets ``notified_at`` on the findings it told
about. A redelivered message finds the claim ``sent`` and does nothing. (Only a crash between
the platform accepting the message and the outcome being recorded can repeat a notice, once
the lease has run out.) A digest the platform takes in several parts records each part it
accepted, so a retry after a failed part resumes there instead of repeating the group's
earlier parts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from groupaudit.adapters.storage.findings import Findings
from groupaudit.adapters.storage.notices import Notices
from groupaudit.errors import GroupAuditError
from groupaudit.notifiers.channels import Channel, DeliveryError
from groupaudit.pipeline import notice_addenda
from groupaudit.wire import NoticeMessage

LEASE = timedelta(minutes=5)


class NoticeBusy(GroupAuditError):
    """Another delivery of the same notice is in progress; retry later."""


@dataclass
class NotifierDeps:
    notices: Notices  # the delivery's claim, parts and outcome
    findings: Findings  # notified_at on the findings it told about
    channel_for: Callable[[NoticeMessage], Channel]
    clock: Callable[[], datetime]


def deliver(message: NoticeMessage, deps: NotifierDeps) -> str:
    """'sent', 'dry_run', 'duplicate' or 'failed' (permanent); raises to retry."""
    tenant, group, audit_id = message.tenant_id, message.group_id, message.audit_id
    claim = deps.notices.claim_notice(tenant, group, audit_id, deps.clock(), LEASE)
    if claim == "sent":
        return "duplicate"
    if claim == "busy":
        raise NoticeBusy(f"notice {audit_id} of group {group} is being delivered")
    # the tenant pass's lines, added to this digest while it was unclaimed (one digest per group)
    message = notice_addenda.merged(message, deps.notices.notice(tenant, group, audit_id))
    if message.channel.dry_run:
        deps.notices.finish_notice(tenant, group, audit_id, "dry_run", deps.clock(), message.text)
        return "dry_run"

    def part_sent(count: int) -> None:
        deps.notices.record_notice_part(tenant, group, audit_id, count)

    try:
        resume_from = deps.notices.notice_parts_sent(tenant, group, audit_id)
        detail = deps.channel_for(message).send(message, resume_from=resume_from, on_part=part_sent)
    except DeliveryError as exc:
        deps.notices.finish_notice(tenant, group, audit_id, "failed", deps.clock(), str(exc))
        if exc.retryable:
            raise
        return "failed"
    now = deps.clock()
    deps.findings.mark_notified(tenant, group, message.findings, now)
    deps.notices.finish_notice(tenant, group, audit_id, "sent", now, detail)
    return "sent"
