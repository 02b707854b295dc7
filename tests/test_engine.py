"""The engine as a whole: empty groups, sparse records, unsorted input, stable output."""

from __future__ import annotations

from factories import audit, directory, member, message, of_rule, snapshot

DIRECTORY = directory([("u1", "A"), ("h1", "A")], {"A": "h1"})


def test_an_empty_group_has_no_findings_and_runs_every_rule():
    # GIVEN a group with no members, messages or files
    snap = snapshot()
    # WHEN audited with a directory and a backup store
    report = audit(snap, directory_doc=DIRECTORY, backups=set())
    # THEN every rule ran but the tenant-wide one, and nothing was found
    assert report.rules_run == [
        "inactive_member",
        "stale_file",
        "overdue_reply",
        "unbacked_document",
        "name_format",
        "departed_member",
        "outsider_member",
        "group_governance",
        "file_naming",
        "flooding",
        "prohibited_content",
        "pii_exposure",
        "off_hours_post",
    ]
    assert [s.rule for s in report.rules_skipped] == ["onboarding_gap"]
    assert report.findings == []


def test_records_with_only_required_fields_are_audited():
    # GIVEN members, messages and files with nothing but their required fields
    snap = {
        "schema_version": 1,
        "platform": "generic",
        "taken_at": "2026-11-20T18:00:00+08:00",
        "group": {"id": "g", "name": "g"},
        "members": [{"id": "u1", "display_name": "u1"}, {"id": "h1", "display_name": "h1"}],
        "messages": [{"id": "m1", "sender_id": "u1", "sent_at": "2026-11-20T10:00:00+08:00"}],
        "files": [{"id": "f1", "name": "合同.pdf", "uploaded_at": "2026-01-01T10:00:00+08:00"}],
    }
    # WHEN audited
    report = audit(snap, directory_doc=DIRECTORY, backups=set())
    # THEN the defaults apply: kind other, tenant default, unknown join = long ago, no hash = unverifiable,
    # display names without 部门+姓名, a file name without a date or an author
    assert (report.tenant_id, report.group_id) == ("default", "g")
    facts = sorted((f.rule, f.subject_id, f.kind) for f in report.findings)
    assert facts == [
        ("file_naming", "f1", "missing_date"),
        ("inactive_member", "h1", "inactive"),
        ("name_format", "h1", "form"),
        ("name_format", "u1", "form"),
        ("stale_file", "f1", "inactive"),
        ("unbacked_document", "f1", "unverifiable"),
    ]


def test_unsorted_messages_give_the_same_findings_as_sorted_ones():
    # GIVEN a question, an early unrelated message and a late reply, listed newest first
    messages = [
        message("m3", "h1", "2026-11-20T10:45:00+08:00", "在群文件里"),
        message("m2", "u1", "2026-11-20T10:00:00+08:00", "请问模板在哪里？"),
        message("m1", "h1", "2026-11-20T09:00:00+08:00", "早"),
    ]
    members = [member("u1"), member("h1")]
    # WHEN audited as listed and in time order
    shuffled = audit(snapshot(members, messages), directory_doc=DIRECTORY)
    ordered = audit(snapshot(members, list(reversed(messages))), directory_doc=DIRECTORY)
    # THEN the reply at 10:45 is found as the answer either way, 25 minutes late
    (expected,) = of_rule(ordered, "overdue_reply")
    assert [
        (f.id, f.evidence["reply_message_id"], f.evidence["overdue_minutes"])
        for f in of_rule(shuffled, "overdue_reply")
    ] == [(expected.id, "m3", 25)]


def test_an_audit_id_is_32_hex_characters_fixed_by_tenant_group_and_time():
    from datetime import UTC, datetime

    from groupaudit.engine import audit_id_for

    # GIVEN one tenant, group and audit time, and each of them changed in turn
    at = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    first = audit_id_for("acme", "g1", at)
    # WHEN the id is derived again, and for the changed ones
    others = {
        audit_id_for("acme2", "g1", at),
        audit_id_for("acme", "g2", at),
        audit_id_for("acme", "g1", datetime(2026, 11, 20, 10, 0, 1, tzinfo=UTC)),
    }
    # THEN the same inputs give the same id (a retried audit overwrites its own records), of 32
    # lowercase hex characters, and any change gives another id
    assert audit_id_for("acme", "g1", at) == first
    assert len(first) == 32 and set(first) <= set("0123456789abcdef")
    assert len(others) == 3 and first not in others


def test_a_report_without_a_given_id_takes_the_id_of_its_tenant_group_and_time():
    from datetime import datetime

    from groupaudit.engine import audit_id_for

    # GIVEN group g1 of tenant acme audited at 2026-11-20 18:00 with no audit id given
    now = "2026-11-20T18:00:00+08:00"
    # WHEN audited
    report = audit(snapshot([member("u1")], group_id="g1"), now=now)
    # THEN the report's id is the one derived from that tenant, group and time
    assert report.audit_id == audit_id_for("acme", "g1", datetime.fromisoformat(now))
    assert report.audit_id != audit_id_for("acme", "g2", datetime.fromisoformat(now))
