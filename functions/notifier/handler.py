"""Notifier: one SQS record = one group's digest for one audit run, delivered exactly once."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from groupaudit.pipeline.models import NoticeRecord
from groupaudit.pipeline.tracing import lazily_traced

if TYPE_CHECKING:
    from groupaudit.pipeline.notify import NotifierDeps

logger = Logger()
metrics = Metrics()


# Every failed record is reported back, even when all of them failed (no exception: SQS
# retries exactly the failed records, then moves them to the DLQ), with its reason logged.
processor = BatchProcessor(
    event_type=EventType.SQS, raise_on_entire_batch_failure=False, model=NoticeRecord, logger=logger
)


def record_handler(record: NoticeRecord, deps: NotifierDeps) -> None:
    from groupaudit.pipeline.notify import deliver

    message = record.body
    status = deliver(message, deps)
    metrics.add_metric(name=f"Notice_{status}", unit=MetricUnit.Count, value=1)
    logger.info(
        "notice handled",
        tenant_id=message.tenant_id,
        group_id=message.group_id,
        audit_id=message.audit_id,
        channel=message.channel.type,
        status=status,
        mentions=len(message.mention_ids),
    )


@logger.inject_lambda_context
@lazily_traced
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    from groupaudit.pipeline import runtime

    # One set of dependencies per invocation: settings validated once, and what they cache
    # (a tenant's directory and policy) shared by the batch's records.
    deps = runtime.notifier_deps()
    return process_partial_response(
        event=event, record_handler=partial(record_handler, deps=deps), processor=processor, context=context
    )
