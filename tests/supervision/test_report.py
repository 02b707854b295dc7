"""The monthly report's data: audits rolled up per group and month, and the report built from
the rollups, the ledger and the appeals (docs/SUPERVISION.md "Monthly report")."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from factories import directory, file, member, message, policy, snapshot
from groupaudit.adapters.ledger_store import LedgerStore
from groupaudit.adapters.report_store import ReportStore
from groupaudit.adapters.storage import Storage
from groupaudit.contracts import Report
from groupaudit.engine import AuditContext, run_audit
from groupaudit.loading import decode_directory, decode_snapshot
from groupaudit.policy import PolicySet
from groupaudit.report_rollup import EDGES, Owed, bucket, quantile
from groupaudit.supervision.report import Sources, build_report, record_audit
from groupaudit.wire import GroupRegistration

TENANT = "acme"
DIRECTORY = directory(
    [("u1", "销售部"), ("u2", "销售部"), ("h-sales", "销售部"), ("h-rd", "研发部"), ("r1", "研发部")],
    {"销售部": "h-sales", "研发部": "h-rd"},
)
SALES = [member(p) for p in ("u1", "u2", "h-sales")]
RD = [member(p) for p in ("h-rd", "r1")]
POLICIES = policy({"inactive_member": {"enabled": False}, "name_format": {"enabled": False}})
NOW = datetime.fromisoformat("2026-12-01T09:00:00+08:00")


def _registration(group: str, department: str) -> GroupRegistration:
    return GroupRegistration(
        tenant_id=TENANT, group_id=group, platform="generic", name=f"{group}群", department=department
    )


def _audit(
    store: Storage,
    group: str,
    department: str,
    members: list[dict[str, Any]],
    messages: list[dict[str, Any]],
    taken_at: str,
    audit_id: str,
    files: list[dict[str, Any]] | None = None,
) -> Report:
    snap = decode_snapshot(
        json.dumps(snapshot(members, messages, files, group_id=group, taken_at=taken_at)).encode()
    )
    found = decode_directory(json.dumps(DIRECTORY).encode())
    ctx = AuditContext(
        snapshot=snap,
        policy=POLICIES.for_group(snap.group.kind, snap.group.id),
        now=snap.taken_at,
        directory=found,
    )
    report = run_audit(ctx, audit_id)
    record_audit(store, snap, POLICIES, found, report.findings, audit_id, _registration(group, department))
    return report


def _sales_messages(day: str) -> list[dict[str, Any]]:
    """u1 asks at 10:00, the head answers at 10:45 (late: 20 minutes); u2 asks at 11:00, the head
    answers at 11:05 (in time)."""
    return [
        message(f"hi{day}", "u2", f"2026-{day}T09:00:00+08:00", "早上好"),
        message(f"q{day}", "u1", f"2026-{day}T10:00:00+08:00", "请问报价单模板在哪里？"),
        message(f"r{day}", "h-sales", f"2026-{day}T10:45:00+08:00", "在群文件里"),
        message(f"q2{day}", "u2", f"2026-{day}T11:00:00+08:00", "请问客户名单在哪？"),
        message(f"r2{day}", "h-sales", f"2026-{day}T11:05:00+08:00", "共享盘"),
    ]


def _sources(store: Storage, policies: PolicySet = POLICIES) -> Sources:
    return Sources(
        reports=ReportStore.over(store),
        book=LedgerStore.over(store),
        directory=decode_directory(json.dumps(DIRECTORY).encode()),
        policy=policies.tenant_policy(),
    )


@pytest.fixture
def two_months(store: Storage) -> Storage:
    """October: the sales group's two days of questions, each answered late once (2 findings);
    November: one day of the same (1 finding), audited twice on the day, the second delivery
    a redelivery of the same audit; the R&D group clean in both months."""
    # October: messages on two days, audited at the end of the second
    october = _sales_messages("10-19") + _sales_messages("10-20")
    _audit(store, "g-sales", "销售部", SALES, october, "2026-10-20T18:00:00+08:00", "a" * 32)
    _audit(store, "g-rd", "研发部", RD, [message("m1", "r1", "2026-10-20T10:00:00+08:00", "好的")],
           "2026-10-20T18:00:00+08:00", "b" * 32)  # fmt: skip
    november = [message("m0", "u2", "2026-11-18T09:00:00+08:00", "早"), *_sales_messages("11-19")]
    for audit_id in ("c" * 32, "c" * 32):  # a redelivery of the same audit
        _audit(store, "g-sales", "销售部", SALES, november, "2026-11-19T18:00:00+08:00", audit_id)
    _audit(store, "g-sales", "销售部", SALES, november, "2026-11-20T18:00:00+08:00", "d" * 32)
    _audit(store, "g-rd", "研发部", RD, [message("m1", "r1", "2026-11-19T10:00:00+08:00", "好的")],
           "2026-11-20T18:00:00+08:00", "e" * 32)  # fmt: skip
    return store


def test_monthly_figures_equal_the_hand_computed_ones(two_months: Storage) -> None:
    # GIVEN the two months of audits
    # WHEN November's report is built
    report = build_report(TENANT, "2026-11", "zh", _sources(two_months), NOW)
    # THEN three audits count (the redelivery once), one late question finding of the head
    assert report.period.model_dump() == {
        "start": "2026-11-01",
        "end": "2026-11-30",
        "workdays": 21,
        "audits": 3,
    }
    totals = report.totals
    assert (totals.groups, totals.findings, totals.red_lines, totals.clean_groups) == (2, 1, 0, 1)
    # two questions owed to the head on 11-19 (asked after the first message's day), one in time
    assert (totals.questions, totals.answered_on_time, totals.on_time_rate) == (2, 1, 0.5)
    # answers after 45 minutes (bucket 45-60) and 5 minutes (bucket 5-10): median at rank 1 is
    # the top of the 5-10 bucket; p90 at rank 1.8 is 80 % into the 45-60 bucket
    assert (totals.median_answer_minutes, totals.p90_answer_minutes) == (10.0, 57.0)
    assert (totals.members, totals.active_members, totals.inactive_members) == (5, 5, 0)
    sales = next(g for g in report.groups if g.group_id == "g-sales")
    assert (sales.audits, sales.findings, sales.violations, sales.clean) == (
        2,
        1,
        {"overdue_reply": 1},
        False,
    )
    assert [g.group_id for g in report.clean_groups] == ["g-rd"]
    head = next(p for p in report.members if p.member_id == "h-sales")
    assert (head.questions_owed, head.answered_on_time, head.findings, head.department) == (2, 1, 1, "销售部")
    assert report.violations[0].model_dump() == {"rule": "overdue_reply", "severity": "violation", "count": 1}
    assert [d.department for d in report.departments] == ["销售部", "研发部"]


def test_a_file_finding_counts_for_its_group_and_never_as_a_member(store: Storage) -> None:
    # GIVEN November's R&D group holds a file named without a date or author (file_naming: its
    # finding's subject is the file, not a person)
    badly_named = file("f-plan", "方案.docx", "2026-11-19T10:00:00+08:00", uploader_id="r1")
    messages = [message("m1", "r1", "2026-11-19T10:00:00+08:00", "好的")]
    taken_at = "2026-11-20T18:00:00+08:00"
    report = _audit(store, "g-rd", "研发部", RD, messages, taken_at, "e" * 32, [badly_named])
    assert [(f.rule, f.subject_id) for f in report.findings] == [("file_naming", "f-plan")]
    # WHEN November's report is built
    built = build_report(TENANT, "2026-11", "zh", _sources(store), NOW)
    # THEN the group counts the file's finding, and the member view lists the group's people
    # only: no "member" named after the file, and the uploader is charged nothing
    (rd,) = built.groups
    assert (rd.findings, rd.violations) == (1, {"file_naming": 1})
    assert [p.member_id for p in built.members] == []  # nobody of the group owed or did anything


def test_trends_and_improvements_compare_with_the_previous_month(two_months: Storage) -> None:
    # GIVEN October had two findings in the sales group, November one
    report = build_report(TENANT, "2026-11", "en", _sources(two_months), NOW)
    # THEN the trend runs oldest first, and the sales group improved by one
    assert report.trends.model_dump() == {
        "months": ["2026-10", "2026-11"],
        "findings": [2, 1],
        "red_lines": [0, 0],
        "on_time_rate": [0.5, 0.5],
    }
    assert [(c.group_id, c.previous, c.current, c.change) for c in report.improvements] == [
        ("g-sales", 2, 1, -1)
    ]
    assert report.regressions == []
    assert report.lang == "en"


def test_a_redelivered_audit_counts_once(two_months: Storage) -> None:
    # GIVEN the 11-19 audit delivered twice
    (rollup,) = [
        g for g in ReportStore.over(two_months).month_groups(TENANT, "2026-11") if g.group_id == "g-sales"
    ]
    # THEN its id is counted once, its questions once
    assert rollup.audits == 2
    assert rollup.questions["h-sales"].owed == 2


def test_red_lines_come_first_in_the_violations(store: Storage) -> None:
    # GIVEN a group with a red line and two overdue replies in November
    msgs = [
        message("m0", "u2", "2026-11-18T09:00:00+08:00", "早"),
        *_sales_messages("11-19"),
        message("q3", "u1", "2026-11-19T14:00:00+08:00", "请问合同在哪？"),
        message("x1", "u2", "2026-11-19T15:00:00+08:00", "习近平是傻逼"),
    ]
    _audit(store, "g-sales", "销售部", SALES, msgs, "2026-11-19T18:00:00+08:00", "f" * 32)
    report = build_report(TENANT, "2026-11", "zh", _sources(store), NOW)
    severities = [v.severity for v in report.violations]
    assert severities[0] == "red_line", report.violations
    assert severities == sorted(severities, key=["red_line", "violation", "warning", "info"].index)


def test_the_report_reads_by_key_only(two_months: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the table's client, recording its calls
    calls = []
    client = two_months.client
    for name in ("scan", "query", "get_item"):
        original = getattr(client, name)

        def record(
            *args: Any, _name: str = name, _original: Callable[..., Any] = original, **kwargs: Any
        ) -> Any:
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(client, name, record, raising=False)
    # WHEN the report is built
    build_report(TENANT, "2026-11", "zh", _sources(two_months), NOW)
    # THEN it made Queries only, no Scan
    assert "scan" not in calls
    assert calls and set(calls) == {"query"}


@pytest.mark.parametrize(
    ("histogram", "q", "expected"),
    [
        ({}, 0.5, None),
        ({3: 10}, 0.5, 7.5),
        ({3: 10}, 0.9, 9.5),
        ({19: 2}, 0.5, 2880.0),
        ({0: 1, 9: 1}, 0.9, 84.0),
    ],
)
def test_quantiles_come_from_the_buckets(histogram: dict[int, int], q: float, expected: float | None) -> None:
    assert quantile(histogram, q) == expected


def test_buckets_and_their_encoding() -> None:
    assert [bucket(v) for v in (0, 0.5, 1, 4.9, 5, 59.9, 60, 5000)] == [0, 0, 1, 2, 3, 8, 9, len(EDGES) - 1]
    owed = Owed(3, 2, {1: 2, 9: 1})
    assert Owed.decode(owed.encode()) == owed
    with pytest.raises(ValueError, match="owed, on_time"):
        Owed.decode([1])


def test_a_bad_month_is_refused_with_its_value(store: Storage) -> None:
    from groupaudit.errors import InputError

    with pytest.raises(InputError, match="2026-13"):
        build_report(TENANT, "2026-13", "zh", _sources(store), NOW)


def test_an_overturned_finding_counts_nowhere_and_the_ledger_and_appeals_are_counted(store: Storage) -> None:
    from groupaudit.supervision import service

    # GIVEN November's late answer of the head, stored, its ledger entry confirmed, appealed by
    # the head and overturned by the supervision team
    found = decode_directory(json.dumps(DIRECTORY).encode())
    november = [message("m0", "u2", "2026-11-18T09:00:00+08:00", "早"), *_sales_messages("11-19")]
    report = _audit(store, "g-sales", "销售部", SALES, november, "2026-11-19T18:00:00+08:00", "c" * 32)
    at = report.audited_at
    store.guard.begin_group_audit(TENANT, "g-sales", at, NOW)
    store.findings.sync_findings(TENANT, "g-sales", "c" * 32, at, report.findings, {})
    created = service.record_findings(store, TENANT, "g-sales", report.findings, [], POLICIES, found, at)
    (entry_id,) = created.created
    book = LedgerStore.over(store)
    later = datetime.fromisoformat("2026-11-20T10:00:00+08:00")
    service.decide_entry(book, TENANT, entry_id, "confirmed", "u-super", "checked", later, POLICIES)
    before = build_report(TENANT, "2026-11", "zh", _sources(store), NOW)
    appeal, _ = service.file_appeal(
        book, TENANT, appellant="h-sales", reason="I answered by phone", now=later, policies=POLICIES,
        directory=found, entry_id=entry_id,
    )  # fmt: skip
    # WHEN the report is built before and after the appeal is overturned
    assert (before.totals.findings, before.ledger.confirmed, before.appeals.open) == (1, 1, 0)
    filed = build_report(TENANT, "2026-11", "zh", _sources(store), NOW)
    service.decide_appeal(
        book, TENANT, appeal["appeal_id"], "overturned", "u-super", "phone log", later, POLICIES
    )
    after = build_report(TENANT, "2026-11", "zh", _sources(store), NOW)
    # THEN the filed appeal is open; once overturned, the finding is in no count, the group is
    # clean, the entry is listed as overturned but counted in none of the three states
    assert (filed.appeals.open, filed.appeals.overturned) == (1, 0)
    assert (after.totals.findings, after.totals.clean_groups, after.violations) == (0, 1, [])
    assert (after.ledger.proposed, after.ledger.confirmed, after.ledger.waived) == (0, 0, 0)
    assert [(e.entry_id, e.status, e.member_id) for e in after.ledger.entries] == [
        (entry_id, "overturned", "h-sales")
    ]
    assert (after.appeals.open, after.appeals.upheld, after.appeals.overturned, after.appeals.late) == (
        0,
        0,
        1,
        0,
    )
    assert after.appeals.items[0].answered_at is not None
