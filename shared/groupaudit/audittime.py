"""When an audit can be: the supported range of audit times, and no snapshot from the future.

An audit runs "as of" a moment: the snapshot's ``taken_at``, or an explicit ``--now`` on the
command line. Two rules keep that moment meaningful (docs/PIPELINE.md, README "audit"):

- it lies between 1970-01-01 and 2999-12-31 (UTC): the business calendar works in days around
  it, and a year like 1 or 9999 would run off the end of the calendar;
- a snapshot's ``taken_at`` is at most ``CLOCK_SKEW`` (5 minutes) after the moment the pipeline
  or the command line receives it. A snapshot "taken" later than that would become the group's
  latest audit and make every real audit before that date look older, so it is refused, named
  by its field, and nothing of it is stored. An explicit ``--now`` is the caller's choice and
  may lie in the past or the future (within the range).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from groupaudit.contracts import Snapshot
from groupaudit.errors import InputError, Problem

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)  # exclusive
CLOCK_SKEW = timedelta(minutes=5)


def range_problem(moment: datetime) -> str | None:
    """Why ``moment`` cannot be an audit time, or None."""
    try:
        inside = EARLIEST <= moment < LATEST
    except OverflowError:  # an offset pushing a year-1 or year-9999 time off the calendar
        inside = False
    if inside:
        return None
    return f"{moment.isoformat()} is outside the supported audit times (1970-01-01 to 2999-12-31 UTC)"


def check_audit_time(moment: datetime, source: str, field: str) -> None:
    """``InputError`` naming ``field`` when ``moment`` is outside the supported range."""
    problem = range_problem(moment)
    if problem is not None:
        raise InputError(source, [Problem(field, problem)])


def future_problem(taken_at: datetime, received_at: datetime) -> str | None:
    """Why a snapshot taken at ``taken_at`` cannot have been received at ``received_at``, or None."""
    ahead = taken_at - received_at
    if ahead <= CLOCK_SKEW:
        return None
    return (
        f"{taken_at.isoformat()} is {_span(ahead)} after the snapshot was received "
        f"({received_at.astimezone(UTC).isoformat()}): a snapshot cannot be taken in the future "
        f"(clocks may differ by {_span(CLOCK_SKEW)} at most)"
    )


def check_taken_at(snapshot: Snapshot, received_at: datetime, source: str) -> None:
    """``InputError`` naming ``taken_at`` when the snapshot's time is out of range or in the future."""
    problem = range_problem(snapshot.taken_at) or future_problem(snapshot.taken_at, received_at)
    if problem is not None:
        raise InputError(source, [Problem("taken_at", problem)])


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def check_local_audit(
    snapshot: Snapshot, now: datetime | None, source: str, received_at: datetime | None = None
) -> None:
    """The command line's audit time: an explicit ``now`` (``--now``) within the range, the
    snapshot's own ``taken_at`` otherwise, which is then also not in the future."""
    if now is not None:
        check_audit_time(now, source, "--now")
    else:
        check_taken_at(snapshot, received_at or datetime.now(UTC), source)
