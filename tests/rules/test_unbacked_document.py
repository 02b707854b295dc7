"""unbacked_document: important files need a copy with the same SHA-256 in the backup store."""

from __future__ import annotations

import hashlib

import pytest

from factories import audit, file, of_rule, snapshot

UPLOADED = "2026-11-19T10:00:00+08:00"
DIGEST = "c" * 64


def _findings(files, now="2026-11-20T18:00:00+08:00", backups=frozenset(), **kw):
    return of_rule(audit(snapshot(files=files), now=now, backups=set(backups), **kw), "unbacked_document")


@pytest.mark.parametrize(("now", "flagged"), [("09:59", False), ("10:00", False), ("10:01", True)])
def test_backup_is_due_twenty_four_hours_after_upload(now, flagged):
    # GIVEN an important contract uploaded 2026-11-19 10:00 with no copy in the store
    files = [file("f1", "销售合同.pdf", UPLOADED, sha256=DIGEST)]
    # WHEN audited on 11-20 at `now`
    findings = _findings(files, now=f"2026-11-20T{now}:00+08:00")
    # THEN it is unbacked only after 24 hours
    assert [f.subject_id for f in findings] == (["f1"] if flagged else [])


def test_copy_with_the_same_hash_counts_as_backed_up():
    # GIVEN an important file whose hash the store holds
    files = [file("f1", "销售合同.pdf", UPLOADED, sha256=DIGEST)]
    # WHEN audited
    # THEN no finding
    assert _findings(files, backups={DIGEST}) == []


def test_unbacked_finding_carries_hash_reason_and_remedy():
    # GIVEN an important file that the store does not hold
    files = [file("f1", "2026 预算.xlsx", UPLOADED, sha256=DIGEST, uploader_id="u1")]
    # WHEN audited
    (finding,) = _findings(files, backups={"d" * 64})
    # THEN the evidence says why it is important and what was checked
    assert (finding.kind, finding.severity, finding.file_id) == ("unbacked", "warning", "f1")
    assert finding.evidence["important_because"] == ["name contains '预算'"]
    assert finding.evidence["sha256"] == DIGEST
    assert finding.evidence["backup_due_at"] == "2026-11-20T10:00:00+08:00"
    assert finding.evidence["backup_store"] == "test store"
    assert finding.summary == "重要文件《2026 预算.xlsx》尚无备份，请及时备份"


def test_files_passed_over_do_not_stop_the_check_of_the_files_after_them():
    # GIVEN, in this order: a file that is not important, one still within its 24 hours, one
    # backed up, and then an important file with no backup
    files = [
        file("f-plain", "notes.txt", UPLOADED, sha256="a" * 64),
        file("f-new", "新合同.pdf", "2026-11-20T17:00:00+08:00", sha256="b" * 64),
        file("f-safe", "旧合同.pdf", UPLOADED, sha256=DIGEST),
        file("f-late", "销售合同.pdf", UPLOADED, sha256="e" * 64),
    ]
    # WHEN audited
    findings = _findings(files, backups={DIGEST})
    # THEN the last one is still found: each file passed over is skipped alone
    assert [f.subject_id for f in findings] == ["f-late"]


def test_the_evidence_of_an_edited_file_is_complete():
    # GIVEN an important file uploaded 11-19 10:00 and edited 11-19 12:00, with no backup
    edited = "2026-11-19T04:00:00Z"
    files = [file("f1", "2026 预算.xlsx", UPLOADED, updated_at=edited, sha256=DIGEST, uploader_id="u1")]
    # WHEN audited
    (finding,) = _findings(files, backups={"d" * 64})
    # THEN the evidence holds every field, times in the tenant's zone, the due time from the edit
    assert finding.evidence == {
        "file_name": "2026 预算.xlsx",
        "important_because": ["name contains '预算'"],
        "sha256": DIGEST,
        "uploaded_at": "2026-11-19T10:00:00+08:00",
        "updated_at": "2026-11-19T12:00:00+08:00",
        "backup_due_at": "2026-11-20T12:00:00+08:00",
        "backup_store": "test store",
        "uploader_id": "u1",
        "remedy": "copy the file into the backup store and verify its SHA-256",
    }


def test_file_without_hash_or_url_cannot_be_verified():
    # GIVEN an important file with neither sha256 nor download_url
    files = [file("f1", "制度汇编.pdf", UPLOADED)]
    # WHEN audited
    (finding,) = _findings(files, lang="en")
    # THEN it is reported as unverifiable, not as backed up
    assert finding.kind == "unverifiable"
    assert (
        finding.summary
        == "Important file 制度汇编.pdf has no hash, so its backup cannot be verified; back it up"
    )


def test_hash_fetched_from_the_download_url_is_checked():
    # GIVEN a file without sha256 whose bytes the caller hashed from its download_url
    content = b"contract bytes"
    digest = hashlib.sha256(content).hexdigest()
    files = [file("f1", "合同.pdf", UPLOADED, download_url="https://files.example/f1")]
    # WHEN audited with that hash and a store holding it
    # THEN it is backed up
    assert _findings(files, backups={digest}, fetched_hashes={"f1": digest}) == []


@pytest.mark.parametrize(
    ("name", "fields", "important"),
    [
        ("随手拍.png", {"important": True}, True),
        ("会议纪要.docx", {}, True),
        ("大文件.pptx", {"size_bytes": 5 * 1024 * 1024 + 1}, True),
        ("大文件.pptx", {"size_bytes": 5 * 1024 * 1024}, False),
        ("大视频.mp4", {"size_bytes": 50 * 1024 * 1024}, False),
        ("午餐菜单.docx", {}, False),
    ],
)
def test_which_files_are_important(name, fields, important):
    # GIVEN a file with no backup
    files = [file("f1", name, UPLOADED, sha256=DIGEST, **fields)]
    # WHEN audited
    # THEN only important files are reported
    assert len(_findings(files)) == (1 if important else 0)


def test_new_content_is_a_new_fact():
    # GIVEN the same file audited with two different contents
    first = _findings([file("f1", "合同.pdf", UPLOADED, sha256="a" * 64)])[0]
    second = _findings([file("f1", "合同.pdf", UPLOADED, sha256="b" * 64)])[0]
    # THEN the finding ids differ (the old copy's finding can resolve)
    assert first.id != second.id


def test_rule_is_skipped_without_a_backup_store():
    # GIVEN no backup store
    report = audit(snapshot(files=[file("f1", "合同.pdf", UPLOADED, sha256=DIGEST)]))
    # THEN the rule says why it did not run
    assert "unbacked_document" not in report.rules_run
    assert [s.reason for s in report.rules_skipped if s.rule == "unbacked_document"] == [
        "no backup store given"
    ]
