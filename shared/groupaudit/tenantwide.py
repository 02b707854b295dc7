"""Tenant-wide rules (``RuleSpec.tenant_wide``): rules that judge a group by facts of the whole
tenant, such as ``onboarding_gap`` (every new hire belongs in the company group and in their
department's group). A single-snapshot audit lists them as skipped; a tenant pass runs them.

A tenant pass sees one group at a time, as a :class:`GroupView` — the group's record and its
member ids, nothing of its messages or files — so that 10,000 groups are never loaded at once:
``groupaudit audit-all`` builds the views from the snapshots it audits, the pipeline from the
membership index the worker writes (``pipeline/tenantpass.py``). Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from groupaudit.contracts import Directory, Finding, Group, Member, Report, SkippedRule, Snapshot
from groupaudit.engine import TENANT_WIDE, AuditContext
from groupaudit.policy import PolicySet
from groupaudit.rules import REGISTRY, RuleSpec


@dataclass(frozen=True)
class GroupView:
    """What a tenant pass knows of one group: its record, its members' ids, as of when."""

    tenant_id: str
    group: Group
    member_ids: frozenset[str]
    taken_at: datetime
    platform: str = "generic"

    @classmethod
    def of(cls, snapshot: Snapshot) -> GroupView:
        return cls(
            tenant_id=snapshot.tenant,
            group=snapshot.group,
            member_ids=frozenset(m.id for m in snapshot.members or () if not m.is_bot),
            taken_at=snapshot.taken_at,
            platform=snapshot.platform,
        )

    def snapshot(self) -> Snapshot:
        """A snapshot of the group holding its members only (their ids as names)."""
        return Snapshot(
            schema_version=1,
            platform=self.platform,  # type: ignore[arg-type]
            taken_at=self.taken_at,
            group=self.group,
            tenant_id=self.tenant_id,
            members=[Member(id=member_id, display_name=member_id) for member_id in sorted(self.member_ids)],
        )


@dataclass
class TenantResult:
    """What the tenant-wide rules found in one group."""

    group_id: str
    rules_run: list[str] = field(default_factory=list)
    rules_skipped: list[SkippedRule] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def tenant_wide_rules() -> list[RuleSpec]:
    return [spec for spec in REGISTRY.values() if spec.tenant_wide]


def run_tenant_rules(
    view: GroupView,
    *,
    policies: PolicySet,
    directory: Directory | None,
    now: datetime | None = None,
    lang: str = "zh",
    snapshot: Snapshot | None = None,
    rules: Iterable[RuleSpec] | None = None,
) -> TenantResult:
    """Run the tenant-wide rules on one group of the tenant, as of ``now`` (default: the
    group's ``taken_at``). ``snapshot``, when the caller has it, gives the members' names."""
    group = view.group
    policy = policies.for_group(group.kind, group.id)
    ctx = AuditContext(
        snapshot=snapshot or view.snapshot(),
        policy=policy,
        now=now or view.taken_at,
        directory=directory,
        lang=lang,
    )
    result = TenantResult(group.id)
    for spec in tenant_wide_rules() if rules is None else rules:
        config = policy.rule(spec.id)
        if not config.enabled:
            result.rules_skipped.append(SkippedRule(rule=spec.id, reason="disabled by policy"))
            continue
        if spec.needs_directory and directory is None:
            result.rules_skipped.append(SkippedRule(rule=spec.id, reason="no directory"))
            continue
        result.rules_run.append(spec.id)
        for finding in spec.check(ctx, config):
            if not config.notifies(finding.severity):
                finding.evidence["notice"] = "report_only"
            result.findings.append(finding)
    return result


def merge_into(report: Report, result: TenantResult) -> Report:
    """The group's report with what the tenant pass found: its rules run or skipped for their
    own reason instead of "tenant-wide", and its findings, in the engine's order."""
    decided = set(result.rules_run) | {s.rule for s in result.rules_skipped}
    ran = set(report.rules_run) | set(result.rules_run)
    skipped = [s for s in report.rules_skipped if not (s.rule in decided and s.reason == TENANT_WIDE)]
    skipped += [s for s in result.rules_skipped if s.rule not in {k.rule for k in skipped}]
    order = list(REGISTRY)
    findings = sorted(
        [*report.findings, *result.findings],
        key=lambda f: (f.rule, f.subject_id, f.message_id or "", f.file_id or "", f.id),
    )
    return msgspec.structs.replace(
        report,
        rules_run=[rule for rule in order if rule in ran],
        rules_skipped=sorted(skipped, key=lambda s: order.index(s.rule) if s.rule in order else len(order)),
        findings=findings,
    )


def with_tenant_rules(
    results: Iterable[tuple[Snapshot, Report]],
    *,
    policies: PolicySet,
    directory: Directory | None,
    now: datetime | None = None,
    lang: str = "zh",
) -> list[tuple[Snapshot, Report]]:
    """Each group's report of a tenant with what the tenant-wide rules find in it (a tenant
    audited from its snapshots: ``groupaudit audit-all``), as of ``now`` or each ``taken_at``."""
    out = []
    for snapshot, report in results:
        result = run_tenant_rules(
            GroupView.of(snapshot),
            policies=policies,
            directory=directory,
            now=now,
            lang=lang,
            snapshot=snapshot,
        )
        out.append((snapshot, merge_into(report, result)))
    return out
