"""outsider_member: members absent from the directory (not employees) in an internal group.

A non-bot member whose id is not in the directory, not on the group's `allowed_external_ids`
and not on the policy's `allowed_external_ids`. Off by default for `operations` groups (002
admits customers and partners there).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field

from groupaudit.contracts import Finding
from groupaudit.rules.base import (
    Example,
    Expected,
    RuleConfig,
    RuleSpec,
    SeverityName,
    Summary,
    local_iso,
    make_finding,
    mention_admins,
)

if TYPE_CHECKING:
    from groupaudit.rules.context import AuditContext


class OutsiderMemberConfig(RuleConfig):
    severity: SeverityName = "violation"
    allowed_external_ids: tuple[str, ...] = Field(
        (),
        description="non-employees allowed in every group this policy applies to (the group's own "
        "list is group.allowed_external_ids)",
    )


def check(ctx: AuditContext, config: OutsiderMemberConfig) -> Iterator[Finding]:
    group = ctx.snapshot.group
    allowed = set(group.allowed_external_ids or ()) | set(config.allowed_external_ids)
    for member in ctx.snapshot.members or ():
        if member.is_bot or member.id in ctx.people or member.id in allowed:
            continue
        yield make_finding(
            ctx,
            rule=RULE,
            config=config,
            key=(member.id,),
            subject_id=member.id,
            summary=RULE.summary(ctx, None, name=member.display_name, id=member.id),
            evidence={
                "display_name": member.display_name,
                "in_directory": False,
                "allowed_external": False,
                "joined_at": local_iso(ctx, member.joined_at),
                "role": member.role or "member",
                "group_kind": group.effective_kind,
            },
        )


_DIRECTORY = {"people": [{"id": "u-qian", "name": "钱七", "department": "研发部", "status": "active"}]}

RULE = RuleSpec(
    id="outsider_member",
    title_zh="群内有非公司人员",
    title_en="Members who are not employees",
    policy_ref="003 第三章 1.2, 2.4",
    config=OutsiderMemberConfig,
    check=check,
    needs_directory=True,
    mentions=mention_admins,
    summaries={
        "": Summary(
            zh="{name}（{id}）不在公司通讯录中，也不在本群允许的外部成员名单内，请群管理员核实或将其移出",
            en="{name} ({id}) is not in the company directory nor on the group's allowed external "
            "members; admins, please check or remove them",
        )
    },
    table_evidence=("display_name", "joined_at", "role"),
    profiles={"operations": {"enabled": False}},  # 002: operations groups admit partners
    examples=(
        Example(
            "a vendor's engineer in a project group",
            {
                "group": {"kind": "project", "department": None},
                "members": [
                    {"id": "u-qian", "display_name": "研发部+钱七"},
                    {
                        "id": "ext-vendor",
                        "display_name": "外包-赵工",
                        "joined_at": "2026-11-01T09:00:00+08:00",
                    },
                ],
            },
            directory=_DIRECTORY,
            expect=(Expected("ext-vendor"),),
        ),
        Example(
            "the same vendor on the group's allowed external list, and a bot",
            {
                "group": {"kind": "project", "department": None, "allowed_external_ids": ["ext-vendor"]},
                "members": [
                    {"id": "ext-vendor", "display_name": "外包-赵工"},
                    {"id": "u-bot", "display_name": "钉钉机器人", "is_bot": True},
                ],
            },
            directory=_DIRECTORY,
        ),
        Example(
            "a customer in an operations group (the rule is off there by default)",
            {
                "group": {"kind": "operations", "department": None},
                "members": [{"id": "ext-cust", "display_name": "客户-星光贸易 林总"}],
            },
            directory=_DIRECTORY,
        ),
    ),
)
