"""name_format: display names in the 部门+姓名 form, matching the directory."""

from __future__ import annotations

import pytest

from factories import audit, member, of_rule, policy, snapshot

DIRECTORY = {
    "schema_version": 1,
    "people": [
        {"id": "u-zhang", "name": "张三", "department": "销售部", "status": "active"},
        {"id": "u-tom", "name": "Tom", "department": "IT部", "status": "active"},
    ],
}


def _findings(members, directory=DIRECTORY, policies=None, lang="zh", **group):
    report = audit(snapshot(members, **group), directory_doc=directory, policies=policies, lang=lang)
    return of_rule(report, "name_format")


@pytest.mark.parametrize("separator", ["+", "＋", "-", "—", "_", "·"])
def test_every_default_separator_splits_department_and_name(separator):
    # GIVEN 张三 of 销售部 named with one of the default separators
    # WHEN audited with the directory
    # THEN the name is in form and matches
    assert _findings([member("u-zhang", f"销售部{separator}张三")]) == []


@pytest.mark.parametrize(
    "display_name",
    ["张三", "+张三", "销售部+", "销售部 + ", "销售部/张三"],
    ids=["none", "no-dept", "no-name", "blank", "slash"],
)
def test_a_name_without_both_parts_is_not_in_form(display_name):
    # GIVEN a display name missing a separator or one of its parts
    (finding,) = _findings([member("u-zhang", display_name)])
    # THEN it is out of form, and the summary says what to rename it to
    assert (finding.kind, finding.subject_id, finding.severity) == ("form", "u-zhang", "warning")
    assert finding.summary == f"{display_name} 的群昵称不是“部门+姓名”格式，请改为“销售部+张三”"
    assert finding.evidence["expected_display_name"] == "销售部+张三"
    assert finding.policy_ref == "000 二(一)2; 003 第三章 2.2; 001 二 实名加入"


def test_the_first_separator_splits_the_name():
    # GIVEN 销售部-华东+张三: the first separator is "-"
    (finding,) = _findings([member("u-zhang", "销售部-华东+张三")])
    # THEN the name part is 华东+张三, which is not the directory name
    assert finding.kind == "name"
    assert (finding.evidence["department_part"], finding.evidence["name_part"]) == ("销售部", "华东+张三")


@pytest.mark.parametrize(
    ("display_name", "kind"),
    [("市场部+张三", "department"), ("销售部+张叁", "name"), ("市场部+李四", "department_and_name")],
)
def test_the_parts_must_be_the_directory_department_and_name(display_name, kind):
    # GIVEN a name in form whose parts differ from the directory
    (finding,) = _findings([member("u-zhang", display_name)], lang="en")
    # THEN the finding says which part, in English too
    assert finding.kind == kind
    assert finding.evidence["problems"] == kind.split("_and_")
    assert finding.summary.endswith("please rename it 销售部+张三")


def test_width_case_and_spaces_do_not_count_as_differences():
    # GIVEN full-width letters, another case and spaces around the parts
    # THEN the names match the directory (IT部, Tom)
    assert _findings([member("u-tom", "ＩＴ部 + tom")]) == []


def test_an_alias_of_the_department_is_accepted_and_only_for_that_department():
    # GIVEN 销售中心 listed as an alias of 销售部
    policies = policy({"name_format": {"department_aliases": {"销售部": ["销售中心"]}}})
    # THEN 销售中心+张三 is fine, and 市场中心+张三 is not
    assert _findings([member("u-zhang", "销售中心+张三")], policies=policies) == []
    assert [f.kind for f in _findings([member("u-zhang", "市场中心+张三")], policies=policies)] == [
        "department"
    ]


def test_bots_exempt_members_and_non_employees_are_not_this_rules_business():
    # GIVEN a bot, an exempt member and someone absent from the directory, all badly named
    members = [member("u-bot", "机器人", is_bot=True), member("u-zhang", "小张"), member("ext-1", "林总")]
    # WHEN audited with 张三 exempt
    # THEN nothing is found (ext-1 is outsider_member's business)
    assert _findings(members, exempt_member_ids=["u-zhang"]) == []


def test_an_allowed_external_is_checked_for_the_form_only():
    # GIVEN two allowed externals, one named company-name, one with a bare name
    members = [member("ext-1", "星光贸易-林总"), member("ext-2", "何经理")]
    findings = _findings(members, allowed_external_ids=["ext-1", "ext-2"])
    # THEN only the bare name is out of form, with the generic hint
    assert [(f.subject_id, f.kind, f.evidence["expected_display_name"]) for f in findings] == [
        ("ext-2", "form", None)
    ]
    assert findings[0].summary == "何经理 的群昵称不是“部门+姓名”格式，请改为“部门+姓名”"


def test_without_a_directory_only_the_form_is_checked_and_the_report_says_so():
    # GIVEN a member named after the wrong department, and one with no department, no directory
    report = audit(snapshot([member("u-zhang", "市场部+李四"), member("u-li", "李四")]))
    # THEN only the form is checked
    assert [(f.subject_id, f.kind) for f in of_rule(report, "name_format")] == [("u-li", "form")]
    (skipped,) = [s for s in report.rules_skipped if s.rule == "name_format"]
    assert (
        skipped.reason
        == "no directory: directory department and name not compared; the 部门+姓名 form checked"
    )


def test_the_separators_are_the_policys_names_section():
    # GIVEN a policy whose only separator is "/"
    policies = policy(defaults={"names": {"separators": ["/"]}})
    # THEN 销售部/张三 is in form and 销售部+张三 is not
    assert _findings([member("u-zhang", "销售部/张三")], policies=policies) == []
    assert [f.kind for f in _findings([member("u-zhang", "销售部+张三")], policies=policies)] == ["form"]


def test_separators_written_under_the_rule_are_read_from_names_with_a_deprecation():
    # GIVEN separators under rules.name_format
    policies = policy({"name_format": {"separators": ["/"]}})
    # THEN they are the names section's, and the policy says where they belong
    assert policies.for_group().names.separators == ("/",)
    assert [d.path for d in policies.deprecations] == ["defaults.rules.name_format.separators"]


def test_a_rename_is_a_new_finding():
    # GIVEN the same member under two wrong names
    first = _findings([member("u-zhang", "小张")])[0]
    second = _findings([member("u-zhang", "张三丰")])[0]
    # THEN the ids differ (the fact is the name), and the same name gives the same id
    assert first.id != second.id
    assert first.id == _findings([member("u-zhang", "小张")])[0].id
