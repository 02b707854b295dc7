"""``groupaudit calendar YEAR``: the working days an audit will use for a year.

Per month: the working days, the holidays (weekdays that are not working days) and the
make-up workdays (weekend days that are), with who decided each (the ``holidays`` library,
the policy's arrangement of the year, the company's extra days); the working hours; and
whether the year's holiday arrangement is confirmed, and by what.

It asks the same working-day rule the audit's business clock asks (``Policy.business_calendar``),
so what it prints is what the audit uses.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from groupaudit.contracts import GROUP_KINDS

if TYPE_CHECKING:
    from groupaudit.businesstime import ChineseWorkdays, Weekdays
    from groupaudit.policy import Policy

FIRST_YEAR, LAST_YEAR = 1950, 2100
_WEEKDAYS = {"zh": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


@dataclass(frozen=True)
class MarkedDay:
    """A day that differs from its day of the week, and why."""

    day: date
    by: str  # library | policy | company
    name: str | None


@dataclass(frozen=True)
class Month:
    month: int
    working_days: tuple[date, ...]
    holidays: tuple[MarkedDay, ...]  # Monday-Friday days that are not working days
    make_up_workdays: tuple[MarkedDay, ...]  # Saturday/Sunday days that are working days


@dataclass(frozen=True)
class YearCalendar:
    year: int
    timezone: str
    working_hours: tuple[str, ...]
    working_minutes_per_day: int
    workdays: str  # cn | weekdays
    confirmed_by: str | None  # library | policy | weekdays; None: not confirmed
    source: str | None  # the policy's source of the arrangement, or the library's version
    library_also: bool  # confirmed by the policy while the library has the year too
    next_year_confirmed: bool  # the next year's notice may still move days of late December
    months: tuple[Month, ...]

    @property
    def working_day_count(self) -> int:
        return sum(len(month.working_days) for month in self.months)


def year_calendar(policy: Policy, year: int, lang: str = "zh") -> YearCalendar:
    """The year as the audit of a group with ``policy`` sees it."""
    from groupaudit.businesstime import library_years

    business = policy.business_calendar
    # Policy.business_calendar takes its rule from Calendar.workday_rule(): one that says why.
    rule = cast("ChineseWorkdays | Weekdays", business.is_workday)
    months: list[Month] = []
    for month in range(1, 13):
        first = date(year, month, 1)
        days = [first + timedelta(days=n) for n in range(31) if (first + timedelta(days=n)).month == month]
        working = tuple(day for day in days if rule(day))
        holidays: list[MarkedDay] = []
        make_up: list[MarkedDay] = []
        for day in days:
            weekend, works = day.weekday() >= 5, day in working
            if weekend == works:  # a weekday off, or a weekend day on
                by, name = rule.why(day, lang)
                (make_up if works else holidays).append(MarkedDay(day, by, name))
        months.append(Month(month, working, tuple(holidays), tuple(make_up)))
    confirmed_by = business.confirmed_by(year)
    source = None
    if confirmed_by == "policy":
        source = policy.calendar.years[year].source
    elif confirmed_by == "library":
        source = f"holidays {_library_version()}"
    minutes = sum(
        (datetime.combine(first, end) - datetime.combine(first, start)).seconds // 60
        for start, end in business.periods
    )
    return YearCalendar(
        year=year,
        timezone=policy.calendar.timezone,
        working_hours=policy.calendar.working_hours,
        working_minutes_per_day=minutes,
        workdays=policy.calendar.workdays,
        confirmed_by=confirmed_by,
        source=source,
        library_also=confirmed_by == "policy" and year in library_years(),
        next_year_confirmed=business.confirmed_by(year + 1) is not None,
        months=tuple(months),
    )


def _library_version() -> str:
    import holidays

    return str(holidays.__version__)


# --- output ------------------------------------------------------------------------------


def render_json(view: YearCalendar, lang: str = "zh") -> str:
    def marked(days: tuple[MarkedDay, ...]) -> list[dict[str, Any]]:
        return [{"date": d.day.isoformat(), "by": d.by, "name": d.name} for d in days]

    document: dict[str, Any] = {
        "year": view.year,
        "timezone": view.timezone,
        "working_hours": list(view.working_hours),
        "working_minutes_per_day": view.working_minutes_per_day,
        "workdays": view.workdays,
        "confirmed": view.confirmed_by is not None,
        "confirmed_by": view.confirmed_by,
        "next_year_confirmed": view.next_year_confirmed,
        "source": view.source,
        "working_day_count": view.working_day_count,
        "months": [
            {
                "month": month.month,
                "working_days": [day.isoformat() for day in month.working_days],
                "holidays": marked(month.holidays),
                "make_up_workdays": marked(month.make_up_workdays),
            }
            for month in view.months
        ],
    }
    if view.confirmed_by is None:
        document["note"] = _unconfirmed(view, lang)
    return json.dumps(document, ensure_ascii=False, indent=2)


_TEXT: dict[str, dict[str, Any]] = {
    "zh": {
        "hours": "工作时间",
        "per_day": "每天 {minutes} 分钟",
        "working_days": "全年工作日 {count} 天",
        "month_days": "{count} 个工作日",
        "holidays": "放假",
        "make_up": "调休上班",
        "library": "已确认：{source} 收录了国务院 {year} 年的放假安排",
        "policy": "已确认：策略 calendar.years.{year} 给出了该年安排",
        "library_also": "holidays 库也有该年安排，以策略为准",
        "next_year": "{next} 年尚未确认：其元旦安排仍可能调整 {year}-12-25 至 12-31 的日子",
        "weekdays": "无需确认：workdays: weekdays（周一至周五）",
        "caller": "无需确认：调用方给出的工作日规则",
        "no": "未确认",
        "by": {"policy": "策略", "company": "公司"},
    },
    "en": {
        "hours": "working hours",
        "per_day": "{minutes} minutes a day",
        "working_days": "{count} working days",
        "month_days": "{count} working days",
        "holidays": "off",
        "make_up": "make-up workdays",
        "library": "confirmed: {source} has the State Council arrangement of {year}",
        "policy": "confirmed: the policy gives the arrangement in calendar.years.{year}",
        "library_also": "the holidays library has the year too; the policy's arrangement is used",
        "next_year": "{next} is not confirmed yet: its New Year's Day may still move {year}-12-25..31",
        "weekdays": "nothing to confirm: workdays: weekdays (Monday to Friday)",
        "caller": "nothing to confirm: the caller's working-day rule",
        "no": "NOT confirmed",
        "by": {"policy": "policy", "company": "company"},
    },
}


def _unconfirmed(view: YearCalendar, lang: str) -> str:
    from groupaudit.businesstime import calendar_note

    return calendar_note([view.year], lang).message


def _runs(days: tuple[date, ...]) -> str:
    """Days of a month as runs of consecutive days: 1, 4-8, 11-15."""
    runs: list[list[int]] = []
    for day in days:
        if runs and day.day == runs[-1][-1] + 1:
            runs[-1].append(day.day)
        else:
            runs.append([day.day])
    return ", ".join(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs) or "—"


def render_table(view: YearCalendar, lang: str = "zh") -> str:
    lang = "en" if lang == "en" else "zh"
    text = _TEXT[lang]
    weekdays = _WEEKDAYS[lang]
    if view.confirmed_by == "policy":
        confirmed = text["policy"].format(year=view.year)
        if view.source:
            confirmed += f" ({view.source})"
        if view.library_also:
            confirmed += f"; {text['library_also']}"
    elif view.confirmed_by is None:
        confirmed = f"{text['no']}: {_unconfirmed(view, lang)}"
    else:
        confirmed = text[view.confirmed_by].format(source=view.source, year=view.year)
    per_day = text["per_day"].format(minutes=view.working_minutes_per_day)
    lines = [
        f"== {view.year} · {view.timezone} · workdays: {view.workdays} · "
        + text["working_days"].format(count=view.working_day_count),
        f"   {text['hours']}: {', '.join(view.working_hours)} ({per_day})",
        f"   {confirmed}",
    ]
    if view.confirmed_by is not None and not view.next_year_confirmed:
        lines.append("   " + text["next_year"].format(next=view.year + 1, year=view.year))

    def marked(day: MarkedDay) -> str:
        parts = [str(day.day.day), weekdays[day.day.weekday()], day.name, text["by"].get(day.by)]
        return " ".join(part for part in parts if part)

    for month in view.months:
        count = text["month_days"].format(count=len(month.working_days))
        lines.append(f"{view.year}-{month.month:02d}  {count}: {_runs(month.working_days)}")
        if month.holidays:
            lines.append(f"         {text['holidays']}: " + " · ".join(marked(d) for d in month.holidays))
        if month.make_up_workdays:
            lines.append(
                f"         {text['make_up']}: " + " · ".join(marked(d) for d in month.make_up_workdays)
            )
    return "\n".join(lines)


# --- the command -------------------------------------------------------------------------


def _year(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a year (e.g. 2027)") from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(f"year {year} is outside {FIRST_YEAR}-{LAST_YEAR}")
    return year


def add_parser(commands: argparse._SubParsersAction) -> None:
    calendar = commands.add_parser(
        "calendar", help="print the working days, holidays and make-up workdays the audit uses for a year"
    )
    calendar.add_argument("year", metavar="YEAR", type=_year)
    calendar.add_argument("--policy", metavar="FILE", help="policy file (default: built-in defaults)")
    calendar.add_argument("--group-kind", metavar="K", choices=GROUP_KINDS, help=" | ".join(GROUP_KINDS))
    calendar.add_argument("--group-id", metavar="ID", help="apply this group's overrides too")
    calendar.add_argument("--format", choices=("table", "json"), default="table")
    calendar.add_argument("--lang", choices=("zh", "en"), default="zh")


def run_command(args: argparse.Namespace) -> str:
    """The text ``groupaudit calendar`` prints; InputError for a bad policy file."""
    from groupaudit.policy import load_policy

    policy = load_policy(args.policy).for_group(args.group_kind, args.group_id)
    view = year_calendar(policy, args.year, args.lang)
    return render_json(view, args.lang) if args.format == "json" else render_table(view, args.lang)
