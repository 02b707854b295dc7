"""group_governance: group owners who are not active employees; groups created without authorisation.

Kind `owner_inactive` (subject: the owner, 003 第三章 1.2 群主必须为公司内的员工): the group's
owner has departed (as `departed_member` reads it) or is absent from the directory. Kind
`unauthorised_creator` (subject: the creator, 1.1): a group whose kind is not `department` was
created by someone who is neither a company leader (`leader_ids`: 总经办, 副总), nor the head of
the admin centre, nor on the policy's `authorised_creator_ids` (those the 总经办 authorised).
A group that names no owner or creator gives no finding of that kind.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field

from groupaudit.contracts import Finding
from groupaudit.rules.base import (
    Example,
    Expected,
    Mentions,
    RuleConfig,
    RuleSpec,
    SeverityName,
    Summary,
    local_iso,
    make_finding,
)
from groupaudit.rules.names import has_departed

if TYPE_CHECKING:
    from groupaudit.rules.context import AuditContext


KIND_NAMES = {
    "company": "公司总群",
    "management": "管理群",
    "project": "项目群",
    "temporary": "临时群",
    "meeting": "会议群",
    "operations": "运营群",
    "other": "群",
}


class GroupGovernanceConfig(RuleConfig):
    severity: SeverityName = "violation"
    authorised_creator_ids: tuple[str, ...] = Field(
        (),
        description="people the 总经办 authorised to create groups, besides the leaders and the "
        "head of the admin centre",
    )


def check(ctx: AuditContext, config: GroupGovernanceConfig) -> Iterator[Finding]:
    group = ctx.snapshot.group
    today = ctx.now.astimezone(ctx.tz).date()
    if group.owner_id:
        owner = ctx.people.get(group.owner_id)
        if owner is None or has_departed(owner, today):
            status = "not_in_directory" if owner is None else "departed"
            yield make_finding(
                ctx,
                rule=RULE,
                config=config,
                key=("owner_inactive", group.owner_id),
                kind="owner_inactive",
                subject_id=group.owner_id,
                policy_ref="003 第三章 1.2",
                summary=RULE.summary(
                    ctx,
                    f"owner_{status}",
                    name=ctx.name(group.owner_id),
                    left=f"于 {owner.left_at.isoformat()} " if owner and owner.left_at else "",
                    left_en=f" on {owner.left_at.isoformat()}" if owner and owner.left_at else "",
                ),
                evidence={
                    "owner_id": group.owner_id,
                    "owner_name": ctx.name(group.owner_id),
                    "owner_status": status,
                    "left_at": owner.left_at.isoformat() if owner and owner.left_at else None,
                    "admin_ids": list(group.admin_ids or ()),
                },
            )
    creator = group.created_by
    if not creator or group.effective_kind == "department":
        return
    authorised = [*sorted(ctx.leaders), *([ctx.admin_center_head] if ctx.admin_center_head else [])]
    authorised += [person for person in config.authorised_creator_ids if person not in authorised]
    if creator in authorised:
        return
    yield make_finding(
        ctx,
        rule=RULE,
        config=config,
        key=("unauthorised_creator", creator),
        kind="unauthorised_creator",
        subject_id=creator,
        policy_ref="003 第三章 1.1",
        summary=RULE.summary(
            ctx,
            "unauthorised_creator",
            name=ctx.name(creator),
            group_kind=group.effective_kind,
            kind_zh=KIND_NAMES.get(group.effective_kind, group.effective_kind),
        ),
        evidence={
            "created_by": creator,
            "creator_name": ctx.name(creator),
            "created_at": local_iso(ctx, group.created_at),
            "group_kind": group.effective_kind,
            "authorised_creators": authorised,
        },
    )


def _mentions(finding: Finding) -> Mentions:
    """The creator of an unauthorised group; the group's administrators for an owner who is gone."""
    if finding.kind == "unauthorised_creator":
        return Mentions((finding.subject_id,))
    return Mentions(admins=True)


_DIRECTORY = {
    "people": [
        {"id": "u-ceo", "name": "陈建国", "department": "总经办", "status": "active"},
        {"id": "u-head-rd", "name": "赵敏", "department": "研发部", "status": "active"},
        {"id": "u-admin-head", "name": "孙丽", "department": "行政中心", "status": "active"},
        {
            "id": "u-guo",
            "name": "郭涛",
            "department": "销售部",
            "status": "departed",
            "left_at": "2026-10-31",
        },
    ],
    "departments": [
        {"name": "总经办", "head_id": "u-ceo"},
        {"name": "研发部", "head_id": "u-head-rd"},
        {"name": "行政中心", "head_id": "u-admin-head"},
    ],
    "leader_ids": ["u-ceo"],
    "admin_center_department": "行政中心",
}

RULE = RuleSpec(
    id="group_governance",
    title_zh="群主非在职员工或未经授权建群",
    title_en="Group owner not an active employee, or group created without authorisation",
    policy_ref="003 第三章 1.1-1.2",
    config=GroupGovernanceConfig,
    check=check,
    needs_directory=True,
    mentions=_mentions,
    summaries={
        "owner_departed": Summary(
            zh="群主 {name} 已{left}离职，群主须为在职员工，请群管理员转让群主",
            en="The group's owner {name} left the company{left_en}; the owner must be an active "
            "employee: admins, please transfer ownership",
        ),
        "owner_not_in_directory": Summary(
            zh="群主 {name} 不在公司通讯录中，群主须为在职员工，请群管理员转让群主",
            en="The group's owner {name} is not in the company directory; the owner must be an active "
            "employee: admins, please transfer ownership",
        ),
        "unauthorised_creator": Summary(
            zh="本{kind_zh}由 {name} 创建，其不在授权建群人员之列"
            "（总经办、副总或经授权的行政中心），请补办授权",
            en="This {group_kind} group was created by {name}, who is not authorised to create groups "
            "(总经办, vice presidents, or the admin centre when authorised); please obtain authorisation",
        ),
    },
    table_evidence=("owner_status", "created_by", "group_kind", "authorised_creators"),
    examples=(
        Example(
            "a project group created by the R&D head and owned by a member who has left",
            {
                "group": {
                    "kind": "project",
                    "department": None,
                    "owner_id": "u-guo",
                    "admin_ids": ["u-head-rd"],
                    "created_by": "u-head-rd",
                },
                "members": [
                    {"id": "u-guo", "display_name": "销售部+郭涛", "role": "owner"},
                    {"id": "u-head-rd", "display_name": "研发部+赵敏", "role": "admin"},
                ],
            },
            directory=_DIRECTORY,
            expect=(Expected("u-guo", "owner_inactive"), Expected("u-head-rd", "unauthorised_creator")),
        ),
        Example(
            "a meeting group the admin centre's head created and owns",
            {
                "group": {
                    "kind": "meeting",
                    "department": None,
                    "owner_id": "u-admin-head",
                    "created_by": "u-admin-head",
                },
                "members": [{"id": "u-admin-head", "display_name": "行政中心+孙丽", "role": "owner"}],
            },
            directory=_DIRECTORY,
        ),
        Example(
            "a project group created by someone the policy lists as authorised",
            {
                "group": {
                    "kind": "project",
                    "department": None,
                    "owner_id": "u-head-rd",
                    "created_by": "u-head-rd",
                },
                "members": [{"id": "u-head-rd", "display_name": "研发部+赵敏", "role": "owner"}],
            },
            directory=_DIRECTORY,
            settings={"authorised_creator_ids": ["u-head-rd"]},
        ),
    ),
)
