"""Scheduler: EventBridge Scheduler's cron fires this; it queues one audit per group."""

from typing import Literal

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from groupaudit.pipeline.tracing import lazily_traced

logger = Logger()
metrics = Metrics()


class ScheduleEvent(BaseModel):
    """The schedule's input (template.yaml's AuditSchedule sets it)."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["schedule"]
    tenant_id: str = Field("all", min_length=1)
    scheduled_time: str | None = Field(
        None, description="<aws.scheduler.scheduled-time>: makes retries idempotent"
    )
    workdays_only: bool = Field(
        False, description="skip days that are not Chinese working days (调休 included)"
    )


@logger.inject_lambda_context
@lazily_traced
@metrics.log_metrics
@event_parser(model=ScheduleEvent)
def handler(event: ScheduleEvent, context: LambdaContext) -> dict:
    from groupaudit.pipeline import runtime
    from groupaudit.pipeline.fanout import fan_out, is_working_day

    deps = runtime.fanout_deps()
    key = event.scheduled_time or deps.clock().strftime("%Y-%m-%dT%H:%M")
    if event.workdays_only and not is_working_day(event.scheduled_time, deps.clock()):
        logger.info("not a working day: nothing queued", key=key)
        return {"tenants": 0, "groups": 0, "audits": {}, "skipped": "not a working day"}
    result = fan_out(deps, tenant_id=event.tenant_id, trigger="schedule", key=key)
    metrics.add_metric(name="GroupsQueued", unit=MetricUnit.Count, value=result.groups)
    logger.info("fan-out finished", tenants=result.tenants, groups=result.groups, key=key)
    return {"tenants": result.tenants, "groups": result.groups, "audits": result.audits}
