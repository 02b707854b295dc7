"""Business time: working hours with the lunch break, in a time zone, on the working days of the
Chinese public calendar (public holidays off, 调休 weekend make-up workdays on).

Holidays and make-up workdays come from the ``holidays`` library (maintained, updated each
year when the State Council publishes the next schedule); a tenant can patch its own days
with ``extra_holidays`` / ``extra_workdays``.

Arithmetic runs on POSIX seconds against a table of cumulative working seconds per day, so
both "due time of a 20-minute deadline" and "business minutes between two instants" cost a
binary search, however far apart the instants are.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from groupaudit.errors import CalendarError

_CHUNK_DAYS = 366
_MAX_DAYS_WITHOUT_WORK = 3660


def chinese_workday_rule(
    extra_holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()
) -> Callable[[date], bool]:
    """Is ``day`` a working day in mainland China (statutory holidays and 调休 included)?"""
    import holidays  # lazy: ~100 ms to import, needed only when a business clock runs

    calendar = holidays.China(years=())
    off = set(extra_holidays)
    on = set(extra_workdays)

    def is_workday(day: date) -> bool:
        if day in on:
            return True
        if day in off:
            return False
        if day in calendar:  # populates the year on first use
            return False
        if day in calendar.weekend_workdays:
            return True
        return day.weekday() < 5

    return is_workday


def weekday_rule(
    extra_holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()
) -> Callable[[date], bool]:
    off = set(extra_holidays)
    on = set(extra_workdays)
    return lambda day: day in on or (day.weekday() < 5 and day not in off)


class BusinessCalendar:
    """Working periods per day and arithmetic in working seconds."""

    def __init__(
        self,
        tz: ZoneInfo,
        periods: list[tuple[time, time]],
        is_workday: Callable[[date], bool],
    ) -> None:
        if not periods:
            raise CalendarError("no working hours configured")
        for start, end in periods:
            if start >= end:
                raise CalendarError(f"working period {start:%H:%M}-{end:%H:%M} ends before it starts")
        ordered = sorted(periods)
        for (_, end), (start, _) in pairwise(ordered):
            if start < end:
                raise CalendarError("working periods overlap")
        self.tz = tz
        self.periods = ordered
        self.is_workday = is_workday
        self._first: date | None = None
        self._day_starts: list[float] = []  # POSIX seconds of each day's local midnight
        self._cumulative: list[float] = []  # working seconds before each day
        self._spans: list[tuple[tuple[float, float], ...]] = []  # working spans of each day

    # --- the table ---------------------------------------------------------------------

    def _local_day(self, ts: float) -> date:
        return datetime.fromtimestamp(ts, self.tz).date()

    def _build(self, first: date, days: int) -> None:
        previous_first = self._first
        self._first = first
        self._day_starts, self._cumulative, self._spans = [], [], []
        total = 0.0
        for offset in range(days + 1):
            day = first + timedelta(days=offset)
            self._day_starts.append(datetime.combine(day, time(), self.tz).timestamp())
            self._cumulative.append(total)
            spans: tuple[tuple[float, float], ...] = ()
            if self.is_workday(day):
                spans = tuple(
                    (
                        datetime.combine(day, start, self.tz).timestamp(),
                        datetime.combine(day, end, self.tz).timestamp(),
                    )
                    for start, end in self.periods
                )
            self._spans.append(spans)
            total += sum(end - start for start, end in spans)
        if previous_first is not None:
            # Keep positions stable when the table grows backwards: the old first day stays 0.
            shift = self._cumulative[(previous_first - first).days]
            self._cumulative = [value - shift for value in self._cumulative]

    def _index(self, ts: float) -> int:
        """Index of the day holding ``ts``, extending the table as needed."""
        starts = self._day_starts
        if starts and starts[0] <= ts < starts[-1]:  # the hot path: no time-zone conversion
            return bisect.bisect_right(starts, ts) - 1
        day = self._local_day(ts)
        if self._first is None:
            self._build(day - timedelta(days=_CHUNK_DAYS), 2 * _CHUNK_DAYS)
        assert self._first is not None
        last = self._first + timedelta(days=len(self._day_starts) - 2)
        if day < self._first or day > last:
            first = min(self._first, day - timedelta(days=31))
            end = max(last, day + timedelta(days=_CHUNK_DAYS))
            self._build(first, (end - first).days)
        return bisect.bisect_right(self._day_starts, ts) - 1

    def position(self, ts: float) -> float:
        """Working seconds from a fixed origin up to ``ts``: subtract two to get the working
        time between them. Stable for the life of the calendar, however the table grows."""
        index = self._index(ts)
        worked = self._cumulative[index]
        for start, end in self._spans[index]:
            if ts <= start:
                break
            worked += (ts if ts < end else end) - start
        return worked

    def instant(self, position: float) -> float:
        """The earliest instant at ``position``: where a deadline of that many working
        seconds falls (a deadline that lands on the end of a period is that end)."""
        for _ in range(_MAX_DAYS_WITHOUT_WORK // _CHUNK_DAYS + 1):
            if self._cumulative[-1] >= position:
                break
            self._index(self._day_starts[-1] + 2 * 86400)  # extend ahead; positions stay put
        else:
            raise CalendarError("no working time found within ten years")
        # Day i holds it: cumulative[i] < position <= cumulative[i + 1].
        index = max(bisect.bisect_left(self._cumulative, position) - 1, 0)
        remaining = position - self._cumulative[index]
        for start, end in self._spans[index]:
            if remaining <= end - start:
                return start + remaining
            remaining -= end - start
        raise CalendarError("business calendar table is inconsistent")  # unreachable by construction

    # --- the arithmetic ----------------------------------------------------------------

    def is_working_time(self, moment: datetime) -> bool:
        ts = moment.timestamp()
        index = self._index(ts)  # may rebuild the table: read the spans after it
        return any(start <= ts < end for start, end in self._spans[index])

    def add_seconds(self, ts: float, seconds: float) -> float:
        """The instant at which ``seconds`` of working time have passed since ``ts``.

        A clock started outside working hours starts at the next working period; a deadline
        that lands exactly on the end of a period is that end (11:40 + 20 min = 12:00).
        """
        if seconds <= 0:
            return ts
        return self.instant(self.position(ts) + seconds)

    def add_minutes(self, moment: datetime, minutes: float) -> datetime:
        return datetime.fromtimestamp(self.add_seconds(moment.timestamp(), minutes * 60), self.tz)

    def seconds_between(self, start_ts: float, end_ts: float) -> float:
        """Working seconds in [start, end); negative when end is before start."""
        return self.position(end_ts) - self.position(start_ts)

    def minutes_between(self, start: datetime, end: datetime) -> float:
        return self.seconds_between(start.timestamp(), end.timestamp()) / 60


class WallClock:
    """The same interface over plain elapsed time (``sla_clock: wall``)."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    @staticmethod
    def position(ts: float) -> float:
        return ts

    @staticmethod
    def instant(position: float) -> float:
        return position

    def add_seconds(self, ts: float, seconds: float) -> float:
        return ts + seconds

    def seconds_between(self, start_ts: float, end_ts: float) -> float:
        return end_ts - start_ts

    # Instants, not wall times: aware datetimes sharing a tzinfo subtract naively in Python,
    # which is wrong across a DST change.
    def add_minutes(self, moment: datetime, minutes: float) -> datetime:
        return datetime.fromtimestamp(moment.timestamp() + minutes * 60, self.tz)

    def minutes_between(self, start: datetime, end: datetime) -> float:
        return (end.timestamp() - start.timestamp()) / 60
