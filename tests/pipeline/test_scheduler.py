"""The scheduled fan-out runs on Chinese working days only (public holidays off, 调休 on)."""

from __future__ import annotations

from datetime import datetime

import pytest
import yaml

from groupaudit.pipeline.fanout import is_working_day
from kit import invoke, receive_all


@pytest.mark.parametrize(
    ("scheduled_time", "runs"),
    [
        ("2026-11-20T10:00:00Z", True),  # Friday 18:00 in Shanghai
        ("2026-11-21T10:00:00Z", False),  # Saturday
        ("2026-02-14T10:00:00Z", True),  # Saturday, a 调休 make-up workday
        ("2026-10-05T10:00:00Z", False),  # Monday in the National Day holiday
        ("2026-11-22T17:00:00Z", True),  # Sunday 17:00 UTC = Monday 01:00 in Shanghai
    ],
)
def test_schedule_runs_only_on_working_days(seeded, sqs, settings, scheduled_time, runs):
    # GIVEN the daily schedule's event for `scheduled_time`, restricted to working days
    event = {
        "source": "schedule",
        "tenant_id": "all",
        "workdays_only": True,
        "scheduled_time": scheduled_time,
    }
    # WHEN it fires
    result = invoke("scheduler", event)
    # THEN the groups are queued on working days and nothing otherwise
    assert result["groups"] == (7 if runs else 0)
    assert len(receive_all(sqs, settings.audit_queue_url)) == (7 if runs else 0)


def test_an_invalid_schedule_event_is_refused(aws):
    # GIVEN an event from something other than the schedule
    # WHEN the scheduler gets it
    # THEN the parser refuses it, naming the field
    with pytest.raises(Exception, match="source"):
        invoke("scheduler", {"source": "somewhere", "tenant_id": "all"})


# The tenant's own arrangement of 2027: Monday 10 May off, Saturday 15 May a make-up working day.
TENANT_2027 = {"holidays": ["2027-05-10"], "workdays": ["2027-05-15"], "source": "company notice 2027-3"}


@pytest.mark.parametrize(
    ("scheduled_time", "runs"),
    [
        ("2027-05-15T02:00:00Z", True),  # Saturday 10:00 in Shanghai: the tenant's make-up day
        ("2027-05-10T02:00:00Z", False),  # Monday: the tenant's extra holiday
        ("2027-05-11T02:00:00Z", True),  # Tuesday: an ordinary working day
    ],
    ids=["make-up-saturday", "extra-holiday", "ordinary-tuesday"],
)
def test_schedule_follows_the_tenants_own_calendar_years(seeded, sqs, s3, settings, scheduled_time, runs):
    # GIVEN the sample tenant's policy declaring its own 2027 arrangement under calendar.years
    tenant = seeded[0].tenant_id
    key = f"tenants/{tenant}/policy.yaml"
    policy = yaml.safe_load(s3.get_object(Bucket=settings.snapshot_bucket, Key=key)["Body"].read())
    policy["defaults"]["calendar"]["years"] = {2027: TENANT_2027}
    s3.put_object(Bucket=settings.snapshot_bucket, Key=key, Body=yaml.safe_dump(policy).encode())
    # (the public calendar alone would decide the two tenant days the other way)
    day = datetime.fromisoformat(scheduled_time)
    assert is_working_day(scheduled_time, day) is (day.weekday() < 5)
    # WHEN the working-days schedule fires for every tenant
    event = {"source": "schedule", "tenant_id": "all", "workdays_only": True}
    result = invoke("scheduler", {**event, "scheduled_time": scheduled_time})
    # THEN the tenant's groups are queued on its working days only
    assert result["groups"] == (7 if runs else 0)
    assert result.get("skipped") == (None if runs else "not a working day")
    assert len(receive_all(sqs, settings.audit_queue_url)) == (7 if runs else 0)


def test_an_invalid_tenant_policy_falls_back_to_the_public_calendar(seeded, sqs, s3, settings):
    # GIVEN a tenant policy file that does not parse
    tenant = seeded[0].tenant_id
    s3.put_object(Bucket=settings.snapshot_bucket, Key=f"tenants/{tenant}/policy.yaml", Body=b"defaults: [")
    # WHEN the schedule fires on a public working day
    event = {"source": "schedule", "tenant_id": "all", "workdays_only": True}
    result = invoke("scheduler", {**event, "scheduled_time": "2026-11-20T10:00:00Z"})
    # THEN the groups are still queued (each audit then records the policy's error)
    assert result["groups"] == 7
