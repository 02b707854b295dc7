"""departed_member: members who have left, or who are not of the department a group serves.

Kind `departed` (severity violation): the directory says `status: departed` and `left_at` is
empty or not after the audit date (a departure dated in the future is not one yet). Kind
`other_department` (severity `other_department_severity`, info): an active employee of another
department in a department group (`group.department` set), except company leaders, department
heads, members of the admin centre, the group's exempt members and the `allowed_departments`.
Members absent from the directory are `outsider_member`'s business; bots are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field

from groupaudit.contracts import Finding, Member, Person
from groupaudit.rules.base import (
    Example,
    Expected,
    RuleConfig,
    RuleSpec,
    SeverityName,
    Summary,
    make_finding,
    mention_admins,
)
from groupaudit.rules.names import has_departed, normal

if TYPE_CHECKING:
    from groupaudit.rules.context import AuditContext


class DepartedMemberConfig(RuleConfig):
    severity: SeverityName = "violation"
    other_department_severity: SeverityName = Field(
        "info", description="severity of an employee of another department in a department group"
    )
    allowed_departments: tuple[str, ...] = Field(
        (),
        description="departments whose members may be in any department group (e.g. 人力资源部 "
        "for HR business partners)",
    )


def check(ctx: AuditContext, config: DepartedMemberConfig) -> Iterator[Finding]:
    group = ctx.snapshot.group
    today = ctx.now.astimezone(ctx.tz).date()
    exempt = set(group.exempt_member_ids or ())
    served = normal(group.department) if group.department else None
    welcome = {normal(name) for name in config.allowed_departments}
    if ctx.directory is not None and ctx.directory.admin_center_department:
        welcome.add(normal(ctx.directory.admin_center_department))
    for member in ctx.snapshot.members or ():
        person = ctx.people.get(member.id)
        if member.is_bot or person is None:
            continue
        if has_departed(person, today):
            yield _finding(ctx, config, member, person, "departed")
            continue
        if served is None or member.id in exempt or person.status == "departed" or not person.department:
            continue  # not a department group, exempt, or leaving later: nothing more to say
        department = normal(person.department)
        if (
            department == served
            or department in welcome
            or member.id in ctx.leaders
            or member.id in ctx.heads
        ):
            continue
        yield _finding(ctx, config, member, person, "other_department")


def _finding(
    ctx: AuditContext, config: DepartedMemberConfig, member: Member, person: Person, kind: str
) -> Finding:
    left_at = person.left_at.isoformat() if person.left_at else None
    fields = {
        "name": member.display_name,
        "left": f"于 {left_at} " if left_at else "",
        "left_en": f" on {left_at}" if left_at else "",
        "department": person.department or "",
        "group_department": ctx.snapshot.group.department or "",
    }
    return make_finding(
        ctx,
        rule=RULE,
        config=config,
        key=(member.id, kind),
        kind=kind,
        severity=config.other_department_severity if kind == "other_department" else None,
        subject_id=member.id,
        summary=RULE.summary(ctx, kind, **fields),
        evidence={
            "display_name": member.display_name,
            "directory_name": person.name,
            "directory_status": person.status or "active",
            "left_at": left_at,
            "directory_department": person.department,
            "group_department": ctx.snapshot.group.department,
            "joined_at": member.joined_at.astimezone(ctx.tz).isoformat() if member.joined_at else None,
        },
    )


_PEOPLE = [
    {"id": "u-head-sales", "name": "刘强", "department": "销售部", "status": "active"},
    {"id": "u-guo", "name": "郭涛", "department": "销售部", "status": "departed", "left_at": "2026-11-20"},
    {"id": "u-ma", "name": "马六", "department": "销售部", "status": "departed", "left_at": "2026-11-21"},
    {"id": "u-qian", "name": "钱七", "department": "研发部", "status": "active"},
    {"id": "u-zheng", "name": "郑一", "department": "行政中心", "status": "active"},
    {"id": "u-head-rd", "name": "赵敏", "department": "研发部", "status": "active"},
]
_DIRECTORY = {
    "people": _PEOPLE,
    "departments": [
        {"name": "销售部", "head_id": "u-head-sales"},
        {"name": "研发部", "head_id": "u-head-rd"},
    ],
    "admin_center_department": "行政中心",
}

RULE = RuleSpec(
    id="departed_member",
    title_zh="已离职或非本部门成员",
    title_en="Departed members, and members of other departments in a department group",
    policy_ref="000 二(三)1; 001 二.3",
    config=DepartedMemberConfig,
    check=check,
    needs_directory=True,
    mentions=mention_admins,
    summaries={
        "departed": Summary(
            zh="{name} 已{left}离职，仍在群内，请群管理员将其移出",
            en="{name} left the company{left_en} and is still in the group; admins, please remove them",
        ),
        "other_department": Summary(
            zh="{name} 属于{department}，不是{group_department}成员，请确认是否仍需留在本部门群",
            en="{name} belongs to {department}, not {group_department}; please check they still need "
            "to be in this department group",
        ),
    },
    table_evidence=("directory_status", "left_at", "directory_department", "group_department"),
    examples=(
        Example(
            "in the 销售部 group: a member who left today, and an engineer of 研发部",
            {
                "members": [
                    {"id": "u-head-sales", "display_name": "销售部+刘强", "role": "owner"},
                    {"id": "u-guo", "display_name": "销售部+郭涛"},
                    {"id": "u-qian", "display_name": "研发部+钱七"},
                ]
            },
            directory=_DIRECTORY,
            expect=(Expected("u-guo", "departed"), Expected("u-qian", "other_department")),
        ),
        Example(
            "a departure dated tomorrow, the admin centre and another department's head",
            {
                "members": [
                    {"id": "u-ma", "display_name": "销售部+马六"},
                    {"id": "u-zheng", "display_name": "行政中心+郑一"},
                    {"id": "u-head-rd", "display_name": "研发部+赵敏"},
                ]
            },
            directory=_DIRECTORY,
        ),
    ),
)
