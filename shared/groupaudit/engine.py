"""The pure audit engine: snapshot + directory + policy + now (+ backup index) -> report.

No I/O, no clock, no environment. The indexes the rules share (who said what when) are
computed once per audit, lazily, on the first rule that needs them.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from operator import attrgetter, itemgetter
from zoneinfo import ZoneInfo

from groupaudit.businesstime import calendar_note
from groupaudit.contracts import (
    SEVERITIES,
    BackupIndex,
    Directory,
    Finding,
    Member,
    Person,
    Report,
    ReportNote,
    SkippedRule,
    Snapshot,
)
from groupaudit.policy import Policy
from groupaudit.rules import REGISTRY, RuleSpec
from groupaudit.rules.context import Entry

_SENT_AT, _ID, _TYPE = attrgetter("sent_at"), attrgetter("id"), attrgetter("type")
_TS = itemgetter(0)


@dataclass
class AuditContext:
    snapshot: Snapshot
    policy: Policy
    now: datetime
    directory: Directory | None = None
    backups: BackupIndex | None = None
    # Hashes computed from download_url by the caller, for files the snapshot gives no sha256.
    fetched_hashes: Mapping[str, str] = field(default_factory=dict)
    # When each finding was first notified (pipeline state); drives the removal grace period.
    first_notified: Mapping[str, datetime] = field(default_factory=dict)
    lang: str = "zh"

    @property
    def tenant_id(self) -> str:
        return self.snapshot.tenant

    @property
    def group_id(self) -> str:
        return self.snapshot.group.id

    @cached_property
    def tz(self) -> ZoneInfo:
        return self.policy.calendar.zone

    @cached_property
    def now_ts(self) -> float:
        return self.now.timestamp()

    @cached_property
    def members(self) -> dict[str, Member]:
        return {m.id: m for m in self.snapshot.members or ()}

    @cached_property
    def bots(self) -> frozenset[str]:
        return frozenset(m.id for m in self.snapshot.members or () if m.is_bot)

    def name(self, member_id: str | None) -> str:
        if member_id is None:
            return "?"
        member = self.members.get(member_id)
        if member is not None and member.display_name:
            return member.display_name
        if self.directory is not None:
            person = self.people.get(member_id)
            if person is not None:
                return person.name
        return member_id

    # --- the message timeline ----------------------------------------------------------

    @cached_property
    def timeline(self) -> list[Entry]:
        """Messages that count as activity and could be questions or replies, as
        ``(ts, id, message)`` entries (they sort by time, then id, with no key function):
        not system events, and not after ``now`` (an audit "as of" an earlier moment
        ignores the future)."""
        messages = self.snapshot.messages or ()
        # In C, not in a Python loop: the times, then the entries (a million messages: 0.4 s).
        stamps = list(map(datetime.timestamp, map(_SENT_AT, messages)))
        entries = list(zip(stamps, map(_ID, messages), messages, strict=True))
        now_ts = self.now_ts
        if max(stamps, default=now_ts) > now_ts or "system" in set(map(_TYPE, messages)):
            entries = [entry for entry in entries if entry[0] <= now_ts and entry[2].type != "system"]
            stamps = list(map(_TS, entries))
        self.__dict__["stamps"] = stamps
        return entries

    @cached_property
    def stamps(self) -> list[float]:
        """The times of the timeline's entries, in its order (one list the rules share)."""
        timeline = self.timeline  # which keeps its times here as it is made
        stamps = self.__dict__.get("stamps")
        return stamps if stamps is not None else list(map(_TS, timeline))

    @cached_property
    def last_message(self) -> dict[str, Entry]:
        """Each sender's latest own message in the timeline (the greater id on a tie): the last
        of their messages in time order, which the rules that read them sort anyway."""
        return {sender: self.messages_of(sender)[-1] for sender in self._by_sender}

    @property
    def senders(self) -> Iterable[str]:
        """Everyone with a message in the timeline."""
        return self._by_sender.keys()

    @cached_property
    def _by_sender(self) -> dict[str, list[Entry]]:
        by_sender: dict[str, list[Entry]] = {}
        for entry in self.timeline:
            sender = entry[2].sender_id
            bucket = by_sender.get(sender)
            if bucket is None:
                by_sender[sender] = [entry]
            else:
                bucket.append(entry)
        return by_sender

    @cached_property
    def _sorted_senders(self) -> set[str]:
        return set()

    def messages_of(self, sender_id: str) -> list[Entry]:
        """The sender's messages in time order; each list is sorted on first use only."""
        bucket = self._by_sender.get(sender_id)
        if bucket is None:
            return []
        if sender_id not in self._sorted_senders:
            bucket.sort()
            self._sorted_senders.add(sender_id)
        return bucket

    def first_message_of_after(self, sender_id: str, ts: float, exclude_id: str) -> Entry | None:
        """The sender's first message at or after ``ts``, other than ``exclude_id``."""
        bucket = self.messages_of(sender_id)
        for index in range(bisect_left(bucket, (ts,)), len(bucket)):
            if bucket[index][1] != exclude_id:
                return bucket[index]
        return None

    # --- the directory -----------------------------------------------------------------

    @cached_property
    def people(self) -> dict[str, Person]:
        return {p.id: p for p in self.directory.people} if self.directory else {}

    @cached_property
    def department_heads(self) -> dict[str, str]:
        if self.directory is None:
            return {}
        return {d.name: d.head_id for d in self.directory.departments or () if d.head_id}

    @cached_property
    def heads(self) -> frozenset[str]:
        return frozenset(self.department_heads.values())

    @cached_property
    def leaders(self) -> frozenset[str]:
        return frozenset(self.directory.leader_ids or ()) if self.directory else frozenset()

    @cached_property
    def admin_center_head(self) -> str | None:
        if self.directory is None or not self.directory.admin_center_department:
            return None
        return self.department_heads.get(self.directory.admin_center_department)

    def head_of(self, person_id: str) -> str | None:
        person = self.people.get(person_id)
        if person is None or not person.department:
            return None
        return self.department_heads.get(person.department)

    # --- files -------------------------------------------------------------------------

    def file_hash(self, file_id: str, declared: str | None) -> str | None:
        return declared or self.fetched_hashes.get(file_id)


