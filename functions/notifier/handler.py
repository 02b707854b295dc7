"""Notifier: one SQS record = one group's digest for one audit run, delivered exactly once.

The batch (Powertools' batch processing, each record's log keys) is ``groupaudit.pipeline.batch``.
"""

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from groupaudit.pipeline.batch import notice_batch
from groupaudit.pipeline.telemetry import logger, metrics
from groupaudit.pipeline.tracing import lazily_traced


@logger.inject_lambda_context
@lazily_traced
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return notice_batch(event, context)
