"""file_naming: where in a name an author is found, which one, and the evidence and summaries.

Written against the mutants `make mutate` left alive (docs/BENCHMARKS.md, "Mutation testing"):
each test names the false or lost finding a surviving mutant would cause.
"""

from __future__ import annotations

import pytest

from factories import audit, file, member, of_rule, snapshot

UPLOADED = "2026-11-18T10:00:00+08:00"
MEMBERS = [member("u-zhang", "销售部+张三"), member("u-li", "销售部+李四")]


def _findings(*names, directory=None, lang="zh"):
    files = [file(f"f{n}", name, UPLOADED, uploader_id="u-zhang") for n, name in enumerate(names)]
    report = audit(snapshot(MEMBERS, files=files), directory_doc=directory, lang=lang)
    return of_rule(report, "file_naming")


def test_an_author_at_the_start_or_in_the_middle_of_a_name_is_found():
    # GIVEN documents naming their author first, and between the topic and the date
    # WHEN audited
    # THEN both are well named (an author found only at a name's end would flag them falsely)
    assert _findings("张三 销售周报 2026-11-20.docx", "销售周报 张三 2026-11-20.docx") == []


def test_a_longer_name_sharing_the_first_two_characters_is_no_author():
    # GIVEN a directory that knows 欧阳娜娜 only, and a report naming "欧阳"
    directory = {"schema_version": 1, "people": [{"id": "u-oy", "name": "欧阳娜娜", "department": "销售部"}]}
    members = [member("u-oy", "欧阳娜娜")]  # a member's display name with no separator is no author
    files = [file("f0", "欧阳 销售周报 2026-11-20.docx", UPLOADED)]
    # WHEN audited
    report = audit(snapshot(members, files=files), directory_doc=directory)
    # THEN the author is missing: 欧阳 is not 欧阳娜娜 (a lost finding if the start alone matched)
    assert [(f.kind, f.evidence["author_found"]) for f in of_rule(report, "file_naming")] == [
        ("missing_author", None)
    ]


def test_the_evidence_names_the_first_author_written_and_what_is_left_as_topic():
    # GIVEN a document named by two people's names and no date
    # WHEN audited
    (finding,) = _findings("张三 李四.docx")
    # THEN the first name written is the author, the other is the topic, and the date is missing
    assert finding.kind == "missing_date"
    assert finding.evidence == {
        "file_name": "张三 李四.docx",
        "missing": ["date"],
        "date_found": None,
        "author_found": "张三",
        "topic_found": "李四",
        "uploader_id": "u-zhang",
        "uploaded_at": "2026-11-18T10:00:00+08:00",
        "notice": "report_only",  # severity info: the engine keeps it out of the group notice
    }


def test_the_evidence_of_a_name_with_no_author_is_complete():
    # GIVEN a dated report with no author
    # WHEN audited
    (finding,) = _findings("销售周报 2026-11-20.xlsx")
    # THEN the evidence has the date and the topic found, and no author (None, not an empty name)
    assert finding.evidence == {
        "file_name": "销售周报 2026-11-20.xlsx",
        "missing": ["author"],
        "date_found": "2026-11-20",
        "author_found": None,
        "topic_found": "销售周报",
        "uploader_id": "u-zhang",
        "uploaded_at": "2026-11-18T10:00:00+08:00",
        "notice": "report_only",  # severity info: the engine keeps it out of the group notice
    }


@pytest.mark.parametrize(
    ("lang", "summary"),
    [
        ("zh", "文件《2026-11-20 张三.docx》命名缺少主题，请按“主题 日期 作者”重新命名"),
        ("en", "File 2026-11-20 张三.docx is named without a topic; please rename it as topic, date, author"),
    ],
)
def test_the_summary_of_a_name_without_a_topic(lang, summary):
    # GIVEN a document named by its date and author only
    # WHEN audited in `lang`
    (finding,) = _findings("2026-11-20 张三.docx", lang=lang)
    # THEN the summary says the topic is missing
    assert (finding.kind, finding.summary) == ("missing_topic", summary)


def test_a_document_uploaded_at_the_audit_moment_is_checked():
    # GIVEN a report with no author uploaded at the very moment of the audit
    files = [file("f0", "销售周报 2026-11-20.xlsx", "2026-11-20T18:00:00+08:00")]
    # WHEN audited
    found = of_rule(audit(snapshot(MEMBERS, files=files)), "file_naming")
    # THEN it is checked (only files uploaded after the audit moment are not)
    assert [f.kind for f in found] == ["missing_author"]


def test_files_passed_over_do_not_stop_the_check_of_the_files_after_them():
    # GIVEN a photo and a document uploaded after the audit, listed before a report with no author
    files = [
        file("f-photo", "IMG_2031.jpg", UPLOADED),
        file("f-later", "周报.docx", "2026-11-21T09:00:00+08:00"),
        file("f-report", "销售周报 2026-11-20.xlsx", UPLOADED),
    ]
    # WHEN audited
    found = of_rule(audit(snapshot(MEMBERS, files=files)), "file_naming")
    # THEN the report is flagged (a file passed over must not end the check: a lost finding)
    assert [f.file_id for f in found] == ["f-report"]


def test_an_author_named_twice_leaves_the_second_as_topic():
    # GIVEN a document named by the author's name twice and no date
    # WHEN audited
    (finding,) = _findings("张三 张三.docx")
    # THEN one occurrence is the author and the other the topic: only the date is missing
    assert (finding.evidence["missing"], finding.evidence["topic_found"]) == (["date"], "张三")


def test_the_longest_author_name_is_the_author():
    # GIVEN a directory that knows both 欧阳 and 欧阳娜娜, and a file named by 欧阳娜娜 and a date
    people = [
        {"id": "u-oy", "name": "欧阳", "department": "销售部"},
        {"id": "u-oynn", "name": "欧阳娜娜", "department": "销售部"},
    ]
    files = [file("f0", "欧阳娜娜 2026-11-20.docx", UPLOADED)]
    # WHEN audited
    report = audit(snapshot([], files=files), directory_doc={"schema_version": 1, "people": people})
    # THEN the author is 欧阳娜娜 and the topic is missing (taking 欧阳 would leave "娜娜" as a
    # topic: a lost finding)
    assert [(f.kind, f.evidence["author_found"]) for f in of_rule(report, "file_naming")] == [
        ("missing_topic", "欧阳娜娜")
    ]
