"""Two audit-worker invocations at the same time (SQS delivering a message twice at once to
two Lambda containers) each answer for their own batch, whatever the interleaving.

The chaos suite's lost findings (issue 10, ``sqs_duplicates_reordered``): the twin invocation
ran between the moment the first one handed its batch to the batch processor and the moment it
processed it. Both invocations shared one processor, so the first then processed the twin's
records only and answered "no failures" for its whole batch: SQS deleted the messages of
groups that were never audited."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

from groupaudit.local import chaos
from groupaudit.local.invoke import LambdaContext, sqs_event
from groupaudit.pipeline import batch, runtime

AUDIT = "d" * 32
AT = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def _received(settings, store, group_ids: list[str]) -> tuple[list[dict], str]:
    """The audit request's messages, one per group, as ReceiveMessage returns them."""
    sqs = runtime.client("sqs")
    store.runs.create_audit("acme", AUDIT, group_ids, "schedule", AT)
    for gid in group_ids:
        body = {
            "tenant_id": "acme",
            "group_id": gid,
            "audit_id": AUDIT,
            "trigger": "schedule",
            "requested_at": AT.isoformat(),
        }
        sqs.send_message(QueueUrl=settings.audit_queue_url, MessageBody=json.dumps(body))
    messages: list[dict] = []
    while len(messages) < len(group_ids):
        answer = sqs.receive_message(
            QueueUrl=settings.audit_queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        )
        messages += answer.get("Messages", [])
    arn = sqs.get_queue_attributes(QueueUrl=settings.audit_queue_url, AttributeNames=["QueueArn"])
    return messages, arn["Attributes"]["QueueArn"]


def test_a_twin_invocation_between_taking_and_processing_a_batch_loses_no_record(
    seeded, settings, monkeypatch
):
    # GIVEN three groups' messages in one batch, the first of them also delivered at the same
    # time to a second container (its own copy of the handler module)
    store = runtime.store(settings)
    group_ids = [g.group_id for g in seeded[:3]]
    messages, arn = _received(settings, store, group_ids)
    first, twin = chaos._handler("audit_worker"), chaos._twin("audit_worker")
    twin_answer: dict = {}

    # AND the twin runs its whole invocation right after the first took its batch, before the
    # first processes any record (the interleaving the loaded CI machine produced)
    processing = batch.RecordProcessor.process
    held = threading.Event()

    def twin_first(self):
        if not held.is_set():
            held.set()
            thread = threading.Thread(
                target=lambda: twin_answer.update(twin(sqs_event(messages[:1], arn), LambdaContext("twin")))
            )
            thread.start()
            thread.join(120)
        return processing(self)

    monkeypatch.setattr(batch.RecordProcessor, "process", twin_first)
    # WHEN the first invocation handles its batch
    answer = first(sqs_event(messages, arn), LambdaContext("audit_worker"))
    # THEN every message it did not report failed is one whose group's run is recorded (SQS
    # deletes exactly those), and here that is all three: none lost, none audited twice
    assert held.is_set() and twin_answer == {"batchItemFailures": []}
    failed = {item["itemIdentifier"] for item in answer["batchItemFailures"]}
    acked = sorted(json.loads(m["Body"])["group_id"] for m in messages if m["MessageId"] not in failed)
    assert acked == sorted(group_ids)
    runs = {gid: getattr(store.runs.run("acme", gid, AUDIT), "status", None) for gid in group_ids}
    assert runs == dict.fromkeys(group_ids, "succeeded")
    audit = store.runs.audit("acme", AUDIT)
    assert audit is not None
    assert (audit.groups_done, audit.groups_total, len(audit.runs)) == (3, 3, 3)
