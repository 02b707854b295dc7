"""The monthly assessment report's data: what an audit adds to it, and the report built from
the month's rollups, the ledger and the appeals (docs/SUPERVISION.md "Monthly report").

What is counted:

- **Findings** of a month are the distinct findings any audit of the month saw open (one per
  finding id, however many daily audits saw it): a finding resolved later in the month still
  happened in it. Findings an appeal **overturned** (filed in the month or the next) are left
  out everywhere: the supervision team found them false.
- **Questions** count once per person owing the answer, on the day asked, once settled
  (``report_figures``). Median and p90 come from the histogram (``groupaudit.report_rollup``).
- **Members, inactive members** are those of the month's last audit of the group; **stale,
  unbacked, badly named files** the month's distinct findings of ``stale_file``,
  ``unbacked_document`` and ``file_naming``.
- **Clean** groups were audited in the month and have no finding of severity ``violation`` or
  ``red_line`` (warnings and info do not make a group unclean).
- **Ledger**: the month's entries (by the month the violation happened), by status; lapsed and
  overturned entries are listed but counted in none of proposed/confirmed/waived. **Appeals**:
  those filed in the month; ``open`` is filed and unanswered, ``late`` the ones refused as late
  plus those answered after their deadline or still unanswered past it.
"""

from __future__ import annotations

import calendar as calendars
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from groupaudit.adapters.ledger_store import LedgerStore
from groupaudit.adapters.report_store import GroupMonth, ReportStore
from groupaudit.contracts import Directory, Finding, Snapshot
from groupaudit.discipline.appeals import Appeal
from groupaudit.errors import InputError, Problem
from groupaudit.report_rollup import Owed, quantile
from groupaudit.rules import REGISTRY
from groupaudit.supervision import report_model as m
from groupaudit.supervision.report_figures import audit_figures

if TYPE_CHECKING:
    from groupaudit.adapters.storage.dynamo import Table
    from groupaudit.policy import Policy, PolicySet
    from groupaudit.wire import GroupRegistration

SEVERITY_ORDER = {"red_line": 0, "violation": 1, "warning": 2, "info": 3}
UNCLEAN = ("red_line", "violation")
FILE_RULES = {
    "stale_files": "stale_file",
    "unbacked_files": "unbacked_document",
    "badly_named_files": "file_naming",
}
TREND_MONTHS = 6  # the report's month and up to 5 before it
TOP_CHANGES = 10


# --- the worker's part -------------------------------------------------------------------


def record_audit(
    store: Table,
    snapshot: Snapshot,
    policies: PolicySet,
    directory: Directory | None,
    findings: Iterable[Finding],
    audit_id: str,
    registration: GroupRegistration,
) -> int:
    """Adds one stored audit to its group's monthly rollup in ``store``'s table (idempotent: a
    redelivered audit counts once), under the group's effective policy of ``policies`` and its
    ``registration`` (name, department, platform). Returns the rollup items written."""
    group = snapshot.group
    policy = policies.for_group(group.kind, group.id)
    figures = audit_figures(snapshot, policy, directory, findings, audit_id)
    return ReportStore.over(store).add_audit(
        snapshot.tenant,
        group.id,
        figures,
        name=registration.name or group.name or group.id,
        department=registration.department or group.department or "",
        platform=registration.platform,
    )


# --- months ------------------------------------------------------------------------------


def parse_month(month: str) -> tuple[int, int]:
    """(year, month) of ``YYYY-MM``; InputError names the value otherwise."""
    try:
        year, number = (int(part) for part in month.split("-"))
        if len(month) != 7 or not 1 <= number <= 12 or year < 2000:
            raise ValueError
    except ValueError:
        raise InputError(
            "month", [Problem("month", f"expected YYYY-MM (e.g. 2026-11), got {month!r}")]
        ) from None
    return year, number


