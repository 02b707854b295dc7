"""stale_file: expired, long-unused and superseded group files."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from factories import audit, file, of_rule, snapshot

NOW = "2026-11-20T18:00:00+08:00"
RECENT = "2026-11-19T10:00:00+08:00"


def _at(delta: timedelta) -> str:
    return (datetime.fromisoformat(NOW) - delta).isoformat()


@pytest.mark.parametrize(
    ("idle", "stale"),
    [
        (timedelta(days=90) - timedelta(minutes=1), False),
        (timedelta(days=90), False),
        (timedelta(days=90) + timedelta(minutes=1), True),
    ],
)
def test_file_is_stale_only_when_unused_longer_than_the_threshold(idle, stale):
    # GIVEN a file last accessed `idle` before the audit
    snap = snapshot(
        files=[
            file("f1", "周报 2026-07-01 张三.docx", "2026-01-01T09:00:00+08:00", last_accessed_at=_at(idle))
        ]
    )
    # WHEN audited
    findings = of_rule(audit(snap), "stale_file")
    # THEN it is stale only past 90 days
    assert [(f.subject_id, f.kind) for f in findings] == ([("f1", "inactive")] if stale else [])


def test_update_and_access_both_count_as_activity():
    # GIVEN an old upload that was updated recently, and another accessed recently
    snap = snapshot(
        files=[
            file("f1", "a.docx", "2025-01-01T09:00:00+08:00", updated_at=RECENT),
            file("f2", "b.docx", "2025-01-01T09:00:00+08:00", last_accessed_at=RECENT),
        ]
    )
    # WHEN audited
    # THEN neither is stale
    assert of_rule(audit(snap), "stale_file") == []


def test_expired_file_is_stale_with_its_expiry_in_the_evidence():
    # GIVEN a file that expired a minute ago and one that expires exactly now
    snap = snapshot(
        files=[
            file("f1", "值班表 2026-10.xlsx", RECENT, expires_at=_at(timedelta(minutes=1))),
            file("f2", "值班表 2026-11.xlsx", RECENT, expires_at=NOW),
        ]
    )
    # WHEN audited
    (finding,) = of_rule(audit(snap), "stale_file")
    # THEN only the past expiry counts
    assert finding.subject_id == "f1"
    assert finding.kind == "expired"
    assert finding.evidence["reasons"] == [{"reason": "expired", "expires_at": "2026-11-20T17:59:00+08:00"}]
    assert finding.evidence["recommendation"] == "delete"


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("方案v1.docx", "方案v2.docx"),
        ("方案 V2.docx", "方案 V3.docx"),
        ("制度 第1版.pdf", "制度 第2版.pdf"),
        ("报价单.xlsx", "报价单(1).xlsx"),
        ("报价单.xlsx", "报价单（2）.xlsx"),
        ("纪要.docx", "纪要 副本.docx"),
        ("汇报.pptx", "汇报 最终版.pptx"),
        ("汇报.pptx", "汇报-终稿.pptx"),
        ("条款.docx", "条款_修订版.docx"),
        ("plan v1.2.docx", "Plan v1.3.docx"),
    ],
)
def test_an_older_version_is_superseded_by_a_newer_one(older, newer):
    # GIVEN two versions of one title, the second uploaded later
    snap = snapshot(
        files=[
            file("old", older, "2026-11-01T09:00:00+08:00"),
            file("new", newer, "2026-11-10T09:00:00+08:00"),
        ]
    )
    # WHEN audited
    findings = of_rule(audit(snap), "stale_file")
    # THEN the older one is superseded by the newer one
    assert [(f.subject_id, f.kind) for f in findings] == [("old", "superseded")]
    assert findings[0].evidence["reasons"][0]["by_file_id"] == "new"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("周报 2026-11-13.docx", "周报 2026-11-20.docx"),  # a series, not versions
        ("方案.docx", "方案.pdf"),  # another format
        ("方案v2.docx", "预算v2.docx"),  # another title
    ],
)
def test_different_documents_are_not_versions_of_each_other(first, second):
    # GIVEN two files that only look alike
    snap = snapshot(
        files=[file("a", first, "2026-11-01T09:00:00+08:00"), file("b", second, "2026-11-10T09:00:00+08:00")]
    )
    # WHEN audited
    # THEN neither is superseded
    assert of_rule(audit(snap), "stale_file") == []


def test_important_file_without_backup_says_back_up_first():
    # GIVEN an expired contract whose hash the backup store does not hold, and one it does
    snap = snapshot(
        files=[
            file(
                "f1", "采购合同 2026-01.pdf", RECENT, expires_at="2026-10-01T00:00:00+08:00", sha256="a" * 64
            ),
            file(
                "f2", "销售合同 2026-01.pdf", RECENT, expires_at="2026-10-01T00:00:00+08:00", sha256="b" * 64
            ),
        ]
    )
    # WHEN audited against the store
    findings = {f.subject_id: f for f in of_rule(audit(snap, backups={"b" * 64}), "stale_file")}
    # THEN the unbacked one must be backed up before deletion
    assert findings["f1"].evidence["recommendation"] == "back_up_first"
    assert findings["f1"].evidence["backup"] == "missing"
    assert "请先备份再清理" in findings["f1"].summary
    assert findings["f2"].evidence["recommendation"] == "delete"
    assert findings["f2"].evidence["backup"] == "backed_up"


def test_important_file_without_a_store_is_never_recommended_for_deletion():
    # GIVEN an expired important file and no backup store to check
    snap = snapshot(
        files=[file("f1", "会议纪要.docx", RECENT, expires_at="2026-10-01T00:00:00+08:00", important=True)]
    )
    # WHEN audited
    (finding,) = of_rule(audit(snap), "stale_file")
    # THEN it says back up first
    assert finding.evidence["recommendation"] == "back_up_first"
    assert finding.evidence["important"] is True
    assert finding.evidence["backup"] == "unknown"


def test_all_reasons_are_listed_and_the_first_names_the_kind():
    # GIVEN an old, expired, superseded file
    snap = snapshot(
        files=[
            file("old", "手册v1.docx", "2026-01-01T09:00:00+08:00", expires_at="2026-06-01T00:00:00+08:00"),
            file("new", "手册v2.docx", "2026-02-01T09:00:00+08:00", last_accessed_at=RECENT),
        ]
    )
    # WHEN audited in English
    (finding,) = of_rule(audit(snap, lang="en"), "stale_file")
    # THEN every reason is there, expired first
    assert [r["reason"] for r in finding.evidence["reasons"]] == ["expired", "superseded", "inactive"]
    assert finding.kind == "expired"
    assert finding.summary == "File 手册v1.docx is expired on 2026-06-01; please delete or update it"


def test_files_uploaded_after_the_audit_moment_are_ignored():
    # GIVEN v2 uploaded after the audit moment
    snap = snapshot(
        files=[
            file("old", "方案v1.docx", "2026-11-01T09:00:00+08:00"),
            file("new", "方案v2.docx", "2026-11-20T12:00:00+08:00"),
        ]
    )
    # WHEN audited as of the morning
    # THEN v1 is not yet superseded
    assert of_rule(audit(snap, now="2026-11-20T09:00:00+08:00"), "stale_file") == []


@pytest.mark.parametrize(
    ("lang", "reason", "important", "summary"),
    [
        ("zh", "expired", False, "文件《值班表.xlsx》已于 2026-10-31 过期，请删除或更新"),
        ("zh", "superseded", False, "文件《值班表.xlsx》已被《值班表 v2.xlsx》取代，请删除或更新"),
        ("zh", "inactive", True, "文件《值班表.xlsx》已 100 天无人使用，请先备份再清理"),
        (
            "en",
            "expired",
            True,
            "File 值班表.xlsx is expired on 2026-10-31; back it up first, then clean it up",
        ),
        (
            "en",
            "superseded",
            False,
            "File 值班表.xlsx is superseded by 值班表 v2.xlsx; please delete or update it",
        ),
        ("en", "inactive", False, "File 值班表.xlsx is unused for 100 days; please delete or update it"),
    ],
)
def test_the_summary_names_the_file_the_reason_and_what_to_do(lang, reason, important, summary):
    # GIVEN a file that is stale for one reason only, important (no store to check) or not
    old = "2026-11-19T09:00:00+08:00"
    fields: dict = {"important": True} if important else {}
    files = []
    if reason == "expired":
        fields["expires_at"] = "2026-10-31T23:59:00+08:00"
    if reason == "inactive":
        old = _at(timedelta(days=100, hours=3))
    files.append(file("f1", "值班表.xlsx", old, **fields))
    if reason == "superseded":
        files.append(file("f2", "值班表 v2.xlsx", RECENT))
    # WHEN audited in that language
    findings = of_rule(audit(snapshot(files=files), lang=lang), "stale_file")
    # THEN the summary says which file, why (the day, the newer file or the idle days) and what to do
    assert [(f.subject_id, f.kind, f.summary) for f in findings] == [("f1", reason, summary)]


def test_the_evidence_of_an_idle_superseded_file_is_complete():
    # GIVEN a plan idle for 120 days and superseded by its v2
    snap = snapshot(
        files=[
            file("old", "海报v1.png", _at(timedelta(days=120, hours=2)), uploader_id="u-zhang"),
            file("new", "海报v2.png", RECENT, uploader_id="u-li"),
        ]
    )
    # WHEN audited
    (finding,) = of_rule(audit(snap), "stale_file")
    # THEN the evidence names the file, every reason with its facts, the backup state and the uploader
    assert finding.evidence == {
        "file_name": "海报v1.png",
        "reasons": [
            {"reason": "superseded", "by_file_id": "new", "by_file_name": "海报v2.png"},
            {"reason": "inactive", "last_activity_at": "2026-07-23T16:00:00+08:00", "idle_days": 120},
        ],
        "important": False,
        "backup": "unknown",
        "recommendation": "delete",
        "uploader_id": "u-zhang",
    }


def test_a_file_uploaded_at_the_audit_moment_counts():
    # GIVEN v2 uploaded exactly at the audit moment
    snap = snapshot(
        files=[
            file("old", "方案v1.docx", "2026-11-01T09:00:00+08:00"),
            file("new", "方案v2.docx", NOW),
        ]
    )
    # WHEN audited at that moment
    findings = of_rule(audit(snap, now=NOW), "stale_file")
    # THEN v1 is superseded by it
    assert [(f.subject_id, f.evidence["reasons"][0].get("by_file_id")) for f in findings] == [("old", "new")]


def test_names_of_version_markers_alone_are_no_series_and_names_without_extension_are():
    # GIVEN two files named by a version marker alone, and two versions of a title without extension
    snap = snapshot(
        files=[
            file("m1", "v1.docx", "2026-11-01T09:00:00+08:00"),
            file("m2", "v2.docx", "2026-11-10T09:00:00+08:00"),
            file("p1", "方案v1", "2026-11-01T09:00:00+08:00"),
            file("p2", "方案v2", "2026-11-10T09:00:00+08:00"),
        ]
    )
    # WHEN audited
    findings = of_rule(audit(snap), "stale_file")
    # THEN only the titled file is superseded: an empty title is not a document's title
    assert [(f.subject_id, f.kind) for f in findings] == [("p1", "superseded")]


def test_a_file_with_no_other_version_does_not_stop_the_check_of_later_series():
    # GIVEN a lone file first, then two versions of a plan
    snap = snapshot(
        files=[
            file("lone", "预算.xlsx", "2026-11-01T09:00:00+08:00"),
            file("old", "方案v1.docx", "2026-11-02T09:00:00+08:00"),
            file("new", "方案v2.docx", "2026-11-10T09:00:00+08:00"),
        ]
    )
    # WHEN audited
    findings = of_rule(audit(snap), "stale_file")
    # THEN the plan's older version is still found superseded
    assert [(f.subject_id, f.kind) for f in findings] == [("old", "superseded")]
