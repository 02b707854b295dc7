"""Scheduler: EventBridge Scheduler's cron fires this; it queues one audit per group
(``groupaudit.pipeline.schedule.scheduled_run``)."""

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from groupaudit.pipeline.telemetry import logger, metrics
from groupaudit.pipeline.tracing import lazily_traced
from groupaudit.wire import ScheduleEvent


@logger.inject_lambda_context
@lazily_traced
@metrics.log_metrics(capture_cold_start_metric=True)
@event_parser(model=ScheduleEvent)
def handler(event: ScheduleEvent, context: LambdaContext) -> dict:
    from groupaudit.pipeline.schedule import scheduled_run

    return scheduled_run(event)