def shift_month(month: str, by: int) -> str:
    year, number = parse_month(month)
    index = year * 12 + number - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def previous_month(today: date) -> str:
    return shift_month(f"{today.year:04d}-{today.month:02d}", -1)


def first_workday(year: int, number: int, is_workday: Callable[[date], bool]) -> date:
    """The first working day of the month on the business calendar."""
    for day in range(1, calendars.monthrange(year, number)[1] + 1):
        if is_workday(date(year, number, day)):
            return date(year, number, day)
    return date(year, number, 1)  # a month without a working day: its first day


# --- the aggregation ---------------------------------------------------------------------


@dataclass
class _Acc:
    """Measures being summed for one department, group or member."""

    members: int = 0
    violations: dict[str, int] = field(default_factory=dict)
    red_lines: int = 0
    findings: int = 0
    questions: Owed = field(default_factory=Owed)
    active: int = 0
    inactive: int = 0
    files: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FILE_RULES, 0))

    def finding(self, rule: str, severity: str) -> None:
        self.findings += 1
        self.violations[rule] = self.violations.get(rule, 0) + 1
        if severity == "red_line":
            self.red_lines += 1
        for measure, file_rule in FILE_RULES.items():
            if rule == file_rule:
                self.files[measure] += 1

    def add(self, other: _Acc) -> None:
        self.members += other.members
        self.red_lines += other.red_lines
        self.findings += other.findings
        for rule, count in other.violations.items():
            self.violations[rule] = self.violations.get(rule, 0) + count
        self.questions.add(other.questions)
        self.active += other.active
        self.inactive += other.inactive
        for measure, count in other.files.items():
            self.files[measure] += count

    def measures(self) -> dict[str, Any]:
        owed = self.questions
        return {
            "members": self.members,
            "violations": dict(sorted(self.violations.items(), key=lambda kv: (-kv[1], kv[0]))),
            "red_lines": self.red_lines,
            "findings": self.findings,
            "questions": owed.owed,
            "answered_on_time": owed.on_time,
            "on_time_rate": _rate(owed.on_time, owed.owed),
            "median_answer_minutes": quantile(owed.histogram, 0.5),
            "p90_answer_minutes": quantile(owed.histogram, 0.9),
            "active_members": self.active,
            "inactive_members": self.inactive,
            **self.files,
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


@dataclass
class _Person:
    acc: _Acc = field(default_factory=_Acc)
    inactive: bool = False
    name: str = ""


@dataclass
class Sources:
    """Where the report reads from: the table's report items and ledger, and the tenant's
    directory and (tenant-wide) policy."""

    reports: ReportStore
    book: LedgerStore
    directory: Directory | None
    policy: Policy  # the tenant's
    tenant_name: str | None = None
    reads: int = 0  # rollup items read, for the benchmark


def sources(store: Table, directory: Directory | None, policies: PolicySet) -> Sources:
    """The report's sources in ``store``'s table, for the tenant's directory and policies."""
    return Sources(
        reports=ReportStore.over(store),
        book=LedgerStore.over(store),
        directory=directory,
        policy=policies.tenant_policy(),
    )


def build_report(tenant: str, month: str, lang: str, sources: Sources, now: datetime) -> m.MonthlyReport:
    """The month's report of ``tenant``, read by keys only (one Query per partition)."""
    if lang not in ("zh", "en"):
        raise InputError("lang", [Problem("lang", f"expected zh or en, got {lang!r}")])
    year, number = parse_month(month)
    policy = sources.policy
    zone = policy.calendar.zone
    is_workday = policy.business_calendar.is_workday
    last_day = calendars.monthrange(year, number)[1]
    workdays = sum(1 for d in range(1, last_day + 1) if is_workday(date(year, number, d)))

    month_appeals = sources.book.month_appeals(tenant, month)  # read once: overturned and listed
    overturned = _overturned(month_appeals, sources.book.month_appeals(tenant, shift_month(month, 1)))
    people = {p.id: p for p in (sources.directory.people if sources.directory else ())}
    members: dict[str, _Person] = {}
    departments: dict[str, _Acc] = {}
    department_groups: dict[str, int] = {}
    groups: list[m.Group] = []
    totals = _Acc()
    by_violation: dict[tuple[str, str], int] = {}
    audits = 0
    group_findings: dict[str, int] = {}
    for rollup in sources.reports.month_groups(tenant, month):
        sources.reads += 1
        if not rollup.audits:
            continue  # only questions settled by next month's audits: no audit of this month
        audits += rollup.audits
        acc = _group_acc(rollup, overturned, members, people, by_violation)
        department = rollup.department or "-"
        departments.setdefault(department, _Acc()).add(acc)
        department_groups[department] = department_groups.get(department, 0) + 1
        totals.add(acc)
        group_findings[rollup.group_id] = acc.findings
        groups.append(
            m.Group(
                group_id=rollup.group_id,
                name=rollup.name,
                department=department,
                platform=rollup.platform,
                audits=rollup.audits,
                clean=not any(
                    f.severity in UNCLEAN and f.finding_id not in overturned for f in rollup.findings
                ),
                **acc.measures(),
            )
        )
    groups.sort(key=lambda g: (-g.red_lines, -g.findings, g.department, g.group_id))
    clean = sorted((g for g in groups if g.clean), key=lambda g: (g.department, g.name, g.group_id))

    ledger = _ledger(sources.book, tenant, month, people)
    appeals = _appeals(month_appeals, now)
    total = totals.measures()
    summary_now = {
        "findings": total["findings"],
        "red_lines": total["red_lines"],
        "on_time_rate": total["on_time_rate"],
    }
    trends, previous_groups = _trends(sources.reports, tenant, month, summary_now, overturned)
    improvements, regressions = _changes(groups, group_findings, previous_groups)
    return m.MonthlyReport(
        tenant_id=tenant,
        tenant_name=sources.tenant_name or tenant,
        month=month,
        lang=lang,
        generated_at=now.astimezone(zone).isoformat(timespec="seconds"),
        period=m.Period(
            start=date(year, number, 1).isoformat(),
            end=date(year, number, last_day).isoformat(),
            workdays=workdays,
            audits=audits,
        ),
        totals=m.Totals(
            groups=len(groups),
            clean_groups=len(clean),
            **{k: v for k, v in total.items() if k != "violations"},
        ),
        violations=[
            m.Violation(rule=rule, severity=severity, count=count)
            for (rule, severity), count in sorted(
                by_violation.items(), key=lambda kv: (SEVERITY_ORDER.get(kv[0][1], 9), -kv[1], kv[0][0])
            )
        ],
        departments=sorted(
            (
                m.Department(department=name, groups=department_groups[name], **acc.measures())
                for name, acc in departments.items()
            ),
            key=lambda d: (-d.red_lines, -d.findings, d.department),
        ),
        groups=groups,
        members=_members(members, people),
        trends=trends,
        improvements=improvements,
        regressions=regressions,
        clean_groups=[m.CleanGroup(group_id=g.group_id, name=g.name, department=g.department) for g in clean],
        ledger=ledger,
        appeals=appeals,
    )


def _group_acc(
    rollup: GroupMonth,
    overturned: set[str],
    members: dict[str, _Person],
    people: dict[str, Any],
    by_violation: dict[tuple[str, str], int],
) -> _Acc:
    acc = _Acc(members=rollup.members, inactive=len(rollup.inactive))
    acc.active = max(0, rollup.members - acc.inactive)
    for ref in rollup.findings:
        if ref.finding_id in overturned:
            continue
        acc.finding(ref.rule, ref.severity)
        by_violation[(ref.rule, ref.severity)] = by_violation.get((ref.rule, ref.severity), 0) + 1
        if _about_a_person(ref.rule):  # a file rule's subject is the file, not a member
            _person(members, ref.subject_id, rollup, people).acc.finding(ref.rule, ref.severity)
    for person_id, owed in rollup.questions.items():
        acc.questions.add(owed)
        _person(members, person_id, rollup, people).acc.questions.add(owed)
    for person_id in rollup.inactive:
        _person(members, person_id, rollup, people).inactive = True
    return acc


def _about_a_person(rule: str) -> bool:
    spec = REGISTRY.get(rule)
    return spec is None or spec.subject == "person"  # a rule no longer registered: as stored


def _person(
    members: dict[str, _Person], person_id: str, rollup: GroupMonth, people: dict[str, Any]
) -> _Person:
    person = members.get(person_id)
    if person is None:
        person = members[person_id] = _Person()
    if not person.name:
        known = people.get(person_id)
        person.name = known.name if known is not None else rollup.names.get(person_id, "")
    return person


def _members(members: dict[str, _Person], people: dict[str, Any]) -> list[m.Member]:
    out = []
    for person_id, person in members.items():
        known = people.get(person_id)
        measures = person.acc.measures()
        out.append(
            m.Member(
                member_id=person_id,
                name=person.name or person_id,
                department=(known.department or "-") if known is not None else "-",
                violations=measures["violations"],
                red_lines=measures["red_lines"],
                findings=measures["findings"],
                questions_owed=measures["questions"],
                answered_on_time=measures["answered_on_time"],
                on_time_rate=measures["on_time_rate"],
                median_answer_minutes=measures["median_answer_minutes"],
                p90_answer_minutes=measures["p90_answer_minutes"],
                inactive=person.inactive,
            )
        )
    return sorted(out, key=lambda p: (-p.red_lines, -p.findings, p.department, p.member_id))


def _overturned(*filed: Iterable[Appeal]) -> set[str]:
    """Finding ids an appeal of ``filed`` (the month's appeals, the next month's) overturned."""
    return {appeal.finding_id for appeals in filed for appeal in appeals if appeal.status == "overturned"}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _ledger(book: LedgerStore, tenant: str, month: str, people: dict[str, Any]) -> m.Ledger:
    from groupaudit.discipline import ledger as domain

    entries = sorted(book.month_entries(tenant, month), key=lambda e: (e.occurred_at, e.entry_id))
    counts = {
        status: sum(1 for e in entries if e.status == status)
        for status in ("proposed", "confirmed", "waived")
    }
    rows = []
    for entry in entries:
        known = people.get(entry.subject_id)
        sanction = (entry.confirmed_sanction or {}).get("action") or entry.sanction_kind
        rows.append(
            m.LedgerEntry(
                entry_id=entry.entry_id,
                member_id=entry.subject_id,
                name=known.name if known is not None else entry.subject_id,
                rule=entry.rule,
                sanction=str(sanction),
                status=entry.status,
                finding_id=entry.finding_id,
                decided_by=entry.decided_by if entry.status in domain.DECIDED else None,
                decided_at=_iso(entry.decided_at) if entry.status in domain.DECIDED else None,
            )
        )
    return m.Ledger(**counts, entries=rows)


def _appeals(month_appeals: Iterable[Appeal], now: datetime) -> m.Appeals:
    """The appeals filed in the month (``month_appeals``), as the report lists them."""
    items = []
    for appeal in sorted(month_appeals, key=lambda a: (a.filed_at, a.appeal_id)):
        deadline = appeal.answer_due or appeal.window_deadline
        unanswered = appeal.status == "filed"
        late = (
            appeal.status == "refused"
            or (
                appeal.decided_at is not None
                and appeal.answer_due is not None
                and appeal.decided_at > appeal.answer_due
            )
            or (unanswered and appeal.answer_due is not None and now > appeal.answer_due)
        )
        items.append(
            m.Appeal(
                appeal_id=appeal.appeal_id,
                entry_id=appeal.entry_id,
                member_id=appeal.subject_id,
                status="open" if unanswered else appeal.status,
                filed_at=appeal.filed_at.isoformat(),
                deadline=_iso(deadline) or "",
                answered_at=_iso(appeal.decided_at) if appeal.status in ("upheld", "overturned") else None,
                late=late,
            )
        )
    return m.Appeals(
        open=sum(1 for a in items if a.status == "open"),
        upheld=sum(1 for a in items if a.status == "upheld"),
        overturned=sum(1 for a in items if a.status == "overturned"),
        late=sum(1 for a in items if a.late),
        items=items,
    )


def _trends(
    reports: ReportStore, tenant: str, month: str, now: dict[str, Any], overturned: set[str]
) -> tuple[m.Trends, dict[str, int]]:
    """Up to 5 earlier months, from their stored reports' summaries, else from their rollups;
    and the previous month's findings by group (for the improvements and regressions)."""
    first = shift_month(month, -(TREND_MONTHS - 1))
    stored = reports.reports(tenant, first, shift_month(month, -1))
    months, findings, red_lines, rates = [], [], [], []
    previous_groups: dict[str, int] = {}
    for back in range(TREND_MONTHS - 1, 0, -1):
        when = shift_month(month, -back)
        summary = (stored.get(when) or {}).get("summary")
        if summary is None:
            summary = _rollup_summary(reports, tenant, when, overturned)
        if summary is None:
            continue  # nothing audited that month
        months.append(when)
        findings.append(int(summary["findings"]))
        red_lines.append(int(summary["red_lines"]))
        rates.append(summary.get("on_time_rate"))
        if back == 1:
            previous_groups = {k: int(v) for k, v in (summary.get("groups") or {}).items()}
    months.append(month)
    findings.append(now["findings"])
    red_lines.append(now["red_lines"])
    rates.append(now["on_time_rate"])
    trends = m.Trends(months=months, findings=findings, red_lines=red_lines, on_time_rate=rates)
    return trends, previous_groups


def _rollup_summary(
    reports: ReportStore, tenant: str, month: str, overturned: set[str]
) -> dict[str, Any] | None:
    acc = _Acc()
    groups: dict[str, int] = {}
    for rollup in reports.month_findings(tenant, month):
        if not rollup.audits:
            continue
        count = 0
        for ref in rollup.findings:
            if ref.finding_id not in overturned:
                acc.finding(ref.rule, ref.severity)
                count += 1
        for owed in rollup.questions.values():
            acc.questions.add(owed)
        groups[rollup.group_id] = count
    if not groups:
        return None
    return summary_of(acc.findings, acc.red_lines, _rate(acc.questions.on_time, acc.questions.owed), groups)


def summary_of(
    findings: int, red_lines: int, on_time_rate: float | None, groups: dict[str, int]
) -> dict[str, Any]:
    """What a stored report keeps for later reports' trends."""
    return {"findings": findings, "red_lines": red_lines, "on_time_rate": on_time_rate, "groups": groups}


def report_summary(report: m.MonthlyReport) -> dict[str, Any]:
    return summary_of(
        report.totals.findings,
        report.totals.red_lines,
        report.totals.on_time_rate,
        {g.group_id: g.findings for g in report.groups},
    )


def _changes(
    groups: list[m.Group], current: dict[str, int], previous: dict[str, int]
) -> tuple[list[m.Change], list[m.Change]]:
    """Groups audited in both months whose findings fell (improvements, the biggest fall
    first) or rose (regressions, the biggest rise first); at most ``TOP_CHANGES`` each."""
    names = {g.group_id: g.name for g in groups}
    changes = [
        m.Change(
            group_id=gid, name=names[gid], previous=previous[gid], current=count, change=count - previous[gid]
        )
        for gid, count in current.items()
        if gid in previous and count != previous[gid]
    ]
    better = sorted((c for c in changes if c.change < 0), key=lambda c: (c.change, c.group_id))
    worse = sorted((c for c in changes if c.change > 0), key=lambda c: (-c.change, c.group_id))
    return better[:TOP_CHANGES], worse[:TOP_CHANGES]
