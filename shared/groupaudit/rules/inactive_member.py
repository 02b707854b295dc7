"""inactive_member: members whose last activity is older than ``inactive_days`` ("潜水")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import Field

from groupaudit.contracts import Finding
from groupaudit.rules.base import RuleConfig, RuleSpec, SeverityName, finding_id, local_iso, make_finding

if TYPE_CHECKING:
    from groupaudit.engine import AuditContext, Entry

DAY = 86400.0


class InactiveMemberConfig(RuleConfig):
    severity: SeverityName = "warning"
    inactive_days: int = Field(30, ge=1, description="days without activity before a member is flagged")
    removal_grace_days: int = Field(
        7, ge=0, description="days after the first warning before removal is recommended"
    )
    removal_severity: SeverityName = Field("violation", description="severity once removal is recommended")


def check(ctx: AuditContext, config: InactiveMemberConfig) -> Iterator[Finding]:
    now_ts = ctx.now_ts
    threshold = config.inactive_days * DAY
    exempt = set(ctx.snapshot.group.exempt_member_ids or ())
    last_message = ctx.last_message
    for member in ctx.snapshot.members or ():
        if member.is_bot or member.id in exempt:
            continue
        joined_ts = member.joined_at.timestamp() if member.joined_at else None
        if joined_ts is not None and joined_ts > now_ts:
            continue  # joined after the audit moment
        said = last_message.get(member.id)
        last_ts, source = joined_ts, "joined"
        if said is not None and (last_ts is None or said[0] >= last_ts):
            last_ts, source = said[0], "message"
        if last_ts is not None and now_ts - last_ts <= threshold:
            continue
        yield _finding(ctx, config, member.id, last_ts, source if last_ts is not None else None, said)


def _finding(
    ctx: AuditContext,
    config: InactiveMemberConfig,
    member_id: str,
    last_ts: float | None,
    source: str | None,
    said: Entry | None,
) -> Finding:
    key = (member_id, local_iso(ctx, last_ts))  # a new silence after activity is a new fact
    warned_at = ctx.first_notified.get(finding_id(ctx.tenant_id, ctx.group_id, RULE.id, *key))
    removal_due = warned_at + timedelta(days=config.removal_grace_days) if warned_at else None
    removal = removal_due is not None and ctx.now >= removal_due
    days = int((ctx.now_ts - last_ts) // DAY) if last_ts is not None else None
    name = ctx.name(member_id)
    if ctx.lang == "en":
        since = f"{days} days" if days is not None else "ever (no activity in the snapshot)"
        action = "removal recommended" if removal else "please speak up or tell an admin"
        summary = f"{name} has been inactive for {since} (limit {config.inactive_days}); {action}"
    else:
        since = f"{days} 天" if days is not None else "快照内从未发言"
        action = "建议移出群聊" if removal else "请及时参与群内交流"
        summary = f"{name} 已 {since} 未活跃（上限 {config.inactive_days} 天），{action}"
    evidence = {
        "last_activity_at": local_iso(ctx, last_ts),
        "last_activity": source,
        "last_message_id": said[1] if said is not None and source == "message" else None,
        "inactive_days": days,
        "threshold_days": config.inactive_days,
        "stage": "removal_recommended" if removal else "warning",
        "first_warned_at": local_iso(ctx, warned_at),
        "removal_due_at": local_iso(ctx, removal_due),
        "notify": "admins" if removal else "member",
    }
    return make_finding(
        ctx,
        rule=RULE,
        config=config,
        key=key,
        subject_id=member_id,
        kind="removal_recommended" if removal else "inactive",
        severity=config.removal_severity if removal else None,
        summary=summary,
        evidence=evidence,
    )


RULE = RuleSpec(
    id="inactive_member",
    title_zh="长期不活跃（潜水）成员",
    title_en="Long-inactive members",
    policy_ref="000 二(二)1; 001 二.7, 八.9; 002 二(二)1",
    config=InactiveMemberConfig,
    check=check,
)
