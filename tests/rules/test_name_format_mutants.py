"""name_format: the evidence and summaries value by value, and members passed over mid-list.

Written against the mutants `make mutate` left alive (docs/BENCHMARKS.md, "Mutation testing"):
each test names the false or lost finding, or the wrong record, a surviving mutant would cause.
"""

from __future__ import annotations

from factories import audit, member, of_rule, snapshot

DIRECTORY = {
    "schema_version": 1,
    "people": [
        {"id": "u-zhang", "name": "张三", "department": "销售部", "status": "active"},
        {"id": "u-li", "name": "李四", "department": "销售部", "status": "active"},
    ],
}


def _findings(members, lang="zh", **group):
    return of_rule(audit(snapshot(members, **group), directory_doc=DIRECTORY, lang=lang), "name_format")


def test_the_evidence_of_a_department_mismatch_is_complete_and_the_summary_names_the_part():
    # GIVEN 张三 of 销售部 named 市场部+张三
    # WHEN audited
    (finding,) = _findings([member("u-zhang", "市场部+张三")])
    # THEN the evidence holds both parts, the directory's department and name, what to rename it
    # to and the separators; the summary quotes the department part
    assert finding.evidence == {
        "display_name": "市场部+张三",
        "department_part": "市场部",
        "name_part": "张三",
        "directory_department": "销售部",
        "directory_name": "张三",
        "expected_display_name": "销售部+张三",
        "problems": ["department"],
        "separators": ["+", "＋", "-", "—", "_", "·"],
    }
    assert finding.summary == "市场部+张三 的群昵称部门“市场部”与通讯录（销售部）不符，请改为“销售部+张三”"


def test_the_evidence_of_a_name_out_of_form_keeps_the_part_it_has():
    # GIVEN 张三 named 销售部+ (a department and no name)
    # WHEN audited
    (finding,) = _findings([member("u-zhang", "销售部+")])
    # THEN the finding is of form, with the department part it found and an empty name part
    assert finding.kind == "form"
    assert (finding.evidence["department_part"], finding.evidence["name_part"]) == ("销售部", "")
    assert finding.summary == "销售部+ 的群昵称不是“部门+姓名”格式，请改为“销售部+张三”"


def test_members_passed_over_do_not_stop_the_check_of_the_members_after_them():
    # GIVEN a bot and someone absent from the directory, listed before 李四 with a nickname
    members = [member("u-bot", "机器人", is_bot=True), member("ext-1", "林总"), member("u-li", "小李")]
    # WHEN audited
    # THEN 李四 is flagged (a member passed over must not end the check: a lost finding)
    assert [(f.subject_id, f.kind) for f in _findings(members)] == [("u-li", "form")]
