"""The scheduler function's run: the fan-out of one scheduled event, with the deps the
composition root (``runtime``) builds for it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from groupaudit.pipeline.fanout import fan_out, is_working_day

if TYPE_CHECKING:
    from groupaudit.adapters.storage import Storage
    from groupaudit.wire import ScheduleEvent


def scheduled_run(event: ScheduleEvent) -> dict[str, Any]:
    """The scheduler function's run: one audit per enabled group of the event's tenant ("all":
    every tenant), keyed by the scheduled time, or nothing on a day that is not a working day
    of the tenant's calendar when the schedule asks for working days only; then the appeals
    unanswered past their deadline at the scheduled time are told to the supervision contact."""
    from aws_lambda_powertools.metrics import MetricUnit

    from groupaudit.pipeline import runtime
    from groupaudit.pipeline.telemetry import logger, metrics
    from groupaudit.settings import load_settings

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
    # every scheduled run, working day or not: a deadline that has passed has passed
    at = datetime.fromisoformat(event.scheduled_time) if event.scheduled_time else now
    answer["appeals_flagged"] = flag_overdue_appeals(runtime.store(load_settings()), event.tenant_id, at)
    return answer


def flag_overdue_appeals(store: Storage, tenant_id: str, now: datetime) -> int:
    """Each tenant's ("all": every tenant's) appeals unanswered past their answer deadline at
    ``now``, told to its supervision contact and flagged, once each; how many. A tenant whose
    policy file is invalid is logged and skipped (its audits record the error); the others go on."""
    from groupaudit.errors import InputError
    from groupaudit.pipeline import runtime
    from groupaudit.pipeline.supervision_contact import overdue_appeals_to_contact
    from groupaudit.pipeline.telemetry import logger
    from groupaudit.settings import load_settings

    settings = load_settings()
    sqs, s3 = runtime.client("sqs"), runtime.client("s3")
    flagged = 0
    for tenant in store.groups.list_tenants() if tenant_id == "all" else [tenant_id]:
        try:
            appeals = overdue_appeals_to_contact(
                store, sqs, settings.notice_queue_url, s3, settings.snapshot_bucket, tenant, now
            )
        except InputError as exc:
            logger.error("overdue appeals not checked", tenant_id=tenant, error=str(exc))
            continue
        if appeals:
            logger.info("overdue appeals flagged", tenant_id=tenant, appeals=[a.appeal_id for a in appeals])
        flagged += len(appeals)
    return flagged
