"""Business time: working hours with the lunch break, in a time zone, on the working days of the
Chinese public calendar (public holidays off, 调休 weekend make-up workdays on).

Holidays and make-up workdays come from the ``holidays`` library (maintained, updated each
year when the State Council publishes the next schedule), or, for a year the tenant's policy
gives an arrangement for, from the policy; a tenant can patch its own days with
``extra_holidays`` / ``extra_workdays``.

A year is *confirmed* when its State Council arrangement is known: the library has that year's
table of special days (the 调休 days off and make-up workdays, one table per announced year;
for any other year it only extrapolates the statutory dates), or the policy gives it. An
audit whose business time runs over an unconfirmed year says so (``calendar_note``).

Arithmetic runs on POSIX seconds against a table of cumulative working seconds per day, so
both "due time of a 20-minute deadline" and "business minutes between two instants" cost a
binary search, however far apart the instants are.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from typing import Any, Literal
from zoneinfo import ZoneInfo

from groupaudit.contracts import ReportNote
from groupaudit.errors import CalendarError

_CHUNK_DAYS = 366
_MAX_DAYS_WITHOUT_WORK = 3660


# What confirms a year's arrangement: the library's table, the tenant's policy, or nothing
# to confirm (the plain Monday-Friday rule, or a rule the caller wrote).
ConfirmedBy = Literal["library", "policy", "weekdays", "caller"]


@dataclass(frozen=True)
class YearArrangement:
    """One year's holiday arrangement as the tenant's policy gives it: it replaces the
    library's days for that year. ``holidays`` are the days off (weekends among them are off
    anyway), ``workdays`` the weekend make-up workdays (调休上班). A few days may fall in the
    last week of the previous December (a New Year's Day holiday that starts there)."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date] = frozenset()
    source: str | None = None


@cache
def library_years() -> frozenset[int]:
    """The years whose State Council arrangement the installed ``holidays`` library has.

    The library keeps one table of special days per announced year (the 调休 days off and the
    weekend make-up workdays); for any other year it only computes the statutory dates.
    """
    import holidays

    tables = getattr(holidays.China(years=()), "special_public_holidays", None) or {}
    return frozenset(year for year, days in tables.items() if days)


class ChineseWorkdays:
    """Is ``day`` a working day in mainland China (statutory holidays and 调休 included)?

    In order: the company's ``extra_workdays`` (on) and ``extra_holidays`` (off), then the
    policy's arrangement of the day's year, then the ``holidays`` library.
    """

    kind = "cn"

    def __init__(
        self,
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
        years: Iterable[YearArrangement] = (),
    ) -> None:
        import holidays  # lazy: ~100 ms to import, needed only when a business clock runs

        self._library = holidays.China(years=())
        self._off = frozenset(extra_holidays)
        self._on = frozenset(extra_workdays)
        self.arrangements = {arrangement.year: arrangement for arrangement in years}
        self._policy_off = frozenset(d for a in self.arrangements.values() for d in a.holidays)
        self._policy_on = frozenset(d for a in self.arrangements.values() for d in a.workdays)
        self._named: dict[tuple[int, str], Any] = {}  # (year, lang) -> the library's names

    def __call__(self, day: date) -> bool:
        if day in self._on:
            return True
        if day in self._off:
            return False
        if day in self._policy_on:
            return True
        if day in self._policy_off:
            return False
        if day.year in self.arrangements:
            return day.weekday() < 5
        if day in self._library:  # populates the year on first use
            return False
        if day in self._library.weekend_workdays:
            return True
        return day.weekday() < 5

    def confirmed_by(self, year: int) -> ConfirmedBy | None:
        if year in self.arrangements:
            return "policy"
        if year in library_years():
            return "library"
        return None

    def why(self, day: date, lang: str = "zh") -> tuple[str, str | None]:
        """Who decided ``day`` (``company``, ``policy``, ``library``, ``weekday``) and the
        library's name of the holiday, if any (for the calendar listing, not the hot path)."""
        if day in self._on or day in self._off:
            return "company", None
        if day in self._policy_on or day in self._policy_off:
            return "policy", None
        if day.year in self.arrangements:
            return "weekday", None
        names = self._names(day.year, lang)
        if day in names or day in self._library.weekend_workdays:
            return "library", names.get(day)
        return "weekday", None

    def _names(self, year: int, lang: str) -> Any:
        key = (year, lang)
        if key not in self._named:
            import holidays

            language = "en_US" if lang == "en" else "zh_CN"
            self._named[key] = holidays.China(years=year, language=language)
        return self._named[key]


class Weekdays:
    """Monday to Friday, with the company's extra days off and on."""

    kind = "weekdays"

    def __init__(self, extra_holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()) -> None:
        self._off = frozenset(extra_holidays)
        self._on = frozenset(extra_workdays)

    def __call__(self, day: date) -> bool:
        return day in self._on or (day.weekday() < 5 and day not in self._off)

    @staticmethod
    def confirmed_by(year: int) -> ConfirmedBy:
        return "weekdays"

    def why(self, day: date, lang: str = "zh") -> tuple[str, str | None]:
        return ("company" if day in self._on or day in self._off else "weekday"), None


def chinese_workday_rule(
    extra_holidays: Iterable[date] = (),
    extra_workdays: Iterable[date] = (),
    years: Iterable[YearArrangement] = (),
) -> ChineseWorkdays:
    return ChineseWorkdays(extra_holidays, extra_workdays, years)


def weekday_rule(extra_holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()) -> Weekdays:
    return Weekdays(extra_holidays, extra_workdays)


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

    # --- which years it knows -----------------------------------------------------------

    def confirmed_by(self, year: int) -> ConfirmedBy | None:
        """What confirms ``year``'s holiday arrangement; None when nothing does (the library
        only extrapolates the statutory dates, without the 调休 make-up workdays)."""
        confirmed_by = getattr(self.is_workday, "confirmed_by", None)
        return "caller" if confirmed_by is None else confirmed_by(year)

    def unconfirmed_years(self, start_ts: float, end_ts: float) -> list[int]:
        """The years of the calendar's time zone from ``start_ts`` to ``end_ts`` that have no
        confirmed arrangement: O(years), not O(days). A span that reaches December 25 also
        needs the next year's: its New Year's Day holiday may start, with a make-up day, in the
        last week of December (the 2019 notice moved 2018-12-29 and 2018-12-31)."""
        first, last = self._local_day(start_ts), self._local_day(end_ts)
        years = range(first.year, last.year + (2 if (last.month, last.day) >= (12, 25) else 1))
        return [year for year in years if self.confirmed_by(year) is None]

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


def _year_ranges(years: list[int]) -> str:
    """2025, 2027, 2028, 2029 -> "2025, 2027-2029"."""
    runs: list[list[int]] = []
    for year in sorted(years):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)


def calendar_note(years: list[int], lang: str = "zh") -> ReportNote:
    """The report's note that business time ran over years without a confirmed arrangement."""
    span = _year_ranges(years)
    if lang == "en":
        message = (
            f"business calendar not confirmed for {span}: the holidays library has no State "
            "Council arrangement for it and the policy gives none, so business time there counts "
            "statutory holidays only, without the 调休 make-up workdays; deadlines near holidays "
            f"may be wrong. Give calendar.years.{years[0]} in the policy or upgrade the holidays "
            "package."
        )
    else:
        message = (
            f"业务日历未确认 {span} 年的节假日安排：holidays 库没有国务院该年的放假通知，策略中也未提供，"
            "该年的工作时间只按法定节假日计算，不含调休上班日，节假日前后的回复时限可能有误。"
            f"请在策略 calendar.years.{years[0]} 中填写该年安排，或升级 holidays 库。"
        )
    return ReportNote(code="calendar_unconfirmed", years=list(years), message=message)
