"""The queue functions' batches: Powertools' batch processing over Powertools' SQS record model,
one record at a time, each record's log keys on every line logged while it is handled.

Every failed record is reported back, even when all of them failed (no exception: SQS retries
exactly the failed records, then moves them to the DLQ), with its reason logged.

Log keys: a record's ``tenant_id``, ``group_id`` and ``audit_id`` (from its validated message)
and ``message_id`` are on every line logged while that record is handled, Powertools' own
"Record processing exception" line included, and on no line of another record: they are removed
once Powertools has finished with the record, whether it succeeded, failed or did not parse.

Cold start: the record models are Powertools' ``SqsRecordModel`` with the message as the body.
Its package builds every AWS event model at import (``python -X importtime``: about 0.1 s), so
the models, the processors and pydantic itself are loaded on the first batch, not when the
handler module is imported.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache, partial
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from groupaudit.pipeline.telemetry import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
    from pydantic import BaseModel

    from groupaudit.pipeline.notify import NotifierDeps
    from groupaudit.pipeline.worker import WorkerDeps

RECORD_KEYS = ("tenant_id", "group_id", "audit_id", "message_id")

# A record is only started with this much of the invocation left (a platform pull may take
# minutes); otherwise it goes back to the queue at once for another invocation. The reserve is
# kept for recording the outcome and answering SQS.
RECORD_BUDGET_S = 120.0
RESERVE_S = 15.0


class NotStarted(Exception):  # an outcome for the batch, reported as its failure
    """Too little time left in this invocation to audit the record; it is visible again."""


class RecordProcessor(BatchProcessor):
    """Powertools' ``BatchProcessor`` whose records' log keys end with the record.

    ``_process_record`` (the per-record step Powertools' custom processors implement) spans the
    record handler and Powertools' own failure line, so the keys are removed there, after both.
    ``inject_lambda_context(clear_state=True)`` would clear them per invocation, not per record;
    removing them in the record handler would leave the failure line without them."""

    def _process_record(self, record: dict) -> Any:
        logger.append_keys(message_id=record.get("messageId"))
        try:
            return super()._process_record(record)
        finally:
            logger.remove_keys(RECORD_KEYS)


def record_keys(message: Any) -> None:
    """Add a validated message's tenant, group and audit to the log lines of its record."""
    logger.append_keys(tenant_id=message.tenant_id, group_id=message.group_id, audit_id=message.audit_id)


@cache
def record_model(body: type[BaseModel]) -> type[SqsRecordModel]:
    """Powertools' SQS record with ``body`` (JSON text) parsed as the message model."""
    from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
    from pydantic import Json, create_model

    return create_model(f"{body.__name__}Record", __base__=SqsRecordModel, body=(Json[body], ...))  # type: ignore[valid-type, misc]


def processor(queue: str) -> RecordProcessor:
    """A batch processor of the audit or the notice queue, one per invocation (built when the
    batch comes; its record model is built on the first batch and kept).

    A processor holds its batch (records, successes, failures) from ``__call__`` until its
    response: one shared by two invocations running at once answers for the other's batch.
    The chaos suite's twin deliveries lost findings that way: the twin took the shared
    processor between the first invocation handing it its batch and processing it, so the
    first processed the twin's records only and reported no failure for its own, and SQS
    deleted the messages of groups never audited. Lambda runs one invocation per container
    at a time, so it could not happen there, but nothing in the handler should depend on it."""
    from groupaudit.wire import AuditMessage, NoticeMessage

    body = {"audit": AuditMessage, "notice": NoticeMessage}[queue]
    return RecordProcessor(
        event_type=EventType.SQS,
        raise_on_entire_batch_failure=False,
        model=record_model(body),
        logger=logger,  # type: ignore[arg-type]  # Powertools' Logger has logging.Logger's methods
    )


def _process(
    event: dict, context: Any, queue: str, handle: Callable[[Any], None]
) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=handle, processor=processor(queue), context=context
    )


# --- the audit queue ---------------------------------------------------------------------------


def audit_batch(event: dict, context: Any) -> PartialItemFailureResponse:
    """Audit each record's group; a record this invocation has no time for goes back at once."""
    from groupaudit.pipeline import runtime

    # One set of dependencies per invocation: settings validated once, and what they cache
    # (a tenant's directory and policy) shared by the batch's records.
    deps = runtime.worker_deps()
    deps.deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - RESERVE_S
    return _process(event, context, "audit", partial(audit_record, deps=deps))


def start_or_give_back(record: Any, deps: WorkerDeps) -> None:
    """Count the record as started, or make it visible again and raise ``NotStarted`` when
    less than ``RECORD_BUDGET_S`` is left (the batch's first record is always started)."""
    time_left = None if deps.deadline is None else deps.deadline - time.monotonic()
    if deps.records_started and time_left is not None and time_left < RECORD_BUDGET_S:
        deps.sqs.change_message_visibility(
            QueueUrl=deps.settings.audit_queue_url,
            ReceiptHandle=record.receiptHandle,
            VisibilityTimeout=0,
        )
        raise NotStarted(f"{RECORD_BUDGET_S:.0f} s are needed to start a group; given back to the queue")
    deps.records_started += 1


def audit_record(record: Any, deps: WorkerDeps) -> None:
    from groupaudit.pipeline.worker import audit_group

    message = record.body
    record_keys(message)
    start_or_give_back(record, deps)
    receives = int(record.attributes.ApproximateReceiveCount)
    outcome = audit_group(message, deps, receive_count=receives)
    metrics.add_metric(name=f"Audit_{outcome.status}", unit=MetricUnit.Count, value=1)
    logger.info(
        "audit finished",
        status=outcome.status,
        findings=outcome.findings,
        notice=outcome.notice,
        error=outcome.error,
    )


# --- the notice queue --------------------------------------------------------------------------


def notice_batch(event: dict, context: Any) -> PartialItemFailureResponse:
    """Deliver each record's notice."""
    from groupaudit.pipeline import runtime

    # One set of dependencies per invocation, shared by the batch's records.
    deps = runtime.notifier_deps()
    return _process(event, context, "notice", partial(notice_record, deps=deps))


def notice_record(record: Any, deps: NotifierDeps) -> None:
    from groupaudit.pipeline.notify import deliver

    message = record.body
    record_keys(message)
    status = deliver(message, deps)
    metrics.add_metric(name=f"Notice_{status}", unit=MetricUnit.Count, value=1)
    logger.info(
        "notice handled", channel=message.channel.type, status=status, mentions=len(message.mention_ids)
    )
