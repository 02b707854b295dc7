"""Audit worker: one SQS record = one group to audit. Failed records go back to SQS alone."""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from groupaudit.pipeline.models import AuditRecord
from groupaudit.pipeline.tracing import lazily_traced

if TYPE_CHECKING:
    from groupaudit.pipeline.worker import WorkerDeps

logger = Logger()
metrics = Metrics()


# Every failed record is reported back, even when all of them failed (no exception: SQS
# retries exactly the failed records, then moves them to the DLQ), with its reason logged.
processor = BatchProcessor(
    event_type=EventType.SQS, raise_on_entire_batch_failure=False, model=AuditRecord, logger=logger
)


# A record is only started with this much of the invocation left (a platform pull may take
# minutes); otherwise it goes back to the queue at once for another invocation. The reserve is
# kept for recording the outcome and answering SQS.
RECORD_BUDGET_S = 120.0
RESERVE_S = 15.0


class NotStarted(Exception):  # an outcome for the batch, reported as its failure
    """Too little time left in this invocation to audit the record; it is visible again."""


def record_handler(record: AuditRecord, deps: WorkerDeps) -> None:
    from groupaudit.pipeline.worker import audit_group

    time_left = None if deps.deadline is None else deps.deadline - time.monotonic()
    if deps.records_started and time_left is not None and time_left < RECORD_BUDGET_S:
        deps.sqs.change_message_visibility(
            QueueUrl=deps.settings.audit_queue_url,
            ReceiptHandle=record.receiptHandle,
            VisibilityTimeout=0,
        )
        raise NotStarted(f"{RECORD_BUDGET_S:.0f} s are needed to start a group; given back to the queue")
    deps.records_started += 1
    message = record.body
    receives = int(record.attributes.get("ApproximateReceiveCount", 1))
    outcome = audit_group(message, deps, receive_count=receives)
    metrics.add_metric(name=f"Audit_{outcome.status}", unit=MetricUnit.Count, value=1)
    logger.info(
        "audit finished",
        tenant_id=message.tenant_id,
        group_id=message.group_id,
        audit_id=message.audit_id,
        status=outcome.status,
        findings=outcome.findings,
        notice=outcome.notice,
        error=outcome.error,
    )


@logger.inject_lambda_context
@lazily_traced
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    from groupaudit.pipeline import runtime

    # One set of dependencies per invocation: settings validated once, and what they cache
    # (a tenant's directory and policy) shared by the batch's records.
    deps = runtime.worker_deps()
    deps.deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - RESERVE_S
    return process_partial_response(
        event=event, record_handler=partial(record_handler, deps=deps), processor=processor, context=context
    )
