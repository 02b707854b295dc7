"""overdue_reply: work questions and requests not answered in time.

For each message, decide who must answer it and under which kind (one kind per person, the
strictest that applies):

- ``leader_request``: a leader or department head @-mentions department heads with a
  question, request or problem report -> each mentioned head, 30 minutes.
- ``direct_question``: an employee asks a question -> each @-mentioned colleague and the
  asker's department head, 20 minutes.
- ``public_question``: a question about administration/logistics, or one nobody above owns
  -> the head of the administration centre, 30 minutes.
- ``mention``: a question or request that @-mentions a member -> that member, 240 minutes.
  The only kind checked without a directory.

The responsible person must be a human member of the group other than the asker. The clock
is business time (working hours, Chinese public calendar) unless ``sla_clock: wall``.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from groupaudit.businesstime import WallClock
from groupaudit.contracts import Finding
from groupaudit.rules.base import RuleConfig, RuleSpec, SeverityName, local_iso, local_short, make_finding

if TYPE_CHECKING:
    from groupaudit.engine import AuditContext, Entry

Kind = Literal["leader_request", "direct_question", "public_question", "mention"]

POLICY_REFS: dict[str, str] = {
    "direct_question": "003 第五章 1.1",
    "leader_request": "003 第五章 1.2",
    "public_question": "003 第五章 1.3",
    "mention": "000 四(一)1; 002 三(三)1-2; 001 五",
}
MANAGER_SANCTION = {"sanction": "performance_points", "points": -3, "policy_ref": "003 第五章 2.3"}


class Deadlines(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    direct_question: int = Field(20, ge=1, description="minutes for a department head to answer")
    leader_request: int = Field(30, ge=1, description="minutes for a mentioned head to answer a leader")
    public_question: int = Field(30, ge=1, description="minutes for the 行政中心 head")
    mention: int = Field(240, ge=1, description="minutes for a mentioned member")


class OverdueReplyConfig(RuleConfig):
    severity: SeverityName = "violation"
    mention_severity: SeverityName = Field("warning", description="severity of the mention kind")
    sla_clock: Literal["business", "wall"] = Field(
        "business", description="business: working hours on working days; wall: plain minutes"
    )
    reply_match: Literal["lenient", "strict"] = Field(
        "lenient",
        description="strict: only quotes, thread replies and @-mentions of the asker answer; "
        "lenient: any later message of the responsible person does too",
    )
    deadlines_minutes: Deadlines = Field(default_factory=Deadlines)
    question_markers: tuple[str, ...] = Field(
        (
            "请问",
            "吗",
            "怎么",
            "如何",
            "是否",
            "能否",
            "什么时候",
            "哪里",
            "多少",
            "为什么",
            "有没有",
            "是不是",
            "几点",
        ),
        description="words that make a message a question (a trailing ? or ？ always does)",
    )
    request_markers: tuple[str, ...] = Field(
        ("请", "麻烦", "尽快", "确认", "处理", "跟进", "反馈", "安排", "落实", "提交", "回复"),
        description="words that make an @-mention a request",
    )
    problem_markers: tuple[str, ...] = Field(
        ("问题", "故障", "异常", "报错", "投诉", "事故"),
        description="words that make a leader's @-mention a problem report",
    )
    public_topic_keywords: tuple[str, ...] = Field(
        (
            "行政",
            "后勤",
            "报销",
            "考勤",
            "请假",
            "办公用品",
            "会议室",
            "食堂",
            "宿舍",
            "门禁",
            "工牌",
            "快递",
            "停车",
            "班车",
            "保洁",
            "打印机",
            "网络",
            "水电",
            "空调",
        ),
        description="a question containing one of these is for the administration centre",
    )


@lru_cache(maxsize=32)
def _regex(words: tuple[str, ...]) -> re.Pattern[str] | None:
    if not words:
        return None
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))


def _find(pattern: re.Pattern[str] | None, text: str) -> str | None:
    if pattern is None:
        return None
    match = pattern.search(text)
    return match.group(0) if match else None


class _Clock(Protocol):
    """Working-time coordinates: ``position(b) - position(a)`` is the time between a and b."""

    def position(self, ts: float) -> float: ...
    def instant(self, position: float) -> float: ...


def check(ctx: AuditContext, config: OverdueReplyConfig) -> Iterator[Finding]:
    questions = _regex(config.question_markers)
    requests = _regex(config.request_markers)
    problems = _regex(config.problem_markers)
    public = _regex(config.public_topic_keywords)
    clock: _Clock = ctx.policy.business_calendar if config.sla_clock == "business" else WallClock(ctx.tz)
    judge = _Judge(ctx, config, clock)
    members, bots, heads = ctx.members, ctx.bots, ctx.heads
    with_directory = ctx.directory is not None
    leads = ctx.leaders | heads
    admin_head = ctx.admin_center_head
    search_question = questions.search if questions else None

    for entry in ctx.timeline:
        message = entry[2]
        text = message.text
        sender = message.sender_id
        if not text or sender in bots:
            continue
        mentioned = message.mentions or ()
        if text.rstrip().endswith(("?", "？")):
            question: str | None = "?"
        else:
            found = search_question(text) if search_question else None
            question = found.group(0) if found else None
        if question is None and not mentioned:
            continue
        request = None if question else _find(requests, text)

        owed: dict[str, tuple[Kind, str]] = {}  # responsible -> (kind, marker)

        def owe(person: str | None, kind: Kind, marker: str, owed=owed, sender=sender) -> None:
            if (
                person
                and person != sender
                and person in members
                and person not in bots
                and person not in owed
            ):
                owed[person] = (kind, marker)

        if with_directory:
            if sender in leads and mentioned:
                marker = question or request or _find(problems, text)
                if marker:
                    for person in mentioned:
                        if person in heads:
                            owe(person, "leader_request", marker)
            if question:
                for person in mentioned:
                    owe(person, "direct_question", question)
                topic = _find(public, text)
                if topic:
                    owe(admin_head, "public_question", topic)
                elif sender not in leads:  # a head's or leader's own question has no owner above
                    owe(ctx.head_of(sender), "direct_question", question)
                    if not owed:  # no department head in the group: nobody owns it
                        owe(admin_head, "public_question", question)
        marker = question or request
        if marker:
            for person in mentioned:
                owe(person, "mention", marker)

        for person, (kind, marker) in owed.items():
            finding = judge(entry, person, kind, marker)
            if finding is not None:
                yield finding


class _Judge:
    """Decides whether one question was answered in time by one person."""

    def __init__(self, ctx: AuditContext, config: OverdueReplyConfig, clock: _Clock) -> None:
        self.ctx = ctx
        self.config = config
        self.clock = clock
        self.now_position = clock.position(ctx.now_ts)
        self.strict = config.reply_match == "strict"
        self._asked: tuple[str, float] | None = None  # (message id, position), the last one

    def __call__(self, entry: Entry, person: str, kind: Kind, marker: str) -> Finding | None:
        ctx, config, clock = self.ctx, self.config, self.clock
        asked_ts, question_id, question = entry
        if self._asked is None or self._asked[0] != question_id:
            self._asked = (question_id, clock.position(asked_ts))
        deadline = getattr(config.deadlines_minutes, kind)
        due_position = self._asked[1] + deadline * 60
        if self.now_position <= due_position:
            return None  # not due yet (or no working time has passed since it fell due)
        reply = (
            _strict_reply(ctx, entry, person)
            if self.strict
            else ctx.first_message_of_after(person, asked_ts, question_id)
        )
        overdue_seconds = (clock.position(reply[0]) if reply else self.now_position) - due_position
        if overdue_seconds <= 0:
            return None
        overdue = math.ceil(overdue_seconds / 60)
        due_ts = clock.instant(due_position)
        asker = question.sender_id
        evidence = {
            "asker_id": asker,
            "responsible_id": person,
            "asked_at": local_iso(ctx, asked_ts),
            "due_at": local_iso(ctx, due_ts),
            "replied_at": local_iso(ctx, reply[0]) if reply else None,
            "reply_message_id": reply[1] if reply else None,
            "overdue_minutes": overdue,
            "deadline_minutes": deadline,
            "sla_clock": config.sla_clock,
            "reply_match": config.reply_match,
            "marker": marker,
        }
        if kind != "mention" and (person in ctx.heads or person in ctx.leaders):
            evidence["recommended_sanction"] = MANAGER_SANCTION
        who, by, when = ctx.name(person), ctx.name(asker), local_short(ctx, asked_ts)
        if ctx.lang == "en":
            late = f"replied {overdue} min late" if reply else f"{overdue} min overdue, no reply yet"
            summary = f"{who} did not answer {by}'s question of {when} within {deadline} min ({late})"
        else:
            state = f"回复晚了 {overdue} 分钟" if reply else f"已逾期 {overdue} 分钟未回复"
            summary = f"{who} 未在 {deadline} 分钟内回复 {by} {when} 的提问（{state}）"
        return make_finding(
            ctx,
            rule=RULE,
            config=config,
            key=(question_id, person),
            kind=kind,
            severity=config.mention_severity if kind == "mention" else None,
            subject_id=person,
            message_id=question_id,
            policy_ref=POLICY_REFS[kind],
            summary=summary,
            evidence=evidence,
        )


def _strict_reply(ctx: AuditContext, question: Entry, person: str) -> Entry | None:
    """The person's first later message that quotes or threads the question, or @-mentions
    the asker."""
    asked_ts, question_id, message = question
    index = _strict_index(ctx)
    quoted_or_threaded = [
        *index.reply_to.get(question_id, ()),
        *index.thread.get(question_id, ()),
        *(index.thread.get(message.thread_id, ()) if message.thread_id else ()),
    ]
    candidates = [entry for entry in quoted_or_threaded if entry[2].sender_id == person]
    mentions = index.mentions.get((person, message.sender_id), [])
    candidates += mentions[bisect_left(mentions, (asked_ts,)) :]
    return min((e for e in candidates if e[0] >= asked_ts and e[1] != question_id), default=None)


@dataclass(frozen=True)
class _StrictIndex:
    reply_to: dict[str, list[Entry]]
    thread: dict[str, list[Entry]]
    mentions: dict[tuple[str, str], list[Entry]]  # (sender, mentioned) -> entries, sorted


def _strict_index(ctx: AuditContext) -> _StrictIndex:
    """Quotes, threads and mentions, indexed once per audit (strict matching only)."""
    cached = ctx.__dict__.get("_strict_reply_index")
    if cached is not None:
        return cached
    index = _StrictIndex({}, {}, {})
    for entry in ctx.timeline:
        message = entry[2]
        if message.reply_to_id:
            index.reply_to.setdefault(message.reply_to_id, []).append(entry)
        if message.thread_id:
            index.thread.setdefault(message.thread_id, []).append(entry)
        for mentioned in message.mentions or ():
            index.mentions.setdefault((message.sender_id, mentioned), []).append(entry)
    for bucket in index.mentions.values():
        bucket.sort()
    ctx.__dict__["_strict_reply_index"] = index
    return index


RULE = RuleSpec(
    id="overdue_reply",
    title_zh="工作提问未及时回复",
    title_en="Work questions and requests not answered in time",
    policy_ref="003 第五章 1.1-1.3",
    config=OverdueReplyConfig,
    check=check,
    needs_directory=True,
    partial_without_directory=(
        "department-head deadlines (direct_question, leader_request, public_question) not checked; "
        "mention deadlines checked"
    ),
)
