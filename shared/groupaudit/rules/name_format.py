"""name_format: display names not in the 部门+姓名 form, or not the member's directory department and name.

The display name splits at its first separator (the policy's `names.separators`: `+ ＋ - — _ ·`)
into a department part and a name part, both non-empty (`form`). With a directory, the
department part must be the person's directory department or one of its `department_aliases`
(`department`), and the name part the person's directory name (`name`); names are compared
with full-width forms folded and spaces trimmed. Bots and the group's exempt members are
skipped. A member absent from the directory is `outsider_member`'s business, not this rule's;
the group's allowed externals are checked for the form only (their "department" is their
company).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

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
)
from groupaudit.rules.names import normal, split_display_name

if TYPE_CHECKING:
    from groupaudit.rules.context import AuditContext


class NameFormatConfig(RuleConfig):
    severity: SeverityName = "warning"
    department_aliases: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="other names a directory department goes by in display names "
        "({研发部: [研发中心, 技术部]})",
    )


def check(ctx: AuditContext, config: NameFormatConfig) -> Iterator[Finding]:
    group = ctx.snapshot.group
    exempt = set(group.exempt_member_ids or ())
    externals = set(group.allowed_external_ids or ())
    separators = ctx.policy.names.separators
    aliases = {
        normal(dept): {normal(dept), *map(normal, names)} for dept, names in config.department_aliases.items()
    }
    for member in ctx.snapshot.members or ():
        if member.is_bot or member.id in exempt:
            continue
        person = ctx.people.get(member.id)
        if ctx.directory is not None and person is None and member.id not in externals:
            continue  # not an employee: outsider_member's business
        parts = split_display_name(member.display_name, separators)
        if parts is None or not parts[0] or not parts[1]:
            yield _finding(ctx, config, member, person, parts, ["form"])
            continue
        if person is None:
            continue  # an allowed external, or no directory: the form is all there is to check
        problems = []
        department = normal(person.department) if person.department else None
        if department is not None and normal(parts[0]) not in aliases.get(department, {department}):
            problems.append("department")
        if normal(parts[1]) != normal(person.name):
            problems.append("name")
        if problems:
            yield _finding(ctx, config, member, person, parts, problems)


def _finding(
    ctx: AuditContext,
    config: NameFormatConfig,
    member: Member,
    person: Person | None,
    parts: tuple[str, str] | None,
    problems: list[str],
) -> Finding:
    expected = f"{person.department}+{person.name}" if person is not None and person.department else None
    kind = "_and_".join(problems)
    fields: dict[str, Any] = {
        "display_name": member.display_name,
        "expected": expected or "部门+姓名",
        "department": parts[0] if parts else "",
        "name": parts[1] if parts else "",
        "directory_department": person.department if person else None,
        "directory_name": person.name if person else None,
    }
    return make_finding(
        ctx,
        rule=RULE,
        config=config,
        key=(member.id, member.display_name),
        kind=kind,
        subject_id=member.id,
        summary=RULE.summary(ctx, kind, **fields),
        evidence={
            "display_name": member.display_name,
            "department_part": parts[0] if parts else None,
            "name_part": parts[1] if parts else None,
            "directory_department": fields["directory_department"],
            "directory_name": fields["directory_name"],
            "expected_display_name": expected,
            "problems": problems,
            "separators": list(ctx.policy.names.separators),
        },
    )


_FORM = Summary(
    zh="{display_name} 的群昵称不是“部门+姓名”格式，请改为“{expected}”",
    en="{display_name}'s display name is not in the 部门+姓名 (department+name) form; "
    "please rename it {expected}",
)
_DIRECTORY = {
    "people": [
        {"id": "u-zhang", "name": "张三", "department": "销售部", "status": "active"},
        {"id": "u-li", "name": "李四", "department": "销售部", "status": "active"},
        {"id": "u-qian", "name": "钱七", "department": "研发部", "status": "active"},
    ],
}

RULE = RuleSpec(
    id="name_format",
    title_zh="群昵称不符合“部门+姓名”",
    title_en="Display names not in the department+name form",
    policy_ref="000 二(一)2; 003 第三章 2.2; 001 二 实名加入",
    config=NameFormatConfig,
    check=check,
    needs_directory=True,
    partial_without_directory="directory department and name not compared; the 部门+姓名 form checked",
    summaries={
        "form": _FORM,
        "department": Summary(
            zh="{display_name} 的群昵称部门“{department}”与通讯录（{directory_department}）不符，"
            "请改为“{expected}”",
            en="{display_name}'s display name says department {department}, the directory says "
            "{directory_department}; please rename it {expected}",
        ),
        "name": Summary(
            zh="{display_name} 的群昵称姓名“{name}”与通讯录（{directory_name}）不符，请改为“{expected}”",
            en="{display_name}'s display name says name {name}, the directory says {directory_name}; "
            "please rename it {expected}",
        ),
        "department_and_name": Summary(
            zh="{display_name} 的群昵称与通讯录（{directory_department}，{directory_name}）不符，"
            "请改为“{expected}”",
            en="{display_name}'s display name does not match the directory ({directory_department}, "
            "{directory_name}); please rename it {expected}",
        ),
    },
    table_evidence=("display_name", "expected_display_name", "problems"),
    examples=(
        Example(
            "a nickname with no department, and a member listed under another department",
            {
                "members": [
                    {"id": "u-zhang", "display_name": "小张"},
                    {"id": "u-li", "display_name": "市场部+李四"},
                    {"id": "u-qian", "display_name": "研发部＋钱七"},
                ]
            },
            directory=_DIRECTORY,
            expect=(Expected("u-li", "department"), Expected("u-zhang", "form")),
        ),
        Example(
            "an alias the policy lists, a bot, and a member absent from the directory",
            {
                "members": [
                    {"id": "u-qian", "display_name": "技术部-钱七"},
                    {"id": "u-bot", "display_name": "钉钉机器人", "is_bot": True},
                    {"id": "ext-1", "display_name": "林总"},
                ]
            },
            directory=_DIRECTORY,
            settings={"department_aliases": {"研发部": ["技术部"]}},
        ),
    ),
)
