"""Powertools Idempotency around the worker's per-group audit: two deliveries of one message
at the same time cannot both audit; a later one gets the recorded outcome."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

from groupaudit.adapters.storage import Storage
from groupaudit.adapters.storage.findings import Findings
from groupaudit.adapters.storage.guard import Guard
from groupaudit.pipeline import runtime, worker
from groupaudit.wire import AuditMessage

AUDIT = "c" * 32
AT = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def _deps(store: Storage | None = None) -> worker.WorkerDeps:
    deps = runtime.worker_deps()
    deps.deadline = time.monotonic() + 60
    if store is not None:
        deps.store = store
    return deps


def _notices(settings) -> int:
    answer = runtime.client("sqs").get_queue_attributes(
        QueueUrl=settings.notice_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(answer["Attributes"]["ApproximateNumberOfMessages"])


def test_two_concurrent_deliveries_of_one_message_cannot_both_audit(seeded, settings):
    # GIVEN the audit request of one group, and a first delivery of its message that is auditing
    message = AuditMessage(
        tenant_id="acme", group_id="grp-sales", audit_id=AUDIT, trigger="schedule", requested_at=AT
    )
    store = runtime.store(settings)
    store.runs.create_audit("acme", AUDIT, ["grp-sales"], "schedule", AT)
    auditing, finish = threading.Event(), threading.Event()

    class HeldGuard(Guard):
        def begin_group_audit(self, *args, **kwargs):
            auditing.set()
            assert finish.wait(30)
            return super().begin_group_audit(*args, **kwargs)

    first: dict[str, worker.RunOutcome] = {}
    held = runtime.store(settings)
    held.guard = HeldGuard(held.table, held.client)
    thread = threading.Thread(
        target=lambda: first.setdefault("outcome", worker.audit_group(message, _deps(held)))
    )
    thread.start()
    assert auditing.wait(30)
    # WHEN the same message is delivered again meanwhile
    with pytest.raises(IdempotencyAlreadyInProgressError):
        worker.audit_group(message, _deps())
    finish.set()
    thread.join(30)
    # AND once more after the first is done
    later = worker.audit_group(message, _deps())
    # THEN one delivery audited: one run counted, one notice queued; the later one got its outcome
    assert first["outcome"].status == "succeeded" and first["outcome"].findings > 0
    assert later == first["outcome"]
    audit = store.runs.audit("acme", AUDIT)
    assert audit is not None
    assert (audit.groups_done, len(audit.runs)) == (1, 1)
    assert _notices(settings) == 1


def test_an_audit_that_raised_releases_its_claim_for_the_retry(seeded, settings):
    # GIVEN a delivery whose audit raises a retryable error half-way (DynamoDB unreachable)
    message = AuditMessage(
        tenant_id="acme", group_id="grp-sales", audit_id=AUDIT, trigger="schedule", requested_at=AT
    )

    class FailingFindings(Findings):
        def stored_findings(self, *args, **kwargs):
            raise ConnectionError("DynamoDB unreachable")

    failing = runtime.store(settings)
    failing.findings = FailingFindings(failing.table, failing.client)
    with pytest.raises(ConnectionError):
        worker.audit_group(message, _deps(failing))
    # WHEN SQS delivers it again
    outcome = worker.audit_group(message, _deps())
    # THEN the retry audits (the claim was released, not left in progress)
    assert outcome.status == "succeeded" and outcome.findings > 0
    run = runtime.store(settings).runs.run("acme", "grp-sales", AUDIT)
    assert run is not None and run.status == "succeeded"
