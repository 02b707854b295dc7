"""What one group audit adds to the monthly report, pure: no I/O, no clock.

The report needs figures the findings do not carry: every question owed (not only the late
ones), whether it was answered in time and after how many business minutes, and the group's
members and inactive members at each audit. They are taken here from the audit's own inputs,
walking the questions the way ``rules/overdue_reply.py`` judges them (its reader, conversation
and judge), so a question counted here is exactly a question that rule would find overdue.

A question counts once **per person who owes its answer** (a question to two heads is owed
twice). It is counted on the local day it was asked once it is settled: answered (in time or
late), or unanswered past its deadline. A question not yet due and not answered is pending and
counts nowhere until a later audit settles it.

Answer minutes go into a histogram with fixed bucket edges (``EDGES``); the median and p90 are
read from it by linear interpolation inside the bucket holding the rank, so each is exact to
the width of its bucket (under a minute up to 2, 5 minutes up to 30, 15 up to 60, …).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from groupaudit.contracts import Directory, Finding, Snapshot
from groupaudit.supervision.report_buckets import AuditFigures, Owed, bucket


def audit_figures(
    snapshot: Snapshot,
    policy: object,
    directory: Directory | None,
    findings: Iterable[Finding],
    audit_id: str,
) -> AuditFigures:
    """The figures of one audit of ``snapshot`` under the group's effective ``policy`` (a
    ``groupaudit.policy.Policy``) and the tenant's ``directory``, whose run found ``findings``."""
    from groupaudit.engine import AuditContext

    ctx = AuditContext(snapshot=snapshot, policy=policy, now=snapshot.taken_at, directory=directory)  # type: ignore[arg-type]
    zone: ZoneInfo = ctx.tz
    found = tuple(findings)
    bots = ctx.bots
    people = [m for m in snapshot.members or () if not m.is_bot]
    inactive = tuple(sorted({f.subject_id for f in found if f.rule == "inactive_member"}))
    questions = question_figures(ctx)
    named = {f.subject_id for f in found} | {p for day in questions.values() for p in day}
    names = {m.id: m.display_name for m in people if m.id in named and m.id not in bots}
    return AuditFigures(
        audit_id=audit_id,
        day=snapshot.taken_at.astimezone(zone).date(),
        members=len(people),
        inactive=inactive,
        findings=found,
        questions=questions,
        names=names,
    )


def question_figures(ctx: object) -> dict[date, dict[str, Owed]]:
    """Every settled question of the audit's messages, per asked day and owing person."""
    from groupaudit.businesstime import WallClock
    from groupaudit.rules import overdue_reply as rule

    context = ctx  # an engine AuditContext
    config = context.policy.rule("overdue_reply")  # type: ignore[attr-defined]
    if not config.enabled or not context.snapshot.messages:  # type: ignore[attr-defined]
        return {}
    business = config.sla_clock == "business"
    clock = context.policy.business_calendar if business else WallClock(context.tz)  # type: ignore[attr-defined]
    conversation = rule._Conversation.of(context)  # type: ignore[arg-type]
    judge = rule._Judge(context, config, clock, conversation)  # type: ignore[arg-type]
    reader = rule._Reader(context, config)  # type: ignore[arg-type]
    ordered = conversation.ordered
    if not ordered:
        return {}
    zone: ZoneInfo = context.tz  # type: ignore[attr-defined]
    first_day = datetime.fromtimestamp(ordered[0][0], zone).date()
    bots = context.bots  # type: ignore[attr-defined]
    out: dict[date, dict[str, Owed]] = {}
    for position, cued, address in rule._candidates(
        ordered, config.lexicon.patterns, reader.names, conversation.messages
    ):
        entry = ordered[position]
        message = entry[2]
        if message.sender_id in bots:
            continue
        owed = reader.owed(message, message.text or "", cued, address)
        if not owed:
            continue
        if (
            position
            and rule._is_broadcast(ordered[position - 1][2])
            and rule._same_turn(ordered, position - 1, position)
        ):
            continue  # the sender's own advert's closing line, as the rule passes it over
        day = datetime.fromtimestamp(entry[0], zone).date()
        for person, item in owed.items():
            settled = _settle(judge, position, entry, person, item, rule.BY_POLICY)
            if settled is None or day <= first_day:
                continue  # pending, or asked on a day the messages may not cover whole
            on_time, minutes = settled
            figure = out.setdefault(day, {}).setdefault(person, Owed())
            figure.owed += 1
            figure.on_time += int(on_time)
            if minutes is not None:
                index = bucket(minutes)
                figure.histogram[index] = figure.histogram.get(index, 0) + 1
    return out


def _settle(
    judge: object, position: int, entry: tuple, person: str, owed: object, by_policy: Iterable[str]
) -> tuple[bool, float | None] | None:
    """(answered in time, business minutes to the answer or None) for one person's question;
    None while it is neither answered nor due. The rule's judgement, step by step."""
    j = judge
    clock = j.clock  # type: ignore[attr-defined]
    asked_ts = entry[0]
    asked = clock.position(asked_ts)
    deadline = j.deadlines[owed.kind]  # type: ignore[attr-defined]
    due = asked + deadline

    def in_time(reply: tuple) -> bool:
        return reply[0] - asked_ts <= deadline or clock.position(reply[0]) <= due

    def minutes(reply: tuple) -> float:
        return max(0.0, (clock.position(reply[0]) - asked) / 60)

    next_own = None if j.strict else j.next_own(entry, person)  # type: ignore[attr-defined]
    if next_own is not None and in_time(next_own):
        return True, minutes(next_own)
    reply = j.own_answer(entry, person, due + j.horizon, deadline + j.horizon, next_own)  # type: ignore[attr-defined]
    if reply is not None and in_time(reply):
        return True, minutes(reply)
    if owed.because in by_policy:  # type: ignore[attr-defined]
        anyone = j.anyones_answer(position, entry)  # type: ignore[attr-defined]
        if anyone is not None and (reply is None or anyone < reply):
            reply = anyone
    if reply is not None:
        return in_time(reply), minutes(reply)
    if j.now_position <= due:  # type: ignore[attr-defined]
        return None  # not due yet: pending
    return False, None
