"""The scheduler function's run: the fan-out of one scheduled event, with the deps the
composition root (``runtime``) builds for it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from groupaudit.pipeline.fanout import fan_out, is_working_day

if TYPE_CHECKING:
    from groupaudit.wire import ScheduleEvent


def scheduled_run(event: ScheduleEvent) -> dict[str, Any]:
    """The scheduler function's run: one audit per enabled group of the event's tenant ("all":
    every tenant), keyed by the scheduled time, or nothing on a day that is not a working day
    when the schedule asks for working days only."""
    from aws_lambda_powertools.metrics import MetricUnit

    from groupaudit.pipeline import runtime
    from groupaudit.pipeline.telemetry import logger, metrics

    deps = runtime.fanout_deps()
    key = event.scheduled_time or deps.clock().strftime("%Y-%m-%dT%H:%M")
    if event.workdays_only and not is_working_day(event.scheduled_time, deps.clock()):
        logger.info("not a working day: nothing queued", key=key)
        return {"tenants": 0, "groups": 0, "audits": {}, "skipped": "not a working day"}
    result = fan_out(deps, tenant_id=event.tenant_id, trigger="schedule", key=key)
    metrics.add_metric(name="GroupsQueued", unit=MetricUnit.Count, value=result.groups)
    logger.info("fan-out finished", tenants=result.tenants, groups=result.groups, key=key)
    return {"tenants": result.tenants, "groups": result.groups, "audits": result.audits}
