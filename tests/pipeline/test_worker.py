"""The scheduler and the audit worker against moto, with resources built from template.yaml."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from groupaudit.adapters.storage import dynamo as store_module
from groupaudit.local.invoke import sqs_event
from groupaudit.pipeline import runtime
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
    audit = store.runs.audit("acme", result["audits"]["acme"])
    assert (audit.groups_total, audit.groups_done, audit.queued) == (7, 0, True)


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
    # THEN its nine findings are open (the red line among them), the run is recorded, and one
    # notice is queued with the seven that are not info-only (file_naming stays in the report)
    assert response == {"batchItemFailures": []}
    findings, cursor = store.findings.findings_page("acme", SALES, "open", 50, None)
    assert cursor is None
    assert sorted(f.rule for f in findings) == [
        "departed_member",
        "file_naming",
        "file_naming",
        "inactive_member",
        "overdue_reply",
        "prohibited_content",
        "stale_file",
        "unbacked_document",
        "unbacked_document",
    ]
    assert {f.first_seen for f in findings} == {"2026-11-20T18:00:00+08:00"}
    run = store.runs.run("acme", SALES, audit_id)
    assert run.status == "succeeded"
    assert run.counts["by_rule"] == {
        "departed_member": 1,
        "file_naming": 2,
        "inactive_member": 1,
        "overdue_reply": 1,
        "prohibited_content": 1,
        "stale_file": 1,
        "unbacked_document": 2,
    }
    notices = receive_all(sqs, settings.notice_queue_url)
    assert len(notices) == 1
    notice = json.loads(notices[0]["Body"])
    assert notice["group_id"] == SALES
    assert notice["mention_ids"] == ["u-li", "u-head-sales", "u-wang", "u-zhang"]
    assert len(notice["findings"]) == 7
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
    findings, _ = store.findings.findings_page("acme", SALES, None, 50, None)
    assert len(findings) == 9
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
    assert store.runs.run("acme", SALES, audit_id).status == "succeeded"
    assert store.runs.run("acme", "grp-mgmt", audit_id).status == "succeeded"
    failed = store.runs.run("acme", "grp-rd", audit_id)
    assert failed.status == "failed"
    assert "invalid JSON" in failed.error and "snapshots/acme/grp-rd.json" in failed.error
    audit = store.runs.audit("acme", audit_id)
    assert (audit.groups_done, audit.groups_failed) == (3, 1)


def test_malformed_snapshot_keeps_the_earlier_findings(seeded, sqs, settings, store, s3):
    # GIVEN the sales group audited once
    schedule("2026-11-20T10:00:00Z")
    first = [m for m in _audit_messages(sqs, settings) if json.loads(m["Body"])["group_id"] == SALES]
    _run_worker(sqs, settings, first)
    before, _ = store.findings.findings_page("acme", SALES, None, 50, None)
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
    run = store.runs.run("acme", SALES, audit_id)
    assert run.status == "failed"
    assert "taken_at: timestamp has no UTC offset" in run.error
    after, _ = store.findings.findings_page("acme", SALES, None, 50, None)
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
    # THEN the inactive finding is resolved and the others stay open since their first sighting;
    # the Saturday message itself is a new off-hours post (info)
    resolved, _ = store.findings.findings_page("acme", SALES, "resolved", 50, None)
    opened, _ = store.findings.findings_page("acme", SALES, "open", 50, None)
    assert [(f.rule, f.subject_id, f.resolved_at) for f in resolved] == [
        ("inactive_member", "u-wang", "2026-11-21T18:00:00+08:00")
    ]
    (saturday,) = [f for f in opened if f.rule == "off_hours_post"]
    assert (saturday.subject_id, saturday.first_seen) == ("u-wang", "2026-11-21T18:00:00+08:00")
    still_open = [f for f in opened if f.rule != "off_hours_post"]
    assert len(still_open) == 8
    assert {f.first_seen for f in still_open} == {"2026-11-20T18:00:00+08:00"}
    assert {f.last_seen for f in still_open} == {"2026-11-21T18:00:00+08:00"}
    history = store.findings.member_findings("acme", "u-wang")
    assert [(f.rule, f.status) for f in history] == [
        ("inactive_member", "resolved"),
        ("off_hours_post", "open"),
    ]


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
    run = store.runs.run("acme", SALES, audit_id)
    assert run.status == "skipped" and "newer audit" in run.error
    findings, _ = store.findings.findings_page("acme", SALES, "open", 50, None)
    assert {f.last_seen for f in findings} == {"2026-11-20T18:00:00+08:00"}


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
    assert store.runs.run("acme", "grp-ghost", "0" * 32).error == (
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
    assert store.runs.run("acme", first, audit_id).status == "succeeded"
    for message in messages[1:]:
        assert store.runs.run("acme", json.loads(message["Body"])["group_id"], audit_id) is None
    visible = {m["MessageId"] for m in receive_all(sqs, settings.audit_queue_url)}
    assert deferred <= visible


# --- a cancelled findings write, snapshots from the future, nesting ---------------------------


def _sales(sqs, settings) -> list[dict]:
    return [m for m in _audit_messages(sqs, settings) if json.loads(m["Body"])["group_id"] == SALES]


def _conflicting_once(monkeypatch, reason: str = "TransactionConflict", times: int = 1) -> list[int]:
    """The table's first ``times`` TransactWriteItems are cancelled by another transaction (the
    store tries a cancelled one again, without waiting here); returns the calls."""
    client = runtime.client("dynamodb")
    original, calls = client.transact_write_items, []
    monkeypatch.setattr(store_module, "RETRY", store_module.Backoff(base_s=0.0))

    def transact(**kwargs):
        calls.append(len(kwargs["TransactItems"]))
        if len(calls) <= times:
            reasons = [{"Code": "None"}] + [{"Code": reason}] * (len(kwargs["TransactItems"]) - 1)
            raise client.exceptions.TransactionCanceledException(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
                    "CancellationReasons": reasons,
                },
                "TransactWriteItems",
            )
        return original(**kwargs)

    monkeypatch.setattr(client, "transact_write_items", transact)
    return calls


def test_a_transaction_conflict_sends_the_record_back_and_its_retry_stores_everything(
    seeded, sqs, settings, store, monkeypatch
):
    # GIVEN the sales group queued, and DynamoDB cancelling its findings' transaction on every
    # try of the store because another transaction touched the same items
    audit_id = schedule()["audits"]["acme"]
    calls = _conflicting_once(monkeypatch, times=store_module.RETRY.attempts)
    message = _sales(sqs, settings)
    # WHEN the worker handles it
    response = _run_worker(sqs, settings, message)
    # THEN the record goes back to SQS: no run recorded (not "skipped"), nothing counted done
    assert response == {"batchItemFailures": [{"itemIdentifier": message[0]["MessageId"]}]}
    assert store.runs.run("acme", SALES, audit_id) is None
    assert store.runs.audit("acme", audit_id).groups_done == 0
    assert receive_all(sqs, settings.notice_queue_url) == []
    # WHEN SQS delivers it again
    response = _run_worker(sqs, settings, message)
    # THEN the run succeeds with all its findings stored and its one notice queued
    assert response == {"batchItemFailures": []}
    # the redelivery wrote the same findings' transaction again, once
    assert calls[store_module.RETRY.attempts] == calls[0] and len(calls) > store_module.RETRY.attempts
    run = store.runs.run("acme", SALES, audit_id)
    assert run.status == "succeeded" and run.findings > 0
    assert len(store.findings.findings_page("acme", SALES, "open", 50, None)[0]) == run.findings
    assert len(receive_all(sqs, settings.notice_queue_url)) == 1
    audit = store.runs.audit("acme", audit_id)
    assert (audit.groups_done, audit.groups_failed, audit.groups_skipped) == (1, 0, 0)


def test_a_findings_write_throttled_on_the_last_receive_is_a_recorded_failure(
    seeded, sqs, settings, store, monkeypatch
):
    # GIVEN the sales group on its fifth and last receive, its findings' write throttled
    audit_id = schedule()["audits"]["acme"]
    _conflicting_once(monkeypatch, "ThrottlingError", times=store_module.RETRY.attempts)
    (message,) = _sales(sqs, settings)
    message["Attributes"]["ApproximateReceiveCount"] = "5"
    # WHEN the worker handles it
    response = _run_worker(sqs, settings, [message])
    # THEN the run is recorded failed, saying why (not skipped, not silently done)
    assert response == {"batchItemFailures": []}
    run = store.runs.run("acme", SALES, audit_id)
    assert run.status == "failed"
    assert run.error == (
        f"DynamoDB cancelled writing the findings of group {SALES} (ThrottlingError); to be retried"
    )
    audit = store.runs.audit("acme", audit_id)
    assert (audit.groups_done, audit.groups_failed) == (1, 1)


def _drop_sales(s3, settings, **changes) -> None:
    snapshot = json.loads((TENANT / "snapshots" / "sales.json").read_text(encoding="utf-8"))
    snapshot.update(changes)
    s3.put_object(
        Bucket=settings.snapshot_bucket, Key="snapshots/acme/grp-sales.json", Body=json.dumps(snapshot)
    )


def test_a_snapshot_from_the_future_is_refused_and_never_blocks_the_group(seeded, sqs, settings, store, s3):
    # GIVEN the sales group's drop saying it was taken tomorrow
    tomorrow = (datetime.now(UTC) + timedelta(days=1, minutes=1)).replace(microsecond=0)
    _drop_sales(s3, settings, taken_at=tomorrow.isoformat())
    future_audit = schedule("2026-11-20T10:00:00Z")["audits"]["acme"]
    # WHEN it is audited
    response = _run_worker(sqs, settings, _sales(sqs, settings))
    # THEN the run failed naming taken_at, and nothing of it is stored
    assert response == {"batchItemFailures": []}
    run = store.runs.run("acme", SALES, future_audit)
    assert run.status == "failed"
    (problem,) = json.loads(run.error)["problems"]
    assert problem.startswith(f"taken_at: {tomorrow.isoformat()} is 1 day after the snapshot was received (")
    assert problem.endswith(
        "): a snapshot cannot be taken in the future (clocks may differ by 5 minutes at most)"
    )
    assert store.findings.findings_page("acme", SALES, None, 50, None) == ([], None)
    # WHEN the real snapshot (taken 11-20) is dropped and audited next
    _drop_sales(s3, settings)
    audit_id = schedule("2026-11-21T10:00:00Z")["audits"]["acme"]
    _run_worker(sqs, settings, _sales(sqs, settings))
    # THEN it is not "skipped: newer audit": its findings are stored
    run = store.runs.run("acme", SALES, audit_id)
    assert run.status == "succeeded" and run.findings > 0
    assert len(store.findings.findings_page("acme", SALES, "open", 50, None)[0]) == run.findings


@pytest.mark.parametrize("taken_at", ["9999-12-31T23:59:59+08:00", "0001-01-01T00:00:00-08:00"])
def test_a_snapshot_taken_in_year_9999_or_1_is_a_recorded_failure_not_a_crash(
    seeded, sqs, settings, store, s3, taken_at
):
    # GIVEN the sales group's drop taken at the end or the start of the calendar
    _drop_sales(s3, settings, taken_at=taken_at)
    audit_id = schedule()["audits"]["acme"]
    # WHEN it is audited
    response = _run_worker(sqs, settings, _sales(sqs, settings))
    # THEN the run failed naming taken_at and the supported range; the record is not retried
    assert response == {"batchItemFailures": []}
    run = store.runs.run("acme", SALES, audit_id)
    assert run.status == "failed"
    assert json.loads(run.error)["problems"] == [
        f"taken_at: {taken_at} is outside the supported audit times (1970-01-01 to 2999-12-31 UTC)"
    ]


def test_a_group_stamped_by_a_snapshot_from_the_future_is_audited_again(seeded, sqs, settings, store):
    # GIVEN the sales group claimed in the past by an audit "as of" year 2999 (before such
    # snapshots were refused)
    store.guard.begin_group_audit("acme", SALES, datetime(2999, 1, 1, tzinfo=UTC))
    audit_id = schedule()["audits"]["acme"]
    # WHEN its real snapshot is audited
    _run_worker(sqs, settings, _sales(sqs, settings))
    # THEN the run succeeds: the stamp from the future is not a newer audit
    run = store.runs.run("acme", SALES, audit_id)
    assert run.status == "succeeded" and run.findings > 0
    assert len(store.findings.findings_page("acme", SALES, "open", 50, None)[0]) == run.findings


def test_a_deeply_nested_tenant_policy_fails_each_run_saying_so_not_the_dlq(seeded, sqs, settings, store, s3):
    # GIVEN the tenant's policy.yaml nested 2000 levels deep (4 KB), and three groups queued
    s3.put_object(
        Bucket=settings.snapshot_bucket,
        Key="tenants/acme/policy.yaml",
        Body=b"rules: " + b"[" * 2000 + b"]" * 2000,
    )
    audit_id = schedule()["audits"]["acme"]
    messages = [
        m
        for m in _audit_messages(sqs, settings)
        if json.loads(m["Body"])["group_id"] in (SALES, "grp-rd", "grp-mgmt")
    ]
    # WHEN the worker handles them
    response = _run_worker(sqs, settings, messages)
    # THEN no record goes back to SQS (nor to the DLQ): each run failed with the reason
    assert response == {"batchItemFailures": []}
    for group in (SALES, "grp-rd", "grp-mgmt"):
        run = store.runs.run("acme", group, audit_id)
        assert run.status == "failed"
        assert json.loads(run.error) == {
            "source": f"s3://{settings.snapshot_bucket}/tenants/acme/policy.yaml",
            "problems": ["(document): nested deeper than 64 levels of arrays and objects; refused unread"],
        }


@pytest.mark.parametrize("key", ["snapshots/acme/grp-sales.json", "tenants/acme/directory.json"])
def test_a_deeply_nested_snapshot_or_directory_is_a_recorded_failure(seeded, sqs, settings, store, s3, key):
    # GIVEN the sales snapshot or the tenant's directory with an unknown field nested 4 KB deep
    path = TENANT / ("snapshots/sales.json" if key.startswith("snapshots") else "directory.json")
    document = path.read_bytes().rstrip()
    s3.put_object(
        Bucket=settings.snapshot_bucket,
        Key=key,
        Body=document[:-1] + b', "x-extra": ' + b"[" * 2000 + b"]" * 2000 + b"}",
    )
    audit_id = schedule()["audits"]["acme"]
    # WHEN it is audited
    response = _run_worker(sqs, settings, _sales(sqs, settings))
    # THEN the run failed naming the object and the problem; nothing is retried
    assert response == {"batchItemFailures": []}
    run = store.runs.run("acme", SALES, audit_id)
    assert json.loads(run.error) == {
        "source": f"s3://{settings.snapshot_bucket}/{key}",
        "problems": ["(document): nested deeper than 64 levels of arrays and objects; refused unread"],
    }