def audit_id_for(tenant_id: str, group_id: str, audited_at: datetime) -> str:
    key = f"{tenant_id}\x1f{group_id}\x1f{audited_at.isoformat()}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


TENANT_WIDE = "tenant-wide: runs over all of a tenant's groups (groupaudit audit-all, the scheduled run)"


def run_audit(
    ctx: AuditContext, audit_id: str | None = None, rules: Iterable[RuleSpec] | None = None
) -> Report:
    """Run every enabled rule (or only ``rules``); list the ones that cannot run, and why.

    A finding whose rule's ``notify`` setting keeps it out of the group notice (by default:
    info findings) says so in its evidence: ``notice: report_only``.
    """
    run: list[str] = []
    skipped: list[SkippedRule] = []
    findings: list[Finding] = []
    for spec in REGISTRY.values() if rules is None else rules:
        config = ctx.policy.rule(spec.id)
        if not config.enabled:
            skipped.append(SkippedRule(rule=spec.id, reason="disabled by policy"))
            continue
        if spec.tenant_wide:
            skipped.append(SkippedRule(rule=spec.id, reason=TENANT_WIDE))
            continue
        if spec.needs_directory and ctx.directory is None:
            if spec.partial_without_directory is None:
                skipped.append(SkippedRule(rule=spec.id, reason="no directory"))
                continue
            skipped.append(
                SkippedRule(rule=spec.id, reason=f"no directory: {spec.partial_without_directory}")
            )
        if spec.needs_backups and ctx.backups is None:
            skipped.append(SkippedRule(rule=spec.id, reason="no backup store given"))
            continue
        run.append(spec.id)
        quiet = {severity: not config.notifies(severity) for severity in SEVERITIES}
        for finding in spec.check(ctx, config):
            silent = quiet.get(finding.severity)
            if silent or (silent is None and not config.notifies(finding.severity)):
                finding.evidence["notice"] = "report_only"
            findings.append(finding)
    findings.sort(key=lambda f: (f.rule, f.subject_id, f.message_id or "", f.file_id or "", f.id))
    return Report(
        audit_id=audit_id or audit_id_for(ctx.tenant_id, ctx.group_id, ctx.now),
        tenant_id=ctx.tenant_id,
        group_id=ctx.group_id,
        audited_at=ctx.now,
        rules_run=run,
        rules_skipped=skipped,
        findings=findings,
        notes=calendar_notes(ctx, run),
    )


def calendar_notes(ctx: AuditContext, rules_run: list[str]) -> list[ReportNote] | None:
    """A note when a rule that ran measured business time (``sla_clock: business``) over a year
    with no confirmed holiday arrangement; the period is the earliest message to ``now``."""
    if not ctx.timeline or not any(
        getattr(ctx.policy.rule(rule), "sla_clock", None) == "business" for rule in rules_run
    ):
        return None
    earliest = min(ctx.stamps)
    years = ctx.policy.business_calendar.unconfirmed_years(earliest, ctx.now_ts)
    return [calendar_note(years, ctx.lang)] if years else None
