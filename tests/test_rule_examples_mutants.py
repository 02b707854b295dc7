"""The examples runner (``rule_examples.py``) and the registry's message lookback
(``rules/__init__.py``), tested against the mutants that passed every other test
(docs/BENCHMARKS.md, "Mutation testing"): the whole snapshot and directory an example stands
for, the runner's defaults, the name a bad example is reported by, and the order findings are
compared in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import groupaudit.rules as rules_registry
from groupaudit.contracts import Finding, Report
from groupaudit.errors import InputError
from groupaudit.policy import parse_policy
from groupaudit.rule_examples import (
    GROUP,
    TAKEN_AT,
    example_directory,
    example_snapshot,
    expected,
    found,
    run_example,
)
from groupaudit.rules import REGISTRY, messages_lookback_days
from groupaudit.rules.base import Example, Expected

AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
MEMBER = {"id": "u-zhang", "display_name": "销售部+张三"}


# --- the snapshot and the directory an example stands for ------------------------------------


def test_an_empty_fragment_is_a_whole_snapshot_of_the_example_group_with_empty_sections():
    # GIVEN an example whose fragment holds nothing
    example = Example(title="nothing", snapshot={})
    # WHEN made a whole snapshot
    snapshot = example_snapshot(example)
    # THEN it is the example tenant's department group at the default moment, every section an
    # empty list (not missing, not null)
    assert snapshot == {
        "schema_version": 1,
        "platform": "generic",
        "tenant_id": "example",
        "taken_at": TAKEN_AT,
        "group": GROUP,
        "members": [],
        "messages": [],
        "files": [],
    }


def test_a_fragment_s_sections_moment_and_group_fields_are_taken_over_the_defaults():
    # GIVEN a fragment with its own moment, a group field, each section and another key
    message = {"id": "m1", "sender_id": "u-zhang", "sent_at": "2026-11-20T09:00:00+08:00", "type": "text"}
    file = {"id": "f1", "name": "a.pdf", "uploader_id": "u-zhang", "uploaded_at": "2026-11-19T09:00:00+08:00"}
    fragment = {
        "taken_at": "2026-11-23T09:00:00+08:00",
        "group": {"name": "另一个群", "owner_id": "u-zhang"},
        "members": [MEMBER],
        "messages": [message],
        "files": [file],
        "messages_since": "2026-11-01T00:00:00+08:00",
    }
    # WHEN made a whole snapshot
    snapshot = example_snapshot(Example(title="full", snapshot=fragment))
    # THEN the fragment's values stand, the group merged over the example group
    assert snapshot == {
        "schema_version": 1,
        "platform": "generic",
        "tenant_id": "example",
        "taken_at": "2026-11-23T09:00:00+08:00",
        "group": {**GROUP, "name": "另一个群", "owner_id": "u-zhang"},
        "members": [MEMBER],
        "messages": [message],
        "files": [file],
        "messages_since": "2026-11-01T00:00:00+08:00",
    }


def test_an_example_s_directory_is_the_example_tenant_s_and_none_when_it_has_none():
    # GIVEN an example with a directory fragment, and one without
    people = [{"id": "u-zhang", "name": "张三", "department": "销售部"}]
    with_directory = Example(title="d", snapshot={}, directory={"people": people})
    # WHEN each is made a whole directory
    # THEN the first is the example tenant's directory of those people, the second none
    whole = {"schema_version": 1, "tenant_id": "example", "people": people}
    assert example_directory(with_directory) == whole
    assert example_directory(Example(title="n", snapshot={})) is None


# --- the runner's defaults and what it passes on ----------------------------------------------


def test_an_example_runs_in_chinese_unless_told_otherwise():
    # GIVEN the unanswered-question example of overdue_reply (its lateness is worded per language)
    spec = REGISTRY["overdue_reply"]
    example = spec.examples[0]
    # WHEN run without a language, and in Chinese
    default, chinese = run_example(spec, example), run_example(spec, example, "zh")
    # THEN both give the same Chinese summary, down to the lateness in working minutes
    summaries = [finding.summary for finding in default.findings]
    assert summaries == [finding.summary for finding in chinese.findings]
    assert summaries == [
        "销售部+刘强 未在 20 分钟内回复 销售部+张三 11-20 14:00 的提问（已逾期 3.7 个工作小时（220 工作分钟）"
        "未回复；按制度由提问人的部门负责人答复）"
    ]


def test_an_unbacked_document_example_names_the_example_store_in_its_evidence():
    # GIVEN the firing example of unbacked_document (a contract not in the backup store)
    spec = REGISTRY["unbacked_document"]
    # WHEN run
    report = run_example(spec, spec.examples[0])
    # THEN its finding says which store the file is missing from
    assert [finding.evidence["backup_store"] for finding in report.findings] == ["example store"]


BAD_SNAPSHOT = {"members": [MEMBER, {"id": "u-zhang", "display_name": "又一个"}]}
BAD_DIRECTORY = {"people": [{"id": "u-1", "name": "甲"}, {"id": "u-1", "name": "乙"}]}


@pytest.mark.parametrize(
    ("example", "problem"),
    [
        (Example(title="two members of one id", snapshot=BAD_SNAPSHOT), "u-zhang"),
        (Example(title="two people of one id", snapshot={}, directory=BAD_DIRECTORY), "u-1"),
        (Example(title="an unknown setting", snapshot={}, settings={"no_such": 1}), "no_such"),
    ],
    ids=["snapshot", "directory", "settings"],
)
def test_a_bad_example_is_reported_by_its_rule_and_title(example, problem):
    # GIVEN an example of inactive_member whose snapshot, directory or settings do not read
    spec = REGISTRY["inactive_member"]
    # WHEN run
    with pytest.raises(InputError) as raised:
        run_example(spec, example)
    # THEN the error names the example (its rule and title) as the bad input, and the problem
    assert raised.value.source == f"example of inactive_member: {example.title}"
    assert problem in str(raised.value)


# --- the order findings are compared in ------------------------------------------------------


def _finding(rule: str, kind: str | None, subject: str, message: str | None, file: str | None) -> Finding:
    return Finding(
        id=f"{rule}-{kind}-{subject}-{message}-{file}",
        rule=rule,
        kind=kind,
        severity="info",
        subject_id=subject,
        message_id=message,
        file_id=file,
        detected_at=AT,
        policy_ref="000 五(三)1",
        summary="s",
        evidence={},
    )


def test_found_sorts_the_facts_with_a_missing_part_before_any_given_one():
    # GIVEN a report whose findings are out of order, some without a kind, message or file id
    report = Report(
        audit_id="a" * 32,
        tenant_id="example",
        group_id="grp-example",
        audited_at=AT,
        rules_run=["inactive_member", "stale_file"],
        rules_skipped=[],
        findings=[
            _finding("stale_file", "inactive", "f-2", None, "1002"),
            _finding("inactive_member", "inactive", "u-1", "1003", None),
            _finding("inactive_member", "inactive", "u-1", None, None),
            _finding("stale_file", None, "f-1", None, "1001"),
        ],
    )
    # WHEN its facts are listed
    # THEN they are sorted by rule, kind, subject, message and file, a missing part first
    assert found(report) == [
        ("inactive_member", "inactive", "u-1", None, None),
        ("inactive_member", "inactive", "u-1", "1003", None),
        ("stale_file", None, "f-1", None, "1001"),
        ("stale_file", "inactive", "f-2", None, "1002"),
    ]


def test_expected_sorts_the_example_s_facts_as_found_does():
    # GIVEN an example expecting findings out of order, some without a kind or a message id
    example = Example(
        title="several",
        snapshot={},
        expect=(
            Expected("u-2", "inactive"),
            Expected("u-1", "inactive", "1003"),
            Expected("u-1", "inactive"),
            Expected("u-1"),
        ),
    )
    # WHEN its facts are listed
    # THEN they carry the example's rule and are sorted, a missing part first
    assert expected(REGISTRY["inactive_member"], example) == [
        ("inactive_member", None, "u-1", None, None),
        ("inactive_member", "inactive", "u-1", None, None),
        ("inactive_member", "inactive", "u-1", "1003", None),
        ("inactive_member", "inactive", "u-2", None, None),
    ]


# --- the registry's message lookback ---------------------------------------------------------


def test_a_registry_of_no_rule_reading_messages_looks_back_one_day(monkeypatch):
    # GIVEN a registry holding no rule that names a message lookback
    policy = parse_policy({"version": 1}, "test").tenant_policy()
    monkeypatch.setattr(rules_registry, "REGISTRY", {"name_format": REGISTRY["name_format"]})
    assert REGISTRY["name_format"].lookback_days is None
    # WHEN asked how many days of messages a group's pull needs
    # THEN one day
    assert messages_lookback_days(policy) == 1
