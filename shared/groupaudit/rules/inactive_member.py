"""inactive_member: members whose last activity is older than ``inactive_days`` ("潜水").

Only on evidence: a member's silence is known from the latest of their join, the group's
creation (nobody joined before it) and the start of the snapshot's messages
(``messages_since``); a member silent in a 14-day window is not "inactive for 30 days".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import Field

from groupaudit.contracts import Finding, MemberRole
from groupaudit.rules.base import (
    MAX_DAYS,
    Example,
    Expected,
    Mentions,
    RuleConfig,
    RuleSpec,
    SeverityName,
    finding_id,
    local_iso,
    make_finding,
)

if TYPE_CHECKING:
    from groupaudit.rules.context import AuditContext, Entry

DAY = 86400.0


class InactiveMemberConfig(RuleConfig):
    severity: SeverityName = "warning"
    inactive_days: int = Field(
        30, ge=1, le=MAX_DAYS, description="days without activity before a member is flagged"
    )
    removal_grace_days: int = Field(
        7, ge=0, le=MAX_DAYS, description="days after the first warning before removal is recommended"
    )
    removal_severity: SeverityName = Field("violation", description="severity once removal is recommended")
    exempt_roles: tuple[MemberRole, ...] = Field(
        (),
        description="group roles never flagged, e.g. [owner, admin] where the administrators only "
        "post announcements through the platform's announcement feature",
    )
    exempt_departments: tuple[str, ...] = Field(
        (),
        description="directory departments never flagged (e.g. staff whose role is to publish "
        "announcements, such as 行政中心)",
    )


def check(ctx: AuditContext, config: InactiveMemberConfig) -> Iterator[Finding]:
    now_ts = ctx.now_ts
    threshold = config.inactive_days * DAY
    group = ctx.snapshot.group
    exempt = set(group.exempt_member_ids or ())
    exempt_roles = set(config.exempt_roles)
    exempt_departments = set(config.exempt_departments)
    created_ts = group.created_at.timestamp() if group.created_at else None
    since = ctx.snapshot.messages_since
    since_ts = since.timestamp() if since else None
    last_message = ctx.last_message
    people = ctx.people
    for member in ctx.snapshot.members or ():
        if member.is_bot or member.id in exempt or (member.role or "member") in exempt_roles:
            continue
        if exempt_departments:
            person = people.get(member.id)
            if person is not None and person.department in exempt_departments:
                continue
        joined_ts = member.joined_at.timestamp() if member.joined_at else None
        if joined_ts is not None and joined_ts > now_ts:
            continue  # joined after the audit moment
        said = last_message.get(member.id)
        # The latest moment since which the member is known to have been silent, and why.
        bounds = [
            (joined_ts, "joined"),
            (created_ts, "group_created"),
            (since_ts, "messages_since"),
            (said[0] if said is not None else None, "message"),
        ]
        known = [(ts, source) for ts, source in bounds if ts is not None]
        last_ts, source = max(known, key=lambda b: (b[0], b[1] == "message")) if known else (None, None)
        if last_ts is not None and now_ts - last_ts <= threshold:
            continue
        activity = max((ts for ts, src in known if src in ("joined", "message")), default=None)
        yield _finding(ctx, config, member.id, (last_ts, source, activity), said)


def _days(days: float, limit: int) -> str:
    """Days as shown: whole days, with a decimal where rounding down would read as within the
    limit (30.8 days against a 30-day limit). A finding's silence is always over the limit, so
    a decimal that would still round to the limit (30.02 days) shows one tenth over it."""
    if int(days) > limit:
        return str(int(days))
    return f"{max(round(days, 1), limit + 0.1):.1f}"


def _finding(
    ctx: AuditContext,
    config: InactiveMemberConfig,
    member_id: str,
    silence: tuple[float | None, str | None, float | None],
    said: Entry | None,
) -> Finding:
    last_ts, source, activity = silence
    # The member's own last activity (join or message) keys the fact: a new silence after
    # activity is a new finding; a window that slides forward day by day is not.
    key = (member_id, local_iso(ctx, activity))
    warned_at = ctx.first_notified.get(finding_id(ctx.tenant_id, ctx.group_id, RULE.id, *key))
    removal_due = warned_at + timedelta(days=config.removal_grace_days) if warned_at else None
    removal = removal_due is not None and ctx.now >= removal_due
    exact = (ctx.now_ts - last_ts) / DAY if last_ts is not None else None
    days = int(exact) if exact is not None else None
    name, limit = ctx.name(member_id), config.inactive_days
    posted = said is not None and source == "message"
    date = local_iso(ctx, last_ts)[:10] if last_ts is not None else None
    if ctx.lang == "en":
        action = "removal recommended" if removal else "please speak up or tell an admin"
        if posted:
            what = f"has not posted for {_days(exact, limit)} days"  # type: ignore[arg-type]
        elif exact is not None:
            what = f"has not posted since {date} ({_days(exact, limit)} days)"
        else:
            what = "has never posted in the group"
        summary = f"{name} {what}, over the {limit}-day limit; {action}"
    else:
        action = "建议移出群聊" if removal else "请及时参与群内交流"
        if posted:
            what = f"已 {_days(exact, limit)} 天未发言"  # type: ignore[arg-type]
        elif exact is not None:
            what = f"自 {date} 起未发言（{_days(exact, limit)} 天）"
        else:
            what = "入群以来从未发言"
        summary = f"{name} {what}，超过上限 {limit} 天，{action}"
    evidence = {
        "last_activity_at": local_iso(ctx, last_ts),
        "last_activity": source,
        "last_message_id": said[1] if posted and said is not None else None,
        "silent_since": local_iso(ctx, last_ts),
        "silent_since_reason": source,
        "messages_since": local_iso(ctx, ctx.snapshot.messages_since),
        "inactive_days": days,
        "threshold_days": limit,
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


def _mentions(finding: Finding) -> Mentions:
    """The member while warned; the group's administrators once removal is recommended."""
    if finding.evidence.get("notify") == "admins":
        return Mentions(admins=True)
    return Mentions((finding.subject_id,))


