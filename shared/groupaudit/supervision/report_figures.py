"""What one group audit adds to the monthly report, pure: no I/O, no clock.

The report needs figures the findings do not carry: every question owed (not only the late
ones), whether it was answered in time and after how many business minutes, and the group's
members and inactive members at each audit. They are taken here from the audit's own inputs,
by the walk over the questions that ``rules/overdue_reply.py`` itself judges them with
(``QuestionWalk``), so a question counted late here is exactly a question that rule finds overdue.

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
from groupaudit.report_rollup import AuditFigures, Owed, bucket


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
    """Every settled question of the audit's messages, per asked day and owing person: the
    rule's own walk over its questions and answers (``overdue_reply.QuestionWalk``)."""
    from groupaudit.rules import overdue_reply as rule

    context = ctx  # an engine AuditContext
    config = context.policy.rule("overdue_reply")  # type: ignore[attr-defined]
    if not config.enabled or not context.snapshot.messages:  # type: ignore[attr-defined]
        return {}
    walk = rule.QuestionWalk(context, config)  # type: ignore[arg-type]
    ordered = walk.conversation.ordered
    if not ordered:
        return {}
    zone: ZoneInfo = context.tz  # type: ignore[attr-defined]
    first_day = datetime.fromtimestamp(ordered[0][0], zone).date()
    position = walk.clock.position
    out: dict[date, dict[str, Owed]] = {}
    asked_id, day = None, first_day
    for answer in walk.answers(not_due=True):
        entry = answer.entry
        if entry[1] != asked_id:
            asked_id, day = entry[1], datetime.fromtimestamp(entry[0], zone).date()
        if day <= first_day:
            continue  # asked on a day the messages may not cover whole
        figure = out.setdefault(day, {}).setdefault(answer.person, Owed())
        figure.owed += 1
        figure.on_time += int(answer.on_time)
        if answer.reply is not None:  # business minutes to the answer
            index = bucket(max(0.0, (position(answer.reply[0]) - answer.asked) / 60))
            figure.histogram[index] = figure.histogram.get(index, 0) + 1
    return out
