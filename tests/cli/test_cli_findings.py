"""`groupaudit findings`: the stored findings read back, filtered, as a table or JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from groupaudit.cli import EXIT_INVALID, EXIT_OK, main
from groupaudit.contracts import Finding, Severity
from groupaudit.wire import GroupRegistration

AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _finding(index: int, rule: str, subject: str, severity: Severity = "warning") -> Finding:
    return Finding(
        id=f"{index:032x}",
        rule=rule,
        kind="inactive",
        severity=severity,
        subject_id=subject,
        message_id=None,
        file_id=None,
        detected_at=AT,
        policy_ref="003 第三章",
        summary=f"{rule} of {subject}",
        evidence={},
    )


@pytest.fixture
def stored(store):
    """Two registered groups with findings; in grp-sales one was resolved by a later audit."""
    for group in ("grp-sales", "grp-rd"):
        store.groups.put_group(
            GroupRegistration.model_validate({"tenant_id": "acme", "group_id": group, "platform": "slack"})
        )
    sales = [
        _finding(1, "inactive_member", "u-zhang"),
        _finding(2, "inactive_member", "u-li"),
        _finding(3, "overdue_reply", "u-zhang", "violation"),
    ]
    store.guard.begin_group_audit("acme", "grp-sales", AT)
    store.findings.sync_findings(
        "acme", "grp-sales", "a" * 32, AT, sales, store.findings.stored_findings("acme", "grp-sales")
    )
    later = AT + timedelta(days=1)
    store.guard.begin_group_audit("acme", "grp-sales", later)
    store.findings.sync_findings(
        "acme",
        "grp-sales",
        "b" * 32,
        later,
        [sales[0], sales[2]],
        store.findings.stored_findings("acme", "grp-sales"),
    )
    store.guard.begin_group_audit("acme", "grp-rd", AT)
    rd = [_finding(4, "stale_file", "f-1", "info"), _finding(5, "inactive_member", "u-zhang")]
    store.findings.sync_findings("acme", "grp-rd", "c" * 32, AT, rd, {})
    return store


def _json(capsys, *argv: str) -> list[dict]:
    assert main(["findings", "acme", *argv, "--format", "json"]) == EXIT_OK
    return json.loads(capsys.readouterr().out)


def _ids(items: list[dict]) -> list[tuple[str, str, str]]:
    return sorted((item["group_id"], item["rule"], item["subject_id"]) for item in items)


def test_every_registered_group_s_findings_are_read_back(stored, capsys):
    # WHEN the tenant's findings are read with no filter
    items = _json(capsys)
    # THEN all five stored findings come back, with their group, status and full finding
    assert _ids(items) == [
        ("grp-rd", "inactive_member", "u-zhang"),
        ("grp-rd", "stale_file", "f-1"),
        ("grp-sales", "inactive_member", "u-li"),
        ("grp-sales", "inactive_member", "u-zhang"),
        ("grp-sales", "overdue_reply", "u-zhang"),
    ]
    resolved = [item for item in items if item["status"] == "resolved"]
    assert [(r["subject_id"], r["finding"]["summary"]) for r in resolved] == [
        ("u-li", "inactive_member of u-li")
    ]


def test_filters_by_group_rule_status_and_member(stored, capsys):
    assert _ids(_json(capsys, "--group", "grp-rd")) == [
        ("grp-rd", "inactive_member", "u-zhang"),
        ("grp-rd", "stale_file", "f-1"),
    ]
    assert _ids(_json(capsys, "--status", "resolved")) == [("grp-sales", "inactive_member", "u-li")]
    assert _ids(_json(capsys, "--rule", "overdue_reply")) == [("grp-sales", "overdue_reply", "u-zhang")]
    assert _ids(_json(capsys, "--member", "u-zhang", "--status", "open")) == [
        ("grp-rd", "inactive_member", "u-zhang"),
        ("grp-sales", "inactive_member", "u-zhang"),
        ("grp-sales", "overdue_reply", "u-zhang"),
    ]
    assert _json(capsys, "--group", "grp-sales", "--rule", "stale_file") == []


def test_the_table_has_one_line_per_finding_and_a_count(stored, capsys):
    assert main(["findings", "acme", "--group", "grp-sales", "--status", "open"]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "2 finding(s) of acme/grp-sales"
    rows = sorted(line.split("\t") for line in lines[:-1])
    assert [(r[0], r[1], r[2], r[3], r[4], r[6]) for r in rows] == [
        ("grp-sales", "open", "violation", "overdue_reply", "u-zhang", "overdue_reply of u-zhang"),
        ("grp-sales", "open", "warning", "inactive_member", "u-zhang", "inactive_member of u-zhang"),
    ]


def test_more_than_a_page_is_read_whole(store, capsys):
    # GIVEN a group with 250 findings (the command reads pages of 100)
    store.findings.sync_findings(
        "acme", "g", "d" * 32, AT, [_finding(i, "stale_file", f"f-{i}") for i in range(250)], {}
    )
    # THEN all of them come back
    assert len(_json(capsys, "--group", "g")) == 250


def test_without_table_name_the_error_is_one_line_naming_it(aws, monkeypatch, capsys):
    monkeypatch.delenv("TABLE_NAME")
    assert main(["findings", "acme"]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(
        "error: TABLE_NAME is not set: export TABLE_NAME=… with the stack's TableName output"
    )
