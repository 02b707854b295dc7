"""The scheduler and the audit worker against moto, with resources built from template.yaml."""

from __future__ import annotations

import json

from groupaudit.local.invoke import sqs_event
from kit import TENANT, invoke, receive_all, schedule

SALES = "grp-sales"


def _audit_messages(sqs, settings) -> list[dict]:
    return receive_all(sqs, settings.audit_queue_url)


def _queue_count(sqs, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def _run_worker(sqs, settings, messages: list[dict]) -> dict:
    arn = sqs.get_queue_attributes(QueueUrl=settings.audit_queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    return invoke("audit_worker", sqs_event(messages, arn))


def test_scheduler_queues_one_message_per_registered_group(seeded, sqs, settings, store):
    # GIVEN the sample tenant's seven groups registered
    # WHEN the schedule fires
    result = schedule()
    # THEN one message per group is queued, all under one audit id recorded for the tenant
    bodies = [json.loads(m["Body"]) for m in _audit_messages(sqs, settings)]
    assert result["groups"] == 7
    assert sorted(b["group_id"] for b in bodies) == sorted(r.group_id for r in seeded)
    assert {b["audit_id"] for b in bodies} == {result["audits"]["acme"]}
    assert {b["trigger"] for b in bodies} == {"schedule"}
    audit = store.get_audit("acme", result["audits"]["acme"])
    assert (audit["groups_total"], audit["groups_done"], audit["queued"]) == (7, 0, True)


def test_a_retried_schedule_queues_nothing_twice(seeded, sqs, settings):
    # GIVEN a scheduled run already fanned out
    first = schedule()
    receive_all(sqs, settings.audit_queue_url)
    # WHEN EventBridge Scheduler retries the same scheduled time
    second = schedule()
    # THEN the audit id is the same and no new message is queued
    assert second["audits"] == first["audits"]
    assert second["groups"] == 0
    assert _queue_count(sqs, settings.audit_queue_url) == 7  # the first seven, in flight


def test_worker_stores_findings_with_lifecycle_and_queues_one_notice(seeded, sqs, settings, store):
    # GIVEN the sales group queued
    audit_id = schedule()["audits"]["acme"]
    sales = [m for m in _audit_messages(sqs, settings) if json.loads(m["Body"])["group_id"] == SALES]
    # WHEN the worker handles it
    response = _run_worker(sqs, settings, sales)
    # THEN its eight findings are open, the run is recorded, and one notice is queued with the six
    # that are not info-only (file_naming stays in the report)
    assert response == {"batchItemFailures": []}
    findings, cursor = store.list_findings("acme", SALES, "open", 50, None)
    assert cursor is None
    assert sorted(f["rule"] for f in findings) == [
        "departed_member",
        "file_naming",
        "file_naming",
        "inactive_member",
        "overdue_reply",
        "stale_file",
        "unbacked_document",
        "unbacked_document",
    ]
    assert {f["first_seen"] for f in findings} == {"2026-11-20T18:00:00+08:00"}
    run = store.get_run("acme", SALES, audit_id)
    assert run["status"] == "succeeded"
    assert run["counts"]["by_rule"] == {
        "departed_member": 1,
        "file_naming": 2,
        "inactive_member": 1,
        "overdue_reply": 1,
        "stale_file": 1,
        "unbacked_document": 2,
    }
    notices = receive_all(sqs, settings.notice_queue_url)
    assert len(notices) == 1
    notice = json.loads(notices[0]["Body"])
    assert notice["group_id"] == SALES and notice["mention_ids"] == ["u-head-sales", "u-wang", "u-zhang"]
    assert len(notice["findings"]) == 6
    assert not any(rule == "file_naming" for rule, _ in notice["findings"])


def test_the_same_message_delivered_twice_gives_one_set_of_findings_and_one_notice(
    seeded, sqs, settings, store
):
    # GIVEN the sales group's message
    schedule()
    sales = [m for m in _audit_messages(sqs, settings) if json.loads(m["Body"])["group_id"] == SALES]
    # WHEN SQS delivers it twice
    _run_worker(sqs, settings, sales)
    _run_worker(sqs, settings, sales)
    # THEN the findings are stored once and one notice is queued
    findings, _ = store.list_findings("acme", SALES, None, 50, None)
    assert len(findings) == 8
    assert len(receive_all(sqs, settings.notice_queue_url)) == 1


def test_one_bad_group_does_not_block_the_others(seeded, sqs, settings, store, s3):
    # GIVEN three queued groups, one of whose snapshot in the drop bucket is malformed, and a poison message
    audit_id = schedule()["audits"]["acme"]
    s3.put_object(
        Bucket=settings.snapshot_bucket, Key="snapshots/acme/grp-rd.json", Body=b'{"schema_version": 1,'
    )
    messages = [
        m
        for m in _audit_messages(sqs, settings)
        if json.loads(m["Body"])["group_id"] in (SALES, "grp-rd", "grp-mgmt")
    ]
    poison = dict(messages[0], MessageId="poison-1", Body='{"tenant_id": "acme"}')
    # WHEN the worker handles the batch
    response = _run_worker(sqs, settings, [*messages, poison])
    # THEN only the poison message is reported back; the malformed snapshot is a recorded failure
    assert response == {"batchItemFailures": [{"itemIdentifier": "poison-1"}]}
    assert store.get_run("acme", SALES, audit_id)["status"] == "succeeded"
    assert store.get_run("acme", "grp-mgmt", audit_id)["status"] == "succeeded"
    failed = store.get_run("acme", "grp-rd", audit_id)
    assert failed["status"] == "failed"
    assert "invalid JSON" in failed["error"] and "snapshots/acme/grp-rd.json" in failed["error"]
    audit = store.get_audit("acme", audit_id)
    assert (audit["groups_done"], audit["groups_failed"]) == (3, 1)


def test_malformed_snapshot_keeps_the_earlier_findings(seeded, sqs, settings, store, s3):
    # GIVEN the sales group audited once
    schedule("2026-11-20T10:00:00Z")
    first = [m for m in _audit_messages(sqs, settings) if json.loads(m["Body"])["group_id"] == SALES]
    _run_worker(sqs, settings, first)
    before, _ = store.list_findings("acme", SALES, None, 50, None)
    # WHEN the next day's drop has a timestamp without an offset and the schedule fires again
    broken = json.loads((TENANT / "snapshots" / "sales.json").read_text(encoding="utf-8"))
    broken["taken_at"] = "2026-11-21T18:00:00"
    s3.put_object(
        Bucket=settings.snapshot_bucket, Key="snapshots/acme/grp-sales.json", Body=json.dumps(broken)
    )
    audit_id = schedule("2026-11-21T10:00:00Z")["audits"]["acme"]
    second = [m for m in _audit_messages(sqs, settings) if json.loads(m["Body"])["group_id"] == SALES]
    response = _run_worker(sqs, settings, second)
    # THEN the run failed with the reason, and the stored findings did not change
    assert response == {"batchItemFailures": []}
    run = store.get_run("acme", SALES, audit_id)
    assert run["status"] == "failed"
    assert "taken_at: timestamp has no UTC offset" in run["error"]
    after, _ = store.list_findings("acme", SALES, None, 50, None)
    assert after == before


def test_a_finding_no_longer_seen_is_resolved(seeded, sqs, settings, store, s3):
    # GIVEN the sales group audited, with 王五 inactive
    schedule("2026-11-20T10:00:00Z")
    _run_worker(sqs, settings, [m for m in _audit_messages(sqs, settings) if SALES in m["Body"]])
    # WHEN the next day's snapshot shows 王五 speaking, and the group is audited again
    snapshot = json.loads((TENANT / "snapshots" / "sales.json").read_text(encoding="utf-8"))
    snapshot["taken_at"] = "2026-11-21T18:00:00+08:00"
    snapshot["messages"].append(
        {
            "id": "grp-sales-m999",
            "sender_id": "u-wang",
            "sent_at": "2026-11-21T09:00:00+08:00",
            "text": "我回来了",
        }
    )
    s3.put_object(
        Bucket=settings.snapshot_bucket, Key="snapshots/acme/grp-sales.json", Body=json.dumps(snapshot)
    )
    schedule("2026-11-21T10:00:00Z")
    _run_worker(sqs, settings, [m for m in _audit_messages(sqs, settings) if SALES in m["Body"]])
    # THEN the inactive finding is resolved and the others stay open since their first sighting
    resolved, _ = store.list_findings("acme", SALES, "resolved", 50, None)
    still_open, _ = store.list_findings("acme", SALES, "open", 50, None)
    assert [(f["rule"], f["subject_id"], f["resolved_at"]) for f in resolved] == [
        ("inactive_member", "u-wang", "2026-11-21T18:00:00+08:00")
    ]
    assert len(still_open) == 7
    assert {f["first_seen"] for f in still_open} == {"2026-11-20T18:00:00+08:00"}
    assert {f["last_seen"] for f in still_open} == {"2026-11-21T18:00:00+08:00"}
    history = store.member_history("acme", "u-wang")
    assert [(f["rule"], f["status"]) for f in history] == [("inactive_member", "resolved")]


def test_an_older_snapshot_never_overwrites_a_newer_audit(seeded, sqs, settings, store, s3):
    # GIVEN the sales group audited as of 11-20 18:00
    schedule("2026-11-20T10:00:00Z")
    _run_worker(sqs, settings, [m for m in _audit_messages(sqs, settings) if SALES in m["Body"]])
    # WHEN a late drop of an older snapshot (11-19) is audited afterwards
    snapshot = json.loads((TENANT / "snapshots" / "sales.json").read_text(encoding="utf-8"))
    snapshot["taken_at"] = "2026-11-19T18:00:00+08:00"
    s3.put_object(
        Bucket=settings.snapshot_bucket, Key="snapshots/acme/grp-sales.json", Body=json.dumps(snapshot)
    )
    audit_id = schedule("2026-11-21T10:00:00Z")["audits"]["acme"]
    _run_worker(sqs, settings, [m for m in _audit_messages(sqs, settings) if SALES in m["Body"]])
    # THEN that run is skipped and the stored findings still say 11-20
    run = store.get_run("acme", SALES, audit_id)
    assert run["status"] == "skipped" and "newer audit" in run["error"]
    findings, _ = store.list_findings("acme", SALES, "open", 50, None)
    assert {f["last_seen"] for f in findings} == {"2026-11-20T18:00:00+08:00"}


def test_unregistered_group_is_a_recorded_failure(aws, sqs, settings, store):
    # GIVEN a message for a group nobody registered
    message = {
        "MessageId": "m-1",
        "ReceiptHandle": "r-1",
        "Body": json.dumps(
            {
                "tenant_id": "acme",
                "group_id": "grp-ghost",
                "audit_id": "0" * 32,
                "trigger": "manual",
                "requested_at": "2026-11-20T10:00:00+00:00",
            }
        ),
    }
    # WHEN the worker handles it
    response = _run_worker(sqs, settings, [message])
    # THEN it is not retried, and the run says why
    assert response == {"batchItemFailures": []}
    assert store.get_run("acme", "grp-ghost", "0" * 32)["error"] == (
        "group grp-ghost is not registered (or disabled) for tenant acme"
    )


def test_a_batch_reads_the_tenant_inputs_once(seeded, sqs, settings, s3, monkeypatch):
    # GIVEN three queued groups of one tenant, and a count of the tenant-input reads
    schedule()
    messages = [
        m
        for m in _audit_messages(sqs, settings)
        if json.loads(m["Body"])["group_id"] in (SALES, "grp-rd", "grp-mgmt")
    ]
    reads: list[str] = []
    original = s3.get_object

    def counting(**kwargs):
        if kwargs["Key"].startswith("tenants/"):
            reads.append(kwargs["Key"])
        return original(**kwargs)

    monkeypatch.setattr(s3, "get_object", counting)
    # WHEN the worker handles them in one invocation
    response = _run_worker(sqs, settings, messages)
    # THEN the directory, the id map and the policy were read once each, not once per group
    assert response == {"batchItemFailures": []}
    assert sorted(reads) == [
        "tenants/acme/directory.json",
        "tenants/acme/idmap.json",
        "tenants/acme/policy.yaml",
    ]


def test_records_an_invocation_has_no_time_for_go_back_to_the_queue_at_once(seeded, sqs, settings, store):
    # GIVEN three queued groups, and an invocation with 134 s left (the reserve is 15 s, a
    # record is started only with 120 s to go)
    from groupaudit.local.invoke import LambdaContext, load_handler

    audit_id = schedule()["audits"]["acme"]
    messages = [
        m
        for m in _audit_messages(sqs, settings)
        if json.loads(m["Body"])["group_id"] in (SALES, "grp-rd", "grp-mgmt")
    ]
    arn = sqs.get_queue_attributes(QueueUrl=settings.audit_queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    context = LambdaContext("audit_worker", timeout_ms=134_000)
    # WHEN the worker handles them
    response = load_handler("audit_worker")(sqs_event(messages, arn), context)
    # THEN the first group was audited, and the two others were not started: reported as
    # failures and visible on the queue again right away (not after the 30-min visibility)
    deferred = {f["itemIdentifier"] for f in response["batchItemFailures"]}
    assert deferred == {m["MessageId"] for m in messages[1:]}
    first = json.loads(messages[0]["Body"])["group_id"]
    assert store.get_run("acme", first, audit_id)["status"] == "succeeded"
    for message in messages[1:]:
        assert store.get_run("acme", json.loads(message["Body"])["group_id"], audit_id) is None
    visible = {m["MessageId"] for m in receive_all(sqs, settings.audit_queue_url)}
    assert deferred <= visible
