"""file_naming: a document's name has a date, an author and a topic."""

from __future__ import annotations

import json

import msgspec
import pytest

from factories import audit, file, member, of_rule, policy, snapshot
from groupaudit.loading import decode_snapshot
from groupaudit.render import render_notice

UPLOADED = "2026-11-18T10:00:00+08:00"
MEMBERS = [member("u-zhang", "销售部+张三")]


def _findings(*names, members=MEMBERS, directory=None, policies=None, lang="zh"):
    files = [file(f"f{n}", name, UPLOADED, uploader_id="u-zhang") for n, name in enumerate(names)]
    report = audit(snapshot(members, files=files), directory_doc=directory, policies=policies, lang=lang)
    return of_rule(report, "file_naming")


@pytest.mark.parametrize(
    "date",
    [
        "2026-11-20",
        "2026/11/20",
        "2026.11.20",
        "20261120",
        "2026年11月20日",
        "2026年11月",
        "2026-11",
        "2026.11",
        "2026-1-5",
        "2026年11月20",
        "20261231",
        "2026-12",
    ],
)
def test_every_date_form_is_a_date(date):
    # GIVEN a report named with `date`, a topic and its author
    # THEN the name is complete
    assert _findings(f"销售周报 {date} 张三.docx") == []


@pytest.mark.parametrize(
    "not_a_date", ["2026年三季度", "2026-13", "20261320", "20261132", "202611201", "12026-11", "2026"]
)
def test_numbers_that_are_no_date_leave_the_name_without_one(not_a_date):
    # GIVEN a name whose only number is `not_a_date`
    (finding,) = _findings(f"销售周报 {not_a_date} 张三.docx")
    # THEN it lacks a date
    assert (finding.kind, finding.evidence["missing"]) == ("missing_date", ["date"])


def test_an_author_is_a_directory_name_or_a_members_name_part():
    # GIVEN a file by 李四 (in the directory only) and one by 张三 (a member's name part)
    directory = {"schema_version": 1, "people": [{"id": "u-li", "name": "李四", "status": "departed"}]}
    # THEN both have an author, and a file by 王五 (neither) does not
    findings = _findings(
        "报价 2026-11-20 李四.xlsx",
        "报价 2026-11-20 张三.xlsx",
        "报价 2026-11-20 王五.xlsx",
        directory=directory,
    )
    assert [(f.file_id, f.kind) for f in findings] == [("f2", "missing_author")]


def test_a_one_character_name_is_no_author():
    # GIVEN a member whose name part is one character, and a file name containing it
    findings = _findings("方案 2026-11-20 明.docx", members=[member("u-ming", "销售部+明")])
    # THEN the name has no author (one character would match almost any name)
    assert [f.kind for f in findings] == ["missing_author"]


@pytest.mark.parametrize(
    "name", ["2026-11-20 张三.docx", "v2 2026-11-20 张三.docx", "(1)_2026-11-20_张三.docx"]
)
def test_a_name_of_only_date_author_version_and_separators_has_no_topic(name):
    # GIVEN a name with nothing else
    (finding,) = _findings(name)
    # THEN it lacks a topic
    assert finding.evidence["missing"] == ["topic"]


def test_a_name_missing_several_parts_lists_them_all():
    # GIVEN 报告.pdf: a topic, no date, no author
    (zh,) = _findings("报告.pdf")
    (en,) = _findings("报告.pdf", lang="en")
    # THEN both are listed, in both languages, as an info finding on the file
    assert (zh.kind, zh.severity, zh.subject_id, zh.file_id) == ("missing_date", "info", "f0", "f0")
    assert zh.evidence["missing"] == ["date", "author"]
    assert zh.summary == "文件《报告.pdf》命名缺少日期、作者，请按“主题 日期 作者”重新命名"
    assert (
        en.summary
        == "File 报告.pdf is named without a date or an author; please rename it as topic, date, author"
    )
    assert zh.policy_ref == "000 三(二)3; 001 六 文件命名规范"


@pytest.mark.parametrize("name", ["IMG_2031.jpg", "海报.png", "录音.mp3", "会议录像.mp4", "README"])
def test_images_audio_video_and_names_without_extension_are_skipped(name):
    assert _findings(name) == []


@pytest.mark.parametrize("name", ["说明.txt", "资料.zip", "数据.csv", "方案.PDF"])
def test_text_files_archives_and_office_documents_are_checked(name):
    assert [f.kind for f in _findings(name)] == ["missing_date"]


def test_the_version_markers_are_the_files_section():
    # GIVEN a policy whose version markers include 草稿
    policies = policy(defaults={"files": {"version_markers": ["草稿"]}})
    # THEN 草稿 is no topic under that policy, and is one by default
    assert [f.evidence["missing"] for f in _findings("草稿 2026-11-20 张三.docx", policies=policies)] == [
        ["topic"]
    ]
    assert _findings("草稿 2026-11-20 张三.docx") == []


def test_file_naming_stays_out_of_the_notice_unless_the_policy_says_so():
    # GIVEN an undated plan uploaded by 张三
    snap = snapshot(MEMBERS, files=[file("f1", "方案 张三.docx", UPLOADED, uploader_id="u-zhang")])
    parsed = decode_snapshot(json.dumps(snap).encode())

    def notice_of(policies=None):
        report = audit(snap, policies=policies)
        return render_notice(msgspec.structs.replace(report, findings=of_rule(report, "file_naming")), parsed)

    # THEN by default there is no notice; with notify all the uploader is mentioned
    assert notice_of() is None
    notice = notice_of(policy({"file_naming": {"notify": "all"}}))
    assert notice.mention_ids == ("u-zhang",)
