"""overdue_reply's walk over its questions (``QuestionWalk``): the one the rule's findings and
the monthly report's figures are both made from."""

from __future__ import annotations

import json
from datetime import datetime

from factories import audit, directory, member, message, of_rule, policy, snapshot
from groupaudit.engine import AuditContext
from groupaudit.loading import decode_directory, decode_snapshot
from groupaudit.rules.overdue_reply import QuestionWalk

DIRECTORY = directory(
    [("u1", "销售部"), ("u2", "销售部"), ("h-sales", "销售部"), ("h-admin", "行政中心")],
    {"销售部": "h-sales", "行政中心": "h-admin"},
)
MEMBERS = [member(pid) for pid in ("u1", "u2", "h-sales", "h-admin")]
MESSAGES = [
    # answered by the head in time (10:05, due 10:20)
    message("q1", "u1", "2026-11-20T10:00:00+08:00", "请问报价单模板在哪里？"),
    message("a1", "h-sales", "2026-11-20T10:05:00+08:00", "在群文件里", reply_to_id="q1"),
    # answered by the head late (14:50, due 14:20)
    message("q2", "u2", "2026-11-20T14:00:00+08:00", "这个月的销售目标是多少？"),
    message("a2", "h-sales", "2026-11-20T14:50:00+08:00", "一百万", reply_to_id="q2"),
    # never answered; an administrative topic, due 16:30
    message("q3", "u1", "2026-11-20T16:00:00+08:00", "客户合同要盖公章吗？"),
    # asked at 17:50, answered at 17:55 (due at 09:10 the next working day)
    message("q4", "u2", "2026-11-20T17:50:00+08:00", "明天的拜访名单是否定了？"),
    message("a4", "h-sales", "2026-11-20T17:55:00+08:00", "定了", reply_to_id="q4"),
    # asked at 17:58, not answered and not due yet
    message("q5", "u1", "2026-11-20T17:58:00+08:00", "下周的例会几点开？"),
]
NOW = "2026-11-20T18:00:00+08:00"


def _walk(messages=MESSAGES, now=NOW, policies=None) -> QuestionWalk:
    parsed = decode_snapshot(json.dumps(snapshot(MEMBERS, messages), ensure_ascii=False).encode())
    policies = policies or policy()
    ctx = AuditContext(
        snapshot=parsed,
        policy=policies.for_group(parsed.group.kind, parsed.group.id),
        now=datetime.fromisoformat(now),
        directory=decode_directory(json.dumps(DIRECTORY).encode()),
    )
    return QuestionWalk(ctx, ctx.policy.rule("overdue_reply"))


def _summary(answers) -> list[tuple]:
    return [(a.entry[1], a.person, a.owed.kind, a.reply[1] if a.reply else None, a.on_time) for a in answers]


def test_the_walk_yields_each_due_question_with_who_owed_it_and_the_answer():
    # GIVEN questions answered in time, answered late, unanswered, and two not yet due
    # WHEN walked as the rule walks them
    answers = list(_walk().answers())
    # THEN every question past its deadline comes with its owner, its answer and whether in time
    assert _summary(answers) == [
        ("q1", "h-sales", "direct_question", "a1", True),
        ("q2", "h-sales", "direct_question", "a2", False),
        ("q3", "h-admin", "public_question", None, False),  # 公章: an administrative topic
    ]
    q2 = answers[1]
    assert q2.deadline == 20 * 60
    assert q2.due - q2.asked == 20 * 60


def test_with_not_due_the_walk_also_yields_questions_answered_before_their_deadline():
    # GIVEN the same messages
    # WHEN walked with the questions not yet due
    answers = list(_walk().answers(not_due=True))
    # THEN the one answered early is there too, on time; the pending one (neither due nor
    # answered) is not
    assert _summary(answers) == [
        ("q1", "h-sales", "direct_question", "a1", True),
        ("q2", "h-sales", "direct_question", "a2", False),
        ("q3", "h-admin", "public_question", None, False),
        ("q4", "h-sales", "direct_question", "a4", True),
    ]


def test_the_rules_findings_are_the_walks_answers_not_on_time():
    # GIVEN the same messages
    # WHEN audited
    report = audit(snapshot(MEMBERS, MESSAGES), directory_doc=DIRECTORY, now=NOW)
    # THEN the findings are exactly the late and the missing answers of the walk, with its times
    findings = {f.message_id: f for f in of_rule(report, "overdue_reply")}
    late = [a for a in _walk().answers() if not a.on_time]
    assert sorted((f.message_id, f.subject_id, f.kind) for f in findings.values()) == [
        (a.entry[1], a.person, a.owed.kind) for a in late
    ]
    assert findings["q2"].evidence["overdue_minutes"] == 30  # 14:50 - 14:20
    assert findings["q2"].evidence["reply_message_id"] == "a2"
    assert findings["q3"].evidence["overdue_minutes"] == 90  # 18:00 - 16:30
    assert findings["q3"].evidence["replied_at"] is None


def test_one_answer_settles_one_question_of_a_burst_in_the_walk_as_in_the_rule():
    # GIVEN two questions in one burst owed by policy, and one colleague's answer to them
    burst = [
        message("b1", "u1", "2026-11-20T10:00:00+08:00", "有人去过客户那边吗？"),
        message("b2", "u1", "2026-11-20T10:01:00+08:00", "要准备什么材料吗？"),
        message("c1", "u2", "2026-11-20T10:03:00+08:00", "带上合同和样品就行"),
    ]
    # WHEN walked, in lenient matching
    answers = list(_walk(burst).answers(not_due=True))
    # THEN the colleague's answer settles the first question only; the second is owed still
    assert _summary(answers) == [
        ("b1", "h-sales", "direct_question", "c1", True),
        ("b2", "h-sales", "direct_question", None, False),
    ]


def test_in_strict_matching_the_walk_takes_the_quotes_and_skips_a_plain_next_message():
    # GIVEN the head's plain message at 10:02 and their quote of the question at 10:10
    messages = [
        message("q1", "u1", "2026-11-20T10:00:00+08:00", "请问报价单模板在哪里？"),
        message("p1", "h-sales", "2026-11-20T10:02:00+08:00", "大家下午好"),
        message("a1", "h-sales", "2026-11-20T10:10:00+08:00", "在群文件里", reply_to_id="q1"),
    ]
    # WHEN walked in strict and in lenient matching
    strict = list(_walk(messages, policies=policy({"overdue_reply": {"reply_match": "strict"}})).answers())
    lenient = list(_walk(messages).answers())
    # THEN strict matching takes the quote, lenient the head's next message; both in time
    assert _summary(strict) == [("q1", "h-sales", "direct_question", "a1", True)]
    assert _summary(lenient) == [("q1", "h-sales", "direct_question", "p1", True)]
