"""Audit worker: one SQS record = one group to audit. Failed records go back to SQS alone.

The batch (Powertools' batch processing, each record's log keys, the time budget) is
``groupaudit.pipeline.batch``.
"""

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from groupaudit.pipeline.batch import audit_batch
from groupaudit.pipeline.telemetry import logger, metrics
from groupaudit.pipeline.tracing import lazily_traced


@logger.inject_lambda_context
@lazily_traced
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return audit_batch(event, context)
