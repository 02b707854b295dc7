"""The demo's month: November 2026 of the sample tenant, one working day after another, through
the real handlers on moto's server, then the month's report.

The sample tenant (events/sample-tenant) is a snapshot of each group taken on Friday
2026-11-20. The month is derived from it by a short script of what happens (``the story``
below), not by random data: the snapshot of day D holds the sample's members who had joined by
D's 18:00, its messages sent by then and its files uploaded by then, and the story's own:

- **a question a day**: every working day at 14:00 a salesperson asks 刘强, the head of sales, a
  work question in the sales group (a ``direct_question``: 20 business minutes); the first week
  he answers after 50 minutes, late, from the second week on after 10;
- **a member who leaves**: 王五's last day is Friday 11-13 (HR marks him departed in the
  directory that day); the groups' owners remove him on Monday 11-16;
- **a newcomer**: 林小雨, hired on 11-12, is added to the sales and company groups on 11-18,
  after the reminder of the onboarding rule;
- **a file backed up after its warning**: 赵敏's 服务器扩容方案 (uploaded 11-13 16:00) has no
  backup until she makes one on 11-17; the audit of 11-16 warns of it, that of 11-17 resolves it;
- **an appeal**: on 11-05 刘强 appeals the finding on his late answer of 11-04 (he had answered
  by phone in time); on 11-09 the supervision team (王志远) checks and overturns it;
- **October summaries**: on Friday 10-30 each member the sample shows active in November posted
  an October summary in the group, so nobody looks silent in early November only because the
  sample's messages start later.

Each day the day's snapshots and directory are dropped in the bucket, the scheduler is invoked
with the day's scheduled time (18:00 in the tenant's zone, the time the snapshots are taken,
which the worker audits "as of"), and the audit and notice queues are drained through the
worker and the notifier; the notices go to the groups' robots on a loopback peer (as in
:mod:`groupaudit.local.demo`). One line a day says what happened. At the end the reporter
function runs as scheduled on Tuesday 2026-12-01 09:00 (December's first working day), makes
November's report, stores its JSON, HTML and XLSX in the report bucket and announces it to the
supervision contact; the three documents are copied to ``.demo/reports/`` and the HTML page's
path is the last line printed.

The days are in the past of any clock after 2026-11-30 18:00 (+08:00): the worker refuses a
snapshot "taken" after it received it, so the month refuses to start on an earlier clock. The
appeal is filed and decided, and the report made, at the story's times (the supervision
service and the reporter take ``now`` as an argument); the notices are recorded at this
machine's time. The report link in the announcement is under API_URL, or without one under
``LOCAL_API``, where nothing answers during the demo.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import sys
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

from groupaudit.errors import InputError, Problem
from groupaudit.local.stack import ROOT

SAMPLE = ROOT / "events" / "sample-tenant"
DEMO_DIR = ROOT / ".demo"
MONTH = "2026-11"
TAKEN_AT = time(18, 0)  # each day's snapshots are taken, and audited, at 18:00 in the tenant's zone

# --- the story ----------------------------------------------------------------------------------------

SALES, COMPANY, RD = "grp-sales", "grp-company", "grp-rd"
HEAD_OF_SALES = "u-head-sales"  # 刘强
# A question a day in the sales group, by weekday (Monday first): who asks, the question, 刘强's answer.
QUESTIONS = (
    ("u-zhang", "请问本周的回款目标是多少？", "本周目标 300 万，按区域分解到人。"),
    ("u-li", "请问华东客户的报价能再优惠一点吗？", "可以再让 3 个点，超出需要总经办审批。"),
    ("u-zhang", "请问今天的客户拜访名单定了吗？", "名单已更新在客户跟进表里。"),
    ("u-li", "请问新客户的试用期可以延长到两周吗？", "可以，合同里写明试用期两周。"),
    ("u-zhang", "请问下周的客户答谢会在哪里办？", "在公司三楼报告厅。"),
)
ASKED_AT = time(14, 0)
FIRST_WEEK_ENDS = date(2026, 11, 6)
LATE_MINUTES, ON_TIME_MINUTES = 50, 10  # the deadline is 20 business minutes

LEAVER, LEAVER_NAME = "u-wang", "王五"
LAST_DAY = date(2026, 11, 13)  # the directory says departed from this day
REMOVED_ON = date(2026, 11, 16)  # the owners remove him from their groups

NEWCOMER, NEWCOMER_NAME, NEWCOMER_DISPLAY = "u-lin", "林小雨", "销售部+林小雨"
JOINS_ON = date(2026, 11, 18)
NEWCOMER_GROUPS = (SALES, COMPANY)

BACKED_UP_FILE = "服务器扩容方案 2026-11-13 赵敏.docx"  # in backups/, held back until:
BACKED_UP_ON = date(2026, 11, 17)

APPEALED_QUESTION = date(2026, 11, 4)
APPEAL_FILED = datetime(2026, 11, 5, 9, 30)
APPEAL_REASON = "11月4日 14:05 我已电话答复张三，群里的文字回复补发晚了。"
APPEAL_DECIDED = datetime(2026, 11, 9, 15, 0)
SUPERVISOR = "u-vp"  # 王志远, for the supervision team
DECISION_REASON = "核实通话记录：14:05 已电话答复，按时。"

SUMMARIES_AT = datetime(2026, 10, 30, 17, 0)
SUMMARY_TEXT = "10月工作小结已提交。"

REPORTER_RUNS = datetime(2026, 12, 1, 9, 0)  # December's first working day, the reporter's 09:00
# The API's URL the report link is under (API_URL) when none is set: the local API's address
# (`groupaudit serve-api`); nothing answers there during the demo, whose page is in .demo/reports/.
LOCAL_API = "http://127.0.0.1:8787/"
SUPERVISION_ROBOT = "supervision"  # the supervision contact's robot on the peer (local/demo.py)


# --- what a run gives back ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    day: date
    audits: int
    new: int  # findings open after the day's audits that were not open before
    resolved: int  # findings open before that the day's audits resolved
    notices: int  # messages the robots received that day
    events: tuple[str, ...] = ()


@dataclass
class MonthRun:
    days: list[Day] = field(default_factory=list)
    appeal: dict[str, Any] = field(default_factory=dict)  # the appeal as decided
    findings: dict[str, dict[str, Any]] = field(default_factory=dict)  # every stored finding, by id
    report: dict[str, Any] = field(default_factory=dict)  # the stored report.json
    files: dict[str, Path] = field(default_factory=dict)  # json, html, xlsx written
    announcement: str | None = None  # what the supervision contact's robot received


# --- the month ----------------------------------------------------------------------------------------


def run_month(
    tenant_dir: Path = SAMPLE,
    out: IO[str] | None = None,
    out_dir: Path = DEMO_DIR,
    until: date | None = None,
    groups: Collection[str] | None = None,
) -> MonthRun:
    """Tell the month (its working days up to ``until``, default all; the sample's groups, or
    only ``groups``) and make its report."""
    from groupaudit.local.peers.robots import RobotPeer
    from groupaudit.local.stack import local_stack
    from groupaudit.pipeline import runtime

    out = out or sys.stdout
    story = Story.read(tenant_dir, groups)
    days = [d for d in story.working_days() if until is None or d <= until]
    if not days:
        raise InputError("until", [Problem("until", f"{until} is before the month's first working day")])
    last = story.local(days[-1], TAKEN_AT)
    if last > runtime.now():  # the worker refuses a snapshot taken after it received it
        problem = Problem(
            "taken_at", f"the month's last snapshot is taken at {last.isoformat()}, after this clock"
        )
        raise InputError(f"the demo's month {MONTH}", [problem])
    run = MonthRun()
    with local_stack() as stack, RobotPeer() as robots:
        out.write(
            f"\n== the month: {MONTH} of {story.tenant}, day by day (moto server on {stack.endpoint}) ==\n"
        )
        stage = _Stage(story, robots)
        opened: set[str] = set()
        for day in days:
            record, opened = stage.day(day, opened)
            run.days.append(record)
            out.write(_day_line(record))
            for line in story.appeal_step(day, stage.table, stage.s3, stage.settings.snapshot_bucket, run):
                out.write(f"    {line}\n")
            out.flush()
        for platform, robot, answer in robots.refused:
            out.write(f"[{platform} robot of {robot}] REFUSED: {answer}\n")
        run.findings = _all_findings(stage.table, story.tenant, story.group_ids)
        made = stage.report(run, out_dir)
        out.write(_report_lines(run, made, stage.contact))
        out.write(f"{run.files['html']}\n")
    return run


class _Stage:
    """The local stack as the month uses it: the tenant registered, its groups' notices to
    robots on the peer, and the handlers the day and the report invoke."""

    def __init__(self, story: Story, robots: Any) -> None:
        from groupaudit.local.demo import _robot_channel, _supervision_contact
        from groupaudit.local.invoke import load_handler
        from groupaudit.pipeline import runtime, supervision_contact
        from groupaudit.settings import load_settings

        self.story, self.robots = story, robots
        self.settings = load_settings()
        self.table = runtime.store(self.settings)
        self.sqs, self.s3 = runtime.client("sqs"), runtime.client("s3")
        registrations = [
            g.model_copy(update={"notice": _robot_channel(g, robots)}) for g in story.registrations()
        ]
        _groups(self.table).put_groups(registrations)
        self.contact = _supervision_contact(story.tenant_dir, registrations, robots)
        if self.contact is not None:
            supervision_contact.put_contact(self.table, self.contact)
        story.seed(self.s3, self.settings.snapshot_bucket, self.settings.backup_bucket)
        self.handlers = {name: load_handler(name) for name in ("scheduler", "audit_worker", "notifier")}

    def _drain(self, queue_url: str, name: str) -> dict[str, int]:
        from groupaudit.local.invoke import drain

        return drain(self.sqs, queue_url, self.handlers[name], name)

    def day(self, day: date, opened: set[str]) -> tuple[Day, set[str]]:
        """The day's documents dropped, its scheduled run, its queues drained; the day and the
        findings open after it (``opened``: those open before; nothing else changes them)."""
        from groupaudit.local.invoke import LambdaContext

        story, settings = self.story, self.settings
        events = story.drop_day(day, self.s3, settings.snapshot_bucket, settings.backup_bucket)
        delivered = len(self.robots.delivered)
        with _quiet():
            self.handlers["scheduler"](story.scheduled_event(day), LambdaContext("scheduler"))
            audits = self._drain(settings.audit_queue_url, "audit_worker")
            self._drain(settings.notice_queue_url, "notifier")
        now_open = _open_findings(self.table, story.tenant, story.group_ids)
        record = Day(
            day=day,
            audits=audits["handled"],
            new=len(now_open - opened),
            resolved=len(opened - now_open),
            notices=len(self.robots.delivered) - delivered,
            events=tuple(events),
        )
        return record, now_open

    def report(self, run: MonthRun, out_dir: Path) -> dict[str, Any]:
        """The reporter function's scheduled run, its announcement delivered, the documents it
        stored copied to ``out_dir``; what the reporter answered."""
        from groupaudit.local.invoke import LambdaContext, load_handler
        from groupaudit.local.stack import patched_environ

        delivered = len(self.robots.delivered)
        with _quiet(), patched_environ({"API_URL": os.environ.get("API_URL") or LOCAL_API}):
            made: dict[str, Any] = load_handler("reporter")(
                self.story.reporter_event(), LambdaContext("reporter")
            )
            self._drain(self.settings.notice_queue_url, "notifier")
        told = [m.text for m in self.robots.delivered[delivered:] if m.robot == SUPERVISION_ROBOT]
        run.announcement = told[0] if told else None
        run.files = _copy_report(self.s3, self.settings.report_bucket, self.story.tenant, out_dir)
        run.report = json.loads(run.files["json"].read_text(encoding="utf-8"))
        return made


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The handlers' stdout, swallowed: a console channel prints its notices, and Powertools
    prints a metric set that reaches 100 values even with metrics disabled (a local run's metrics
    are never flushed, so a month of audits reaches it)."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def _day_line(day: Day) -> str:
    story = f"  · {'; '.join(day.events)}" if day.events else ""
    return (
        f"{day.day.isoformat()} {day.day.strftime('%a')}  {day.audits} audits  "
        f"{day.new:2d} new finding(s)  {day.resolved:2d} resolved  {day.notices} notice(s){story}\n"
    )


def _report_lines(run: MonthRun, made: dict[str, Any], contact: Any) -> str:
    report = run.report
    totals, ledger, appeals = report["totals"], report["ledger"], report["appeals"]
    rate = totals["on_time_rate"]
    lines = [
        "",
        f"== the report of {report['month']} (the reporter at {REPORTER_RUNS:%Y-%m-%d %H:%M}) ==",
        f"made: {', '.join(r['month'] + ' of ' + r['tenant_id'] for r in made['reports']) or 'nothing'}",
        f"{report['period']['workdays']} working days, {report['period']['audits']} group audits, "
        f"{totals['groups']} groups: {totals['findings']} findings, {totals['red_lines']} red lines, "
        f"{totals['clean_groups']} clean group(s)",
        f"questions: {totals['questions']} settled, {totals['answered_on_time']} answered on time"
        + (f" ({rate:.0%})" if rate is not None else "")
        + f", median {totals['median_answer_minutes']} business minutes",
    ]
    for member in report["members"]:
        if member["member_id"] == HEAD_OF_SALES:
            lines.append(
                f"{member['name']} ({member['department']}): {member['questions_owed']} questions owed, "
                f"{member['answered_on_time']} answered on time, "
                f"median {member['median_answer_minutes']} business minutes"
            )
    overturned = sum(1 for e in ledger["entries"] if e["status"] == "overturned")
    lines += [
        f"ledger: {ledger['proposed']} proposed, {ledger['confirmed']} confirmed, {ledger['waived']} waived; "
        f"{overturned} overturned by appeal (counted in none)",
        f"appeals: {len(appeals['items'])} filed, {appeals['overturned']} overturned, "
        f"{appeals['upheld']} upheld, {appeals['open']} open",
    ]
    if contact is not None:
        lines.append(f"supervision contact {contact.name or ''}: {run.announcement or 'nothing received'}")
    lines.append("written: " + ", ".join(str(run.files[f]) for f in ("json", "xlsx")) + ", and the page:")
    return "\n".join(lines) + "\n"


# --- the story, as data -------------------------------------------------------------------------------


@dataclass
class Story:
    """The sample tenant's folder read once, and each day of the month derived from it."""

    tenant_dir: Path
    tenant: str
    snapshots: dict[str, dict[str, Any]]  # the sample's, by group id
    directory: dict[str, Any]
    zone: Any
    is_workday: Callable[[date], bool]
    policies: Any

    @classmethod
    def read(cls, tenant_dir: Path, groups: Collection[str] | None = None) -> Story:
        from groupaudit.policy import load_policy

        snapshots = {}
        for path in sorted((tenant_dir / "snapshots").glob("*.json")):
            snapshot = json.loads(path.read_text(encoding="utf-8"))
            if groups is None or snapshot["group"]["id"] in groups:
                snapshots[snapshot["group"]["id"]] = snapshot
        missing = [g for g in (SALES, COMPANY, RD) if g not in snapshots]
        if missing:
            problem = Problem("group.id", f"the month's story needs the sample's groups; missing {missing}")
            raise InputError(str(tenant_dir / "snapshots"), [problem])
        directory = json.loads((tenant_dir / "directory.json").read_text(encoding="utf-8"))
        policies = load_policy(tenant_dir / "policy.yaml")
        policy = policies.tenant_policy()
        return cls(
            tenant_dir=tenant_dir,
            tenant=snapshots[SALES]["tenant_id"],
            snapshots=snapshots,
            directory=directory,
            zone=policy.calendar.zone,
            is_workday=policy.business_calendar.is_workday,
            policies=policies,
        )

    @property
    def group_ids(self) -> list[str]:
        return sorted(self.snapshots)

    def working_days(self) -> list[date]:
        """The month's working days on the tenant's business calendar."""
        first = date.fromisoformat(f"{MONTH}-01")
        days = [first + timedelta(days=n) for n in range(31)]
        return [d for d in days if d.month == first.month and self.is_workday(d)]

    def local(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, self.zone)

    def scheduled_event(self, day: date) -> dict[str, Any]:
        """The schedule's event of the day: its time is when the day's snapshots are taken."""
        when = self.local(day, TAKEN_AT).astimezone(UTC)
        return {
            "source": "schedule",
            "tenant_id": self.tenant,
            "workdays_only": True,
            "scheduled_time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def reporter_event(self) -> dict[str, Any]:
        when = REPORTER_RUNS.replace(tzinfo=self.zone).astimezone(UTC)
        return {
            "source": "schedule",
            "tenant_id": self.tenant,
            "scheduled_time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def registrations(self) -> list[Any]:
        from groupaudit.loading import decode_snapshot
        from groupaudit.wire import GroupRegistration

        out = []
        for group_id in self.group_ids:
            raw = json.dumps(self.snapshots[group_id], ensure_ascii=False).encode()
            snapshot = decode_snapshot(raw, f"{self.tenant_dir}/snapshots ({group_id})")
            out.append(
                GroupRegistration(
                    tenant_id=self.tenant,
                    group_id=group_id,
                    platform=snapshot.platform,
                    kind=snapshot.group.effective_kind,
                    name=snapshot.group.name,
                )
            )
        return out

    def seed(self, s3_client: Any, snapshot_bucket: str, backup_bucket: str) -> None:
        """The tenant's policy and its backups, but the one backed up later in the month."""
        from groupaudit.adapters import s3

        key = f"tenants/{self.tenant}/policy.yaml"
        body = (self.tenant_dir / "policy.yaml").read_bytes()
        s3_client.put_object(Bucket=snapshot_bucket, Key=key, Body=body)
        for path in sorted((self.tenant_dir / "backups").rglob("*")):
            if path.is_file() and path.name != BACKED_UP_FILE:
                s3.put_backup(backup_bucket, self.tenant, path.read_bytes(), s3_client)

    def drop_day(self, day: date, s3_client: Any, snapshot_bucket: str, backup_bucket: str) -> list[str]:
        """Put the day's directory, snapshots and backups in the buckets; what happened that day."""
        from groupaudit.adapters import s3

        events = []
        body = json.dumps(self.directory_on(day), ensure_ascii=False).encode()
        s3_client.put_object(Bucket=snapshot_bucket, Key=f"tenants/{self.tenant}/directory.json", Body=body)
        for group_id in self.group_ids:
            body = json.dumps(self.snapshot_on(group_id, day), ensure_ascii=False).encode()
            s3_client.put_object(
                Bucket=snapshot_bucket, Key=f"snapshots/{self.tenant}/{group_id}.json", Body=body
            )
        if day == BACKED_UP_ON:
            data = (self.tenant_dir / "backups" / BACKED_UP_FILE).read_bytes()
            s3.put_backup(backup_bucket, self.tenant, data, s3_client)
            events.append(f"赵敏 backs up 《{BACKED_UP_FILE}》")
        if day == LAST_DAY:
            events.append(f"{LEAVER_NAME}'s last day: the directory says departed")
        if day == REMOVED_ON:
            events.append(f"the owners remove {LEAVER_NAME} from their groups")
        if day == JOINS_ON:
            events.append(f"{NEWCOMER_NAME} is added to the sales and company groups")
        weekday = day.weekday()
        if weekday < len(QUESTIONS):
            late = day <= FIRST_WEEK_ENDS
            minutes = LATE_MINUTES if late else ON_TIME_MINUTES
            events.append(
                f"刘强 answers the {ASKED_AT:%H:%M} question in {minutes} min{' (late)' if late else ''}"
            )
        return events

    # --- the day's documents ----------------------------------------------------------------------

    def directory_on(self, day: date) -> dict[str, Any]:
        directory = copy.deepcopy(self.directory)
        if day >= LAST_DAY:
            for person in directory["people"]:
                if person["id"] == LEAVER:
                    person.update(status="departed", left_at=LAST_DAY.isoformat())
        return directory

    def snapshot_on(self, group_id: str, day: date) -> dict[str, Any]:
        """The group as the platform shows it at the day's 18:00."""
        base = self.snapshots[group_id]
        taken = self.local(day, TAKEN_AT)

        def by(value: str | None) -> bool:
            return value is None or datetime.fromisoformat(value) <= taken

        members = [m for m in base["members"] if by(m.get("joined_at"))]
        if day >= REMOVED_ON:
            members = [m for m in members if m["id"] != LEAVER]
        if group_id in NEWCOMER_GROUPS and day >= JOINS_ON:
            joined = self.local(JOINS_ON, time(9, 0)).isoformat()
            members.append({"id": NEWCOMER, "display_name": NEWCOMER_DISPLAY, "joined_at": joined})
        messages = [m for m in base["messages"] if by(m["sent_at"])]
        messages += [m for m in self.story_messages(group_id) if by(m["sent_at"])]
        return {
            **base,
            "taken_at": taken.isoformat(),
            "members": members,
            "messages": messages,
            "files": [f for f in base.get("files", []) if by(f["uploaded_at"])],
        }

    def story_messages(self, group_id: str) -> list[dict[str, Any]]:
        """The story's messages in the group over the whole month (each day's snapshot keeps
        those sent by its time)."""
        base = self.snapshots[group_id]
        messages = [
            _message(
                f"{group_id}-oct-{member}",
                member,
                self.local(SUMMARIES_AT.date(), SUMMARIES_AT.time()),
                SUMMARY_TEXT,
            )
            for member in self._active_in_november(base)
        ]
        if group_id == SALES:
            for day in self.working_days():
                if day.weekday() >= len(QUESTIONS):
                    continue
                asker, question, answer = QUESTIONS[day.weekday()]
                asked = self.local(day, ASKED_AT)
                minutes = LATE_MINUTES if day <= FIRST_WEEK_ENDS else ON_TIME_MINUTES
                qid = question_id(day)
                messages.append(_message(qid, asker, asked, question))
                answered = asked + timedelta(minutes=minutes)
                messages.append(_message(f"{qid}-a", HEAD_OF_SALES, answered, answer, reply_to=qid))
        owner = base["group"].get("owner_id")
        if owner and any(m["id"] == LEAVER for m in base["members"]):
            removed = self.local(REMOVED_ON, time(9, 0))
            text = f"{LEAVER_NAME} 被移出了群聊"
            messages.append(_message(f"{group_id}-removed-{LEAVER}", owner, removed, text, kind="system"))
        if group_id in NEWCOMER_GROUPS:
            joined = self.local(JOINS_ON, time(9, 0))
            text = f"{NEWCOMER_NAME} 加入了群聊"
            messages.append(_message(f"{group_id}-joined-{NEWCOMER}", NEWCOMER, joined, text, kind="system"))
        return messages

    def _active_in_november(self, base: dict[str, Any]) -> list[str]:
        """The group's directory people who post in November in the sample."""
        people = {p["id"] for p in self.directory["people"]}
        members = {m["id"] for m in base["members"] if not m.get("is_bot")}
        start = self.local(date.fromisoformat(f"{MONTH}-01"), time(0, 0))
        senders = {
            m["sender_id"]
            for m in base["messages"]
            if m.get("type") != "system" and datetime.fromisoformat(m["sent_at"]) >= start
        }
        return sorted(senders & members & people)

    # --- the appeal ---------------------------------------------------------------------------------

    def appeal_step(self, day: date, table: Any, s3_client: Any, bucket: str, run: MonthRun) -> list[str]:
        """On its days: file the appeal, decide it (through the supervision service the API
        calls, at the story's times). What to print."""
        from groupaudit.adapters.ledger_store import LedgerStore
        from groupaudit.supervision import service

        if day not in (APPEAL_FILED.date(), APPEAL_DECIDED.date()):
            return []
        book = LedgerStore.over(table)
        directory, policies = service.tenant_inputs(s3_client, bucket, self.tenant)
        if day == APPEAL_FILED.date():
            finding = self.appealed_finding(table)
            view, _ = service.file_appeal(
                book,
                self.tenant,
                appellant=HEAD_OF_SALES,
                reason=APPEAL_REASON,
                now=APPEAL_FILED.replace(tzinfo=self.zone),
                policies=policies,
                directory=directory,
                group_id=SALES,
                finding_id=finding,
            )
            run.appeal = view
            due = datetime.fromisoformat(view["answer_due"]).astimezone(self.zone)
            return [
                f"appeal {view['appeal_id']}: 刘强 appeals the finding on his answer of "
                f"{APPEALED_QUESTION:%m-%d} ({view['status']}, answer due {due:%Y-%m-%d %H:%M}): "
                + APPEAL_REASON
            ]
        view = service.decide_appeal(
            book,
            self.tenant,
            run.appeal["appeal_id"],
            "overturned",
            SUPERVISOR,
            DECISION_REASON,
            APPEAL_DECIDED.replace(tzinfo=self.zone),
            policies,
        )
        run.appeal = view
        return [f"appeal {view['appeal_id']}: {view['status']} by 王志远 ({SUPERVISOR}): {DECISION_REASON}"]

    def appealed_finding(self, table: Any) -> str:
        """The id of the overdue_reply finding on the appealed day's question."""
        question = question_id(APPEALED_QUESTION)
        for finding_id, item in _all_findings(table, self.tenant, [SALES]).items():
            if item["rule"] == "overdue_reply" and item["finding"].get("message_id") == question:
                return finding_id
        raise LookupError(f"no overdue_reply finding on {question} to appeal")


def question_id(day: date) -> str:
    """The id of the sales group's question of ``day``."""
    return f"{SALES}-q{day:%m%d}"


def _message(
    message_id: str,
    sender: str,
    sent: datetime,
    text: str,
    *,
    reply_to: str | None = None,
    kind: str = "text",
) -> dict[str, Any]:
    return {
        "id": message_id,
        "sender_id": sender,
        "sent_at": sent.isoformat(),
        "type": kind,
        "text": text,
        "reply_to_id": reply_to,
    }


# --- reading the table and the report bucket -------------------------------------------------------


def _groups(table: Any) -> Any:
    from groupaudit.adapters.storage.groups import Groups

    return Groups(table.table, table.client)


def _all_findings(table: Any, tenant: str, groups: list[str]) -> dict[str, dict[str, Any]]:
    """Every stored finding of the groups (open and resolved), by id, as the API shows them."""
    from groupaudit.adapters.storage.findings import Findings

    findings = Findings(table.table, table.client)
    out: dict[str, dict[str, Any]] = {}
    for group in groups:
        cursor = None
        while True:
            page, cursor = findings.findings_page(tenant, group, None, 200, cursor)
            for record in page:
                out[record.finding_id] = {
                    "group_id": group,
                    "rule": record.rule,
                    "kind": record.kind,
                    "status": record.status,
                    "subject_id": record.subject_id,
                    "first_seen": record.first_seen,
                    "resolved_at": record.resolved_at,
                    "finding": record.finding or {},
                }
            if cursor is None:
                break
    return out


def _open_findings(table: Any, tenant: str, groups: list[str]) -> set[str]:
    return {fid for fid, item in _all_findings(table, tenant, groups).items() if item["status"] == "open"}


def _copy_report(s3_client: Any, bucket: str, tenant: str, out_dir: Path) -> dict[str, Path]:
    """The month's stored JSON, HTML and XLSX, copied to ``out_dir/reports/``."""
    folder = out_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for fmt in ("json", "html", "xlsx"):
        key = f"reports/{tenant}/{MONTH}/report.{fmt}"
        body = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
        path = folder / f"{tenant}-{MONTH}.{fmt}"
        path.write_bytes(body)
        files[fmt] = path.resolve()
    return files
