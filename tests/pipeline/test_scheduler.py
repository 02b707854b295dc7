"""The scheduled fan-out runs on Chinese working days only (public holidays off, 调休 on)."""

from __future__ import annotations

import pytest

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
