"""The storage aggregates read typed records, each aggregate on its own or through Storage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from groupaudit.adapters.storage import Storage
from groupaudit.adapters.storage.dynamo import RetryingClient, StoreError
from groupaudit.adapters.storage.findings import FindingRecord, Findings, StoredFinding
from groupaudit.adapters.storage.notices import NoticeRecord
from groupaudit.adapters.storage.runs import AuditRecord, RunRecord, Runs
from groupaudit.contracts import Finding

AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
AUDIT = "c" * 32


def _finding(index: int, subject: str = "u-1") -> Finding:
    return Finding(
        id=f"{index:032x}",
        rule="inactive_member",
        kind="silent",
        severity="warning",
        subject_id=subject,
        message_id=None,
        file_id=None,
        detected_at=AT,
        policy_ref="000 三(二)",
        summary="s",
        evidence={"days": 30},
    )


def test_an_audit_reads_as_a_record_with_its_counters_and_runs(store):
    # GIVEN an audit of two groups, one of which finished with 3 findings
    store.runs.create_audit("acme", AUDIT, ["g1", "g2"], "api", AT)
    store.runs.mark_audit_queued("acme", AUDIT)
    done = {"status": "succeeded", "finished_at": AT.isoformat(), "duration_ms": 12, "findings": 3}
    store.runs.finish_run("acme", "g1", AUDIT, {**done, "counts": {"inactive_member": 3}, "pull": "full"})
    # WHEN it is read through the typed reader
    audit = store.runs.audit("acme", AUDIT)
    # THEN a frozen record with the stored values, its one run typed too
    assert isinstance(audit, AuditRecord)
    assert (audit.trigger, audit.groups, audit.queued) == ("api", ("g1", "g2"), True)
    assert (audit.groups_total, audit.groups_done, audit.groups_failed, audit.findings_total) == (2, 1, 0, 3)
    (run,) = audit.runs
    assert run == store.runs.run("acme", "g1", AUDIT)
    assert isinstance(run, RunRecord)
    assert (run.group_id, run.status, run.duration_ms, run.findings) == ("g1", "succeeded", 12, 3)
    assert (run.counts, run.pull, run.error) == ({"inactive_member": 3}, "full", None)
    with pytest.raises(AttributeError):
        run.status = "failed"  # type: ignore[misc]
    assert store.runs.audit("acme", "d" * 32) is None and store.runs.run("acme", "g2", AUDIT) is None


def test_one_aggregate_works_alone_over_the_same_table(store):
    # GIVEN only the runs aggregate, over the store's table and client
    runs = Runs(store.table, store.client)
    runs.create_audit("acme", AUDIT, ["g1"], "schedule", AT)
    # WHEN it records a failed run
    failed = {"status": "failed", "finished_at": AT.isoformat(), "duration_ms": 4, "error": "pull failed"}
    assert runs.finish_run("acme", "g1", AUDIT, failed) is True
    # THEN the whole store reads what it wrote, counted once
    audit = store.runs.audit("acme", AUDIT)
    assert audit is not None
    assert (audit.groups_done, audit.groups_failed, audit.runs[0].error) == (1, 1, "pull failed")


def test_findings_read_as_records_and_typed_stored_findings_drive_the_next_audit(store):
    # GIVEN two findings about u-1 written by a first audit
    store.findings.sync_findings("acme", "g", "a" * 32, AT, [_finding(1), _finding(2)], {})
    stored = store.findings.stored_findings("acme", "g")
    assert set(stored) == {f"{1:032x}", f"{2:032x}"}
    first = stored[f"{1:032x}"]
    assert isinstance(first, StoredFinding)
    assert (first.sk, first.status, first.first_seen) == (
        f"FINDING#inactive_member#{1:032x}",
        "open",
        AT.isoformat(),
    )
    # WHEN a later audit sees only the first, given the typed records of the stored ones
    later = AT + timedelta(days=1)
    result = Findings(store.table, store.client).sync_findings(
        "acme", "g", "b" * 32, later, [_finding(1)], stored
    )
    # THEN the second is resolved, and both read back as typed finding records
    assert (result.still_open, result.resolved, result.new) == ([f"{1:032x}"], [f"{2:032x}"], [])
    page, cursor = store.findings.findings_page("acme", "g", "resolved", 10, None)
    assert cursor is None
    (resolved,) = page
    assert isinstance(resolved, FindingRecord)
    assert (resolved.finding_id, resolved.status, resolved.resolved_at) == (
        f"{2:032x}",
        "resolved",
        later.isoformat(),
    )
    assert resolved.finding is not None and resolved.finding["evidence"] == {"days": 30}
    history = store.findings.member_findings("acme", "u-1")
    assert sorted((f.finding_id, f.status) for f in history) == [
        (f"{1:032x}", "open"),
        (f"{2:032x}", "resolved"),
    ]


def test_a_notice_reads_as_a_record_with_its_claim_and_parts(store):
    # GIVEN a claimed notice whose digest had 2 parts accepted, then sent
    assert store.notices.claim_notice("acme", "g", AUDIT, AT, timedelta(minutes=5)) == "claimed"
    store.notices.record_notice_part("acme", "g", AUDIT, 2)
    store.notices.finish_notice("acme", "g", AUDIT, "sent", AT, "ok")
    # WHEN it is read
    notice = store.notices.notice("acme", "g", AUDIT)
    # THEN the record holds the status, attempts, parts and lease
    assert isinstance(notice, NoticeRecord)
    assert (notice.status, notice.attempts, notice.parts_sent, notice.detail) == ("sent", 1, 2, "ok")
    assert notice.lease_until == int((AT + timedelta(minutes=5)).timestamp())
    assert store.notices.notice_parts_sent("acme", "g", AUDIT) == 2
    assert (
        store.notices.notice("acme", "g", "e" * 32) is None
        and store.notices.notice_parts_sent("acme", "g", "e" * 32) == 0
    )


def test_a_stored_item_that_does_not_read_names_the_item_and_the_field(store):
    # GIVEN a run item whose duration was stored as text (a corrupt or foreign write)
    store.client.put_item(
        TableName=store.table,
        Item={
            "PK": {"S": "TENANT#acme#GROUP#g"},
            "SK": {"S": f"RUN#{AUDIT}"},
            "audit_id": {"S": AUDIT},
            "group_id": {"S": "g"},
            "status": {"S": "succeeded"},
            "finished_at": {"S": AT.isoformat()},
            "duration_ms": {"S": "twelve"},
        },
    )
    # WHEN it is read as a record
    # THEN a store error names the run and the field, not a half-read record
    with pytest.raises(
        StoreError, match=rf"stored run {AUDIT} of group g does not read as a RunRecord: .*duration_ms"
    ):
        store.runs.run("acme", "g", AUDIT)


def test_every_aggregate_of_a_storage_goes_through_its_one_retrying_client(store):
    # GIVEN the runtime's storage over the table
    # WHEN its aggregates are looked at
    aggregates = (store.groups, store.runs, store.guard, store.findings, store.notices, store.limits)
    # THEN each names the table and shares the storage's one retrying client (one connection
    # pool, one backoff), so what one aggregate writes the next reads through the same calls
    assert isinstance(store, Storage) and isinstance(store.client, RetryingClient)
    assert [(aggregate.table, aggregate.client) for aggregate in aggregates] == [
        (store.table, store.client)
    ] * 6
    store.runs.create_audit("acme", AUDIT, ["g1"], "api", AT)
    audit = Storage(store.table, store.client).runs.audit("acme", AUDIT)
    assert audit is not None and audit.groups == ("g1",)


def test_a_retrying_client_given_to_an_aggregate_is_not_wrapped_again(store):
    # GIVEN the storage's retrying client, and the plain client under it
    retrying = store.client
    # WHEN aggregates are built over each
    shared, wrapped = Runs(store.table, retrying), Runs(store.table, retrying._wrapped)
    # THEN the retrying one is used as it is (a call is tried at most RETRY.attempts times, not
    # that squared), the plain one gets a retrying client of its own
    assert shared.client is retrying
    assert isinstance(wrapped.client, RetryingClient) and wrapped.client is not retrying