_JOINED = "2026-01-05T09:00:00+08:00"

RULE = RuleSpec(
    id="inactive_member",
    title_zh="长期不活跃（潜水）成员",
    title_en="Long-inactive members",
    policy_ref="000 二(二)1; 001 二.7, 八.9; 002 二(二)1",
    config=InactiveMemberConfig,
    check=check,
    table_evidence=("last_activity_at", "inactive_days", "stage"),
    mentions=_mentions,
    lookback_days=lambda config: config.inactive_days,
    # the all-staff group is a broadcast channel: nobody is expected to speak there
    profiles={"company": {"enabled": False}},
    examples=(
        Example(
            "a member whose last message is 40 days old (limit 30)",
            {
                "members": [{"id": "u-wang", "display_name": "销售部+王五", "joined_at": _JOINED}],
                "messages": [{"id": "m-1", "sender_id": "u-wang", "sent_at": "2026-10-11T10:00:00+08:00"}],
            },
            expect=(Expected("u-wang", "inactive"),),
        ),
        Example(
            "a member who posted 10 days ago, and a bot that never posts",
            {
                "members": [
                    {"id": "u-wang", "display_name": "销售部+王五", "joined_at": _JOINED},
                    {"id": "u-bot", "display_name": "钉钉机器人", "joined_at": _JOINED, "is_bot": True},
                ],
                "messages": [{"id": "m-1", "sender_id": "u-wang", "sent_at": "2026-11-10T10:00:00+08:00"}],
            },
        ),
        Example(
            "a member silent in a snapshot that holds only the last 14 days of messages",
            {
                "messages_since": "2026-11-06T18:00:00+08:00",
                "members": [{"id": "u-wang", "display_name": "销售部+王五", "joined_at": _JOINED}],
            },
        ),
    ),
)
