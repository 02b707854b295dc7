"""onboarding_gap: new hires not in the company group and their department's group by day 5.

For each active person of the directory hired within the last ``onboarding_lookback_days``
(60) and more than ``onboarding_days`` (5) calendar days ago — day 1 is ``hired_at``, so a
person hired on 11-15 is late on 11-20, their day 6 — one finding per group they are missing
from: every ``company`` group of the tenant, and every ``department`` group whose
``group.department`` is the person's department. The finding belongs to the missing group and
its notice asks that group's owner (or, without one, its administrators) to add the person.

A tenant-wide rule: it runs over all of a tenant's groups at once (``groupaudit audit-all``, the
scheduled run's tenant pass over the membership index); a single-snapshot ``audit`` lists it as
skipped. Departed people, people hired in the future and people without a ``hired_at`` are
never flagged.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

from pydantic import Field

from groupaudit.contracts import Finding, Person
from groupaudit.rules.base import (
    MAX_DAYS,
    Example,
    Expected,
    Mentions,
    RuleConfig,
    RuleSpec,
    SeverityName,
    Summary,
    make_finding,
)

if TYPE_CHECKING:
    from groupaudit.rules.context import AuditContext


class OnboardingGapConfig(RuleConfig):
    severity: SeverityName = "warning"
    onboarding_days: int = Field(
        5,
        ge=1,
        le=MAX_DAYS,
        description="calendar days (day 1 is hired_at) within which a new hire joins their groups",
    )
    onboarding_lookback_days: int = Field(
        60,
        ge=1,
        le=MAX_DAYS,
        description="people hired within this many days (day 1 is hired_at) are checked",
    )


def recent_hires(people: list[Person], today: date, config: OnboardingGapConfig) -> list[tuple[Person, int]]:
    """Active people late to join their groups, with their day number (day 1 is hired_at)."""
    late = []
    for person in people:
        if person.status == "departed" or person.hired_at is None:
            continue
        day = (today - person.hired_at).days + 1
        if config.onboarding_days < day <= config.onboarding_lookback_days:
            late.append((person, day))
    return late


def check(ctx: AuditContext, config: OnboardingGapConfig) -> Iterator[Finding]:
    """The findings of one group of the tenant: the late new hires it should hold and does not."""
    group = ctx.snapshot.group
    kind = group.effective_kind
    if ctx.directory is None or kind not in ("company", "department"):
        return
    served = (group.department or "").strip()
    if kind == "department" and not served:
        return
    today = ctx.now.astimezone(ctx.tz).date()
    members = ctx.members
    for person, day in recent_hires(ctx.directory.people, today, config):
        if person.id in members:
            continue
        if kind == "department" and (person.department or "").strip() != served:
            continue
        yield _finding(ctx, config, person, day, kind)


def _finding(ctx: AuditContext, config: OnboardingGapConfig, person: Person, day: int, kind: str) -> Finding:
    group = ctx.snapshot.group
    owner = group.owner_id
    which = "company_group" if kind == "company" else "department_group"
    hired = person.hired_at.isoformat() if person.hired_at else ""
    return make_finding(
        ctx,
        rule=RULE,
        config=config,
        key=(person.id,),
        kind=which,
        subject_id=person.id,
        summary=RULE.summary(
            ctx, which, name=person.name, department=person.department or "—", hired=hired, day=day
        ),
        evidence={
            "name": person.name,
            "department": person.department,
            "hired_at": hired,
            "day": day,
            "group_kind": kind,
            "owner_id": owner,
        },
    )


def _mentions(finding: Finding) -> Mentions:
    """The missing group's owner adds the person (its administrators when it has no owner)."""
    owner = finding.evidence.get("owner_id")
    return Mentions((owner,)) if owner else Mentions(admins=True)


def _person(person_id: str, name: str, department: str, hired: str, status: str = "active") -> dict:
    return {"id": person_id, "name": name, "department": department, "status": status, "hired_at": hired}


_DIRECTORY = {
    "people": [
        _person("u-head-sales", "刘强", "销售部", "2024-03-01"),
        _person("u-new", "林小雨", "销售部", "2026-11-15"),
        _person("u-newer", "何磊", "销售部", "2026-11-16"),
        _person("u-rd", "钱七", "研发部", "2026-11-02"),
        _person("u-gone", "郭涛", "销售部", "2026-11-01", "departed"),
    ],
}
_OWNER = {"id": "u-head-sales", "display_name": "销售部+刘强", "role": "owner"}

RULE = RuleSpec(
    id="onboarding_gap",
    title_zh="新员工未按时入群",
    title_en="New hires missing from their groups",
    policy_ref="003 第三章 2.1",
    config=OnboardingGapConfig,
    check=check,
    needs_directory=True,
    tenant_wide=True,
    mentions=_mentions,
    summaries={
        "company_group": Summary(
            zh="新员工 {name}（{department}，{hired} 入职，今天第 {day} 天）尚未加入公司总群，请群主将其拉入",
            en="New hire {name} ({department}, hired {hired}, day {day}) is not in the company group yet; "
            "owner, please add them",
        ),
        "department_group": Summary(
            zh="新员工 {name}（{department}，{hired} 入职，今天第 {day} 天）尚未加入本部门群，请群主将其拉入",
            en="New hire {name} ({department}, hired {hired}, day {day}) is not in this department group "
            "yet; owner, please add them",
        ),
    },
    table_evidence=("name", "department", "hired_at", "day"),
    examples=(
        Example(
            "the 销售部 group without a 销售部 hire of 11-15 (day 6 on 11-20)",
            {"group": {"owner_id": "u-head-sales"}, "members": [_OWNER]},
            directory=_DIRECTORY,
            expect=(Expected("u-new", "department_group"),),
        ),
        Example(
            "a hire of 11-16 (day 5), a hire already in the group, another department's and a departed hire",
            {
                "group": {"owner_id": "u-head-sales"},
                "members": [_OWNER, {"id": "u-new", "display_name": "销售部+林小雨"}],
            },
            directory=_DIRECTORY,
        ),
    ),
)
