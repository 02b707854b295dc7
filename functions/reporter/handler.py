"""Reporter: EventBridge Scheduler fires this daily; on each tenant's first working day of the
month it makes the previous month's report (``groupaudit.pipeline.report_run.scheduled_reports``)."""

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
    from groupaudit.pipeline.report_run import scheduled_reports

    return scheduled_reports(event.scheduled_time, event.tenant_id)
