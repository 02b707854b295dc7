"""The business calendar: working hours with the lunch break, on the Chinese public calendar
(holidays off, 调休 make-up workdays on), and the plain wall clock; which years have a confirmed
holiday arrangement (the library's or the policy's), and the note an audit carries when one has none."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from factories import audit, member, message, policy, snapshot
from groupaudit.businesstime import (
    BusinessCalendar,
    WallClock,
    YearArrangement,
    calendar_note,
    chinese_workday_rule,
    library_years,
    weekday_rule,
)
from groupaudit.errors import CalendarError
from groupaudit.render import render_json

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
PERIODS = [(time(9, 0), time(12, 0)), (time(13, 30), time(18, 0))]
MINUTES_PER_WORKING_DAY = 3 * 60 + 4 * 60 + 30  # 09:00-12:00 and 13:30-18:00 = 450

# The State Council's 2026 schedule (国务院办公厅关于2026年部分节假日安排的通知).
MAKE_UP_WORKDAYS_2026 = [
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
]
HOLIDAY_RANGES_2026 = [
    (date(2026, 1, 1), date(2026, 1, 3)),
    (date(2026, 2, 15), date(2026, 2, 23)),
    (date(2026, 4, 4), date(2026, 4, 6)),
    (date(2026, 5, 1), date(2026, 5, 5)),
    (date(2026, 6, 19), date(2026, 6, 21)),
    (date(2026, 9, 25), date(2026, 9, 27)),
    (date(2026, 10, 1), date(2026, 10, 7)),
]


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


HOLIDAYS_2026 = [day for first, last in HOLIDAY_RANGES_2026 for day in _days(first, last)]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def cn_calendar(extra_holidays: list[date] | None = None) -> BusinessCalendar:
    return BusinessCalendar(SHANGHAI, PERIODS, chinese_workday_rule(extra_holidays or ()))


def expected_working_days_2026() -> int:
    """Counted from the official list above, not from the ``holidays`` library."""
    off = set(HOLIDAYS_2026)
    on = set(MAKE_UP_WORKDAYS_2026)
    return sum(
        1
        for day in _days(date(2026, 1, 1), date(2026, 12, 31))
        if day in on or (day.weekday() < 5 and day not in off)
    )


# --- the public calendar -----------------------------------------------------------------


@pytest.mark.parametrize("day", [pytest.param(d, id=d.isoformat()) for d in MAKE_UP_WORKDAYS_2026])
def test_every_2026_make_up_workday_is_a_working_day(day: date) -> None:
    # GIVEN the Chinese public calendar
    is_workday = chinese_workday_rule()
    # WHEN asking about a weekend make-up workday (调休)
    answer = is_workday(day)
    # THEN it is a working day even though it falls on a weekend
    assert day.weekday() >= 5
    assert answer is True


@pytest.mark.parametrize("day", [pytest.param(d, id=d.isoformat()) for d in HOLIDAYS_2026])
def test_every_official_2026_holiday_is_off(day: date) -> None:
    # GIVEN the Chinese public calendar
    is_workday = chinese_workday_rule()
    # WHEN asking about a day of an official 2026 holiday
    answer = is_workday(day)
    # THEN it is not a working day
    assert answer is False


def test_the_2026_schedule_counts_248_working_days() -> None:
    # GIVEN the official 2026 list (holidays and make-up days)
    # WHEN counting its working days independently of the calendar under test
    count = expected_working_days_2026()
    # THEN it is the published figure: 261 weekdays - 19 weekday holidays + 6 make-up days
    assert count == 248


# Every day of 2026 that is not what its day of the week says, written out from the notice
# (国务院办公厅关于2026年部分节假日安排的通知, 2025-11-04): the weekdays off, and the weekend days worked.
WEEKDAYS_OFF_2026 = [
    date(2026, 1, 1),
    date(2026, 1, 2),
    date(2026, 2, 16),
    date(2026, 2, 17),
    date(2026, 2, 18),
    date(2026, 2, 19),
    date(2026, 2, 20),
    date(2026, 2, 23),
    date(2026, 4, 6),
    date(2026, 5, 1),
    date(2026, 5, 4),
    date(2026, 5, 5),
    date(2026, 6, 19),
    date(2026, 9, 25),
    date(2026, 10, 1),
    date(2026, 10, 2),
    date(2026, 10, 5),
    date(2026, 10, 6),
    date(2026, 10, 7),
]


def test_the_2026_calendar_departs_from_monday_to_friday_on_the_notice_days_and_no_others() -> None:
    # GIVEN the Chinese public calendar, and every day of 2026
    is_workday = chinese_workday_rule()
    year = _days(date(2026, 1, 1), date(2026, 12, 31))
    # WHEN listing the weekdays it keeps off and the weekend days it makes working days
    weekdays_off = [day for day in year if day.weekday() < 5 and not is_workday(day)]
    weekend_on = [day for day in year if day.weekday() >= 5 and is_workday(day)]
    # THEN they are exactly the notice's: its holiday ranges' weekdays, and its make-up days
    assert weekdays_off == WEEKDAYS_OFF_2026
    assert weekdays_off == [day for day in HOLIDAYS_2026 if day.weekday() < 5]
    assert weekend_on == MAKE_UP_WORKDAYS_2026


# --- which years are confirmed -----------------------------------------------------------


def test_the_library_confirms_the_years_it_has_a_state_council_table_for() -> None:
    # GIVEN the installed holidays library
    import holidays

    tables = holidays.China(years=()).special_public_holidays
    # WHEN asking which years it confirms
    confirmed = library_years()
    # THEN those of its special-day tables: 2001 (its first notice) through 2026, but not the
    # years it only extrapolates statutory dates for
    assert confirmed == frozenset(year for year, days in tables.items() if days)
    assert set(range(2001, 2027)) <= confirmed
    assert {1999, 2000, 2099} & confirmed == set()


def test_a_calendar_names_what_confirms_each_year() -> None:
    # GIVEN the public calendar with the tenant's arrangement of 2099
    arrangement = YearArrangement(2099, holidays=frozenset({date(2099, 1, 1)}))
    calendar = BusinessCalendar(SHANGHAI, PERIODS, chinese_workday_rule(years=[arrangement]))
    # WHEN asking about a library year, the policy's year and a year nobody knows
    answers = [calendar.confirmed_by(2026), calendar.confirmed_by(2099), calendar.confirmed_by(2098)]
    # THEN each says where its arrangement comes from, or that there is none
    assert answers == ["library", "policy", None]


def test_a_weekday_calendar_has_nothing_to_confirm() -> None:
    # GIVEN a Monday-Friday calendar
    calendar = BusinessCalendar(SHANGHAI, PERIODS, weekday_rule())
    # WHEN asking which years from 2098 to 2099 are unconfirmed
    unconfirmed = calendar.unconfirmed_years(
        at("2098-01-01T00:00:00+08:00").timestamp(), at("2099-12-31T00:00:00+08:00").timestamp()
    )
    # THEN none: it follows no public arrangement
    assert (calendar.confirmed_by(2099), unconfirmed) == ("weekdays", [])


def test_unconfirmed_years_are_the_local_years_of_the_span_without_an_arrangement() -> None:
    # GIVEN the public calendar, and a span from 2026-06-01 to 2098-01-01 00:30 Shanghai time,
    # written in UTC (where it is still 2097)
    calendar = cn_calendar()
    start, end = at("2026-06-01T00:00:00+08:00"), at("2097-12-31T16:30:00+00:00")
    # WHEN asking which years of the span have no confirmed arrangement
    unconfirmed = calendar.unconfirmed_years(start.timestamp(), end.timestamp())
    # THEN every year after the library's last one, through 2098 in the calendar's zone
    last_known = max(library_years())
    assert unconfirmed == list(range(last_known + 1, 2099))


def test_a_span_into_the_last_week_of_december_needs_the_next_years_arrangement() -> None:
    # GIVEN the public calendar with the tenant's arrangement of 2098 only
    arrangement = YearArrangement(2098, holidays=frozenset({date(2098, 1, 1)}))
    calendar = BusinessCalendar(SHANGHAI, PERIODS, chinese_workday_rule(years=[arrangement]))
    start = at("2098-06-01T10:00:00+08:00").timestamp()
    # WHEN asking about spans to December 24 and to December 25, 2098
    to_24 = calendar.unconfirmed_years(start, at("2098-12-24T23:00:00+08:00").timestamp())
    to_25 = calendar.unconfirmed_years(start, at("2098-12-25T09:00:00+08:00").timestamp())
    # THEN from December 25 on, the unknown 2099 arrangement may still move days of 2098
    assert (to_24, to_25) == ([], [2099])


# --- the policy's arrangement of a year --------------------------------------------------

# A made-up arrangement of 2099: New Year Thursday-Saturday with Sunday 2099-01-04 worked,
# and a Spring Festival week with Saturday 2099-01-31 worked.
ARRANGEMENT_2099 = YearArrangement(
    2099,
    holidays=frozenset(
        [*_days(date(2099, 1, 1), date(2099, 1, 3)), *_days(date(2099, 1, 21), date(2099, 1, 27))]
    ),
    workdays=frozenset({date(2099, 1, 4), date(2099, 1, 31)}),
)


def test_a_policy_arrangement_gives_the_days_of_its_year() -> None:
    # GIVEN the public calendar with the arrangement of 2099
    is_workday = chinese_workday_rule(years=[ARRANGEMENT_2099])
    # WHEN asking about its holidays, its make-up Sunday and Saturday, and plain days
    days = [date(2099, 1, 2), date(2099, 1, 22), date(2099, 1, 4), date(2099, 1, 31)]
    days += [date(2099, 1, 28), date(2099, 2, 7)]
    answers = [is_workday(day) for day in days]
    # THEN holidays are off, make-up days on, a plain Wednesday on and a plain Saturday off
    assert answers == [False, False, True, True, True, False]


def test_a_policy_arrangement_replaces_the_librarys_days_of_that_year() -> None:
    # GIVEN the tenant's arrangement of 2026 that moves the National Day days off
    arrangement = YearArrangement(
        2026, holidays=frozenset({date(2026, 10, 1), date(2026, 10, 2)}), workdays=frozenset()
    )
    is_workday = chinese_workday_rule(years=[arrangement])
    # WHEN asking about days the library has off or on in 2026
    days = [date(2026, 10, 1), date(2026, 10, 5), date(2026, 10, 10), date(2026, 2, 17)]
    answers = [is_workday(day) for day in days]
    # THEN only the arrangement counts: the library's other holidays and its make-up Saturday are gone
    assert answers == [False, True, False, True]


def test_an_arrangement_reaches_back_into_the_last_days_of_the_year_before() -> None:
    # GIVEN an arrangement of 2099 whose New Year holiday starts on 2098-12-31 with 2098-12-27 worked
    arrangement = YearArrangement(
        2099,
        holidays=frozenset({date(2098, 12, 31), date(2099, 1, 1)}),
        workdays=frozenset({date(2098, 12, 27)}),
    )
    is_workday = chinese_workday_rule(years=[arrangement])
    # WHEN asking about those two days of 2098
    answers = [is_workday(date(2098, 12, 31)), is_workday(date(2098, 12, 27))]
    # THEN the arrangement decides them too
    assert answers == [False, True]


def test_company_days_win_over_the_policy_arrangement() -> None:
    # GIVEN the 2099 arrangement and company days on one of its holidays and off on its make-up Sunday
    is_workday = chinese_workday_rule(
        extra_holidays=[date(2099, 1, 4)], extra_workdays=[date(2099, 1, 22)], years=[ARRANGEMENT_2099]
    )
    # WHEN asking about those two days
    answers = [is_workday(date(2099, 1, 4)), is_workday(date(2099, 1, 22))]
    # THEN the company's own days win
    assert answers == [False, True]


def test_a_deadline_crosses_a_policy_holiday_and_lands_on_its_make_up_day() -> None:
    # GIVEN a business calendar with the 2099 arrangement and a question on Tuesday 2099-01-20 17:50
    calendar = BusinessCalendar(SHANGHAI, PERIODS, chinese_workday_rule(years=[ARRANGEMENT_2099]))
    # WHEN its 20-minute deadline is computed
    due = calendar.add_minutes(at("2099-01-20T17:50:00+08:00"), 20)
    # THEN 10 minutes run that evening and 10 after the holiday week, on Wednesday 2099-01-28
    assert due.isoformat() == "2099-01-28T09:10:00+08:00"


# --- the report's note -------------------------------------------------------------------


def test_the_note_names_the_years_and_what_to_do_in_english() -> None:
    # GIVEN unconfirmed years 2027, 2028 and 2030
    # WHEN the English note is written
    note = calendar_note([2027, 2028, 2030], "en")
    # THEN it has its code, the years, and says what is wrong and how to fix it
    assert (note.code, note.years) == ("calendar_unconfirmed", [2027, 2028, 2030])
    assert note.message.startswith("business calendar not confirmed for 2027-2028, 2030: ")
    assert "without the 调休 make-up workdays" in note.message
    assert note.message.endswith("Give calendar.years.2027 in the policy or upgrade the holidays package.")


def test_the_note_is_in_chinese_by_default() -> None:
    # GIVEN the unconfirmed year 2027
    # WHEN the note is written in the default language
    note = calendar_note([2027])
    # THEN it is in Chinese
    assert note.message.startswith("业务日历未确认 2027 年的节假日安排：")
    assert "不含调休上班日" in note.message


# --- due times ---------------------------------------------------------------------------


def test_a_question_late_on_friday_is_due_on_monday_morning() -> None:
    # GIVEN a business calendar and a question on Friday 2026-11-20 at 17:50
    calendar = cn_calendar()
    asked = at("2026-11-20T17:50:00+08:00")
    # WHEN the 20-minute deadline is computed
    due = calendar.add_minutes(asked, 20)
    # THEN 10 minutes run on Friday and 10 on Monday morning
    assert due.isoformat() == "2026-11-23T09:10:00+08:00"


def test_minutes_between_friday_evening_and_monday_morning_skip_the_weekend() -> None:
    # GIVEN a business calendar
    calendar = cn_calendar()
    # WHEN measuring from Friday 17:50 to Monday 09:10
    minutes = calendar.minutes_between(at("2026-11-20T17:50:00+08:00"), at("2026-11-23T09:10:00+08:00"))
    # THEN only the working minutes count
    assert minutes == 20


def test_minutes_between_is_negative_when_the_end_comes_first() -> None:
    # GIVEN a business calendar
    calendar = cn_calendar()
    # WHEN measuring from Monday 09:10 back to Friday 17:50
    minutes = calendar.minutes_between(at("2026-11-23T09:10:00+08:00"), at("2026-11-20T17:50:00+08:00"))
    # THEN the working minutes are counted with a minus sign
    assert minutes == -20


def test_a_deadline_that_crosses_lunch_resumes_after_the_break() -> None:
    # GIVEN a business calendar and a question at 11:50
    calendar = cn_calendar()
    # WHEN 20 minutes are added
    due = calendar.add_minutes(at("2026-11-20T11:50:00+08:00"), 20)
    # THEN 10 minutes run before lunch and 10 after 13:30
    assert due.isoformat() == "2026-11-20T13:40:00+08:00"


def test_a_deadline_that_lands_on_the_start_of_lunch_is_noon() -> None:
    # GIVEN a business calendar and a question at 11:40
    calendar = cn_calendar()
    # WHEN 20 minutes are added
    due = calendar.add_minutes(at("2026-11-20T11:40:00+08:00"), 20)
    # THEN it is due at 12:00 exactly, not at 13:30
    assert due.isoformat() == "2026-11-20T12:00:00+08:00"


def test_a_deadline_that_lands_on_the_end_of_the_day_is_six_pm_that_day() -> None:
    # GIVEN a business calendar and a question on Friday at 17:40
    calendar = cn_calendar()
    # WHEN 20 minutes are added
    due = calendar.add_minutes(at("2026-11-20T17:40:00+08:00"), 20)
    # THEN it is due at 18:00 that Friday, not on Monday at 09:00
    assert due.isoformat() == "2026-11-20T18:00:00+08:00"


def test_a_clock_started_during_lunch_starts_at_half_past_one() -> None:
    # GIVEN a business calendar and a question at 12:30, during the lunch break
    calendar = cn_calendar()
    asked = at("2026-11-20T12:30:00+08:00")
    # WHEN 20 minutes are added, and the lunch hour is measured
    due = calendar.add_minutes(asked, 20)
    lunch = calendar.minutes_between(asked, at("2026-11-20T13:30:00+08:00"))
    # THEN the clock starts at 13:30: no working time passes before it
    assert due.isoformat() == "2026-11-20T13:50:00+08:00"
    assert lunch == 0


def test_the_lunch_break_is_not_working_time() -> None:
    # GIVEN a business calendar
    calendar = cn_calendar()
    # WHEN asking whether moments around lunch are working time
    answers = [
        calendar.is_working_time(at(f"2026-11-20T{clock}:00+08:00"))
        for clock in ("11:59", "12:00", "12:30", "13:29", "13:30", "17:59", "18:00")
    ]
    # THEN periods are half-open: the start is in, the end is out
    assert answers == [True, False, False, False, True, True, False]


def test_a_question_during_national_day_is_due_after_the_holiday() -> None:
    # GIVEN a business calendar and a question on 2026-10-03, in the National Day week
    calendar = cn_calendar()
    # WHEN the 30-minute deadline is computed
    due = calendar.add_minutes(at("2026-10-03T10:00:00+08:00"), 30)
    # THEN the clock starts on the first working day after the holiday, 2026-10-08
    assert due.isoformat() == "2026-10-08T09:30:00+08:00"


def test_a_question_on_the_eve_of_national_day_is_due_after_the_holiday() -> None:
    # GIVEN a business calendar and a question on 2026-09-30 at 17:50
    calendar = cn_calendar()
    # WHEN the 20-minute deadline is computed
    due = calendar.add_minutes(at("2026-09-30T17:50:00+08:00"), 20)
    # THEN 10 minutes run on 09-30 and 10 on 10-08
    assert due.isoformat() == "2026-10-08T09:10:00+08:00"


def test_a_question_before_a_make_up_workday_is_due_on_that_saturday() -> None:
    # GIVEN a business calendar and a question on Friday 2026-02-13 at 17:55
    calendar = cn_calendar()
    # WHEN the 20-minute deadline is computed
    due = calendar.add_minutes(at("2026-02-13T17:55:00+08:00"), 20)
    # THEN Saturday 2026-02-14 is a make-up workday, so it is due that morning
    assert due.isoformat() == "2026-02-14T09:15:00+08:00"


def test_the_same_instant_in_another_offset_gives_the_same_due_time() -> None:
    # GIVEN a business calendar and one instant written in UTC and in +08:00
    calendar = cn_calendar()
    in_utc = at("2026-11-20T02:00:00+00:00")
    in_shanghai = at("2026-11-20T10:00:00+08:00")
    # WHEN the 20-minute deadline is computed from each
    due_from_utc = calendar.add_minutes(in_utc, 20)
    due_from_shanghai = calendar.add_minutes(in_shanghai, 20)
    # THEN both give 10:20 in the calendar's zone
    assert due_from_utc.isoformat() == "2026-11-20T10:20:00+08:00"
    assert due_from_shanghai.isoformat() == "2026-11-20T10:20:00+08:00"


def test_a_calendar_in_another_time_zone_works_in_its_local_hours() -> None:
    # GIVEN a Berlin calendar on weekdays, and Friday 2026-03-27 17:50 (DST starts on Sunday 29)
    calendar = BusinessCalendar(BERLIN, PERIODS, weekday_rule())
    # WHEN the 20-minute deadline is computed
    due = calendar.add_minutes(at("2026-03-27T17:50:00+01:00"), 20)
    # THEN it is Monday 09:10 Berlin time, now in summer time
    assert due.isoformat() == "2026-03-30T09:10:00+02:00"


def test_a_calendar_in_another_time_zone_measures_local_working_minutes() -> None:
    # GIVEN a Berlin calendar on weekdays
    calendar = BusinessCalendar(BERLIN, PERIODS, weekday_rule())
    # WHEN measuring a day's hours given in UTC (09:00-18:00 Berlin in winter = 08:00-17:00Z)
    minutes = calendar.minutes_between(at("2026-11-20T08:00:00+00:00"), at("2026-11-20T17:00:00+00:00"))
    # THEN the whole working day counts, and nothing more
    assert minutes == MINUTES_PER_WORKING_DAY


# --- long spans --------------------------------------------------------------------------


def test_the_whole_of_2026_holds_its_working_days_times_450_minutes() -> None:
    # GIVEN a business calendar
    calendar = cn_calendar()
    # WHEN measuring from 2026-01-01 00:00 to 2027-01-01 00:00
    minutes = calendar.minutes_between(at("2026-01-01T00:00:00+08:00"), at("2027-01-01T00:00:00+08:00"))
    # THEN it is the official count of working days times a working day's 450 minutes
    assert minutes == expected_working_days_2026() * MINUTES_PER_WORKING_DAY
    assert minutes == 248 * 450


def test_minutes_over_a_decade_are_the_sum_of_each_year() -> None:
    # GIVEN one calendar that answers a decade at once and another that answers year by year
    whole = cn_calendar()
    yearly = cn_calendar()
    starts = [at(f"{year}-01-01T00:00:00+08:00") for year in range(2020, 2031)]
    # WHEN measuring 2020-2029 both ways
    decade = whole.minutes_between(starts[0], starts[-1])
    by_year = [yearly.minutes_between(first, last) for first, last in pairwise(starts)]
    # THEN the totals agree and every year has a plausible number of working days
    assert decade == sum(by_year)
    assert all(minutes % MINUTES_PER_WORKING_DAY == 0 for minutes in by_year)
    assert all(240 <= minutes / MINUTES_PER_WORKING_DAY <= 255 for minutes in by_year)


def test_answers_do_not_depend_on_which_dates_were_asked_first() -> None:
    # GIVEN a calendar that first answered about 2026, then about 2019 (so its table is rebuilt)
    warmed = cn_calendar()
    warmed.add_minutes(at("2026-11-20T10:00:00+08:00"), 20)
    warmed.add_minutes(at("2019-06-03T10:00:00+08:00"), 20)
    fresh = cn_calendar()
    # WHEN both measure 2026 and compute a 2026 deadline
    span = (at("2026-01-01T00:00:00+08:00"), at("2027-01-01T00:00:00+08:00"))
    warmed_minutes, fresh_minutes = warmed.minutes_between(*span), fresh.minutes_between(*span)
    warmed_due = warmed.add_minutes(at("2026-09-30T17:50:00+08:00"), 20)
    # THEN they agree with each other and with the official schedule
    assert warmed_minutes == fresh_minutes == 248 * 450
    assert warmed_due.isoformat() == "2026-10-08T09:10:00+08:00"


# --- company days and other rules --------------------------------------------------------


def test_extra_holidays_turn_a_working_day_off() -> None:
    # GIVEN a company day off on Friday 2026-11-20 and the make-up Saturday 2026-02-14
    is_workday = chinese_workday_rule(extra_holidays=[date(2026, 11, 20), date(2026, 2, 14)])
    # WHEN asking about those days and the Thursday before
    answers = [is_workday(date(2026, 11, 20)), is_workday(date(2026, 2, 14)), is_workday(date(2026, 11, 19))]
    # THEN the company's days off win over the public calendar
    assert answers == [False, False, True]


def test_extra_workdays_turn_a_day_off_into_a_working_day() -> None:
    # GIVEN company working days on a public holiday and on a plain Sunday
    is_workday = chinese_workday_rule(extra_workdays=[date(2026, 10, 5), date(2026, 11, 22)])
    # WHEN asking about those days and a holiday next to them
    answers = [is_workday(date(2026, 10, 5)), is_workday(date(2026, 11, 22)), is_workday(date(2026, 10, 6))]
    # THEN the company's working days win over the public calendar
    assert answers == [True, True, False]


def test_an_extra_holiday_moves_a_deadline_to_the_next_working_day() -> None:
    # GIVEN a company day off on Friday 2026-11-20
    calendar = cn_calendar(extra_holidays=[date(2026, 11, 20)])
    # WHEN a question on Thursday 17:50 gets 20 minutes
    due = calendar.add_minutes(at("2026-11-19T17:50:00+08:00"), 20)
    # THEN the Friday is skipped
    assert due.isoformat() == "2026-11-23T09:10:00+08:00"


def test_weekday_rule_ignores_public_holidays_and_make_up_days() -> None:
    # GIVEN the plain Monday-Friday rule
    is_workday = weekday_rule()
    # WHEN asking about National Day (a Thursday) and the make-up Saturday 2026-10-10
    answers = [is_workday(date(2026, 10, 1)), is_workday(date(2026, 10, 10))]
    # THEN only the day of the week matters
    assert answers == [True, False]


def test_weekday_rule_honours_extra_days() -> None:
    # GIVEN the Monday-Friday rule with a company day off and a company Saturday
    is_workday = weekday_rule(extra_holidays=[date(2026, 11, 20)], extra_workdays=[date(2026, 11, 21)])
    # WHEN asking about that Friday and that Saturday
    answers = [is_workday(date(2026, 11, 20)), is_workday(date(2026, 11, 21))]
    # THEN both extra days apply
    assert answers == [False, True]


def test_a_weekday_calendar_counts_national_day_as_working_time() -> None:
    # GIVEN a Shanghai calendar on the plain weekday rule
    calendar = BusinessCalendar(SHANGHAI, PERIODS, weekday_rule())
    # WHEN a question on National Day (Thursday 2026-10-01) gets 30 minutes
    due = calendar.add_minutes(at("2026-10-01T10:00:00+08:00"), 30)
    # THEN it is due the same morning
    assert due.isoformat() == "2026-10-01T10:30:00+08:00"


# --- the wall clock ----------------------------------------------------------------------


def test_wall_clock_adds_plain_minutes_through_nights_and_weekends() -> None:
    # GIVEN the wall clock
    clock = WallClock(SHANGHAI)
    # WHEN 20 minutes are added to Friday 17:50
    due = clock.add_minutes(at("2026-11-20T17:50:00+08:00"), 20)
    # THEN it is due 20 minutes later, after working hours
    assert due.isoformat() == "2026-11-20T18:10:00+08:00"


def test_wall_clock_gives_results_in_its_time_zone() -> None:
    # GIVEN the wall clock of Shanghai and an instant written in UTC
    clock = WallClock(SHANGHAI)
    # WHEN 30 minutes are added
    due = clock.add_minutes(at("2026-11-20T02:00:00+00:00"), 30)
    # THEN the result is shown in Shanghai time
    assert due.isoformat() == "2026-11-20T10:30:00+08:00"


def test_wall_clock_measures_plain_minutes_over_a_weekend() -> None:
    # GIVEN the wall clock
    clock = WallClock(SHANGHAI)
    # WHEN measuring Friday 17:50 to Monday 09:10
    minutes = clock.minutes_between(at("2026-11-20T17:50:00+08:00"), at("2026-11-23T09:10:00+08:00"))
    # THEN every minute counts: 2 days, 15 hours and 20 minutes
    assert minutes == 2 * 24 * 60 + 15 * 60 + 20


def test_wall_clock_measures_elapsed_minutes_across_a_dst_change() -> None:
    # GIVEN the Berlin wall clock and two local times around the spring-forward gap
    clock = WallClock(BERLIN)
    before = datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN)  # 00:30Z
    after = datetime(2026, 3, 29, 3, 30, tzinfo=BERLIN)  # 01:30Z
    # WHEN measuring between them
    minutes = clock.minutes_between(before, after)
    # THEN one real hour has passed
    assert minutes == 60


def test_wall_clock_adds_minutes_across_a_dst_change() -> None:
    # GIVEN the Berlin wall clock and 01:30 on the night clocks go forward
    clock = WallClock(BERLIN)
    start = datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN)
    # WHEN 60 minutes are added
    due = clock.add_minutes(start, 60)
    # THEN it is 03:30 summer time (02:30 does not exist that night)
    assert due.isoformat() == "2026-03-29T03:30:00+02:00"


# --- invalid configurations --------------------------------------------------------------


def test_a_calendar_without_working_periods_is_refused() -> None:
    # GIVEN no working periods
    # WHEN building a calendar
    with pytest.raises(CalendarError) as raised:
        BusinessCalendar(SHANGHAI, [], chinese_workday_rule())
    # THEN it says so
    assert str(raised.value) == "no working hours configured"


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    # GIVEN a period from 18:00 to 09:00
    # WHEN building a calendar
    with pytest.raises(CalendarError) as raised:
        BusinessCalendar(SHANGHAI, [(time(18, 0), time(9, 0))], chinese_workday_rule())
    # THEN the error names the period
    assert str(raised.value) == "working period 18:00-09:00 ends before it starts"


def test_an_empty_period_is_refused() -> None:
    # GIVEN a period from 09:00 to 09:00
    # WHEN building a calendar
    with pytest.raises(CalendarError) as raised:
        BusinessCalendar(SHANGHAI, [(time(9, 0), time(9, 0))], weekday_rule())
    # THEN the error names the period
    assert str(raised.value) == "working period 09:00-09:00 ends before it starts"


def test_overlapping_periods_are_refused() -> None:
    # GIVEN 09:00-12:00 and 11:00-18:00, given out of order
    periods = [(time(11, 0), time(18, 0)), (time(9, 0), time(12, 0))]
    # WHEN building a calendar
    with pytest.raises(CalendarError) as raised:
        BusinessCalendar(SHANGHAI, periods, chinese_workday_rule())
    # THEN the overlap is reported
    assert str(raised.value) == "working periods overlap"


def test_touching_periods_are_accepted_and_count_as_one_stretch() -> None:
    # GIVEN 09:00-12:00 and 12:00-18:00, which touch but do not overlap
    calendar = BusinessCalendar(
        SHANGHAI, [(time(9, 0), time(12, 0)), (time(12, 0), time(18, 0))], weekday_rule()
    )
    # WHEN 20 minutes are added to 11:50
    due = calendar.add_minutes(at("2026-11-20T11:50:00+08:00"), 20)
    # THEN there is no break at noon
    assert due.isoformat() == "2026-11-20T12:10:00+08:00"


def test_a_calendar_with_no_working_days_cannot_compute_a_deadline() -> None:
    # GIVEN a calendar on which no day is ever a working day
    calendar = BusinessCalendar(SHANGHAI, PERIODS, lambda day: False)
    # WHEN a deadline is computed
    with pytest.raises(CalendarError) as raised:
        calendar.add_minutes(at("2026-11-20T10:00:00+08:00"), 20)
    # THEN the calendar says it found no working time instead of looping forever
    assert str(raised.value) == "no working time found within ten years"


# --- the audit says when its calendar is not confirmed -----------------------------------

KNOWN_THROUGH_2026 = frozenset(range(2001, 2027))  # the library as installed today
ARRANGEMENT_2027_POLICY = {
    "calendar": {
        "years": {
            2027: {
                "holidays": ["2027-01-01/2027-01-03", "2027-02-05/2027-02-13"],
                "workdays": ["2027-02-20"],
            }
        }
    }
}


def _question_and_answer(asked: str, answered: str) -> dict:
    members = [member("u1"), member("u2")]
    messages = [
        message("m2", "u2", answered, "好的"),
        message("m1", "u1", asked, "@u2 请问合同盖章了吗？", mentions=["u2"]),
    ]
    return snapshot(members, messages)


def test_an_audit_over_a_year_without_an_arrangement_carries_a_note(monkeypatch) -> None:
    # GIVEN a library that knows 2001-2026, and a question asked on 2027-01-04 answered the next day
    monkeypatch.setattr("groupaudit.businesstime.library_years", lambda: KNOWN_THROUGH_2026)
    snap = _question_and_answer("2027-01-04T10:00:00+08:00", "2027-01-05T10:00:00+08:00")
    # WHEN audited on 2027-01-06
    report = audit(snap, now="2027-01-06T18:00:00+08:00")
    # THEN the report notes that 2027 is not confirmed, and its JSON carries the note
    assert report.notes == [calendar_note([2027], "zh")]
    document = json.loads(render_json(report))
    assert document["notes"] == [
        {"code": "calendar_unconfirmed", "message": calendar_note([2027]).message, "years": [2027]}
    ]


def test_an_audit_within_confirmed_years_has_no_note(monkeypatch) -> None:
    # GIVEN a library that knows 2001-2026, and a question of 2025-12-30 audited in 2026
    monkeypatch.setattr("groupaudit.businesstime.library_years", lambda: KNOWN_THROUGH_2026)
    snap = _question_and_answer("2025-12-30T10:00:00+08:00", "2026-01-05T10:00:00+08:00")
    # WHEN audited on 2026-11-20
    report = audit(snap, now="2026-11-20T18:00:00+08:00")
    # THEN there is no note, and the JSON has exactly the contract's fields
    assert report.notes is None
    assert list(json.loads(render_json(report))) == [
        "audit_id",
        "tenant_id",
        "group_id",
        "audited_at",
        "rules_run",
        "rules_skipped",
        "findings",
    ]


def test_the_period_starts_at_the_earliest_message_wherever_it_is_listed(monkeypatch) -> None:
    # GIVEN a library that knows only 2026, and a group whose earliest message (listed last)
    # is of 2025-12-31
    monkeypatch.setattr("groupaudit.businesstime.library_years", lambda: frozenset({2026}))
    snap = _question_and_answer("2025-12-31T10:00:00+08:00", "2026-01-05T10:00:00+08:00")
    # WHEN audited on 2026-11-20
    report = audit(snap, now="2026-11-20T18:00:00+08:00")
    # THEN the note is about 2025, the year the period starts in
    assert report.notes is not None
    assert [note.years for note in report.notes] == [[2025]]


def test_a_policy_arrangement_of_the_year_removes_the_note(monkeypatch) -> None:
    # GIVEN a library that knows 2001-2026 and a policy that gives the arrangement of 2027
    monkeypatch.setattr("groupaudit.businesstime.library_years", lambda: KNOWN_THROUGH_2026)
    snap = _question_and_answer("2027-01-04T10:00:00+08:00", "2027-01-05T10:00:00+08:00")
    # WHEN audited on 2027-01-06
    report = audit(snap, now="2027-01-06T18:00:00+08:00", policies=policy(defaults=ARRANGEMENT_2027_POLICY))
    # THEN the year is confirmed and there is no note
    assert report.notes is None


@pytest.mark.parametrize(
    "overdue_reply",
    [pytest.param({"sla_clock": "wall"}, id="wall-clock"), pytest.param({"enabled": False}, id="disabled")],
)
def test_no_note_when_no_rule_measured_business_time(monkeypatch, overdue_reply: dict) -> None:
    # GIVEN a library that knows 2001-2026 and a 2027 question, with overdue_reply on the wall
    # clock or off
    monkeypatch.setattr("groupaudit.businesstime.library_years", lambda: KNOWN_THROUGH_2026)
    snap = _question_and_answer("2027-01-04T10:00:00+08:00", "2027-01-05T10:00:00+08:00")
    # WHEN audited on 2027-01-06
    report = audit(snap, now="2027-01-06T18:00:00+08:00", policies=policy({"overdue_reply": overdue_reply}))
    # THEN no business time was measured, so the calendar's gap did not matter
    assert report.notes is None


def test_a_group_without_messages_measures_no_business_time(monkeypatch) -> None:
    # GIVEN a library that knows 2001-2026 and a group with members but no messages
    monkeypatch.setattr("groupaudit.businesstime.library_years", lambda: KNOWN_THROUGH_2026)
    # WHEN audited on 2027-01-06
    report = audit(snapshot([member("u1")]), now="2027-01-06T18:00:00+08:00")
    # THEN there is no note
    assert report.notes is None


def test_the_note_follows_the_audit_language(monkeypatch) -> None:
    # GIVEN a library that knows 2001-2026 and a 2027 question
    monkeypatch.setattr("groupaudit.businesstime.library_years", lambda: KNOWN_THROUGH_2026)
    snap = _question_and_answer("2027-01-04T10:00:00+08:00", "2027-01-05T10:00:00+08:00")
    # WHEN audited in English
    report = audit(snap, now="2027-01-06T18:00:00+08:00", lang="en")
    # THEN the note is the English one
    assert report.notes == [calendar_note([2027], "en")]
