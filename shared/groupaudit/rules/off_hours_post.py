"""off_hours_post: non-urgent messages posted outside working hours (severity info).

A human's message (not a bot's, not a system event) sent on a non-working day of the business
calendar (public holidays off, 调休 make-up days on, the company's extra days) or, on a working
day, before the start of its first working period or after the end of its last one (09:00 and
18:00 by default; both ends are working time, so 18:00:00 is not off hours and 18:00:01 is). The
lunch break is not off hours. Exempt: messages marked ``urgent`` and texts with an urgent marker
(``urgent_markers``: 紧急, 加急, urgent …; found in the one pass of the message scan), and the
messages of people outside the company, whose hours are not the company's: the group's
``allowed_external_ids`` and, when a directory is given, senders absent from it. An info
finding: in the report, not in the group notice unless the policy's ``notify`` says so.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from datetime import date, datetime, timedelta, tzinfo
from itertools import compress, count, repeat
from operator import and_, itemgetter, not_
from typing import TYPE_CHECKING

from pydantic import Field

from groupaudit.contracts import Finding
from groupaudit.rules.base import (
    Example,
    Expected,
    RuleConfig,
    RuleSpec,
    SeverityName,
    Summary,
    make_finding,
    short_from_iso,
)
from groupaudit.rules.messagescan import message_scan

if TYPE_CHECKING:
    from groupaudit.rules.context import AuditContext


class OffHoursPostConfig(RuleConfig):
    severity: SeverityName = "info"
    urgent_markers: tuple[str, ...] = Field(
        ("紧急", "加急", "特急", "急事", "十万火急", "urgent", "asap"),
        description="a text with one of these is urgent, and exempt (English whole words, any case)",
    )


def _working_days(ctx: AuditContext, first_ts: float, last_ts: float) -> tuple[list[float], list[float]]:
    """Start and end (POSIX seconds) of each working day from the day of ``first_ts`` to that of
    ``last_ts``: the start of its first working period and the end of its last."""
    tz = ctx.tz
    periods = ctx.policy.calendar.periods
    opens, closes = min(start for start, _ in periods), max(end for _, end in periods)
    is_workday = ctx.policy.business_calendar.is_workday
    day = datetime.fromtimestamp(first_ts, tz).date()
    last = datetime.fromtimestamp(last_ts, tz).date()
    starts: list[float] = []
    ends: list[float] = []
    while day <= last:
        if is_workday(day):
            starts.append(datetime.combine(day, opens, tz).timestamp())
            ends.append(datetime.combine(day, closes, tz).timestamp())
        day += timedelta(days=1)
    return starts, ends


def check(ctx: AuditContext, config: OffHoursPostConfig) -> Iterator[Finding]:
    scan = message_scan(ctx)
    entries = scan.entries
    if not entries:
        return
    stamps = ctx.stamps if entries is ctx.timeline else list(map(itemgetter(0), entries))
    starts, ends = _working_days(ctx, min(stamps), max(stamps))
    # Each working day's start and end in one sorted list: a time lies within a working day
    # when an odd number of these are at or before it, or it is a day's end itself. Found in C
    # for every message; the Python loop sees only the ones outside.
    bounds = [moment for day in zip(starts, ends, strict=True) for moment in day]
    positions = list(map(bisect_right, repeat(bounds), stamps))
    outside = compress(count(), map(not_, map(and_, positions, repeat(1))))
    keywords = scan.keywords
    workday = ctx.policy.business_calendar.is_workday
    workdays: dict[str, bool] = {}
    externals = set(ctx.snapshot.group.allowed_external_ids or ())
    people = ctx.people if ctx.directory is not None else None
    local_time = _LocalTimes(ctx.tz)
    summaries = _Summaries(ctx)
    for index in outside:
        ts, position = stamps[index], positions[index]
        if position and bounds[position - 1] == ts:
            continue  # a working day's end is still in it
        _, message_id, message = entries[index]
        sender = message.sender_id
        if message.urgent or sender in externals or (people is not None and sender not in people):
            continue  # urgent, or a customer or partner: the working hours are the company's
        found = keywords.get(index)
        if found is not None and any(hit.category == "urgent" for hit in found):
            continue
        sent_at, at = local_time(ts)
        day_of = sent_at[:10]
        working = workdays.get(day_of)
        if working is None:
            working = workdays[day_of] = workday(date.fromisoformat(day_of))
        kind = "outside_hours" if working else "non_working_day"
        yield make_finding(
            ctx,
            rule=RULE,
            config=config,
            key=(message_id,),
            kind=kind,
            subject_id=sender,
            message_id=message_id,
            summary=summaries(sender, kind, at),
            evidence={"sent_at": sent_at, "when": kind},
        )


_SECONDS = tuple(f"{second:02d}" for second in range(60))
_MINUTES = tuple(f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(24 * 60))
_EPOCH_DAY = date(1970, 1, 1).toordinal()


class _LocalTimes:
    """A moment's evidence time (``2026-11-20T07:30:05+08:00``) and its summary's short time
    (``11-20 07:30``), the same strings as ``datetime.fromtimestamp(ts, tz).isoformat(
    timespec="seconds")`` and ``short_from_iso`` give, made from parts formatted once.

    That formatting is the costliest step of a finding, and a million messages' findings fall
    in a few hundred days. Within a UTC hour whose first and last second have the same offset,
    the local time is the POSIX time plus that offset: its day and time of day are found by
    arithmetic, the day's date is formatted once per day and the time from tables. A moment with
    a fraction of a second (microseconds round), or in an hour that holds a change of offset,
    is formatted in full."""

    def __init__(self, tz: tzinfo) -> None:
        self._tz = tz
        self._hours: dict[int, tuple[int, str] | tuple[()]] = {}  # UTC hour: (offset s, "+08:00")
        self._days: dict[int, str] = {}  # local day since 1970-01-01: "2026-11-20"

    def __call__(self, ts: float) -> tuple[str, str]:
        whole = int(ts)
        if whole == ts:
            hour = self._hours.get(whole // 3600)
            if hour is None:
                hour = self._hours[whole // 3600] = self._hour(whole // 3600)
            if hour:
                offset, suffix = hour
                day, second = divmod(whole + offset, 86400)
                minute, second = divmod(second, 60)
                on = self._days.get(day)
                if on is None:
                    on = self._days[day] = date.fromordinal(_EPOCH_DAY + day).isoformat()
                hhmm = _MINUTES[minute]
                return f"{on}T{hhmm}:{_SECONDS[second]}{suffix}", f"{on[5:]} {hhmm}"
        sent_at = datetime.fromtimestamp(ts, self._tz).isoformat(timespec="seconds")
        return sent_at, short_from_iso(sent_at)

    def _hour(self, hour: int) -> tuple[int, str] | tuple[()]:
        """(offset in seconds, its ISO form) of a UTC hour, or () when its seconds may not
        share one."""
        start = datetime.fromtimestamp(hour * 3600, self._tz)
        offset = start.utcoffset()
        if offset is None or offset != datetime.fromtimestamp(hour * 3600 + 3599, self._tz).utcoffset():
            return ()
        if offset % timedelta(seconds=1):
            return ()
        return int(offset.total_seconds()), start.isoformat(timespec="seconds")[19:]


_AT = "\x00at\x00"  # stands for the time while a summary is split around it


class _Summaries:
    """The summary of a sender's finding of a kind: rendered once per (sender, kind) with the
    time left out, then only the time put in (a full render per finding costs more than the
    rest of it). A template whose ``{at}`` is not one plain field, or a name that holds the
    stand-in, is rendered in full."""

    def __init__(self, ctx: AuditContext) -> None:
        self._ctx = ctx
        self._names: dict[str, str] = {}
        self._parts: dict[tuple[str, str], tuple[str, str] | tuple[()]] = {}

    def __call__(self, sender: str, kind: str, at: str) -> str:
        parts = self._parts.get((sender, kind))
        if parts is None:
            parts = self._parts[sender, kind] = self._split(sender, kind)
        if len(parts) != 2:
            return RULE.summary(self._ctx, kind, name=self._name(sender), at=at)
        return parts[0] + at + parts[1]

    def _name(self, sender: str) -> str:
        name = self._names.get(sender)
        if name is None:
            name = self._names[sender] = self._ctx.name(sender)
        return name

    def _split(self, sender: str, kind: str) -> tuple[str, str] | tuple[()]:
        """(what comes before the time, what comes after), or () to render in full."""
        template = RULE.summaries[kind].template(self._ctx.lang)
        if template.count("{at") != 1 or template.count("{at}") != 1:
            return ()
        head, found, tail = RULE.summary(self._ctx, kind, name=self._name(sender), at=_AT).partition(_AT)
        return (head, tail) if found and _AT not in tail else ()


def _message(message_id: str, sent_at: str, text: str, **fields: object) -> dict[str, object]:
    return {"id": message_id, "sender_id": "u-zhang", "sent_at": sent_at, "text": text, **fields}


RULE = RuleSpec(
    id="off_hours_post",
    title_zh="非工作时间发布信息",
    title_en="Posts outside working hours",
    policy_ref="000 三(三)2",
    config=OffHoursPostConfig,
    check=check,
    summaries={
        "outside_hours": Summary(
            zh="{name} 于 {at}（工作时间外）发布了非紧急信息，非工作时间发布信息应谨慎",
            en="{name} posted a non-urgent message at {at}, outside working hours",
        ),
        "non_working_day": Summary(
            zh="{name} 于 {at}（非工作日）发布了非紧急信息，非工作时间发布信息应谨慎",
            en="{name} posted a non-urgent message at {at}, on a day off",
        ),
    },
    table_evidence=("sent_at", "when"),
    examples=(
        Example(
            "a message at 07:30 on a working day and one on a Sunday",
            {
                "members": [{"id": "u-zhang", "display_name": "销售部+张三"}],
                "messages": [
                    _message("m-1", "2026-11-20T07:30:00+08:00", "今天的报价我放群文件了"),
                    _message("m-2", "2026-11-15T15:00:00+08:00", "周一开会的资料准备好了"),
                ],
            },
            expect=(
                Expected("u-zhang", "outside_hours", message_id="m-1"),
                Expected("u-zhang", "non_working_day", message_id="m-2"),
            ),
        ),
        Example(
            "the lunch break, 18:00 sharp, an urgent message at night and a make-up workday",
            {
                "members": [{"id": "u-zhang", "display_name": "销售部+张三"}],
                "messages": [
                    _message("m-1", "2026-11-20T12:30:00+08:00", "下午的会改到三点"),
                    _message("m-2", "2026-11-20T18:00:00+08:00", "今天辛苦了"),
                    _message("m-3", "2026-11-19T22:00:00+08:00", "紧急：服务器宕机，请值班同事处理"),
                    _message("m-4", "2026-11-18T23:00:00+08:00", "客户明早来访", urgent=True),
                    _message("m-5", "2026-10-10T10:00:00+08:00", "调休上班，例会照常"),
                ],
            },
        ),
    ),
)
