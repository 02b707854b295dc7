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
    now = deps.clock()
    key = event.scheduled_time or now.strftime("%Y-%m-%dT%H:%M")
    working_day = None
    if event.workdays_only:
        calendars = runtime.tenant_calendars()

        def working_day(tenant: str) -> bool:
            return is_working_day(event.scheduled_time, now, calendars(tenant))

    result = fan_out(deps, tenant_id=event.tenant_id, trigger="schedule", key=key, working_day=working_day)
    if result.not_working:
        logger.info("not a working day: nothing queued", key=key, tenants=list(result.not_working))
    metrics.add_metric(name="GroupsQueued", unit=MetricUnit.Count, value=result.groups)
    logger.info("fan-out finished", tenants=result.tenants, groups=result.groups, key=key)
    answer: dict[str, Any] = {"tenants": result.tenants, "groups": result.groups, "audits": result.audits}
    if result.not_working and not result.tenants:
        answer["skipped"] = "not a working day"
    return answer
