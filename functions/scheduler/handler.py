"""Scheduler: EventBridge Scheduler's cron fires this; it queues one audit per group."""

from typing import Literal

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class ScheduleEvent(BaseModel):
    """The schedule's input: {"source": "schedule", "tenant_id": "all", "scheduled_time": ...}."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["schedule"]
    tenant_id: str = Field("all", min_length=1)
    scheduled_time: str | None = Field(
        None, description="<aws.scheduler.scheduled-time>: makes retries idempotent"
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=ScheduleEvent)
def handler(event: ScheduleEvent, context: LambdaContext) -> dict:
    from groupaudit.pipeline import runtime
    from groupaudit.pipeline.fanout import fan_out

    deps = runtime.fanout_deps()
    key = event.scheduled_time or deps.clock().strftime("%Y-%m-%dT%H:%M")
    result = fan_out(deps, tenant_id=event.tenant_id, trigger="schedule", key=key)
    metrics.add_metric(name="GroupsQueued", unit=MetricUnit.Count, value=result.groups)
    logger.info("fan-out finished", tenants=result.tenants, groups=result.groups, key=key)
    return {"tenants": result.tenants, "groups": result.groups, "audits": result.audits}
